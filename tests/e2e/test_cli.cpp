// The `hotline` command line: version, migrate, configuration errors.
#include "tests/e2e/harness.hpp"

#include <doctest/doctest.h>

#include <array>
#include <cstdio>
#include <fstream>
#include <sys/wait.h>

using namespace hotline::e2e;

namespace {

struct run_result {
    int exit_code = -1;
    std::string output;  // stdout and stderr together
};

run_result run(const std::string& args) {
    const std::string cmd = std::string(HOTLINE_BINARY) + " " + args + " 2>&1";
    run_result r;
    FILE* p = ::popen(cmd.c_str(), "r");
    REQUIRE(p != nullptr);
    std::array<char, 4096> buf{};
    while (const std::size_t n = std::fread(buf.data(), 1, buf.size(), p)) r.output.append(buf.data(), n);
    const int status = ::pclose(p);
    r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return r;
}

}  // namespace

TEST_CASE("hotline version") {
    const auto r = run("version");
    CHECK(r.exit_code == 0);
    CHECK(r.output.starts_with("hotline "));
    CHECK(r.output.find("schema") != std::string::npos);
}

TEST_CASE("hotline migrate creates the schema and is idempotent") {
    temp_dir dir;
    const auto db = (dir.path() / "sub" / "h.db").string();
    fs::create_directories(dir.path() / "sub");
    const auto first = run("migrate --db " + db);
    CHECK(first.exit_code == 0);
    CHECK(first.output.find("schema version") != std::string::npos);
    const auto second = run("migrate --db " + db);
    CHECK(second.exit_code == 0);
    CHECK(second.output == first.output);
}

TEST_CASE("an invalid configuration names the key and exits with 2") {
    temp_dir dir;
    const auto write = [&](const std::string& text) {
        const auto p = dir.path() / "bad.toml";
        std::ofstream(p) << text;
        return p.string();
    };
    SUBCASE("out of range") {
        const auto r = run("serve --config " + write("[limits]\nbody_bytes = 10\n"));
        CHECK(r.exit_code == 2);
        CHECK(r.output.find("limits.body_bytes") != std::string::npos);
    }
    SUBCASE("unknown key") {
        const auto r = run("serve --config " + write("[server]\nlisten_port = 80\n"));
        CHECK(r.exit_code == 2);
        CHECK(r.output.find("server.listen_port") != std::string::npos);
    }
    SUBCASE("syntax error with its line") {
        const auto r = run("serve --config " + write("[server]\nthreads = = 2\n"));
        CHECK(r.exit_code == 2);
        CHECK(r.output.find(":2:") != std::string::npos);
    }
    SUBCASE("bad --listen flag") {
        const auto r = run("serve --listen 127.0.0.1:99999");
        CHECK(r.exit_code == 2);
        CHECK(r.output.find("port") != std::string::npos);
    }
    SUBCASE("unknown command and option") {
        CHECK(run("frobnicate").exit_code == 2);
        CHECK(run("serve --nope x").exit_code == 2);
    }
}
