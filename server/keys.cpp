#include "server/keys.hpp"

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fmt/format.h>

namespace hotline::server {

namespace {

error key_error(const std::string& path, std::string_view what) {
    return make_error("key_error", fmt::format("key file {}: {}", path, what), "storage.key_file");
}

}  // namespace

result<intake::secret_key> load_or_create_key(const std::string& path) {
    intake::secret_key key{};
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0 && errno == ENOENT) {
        std::error_code ec;
        const auto dir = std::filesystem::path(path).parent_path();
        if (!dir.empty()) std::filesystem::create_directories(dir, ec);
        if (ec) return key_error(path, fmt::format("cannot create its directory: {}", ec.message()));
        if (sodium_init() < 0) return key_error(path, "libsodium failed to initialise");
        randombytes_buf(key.data(), key.size());
        // The key is written to a temporary file of this process's own and
        // published with link(), which fails when `path` exists: of two
        // servers starting at once, only one key wins. A unique name (not a
        // fixed "<path>.new") so that a file left by a crash cannot block
        // every later start.
        unsigned char nonce[8];
        randombytes_buf(nonce, sizeof nonce);
        char nonce_hex[sizeof nonce * 2 + 1];
        sodium_bin2hex(nonce_hex, sizeof nonce_hex, nonce, sizeof nonce);
        const std::string tmp = fmt::format("{}.new.{}.{}", path, ::getpid(), nonce_hex);
        int wfd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        if (wfd < 0) return key_error(path, std::strerror(errno));
        errno = EIO;  // a short write sets none
        const bool ok = ::write(wfd, key.data(), key.size()) == static_cast<ssize_t>(key.size()) && ::fsync(wfd) == 0;
        ::close(wfd);
        if (!ok || ::link(tmp.c_str(), path.c_str()) != 0) {
            const int err = errno;
            ::unlink(tmp.c_str());
            if (!ok || err != EEXIST) return key_error(path, std::strerror(err));
        } else {
            ::unlink(tmp.c_str());
            // Make the new directory entry durable before anything is
            // encrypted or coded with the key (best effort: some file
            // systems cannot sync a directory).
            const std::string d = dir.empty() ? std::string(".") : dir.string();
            if (const int dfd = ::open(d.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC); dfd >= 0) {
                ::fsync(dfd);
                ::close(dfd);
            }
            return key;
        }
        fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);  // lost the race: use the winner's key
    }
    if (fd < 0) return key_error(path, std::strerror(errno));
    const ssize_t n = ::read(fd, key.data(), key.size());
    char extra;
    const ssize_t more = ::read(fd, &extra, 1);
    ::close(fd);
    if (n != static_cast<ssize_t>(key.size()) || more != 0)
        return key_error(path, fmt::format("must hold exactly {} bytes", key.size()));
    return key;
}

}  // namespace hotline::server
