// Result<T>: a value or an Error, for module boundaries (no exceptions there).
#pragma once

#include <cerrno>
#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace dtcp {

// An errno value plus the most specific message available (for netlink
// errors, the kernel's extended-ack message).
struct Error {
    int code = 0;
    std::string message;

    // "message (strerror)" or just strerror when there is no message.
    std::string describe() const;
};

template <typename T>
class [[nodiscard]] Result {
public:
    Result(T value) : v_(std::move(value)) {}
    Result(Error err) : v_(std::move(err)) {}

    explicit operator bool() const { return v_.index() == 0; }
    bool ok() const { return v_.index() == 0; }
    T& value() & { return std::get<0>(v_); }
    const T& value() const& { return std::get<0>(v_); }
    T&& value() && { return std::get<0>(std::move(v_)); }
    T& operator*() & { return value(); }
    const T& operator*() const& { return value(); }
    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }
    const Error& error() const { return std::get<1>(v_); }

private:
    std::variant<T, Error> v_;
};

template <>
class [[nodiscard]] Result<void> {
public:
    Result() = default;
    Result(Error err) : e_(std::move(err)) {}

    explicit operator bool() const { return !e_; }
    bool ok() const { return !e_; }
    const Error& error() const { return *e_; }

private:
    std::optional<Error> e_;
};

inline Error errno_error(int code, std::string message = {})
{
    return Error{code, std::move(message)};
}

}  // namespace dtcp
