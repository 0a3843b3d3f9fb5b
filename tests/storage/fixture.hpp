#pragma once
// Shared pieces of the storage tests: a fixed tracking codec, opening a
// database in a test's temp dir, and waiting for a completion.

#include <doctest/doctest.h>

#include <future>
#include <memory>
#include <string>

#include "intake/tracking_code.hpp"
#include "storage/database.hpp"
#include "tests/support/temp_dir.hpp"

namespace hotline::storage::test {

inline const intake::tracking_codec& codec() {
    static const intake::tracking_codec c([] {
        intake::secret_key k{};
        for (std::size_t i = 0; i < k.size(); ++i) k[i] = static_cast<std::uint8_t>(i * 7 + 3);
        return k;
    }());
    return c;
}

inline std::unique_ptr<database> open_db(const options& o) {
    auto db = database::open(o, codec());
    REQUIRE_MESSAGE(db.has_value(), (db ? std::string() : db.err().message));
    return std::move(*db);
}

inline std::unique_ptr<database> open_db(const hotline::test::temp_dir& dir) {
    options o;
    o.path = dir.file("hotline.db");
    return open_db(o);
}

// Starts an asynchronous call and waits for its completion.
template <class T, class Start>
result<T> await(Start start) {
    std::promise<result<T>> p;
    auto f = p.get_future();
    start([&p](result<T> r) { p.set_value(std::move(r)); });
    return f.get();
}

template <class T>
T ok(result<T> r) {
    REQUIRE_MESSAGE(r.has_value(), (r ? std::string() : r.err().code + ": " + r.err().message));
    return std::move(*r);
}

inline void ok(result<void> r) {
    REQUIRE_MESSAGE(r.has_value(), (r ? std::string() : r.err().code + ": " + r.err().message));
}

}  // namespace hotline::storage::test
