#pragma once
// Errors as values across module boundaries.
//
// `error` is what every module returns when something is refused or fails:
// a stable machine code (`invalid_field`, `too_long`, `not_found`, `conflict`,
// `storage_failure`, ...), a human message in English, and the input field it
// concerns when there is one. The server maps codes to HTTP statuses in one
// place (server/errors.cpp); no other layer knows about HTTP.
//
// `result<T>` holds either a T or an error. It is a small stand-in for
// std::expected (C++23), which g++ 12's library does not have.

#include <cassert>
#include <string>
#include <utility>
#include <variant>

namespace hotline {

struct error {
    std::string code;     // stable, snake_case: clients and the HTTP mapping switch on it
    std::string message;  // for people; never contains secrets or report text
    std::string field;    // the input field at fault, empty when none

    friend bool operator==(const error&, const error&) = default;
};

template <class T>
class [[nodiscard]] result {
public:
    result(T value) : v_(std::in_place_index<0>, std::move(value)) {}
    result(error e) : v_(std::in_place_index<1>, std::move(e)) {}

    bool has_value() const noexcept { return v_.index() == 0; }
    explicit operator bool() const noexcept { return has_value(); }

    T& value() & { assert(has_value()); return std::get<0>(v_); }
    const T& value() const& { assert(has_value()); return std::get<0>(v_); }
    T&& value() && { assert(has_value()); return std::get<0>(std::move(v_)); }

    T& operator*() & { return value(); }
    const T& operator*() const& { return value(); }
    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }

    const error& err() const& { assert(!has_value()); return std::get<1>(v_); }
    error&& err() && { assert(!has_value()); return std::get<1>(std::move(v_)); }

private:
    std::variant<T, error> v_;
};

// result<void>: success carries nothing.
template <>
class [[nodiscard]] result<void> {
public:
    result() = default;
    result(error e) : e_(std::move(e)), ok_(false) {}

    bool has_value() const noexcept { return ok_; }
    explicit operator bool() const noexcept { return ok_; }

    const error& err() const& { assert(!ok_); return e_; }
    error&& err() && { assert(!ok_); return std::move(e_); }

private:
    error e_;
    bool ok_ = true;
};

inline error make_error(std::string code, std::string message, std::string field = {}) {
    return error{std::move(code), std::move(message), std::move(field)};
}

}  // namespace hotline
