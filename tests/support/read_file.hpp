#pragma once
// The whole of a file the test needs (a fixture in the source tree, a file
// the binary wrote); the test fails at once when it cannot be opened.

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include <doctest/doctest.h>

namespace hotline::test {

inline std::string read_file(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    REQUIRE_MESSAGE(in.good(), path.string());
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

}  // namespace hotline::test
