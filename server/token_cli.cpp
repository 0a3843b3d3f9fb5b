#include "server/token_cli.hpp"

#include <fmt/format.h>

#include <future>
#include <memory>
#include <optional>
#include <ostream>

#include "intake/tracking_code.hpp"
#include "storage/database.hpp"
#include "storage/officers.hpp"

namespace hotline::server {

const std::string_view token_usage =
    "       hotline token create --contact KEY [--label TEXT] [--config FILE | --db PATH]\n"
    "       hotline token revoke --contact KEY [--config FILE | --db PATH]\n";

namespace {

using storage::wait_for;

constexpr int exit_ok = 0;
constexpr int exit_failure = 1;
constexpr int exit_usage = 2;

// This process writes no reports: the tracking codec is never asked for a code.
const intake::tracking_codec& unused_codec() {
    static const intake::tracking_codec codec(intake::secret_key{});
    return codec;
}


int refused(const error& e, std::string_view key, std::ostream& err) {
    if (e.code == "not_found") {
        err << fmt::format("hotline: no contact \"{}\" in the directory\n", key);
        return exit_failure;
    }
    if (e.code == "inactive_contact") {
        err << fmt::format("hotline: the contact \"{}\" is not active\n", key);
        return exit_failure;
    }
    err << fmt::format("hotline: {}\n", e.message);
    return exit_failure;
}

}  // namespace

int run_token(const std::vector<std::string>& args, const std::string& db_path, const hotline::clock& clock,
              std::ostream& out, std::ostream& err) {
    if (args.empty() || (args[0] != "create" && args[0] != "revoke")) {
        err << "hotline: token takes create or revoke\n" << token_usage;
        return exit_usage;
    }
    const bool create = args[0] == "create";
    std::optional<std::string> contact, label;
    for (std::size_t i = 1; i < args.size(); ++i) {
        std::optional<std::string>* target = nullptr;
        if (args[i] == "--contact") target = &contact;
        else if (create && args[i] == "--label") target = &label;
        if (!target || i + 1 >= args.size()) {
            err << fmt::format("hotline: {} {}\n", target ? "missing value for" : "unknown option", args[i])
                << token_usage;
            return exit_usage;
        }
        *target = args[++i];
    }
    if (!contact || contact->empty()) {
        err << "hotline: token " << args[0] << " needs --contact KEY\n" << token_usage;
        return exit_usage;
    }

    storage::options opts;
    opts.path = db_path;
    opts.read_connections = 1;
    auto db = storage::database::open(opts, unused_codec());
    if (!db) {
        err << fmt::format("hotline: cannot open the database {}: {}\n", db_path, db.err().message);
        return exit_failure;
    }
    const time_point now = clock.now();
    const std::string key = *contact;
    if (create) {
        const std::string text = label.value_or("");
        auto issued = wait_for<storage::issued_token>([&](auto done) {
            (*db)->write<storage::issued_token>(
                [key, text, now](storage::connection& c) { return storage::create_officer_token(c, key, text, now); },
                std::move(done));
        });
        if (!issued) return refused(issued.err(), key, err);
        out << issued->token << '\n';
        out.flush();
        return out ? exit_ok : exit_failure;
    }
    auto revoked = wait_for<std::size_t>([&](auto done) {
        (*db)->write<std::size_t>(
            [key, now](storage::connection& c) { return storage::revoke_officer_tokens(c, key, now); },
            std::move(done));
    });
    if (!revoked) return refused(revoked.err(), key, err);
    out << fmt::format("revoked {} token{} of {}\n", *revoked, *revoked == 1 ? "" : "s", key);
    out.flush();
    return out ? exit_ok : exit_failure;
}

}  // namespace hotline::server
