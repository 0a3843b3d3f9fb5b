#include "server/keys.hpp"

#include "tests/support/temp_dir.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <system_error>

#include <sys/stat.h>
#include <unistd.h>

using namespace hotline;
using namespace hotline::server;
namespace fs = std::filesystem;

namespace {

using hotline::test::temp_dir;

void write_bytes(const fs::path& p, std::size_t n, char fill = 'k') {
    std::ofstream out(p, std::ios::binary);
    out << std::string(n, fill);
}

std::string read_all(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
}

}  // namespace

TEST_CASE("load_or_create_key creates a 32-byte key file with mode 0600, with its directories") {
    temp_dir dir;
    const fs::path path = dir.path() / "var" / "lib" / "hotline" / "server.key";
    REQUIRE_FALSE(fs::exists(path.parent_path()));

    const auto key = load_or_create_key(path.string());
    REQUIRE_MESSAGE(key.has_value(), (key ? "" : key.err().message));
    REQUIRE(fs::is_regular_file(path));
    CHECK(fs::file_size(path) == 32);

    struct stat st {};
    REQUIRE(::stat(path.c_str(), &st) == 0);
    CHECK((st.st_mode & 07777) == 0600);

    const std::string on_disk = read_all(path);
    REQUIRE(on_disk.size() == key->size());
    CHECK(std::equal(key->begin(), key->end(), reinterpret_cast<const std::uint8_t*>(on_disk.data())));

    // Random, not a constant.
    CHECK(std::any_of(key->begin(), key->end(), [](std::uint8_t b) { return b != 0; }));

    // Nothing else left beside it.
    std::size_t entries = 0;
    for ([[maybe_unused]] const auto& e : fs::directory_iterator(path.parent_path())) ++entries;
    CHECK(entries == 1);
}

TEST_CASE("load_or_create_key reads back the same key") {
    temp_dir dir;
    const std::string path = (dir.path() / "server.key").string();
    const auto first = load_or_create_key(path);
    REQUIRE(first.has_value());
    const auto second = load_or_create_key(path);
    REQUIRE(second.has_value());
    CHECK(*first == *second);

    // Another location gets another key.
    const auto other = load_or_create_key((dir.path() / "other.key").string());
    REQUIRE(other.has_value());
    CHECK(*other != *first);
}

TEST_CASE("load_or_create_key reads an existing key file as it is") {
    temp_dir dir;
    const fs::path path = dir.path() / "server.key";
    std::string bytes(32, '\0');
    for (std::size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<char>(i * 7 + 1);
    {
        std::ofstream out(path, std::ios::binary);
        out << bytes;
    }
    const auto key = load_or_create_key(path.string());
    REQUIRE(key.has_value());
    for (std::size_t i = 0; i < bytes.size(); ++i) CHECK((*key)[i] == static_cast<std::uint8_t>(bytes[i]));
    CHECK(read_all(path) == bytes);  // untouched
}

TEST_CASE("load_or_create_key refuses a file of the wrong size") {
    for (std::size_t size : {0, 1, 16, 31, 33, 64, 4096}) {
        CAPTURE(size);
        temp_dir dir;
        const fs::path path = dir.path() / "server.key";
        write_bytes(path, size);
        const auto key = load_or_create_key(path.string());
        REQUIRE_FALSE(key.has_value());
        CHECK(key.err().code == "key_error");
        CHECK(key.err().field == "storage.key_file");
        CHECK(key.err().message.find(path.string()) != std::string::npos);
        CHECK(fs::file_size(path) == size);  // never overwritten
    }
}

TEST_CASE("load_or_create_key reports what it cannot do") {
    temp_dir dir;
    SUBCASE("the key path is a directory") {
        const fs::path path = dir.path() / "server.key";
        fs::create_directories(path);
        const auto key = load_or_create_key(path.string());
        REQUIRE_FALSE(key.has_value());
        CHECK(key.err().code == "key_error");
    }
    SUBCASE("its directory would have to be made under a regular file") {
        write_bytes(dir.path() / "not-a-dir", 3);
        const auto key = load_or_create_key((dir.path() / "not-a-dir" / "server.key").string());
        REQUIRE_FALSE(key.has_value());
        CHECK(key.err().code == "key_error");
    }
}

TEST_CASE("load_or_create_key is not blocked by a temporary file left by a crash") {
    temp_dir dir;
    const fs::path path = dir.path() / "server.key";
    write_bytes(dir.path() / "server.key.new", 5);  // a crash between create and rename
    const auto key = load_or_create_key(path.string());
    REQUIRE_MESSAGE(key.has_value(), (key ? "" : key.err().message));
    CHECK(fs::file_size(path) == 32);
    const auto again = load_or_create_key(path.string());
    REQUIRE(again.has_value());
    CHECK(*again == *key);
}
