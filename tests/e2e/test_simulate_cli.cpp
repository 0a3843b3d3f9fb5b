// `hotline simulate` run as a command: output, exit codes, messages.
#include "tests/e2e/harness.hpp"

#include <doctest/doctest.h>

#include <array>
#include <cstdio>
#include <string>
#include <sys/wait.h>

namespace {

struct run_result {
    int exit_code = -1;
    std::string out;  // stdout, and stderr when asked for
};

run_result run(const std::string& args, bool with_stderr) {
    const std::string cmd = "cd " + std::string(HOTLINE_SOURCE_DIR) + " && " + std::string(HOTLINE_BINARY) +
                            " simulate " + args + (with_stderr ? " 2>&1" : " 2>/dev/null");
    run_result r;
    FILE* p = ::popen(cmd.c_str(), "r");
    REQUIRE(p != nullptr);
    std::array<char, 4096> buf{};
    while (const std::size_t n = std::fread(buf.data(), 1, buf.size(), p)) r.out.append(buf.data(), n);
    const int status = ::pclose(p);
    r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return r;
}

// The output without its last line, the wall time.
std::string without_wall_time(const std::string& s) {
    const auto at = s.find("wall time: ");
    return at == std::string::npos ? s : s.substr(0, at);
}

}  // namespace

TEST_CASE("hotline simulate runs on the demo directory and repeats itself for a seed") {
    // From the repository's top directory: deploy/demo/*.csv by default.
    const auto a = run("--reports 20 --ack-probability 0.5 --hours 2 --seed 11", false);
    REQUIRE(a.exit_code == 0);
    for (const char* word : {"emergency", "high", "normal", "low", "total", "wall time: "})
        CHECK(a.out.find(word) != std::string::npos);
    const auto b = run("--reports 20 --ack-probability 0.5 --hours 2 --seed 11", false);
    REQUIRE(b.exit_code == 0);
    CHECK(without_wall_time(a.out) == without_wall_time(b.out));
}

TEST_CASE("hotline simulate refuses bad flags with 2, naming the flag") {
    const auto bad = run("--reports 20 --ack-probability 2 --hours 2", true);
    CHECK(bad.exit_code == 2);
    CHECK(bad.out.find("--ack-probability") != std::string::npos);
    const auto missing = run("--reports 20 --ack-probability 0.5", true);
    CHECK(missing.exit_code == 2);
    CHECK(missing.out.find("--hours") != std::string::npos);
}

TEST_CASE("hotline simulate names a directory file it cannot read") {
    const auto r = run("--reports 5 --ack-probability 0.5 --hours 1 --contacts /nonexistent/contacts.csv", true);
    CHECK(r.exit_code == 1);
    CHECK(r.out.find("/nonexistent/contacts.csv") != std::string::npos);
    CHECK(r.out.find("--contacts") != std::string::npos);
}
