#include "server/directory_cli.hpp"

#include <fmt/format.h>

#include <filesystem>
#include <fstream>
#include <future>
#include <iostream>
#include <iterator>
#include <optional>
#include <sstream>
#include <unordered_set>

#include "intake/clock.hpp"
#include "intake/tracking_code.hpp"
#include "routing/directory.hpp"
#include "server/detail/directory_export.hpp"
#include "server/units.hpp"
#include "storage/database.hpp"
#include "storage/directory.hpp"

namespace hotline::server {

const std::string_view directory_usage =
    "       hotline import contacts|rosters FILE [--config FILE] [--db PATH]\n"
    "       hotline export contacts|rosters [--config FILE] [--db PATH]\n";

namespace {

using storage::wait_for;

constexpr int exit_ok = 0;
constexpr int exit_failure = 1;
constexpr int exit_usage = 2;

// "contacts FILE" or "rosters FILE" (import), "contacts" or "rosters" (export).
bool valid_words(const std::vector<std::string>& words, bool with_file, std::string_view verb, std::ostream& err) {
    const std::size_t wanted = with_file ? 2 : 1;
    if (words.size() == wanted && (words[0] == "contacts" || words[0] == "rosters")) return true;
    err << fmt::format("hotline: {} takes {}\n", verb, with_file ? "contacts or rosters and a FILE" : "contacts or rosters")
        << directory_usage;
    return false;
}

std::optional<std::string> read_input(const std::string& file, std::ostream& err) {
    if (file == "-") {
        std::ostringstream s;
        s << std::cin.rdbuf();
        return s.str();
    }
    std::ifstream in(file, std::ios::binary);
    if (!in) {
        err << fmt::format("hotline: cannot read {}\n", file);
        return std::nullopt;
    }
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// This process writes no reports, so the tracking codec is never asked for a
// code: any key does, and the server's key file is neither read nor created.
const intake::tracking_codec& unused_codec() {
    static const intake::tracking_codec codec(intake::secret_key{});
    return codec;
}

std::unique_ptr<storage::database> open_database(const std::string& path, std::ostream& err) {
    storage::options opts;
    opts.path = path;
    opts.read_connections = 1;
    auto db = storage::database::open(opts, unused_codec());
    if (!db) {
        err << fmt::format("hotline: cannot open the database {}: {}\n", path, db.err().message);
        return nullptr;
    }
    return std::move(*db);
}


void print_summary(std::ostream& out, std::string_view what, const storage::import_summary& s) {
    out << fmt::format("{}: {} added, {} updated, {} unchanged\n", what, s.added, s.updated, s.unchanged);
}

// Parsed before the database is opened: a refused file leaves no trace.
int import_contacts(const std::string& db_path, const std::string& file, const std::string& text,
                    std::ostream& out, std::ostream& err) {
    const auto units = load_builtin_units();
    if (!units) {
        err << fmt::format("hotline: the built-in administrative units do not load: {}\n", units.err().message);
        return exit_failure;
    }
    auto contacts = routing::parse_contacts_csv(text, *units);
    if (!contacts) {
        err << fmt::format("hotline: {}: nothing imported:\n{}\n", file, contacts.err().message);
        return exit_failure;
    }
    auto opened = open_database(db_path, err);
    if (!opened) return exit_failure;
    storage::database& db = *opened;
    const hotline::system_clock clock;
    const auto at = clock.now();
    auto summary = wait_for<storage::import_summary>([&](auto done) {
        db.write<storage::import_summary>(
            [&contacts, at](storage::connection& c) { return storage::import_contacts(c, *contacts, at); },
            std::move(done));
    });
    if (!summary) {
        err << fmt::format("hotline: {}: nothing imported: {}\n", file, summary.err().message);
        return exit_failure;
    }
    print_summary(out, "contacts", *summary);
    return exit_ok;
}

int import_rosters(storage::database& db, const std::string& file, const std::string& text, std::ostream& out,
                   std::ostream& err) {
    // One write: the contacts are read, the rows checked against them and
    // stored in the same transaction, so a contact cannot vanish in between.
    std::string problems;
    auto summary = wait_for<storage::import_summary>([&](auto done) {
        db.write<storage::import_summary>(
            [&](storage::connection& c) -> result<storage::import_summary> {
                auto all = storage::list_contacts(c);
                if (!all) return std::move(all).err();
                std::unordered_set<std::string> keys;
                for (const auto& k : *all) keys.insert(k.contact.key);
                auto roster = routing::parse_rosters_csv(
                    text, [&keys](std::string_view k) { return keys.contains(std::string(k)); });
                if (!roster) {
                    problems = roster.err().message;
                    return std::move(roster).err();
                }
                return storage::import_roster(c, *roster);
            },
            std::move(done));
    });
    if (!summary) {
        if (!problems.empty())
            err << fmt::format("hotline: {}: nothing imported:\n{}\n", file, problems);
        else
            err << fmt::format("hotline: {}: nothing imported: {}\n", file, summary.err().message);
        return exit_failure;
    }
    print_summary(out, "rosters (by contact)", *summary);
    return exit_ok;
}

}  // namespace

int run_import(const std::vector<std::string>& words, const std::string& db_path, std::ostream& out,
               std::ostream& err) {
    if (!valid_words(words, true, "import", err)) return exit_usage;
    const std::string& file = words[1];
    const auto text = read_input(file, err);
    if (!text) return exit_failure;
    if (words[0] == "contacts") return import_contacts(db_path, file, *text, out, err);
    auto db = open_database(db_path, err);
    if (!db) return exit_failure;
    return import_rosters(*db, file, *text, out, err);
}

int run_export(const std::vector<std::string>& words, const std::string& db_path, std::ostream& out,
               std::ostream& err) {
    if (!valid_words(words, false, "export", err)) return exit_usage;
    std::error_code ec;
    if (!std::filesystem::exists(db_path, ec)) {
        err << fmt::format("hotline: no database at {} (run hotline migrate, then import)\n", db_path);
        return exit_failure;
    }
    auto db = open_database(db_path, err);
    if (!db) return exit_failure;
    const bool contacts = words[0] == "contacts";
    auto text = wait_for<std::string>([&](auto done) {
        db->read<std::string>(
            [contacts](storage::connection& c) { return detail::export_directory_csv(c, contacts); },
            std::move(done));
    });
    if (!text) {
        err << fmt::format("hotline: export failed: {}\n", text.err().message);
        return exit_failure;
    }
    out << *text;
    out.flush();
    return out ? exit_ok : exit_failure;
}

}  // namespace hotline::server
