#include "server/simulate.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <future>
#include <iostream>
#include <iterator>
#include <map>
#include <queue>
#include <random>
#include <sstream>
#include <unordered_map>
#include <unordered_set>

#include "intake/classify.hpp"
#include "intake/tracking_code.hpp"
#include "routing/directory.hpp"
#include "routing/escalation.hpp"
#include "routing/locate.hpp"
#include "routing/time.hpp"
#include "server/scheduler.hpp"
#include "server/triage.hpp"
#include "server/units.hpp"
#include "storage/database.hpp"
#include "storage/directory.hpp"
#include "storage/escalation.hpp"

namespace hotline::server {

const std::string_view simulate_usage =
    "       hotline simulate --reports N --ack-probability P --hours H [--seed S]\n"
    "                        [--contacts FILE --rosters FILE] [--start RFC3339] [--max-ack-delay F]\n"
    "                        [--config FILE]\n";

namespace {

using storage::wait_for;

namespace fs = std::filesystem;
using std::chrono::milliseconds;

constexpr int exit_ok = 0;
constexpr int exit_failure = 1;
constexpr int exit_usage = 2;

error usage_error(std::string_view flag, std::string message) {
    return make_error("usage", fmt::format("{}: {}", flag, message), std::string(flag));
}

template <class T>
bool parse_number(std::string_view s, T& out) {
    if (s.empty()) return false;
    const auto* end = s.data() + s.size();
    const auto [p, ec] = std::from_chars(s.data(), end, out);
    return ec == std::errc() && p == end;
}

// ---- report texts ----------------------------------------------------------------

// Written so that the built-in lexicon gives them the urgency they stand
// under (the classifier still decides; the table counts its verdict).
// "{}" is the place: "phường Đông Kinh, tỉnh Lạng Sơn".
constexpr std::array<std::string_view, 3> emergency_texts = {
    "Khẩn cấp! Cháu bé đang bị bố đánh chảy máu đầu ngay lúc này ở {}.",
    "Cháu gái 12 tuổi vừa bị hiếp dâm tối qua ở {}.",
    "Cháu bé đang bị người lạ bắt đi, cần công an ngay, ở {}.",
};
constexpr std::array<std::string_view, 2> high_texts = {
    "Cháu trai 8 tuổi thường xuyên bị bố dượng đánh bằng roi, người đầy vết bầm tím, ở {}.",
    "Cháu bé bị bỏ đói nhiều ngày, phải sang nhà hàng xóm xin cơm, ở {}.",
};
constexpr std::array<std::string_view, 2> normal_texts = {
    "Cháu phải bán vé số đến khuya, không được đi học, ở {}.",
    "Tôi lo cháu bé hàng xóm ở {} ít được chăm sóc, quần áo bẩn.",
};
constexpr std::array<std::string_view, 1> low_texts = {
    "Tôi muốn hỏi thủ tục nhận con nuôi ở {}.",
};

template <std::size_t N>
std::string_view pick(const std::array<std::string_view, N>& texts, std::mt19937_64& rng) {
    return texts[std::uniform_int_distribution<std::size_t>(0, N - 1)(rng)];
}

// The mix of intended urgencies: emergency 15 %, high 30 %, normal 40 %, low 15 %.
std::string_view draw_template(std::mt19937_64& rng) {
    const int u = std::uniform_int_distribution<int>(0, 99)(rng);
    if (u < 15) return pick(emergency_texts, rng);
    if (u < 45) return pick(high_texts, rng);
    if (u < 85) return pick(normal_texts, rng);
    return pick(low_texts, rng);
}

// ---- waiting for the database ------------------------------------------------------


template <class T>
result<T> write_now(storage::database& db, std::function<result<T>(storage::connection&)> job) {
    return wait_for<T>([&](auto done) { db.write<T>(std::move(job), std::move(done)); });
}

template <class T>
result<T> read_now(storage::database& db, std::function<result<T>(storage::connection&)> job) {
    return wait_for<T>([&](auto done) { db.read<T>(std::move(job), std::move(done)); });
}

// ---- the temporary directory ------------------------------------------------------

fs::path temporary_base() {
    if (const char* t = std::getenv("TMPDIR"); t && *t) return t;
    std::error_code ec;
    if (fs::is_directory("/dev/shm", ec)) return "/dev/shm";
    return fs::temp_directory_path();
}

class scratch_dir {
public:
    static result<scratch_dir> create() {
        const fs::path base = temporary_base();
        std::random_device rd;
        for (int i = 0; i < 20; ++i) {
            fs::path p = base / fmt::format("hotline-simulate-{:08x}", rd());
            std::error_code ec;
            if (fs::create_directory(p, ec)) return scratch_dir(std::move(p));
        }
        return make_error("storage_failure", fmt::format("cannot create a temporary directory in {}", base.string()));
    }
    scratch_dir(scratch_dir&& o) noexcept : path_(std::exchange(o.path_, {})) {}
    scratch_dir& operator=(scratch_dir&&) = delete;
    ~scratch_dir() {
        if (path_.empty()) return;
        std::error_code ec;
        fs::remove_all(path_, ec);
    }
    const fs::path& path() const noexcept { return path_; }

private:
    explicit scratch_dir(fs::path p) : path_(std::move(p)) {}
    fs::path path_;
};

result<std::string> read_text(const std::string& file, std::string_view flag) {
    std::ifstream in(file, std::ios::binary);
    if (!in)
        return make_error("not_found",
                          fmt::format("{}: cannot read {} (run from the repository's top directory, or name "
                                      "the file with {})",
                                      flag, file, flag),
                          std::string(flag));
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// ---- the run ---------------------------------------------------------------------

struct new_assignment {
    std::int64_t id = 0;
    std::optional<std::int64_t> contact;
    std::int64_t created_at = 0;
    std::optional<std::int64_t> ack_due_at;
};

struct pending_ack {
    time_point at;
    std::int64_t assignment = 0;
    std::int64_t contact = 0;
    friend bool operator>(const pending_ack& a, const pending_ack& b) {
        return std::tie(a.at, a.assignment) > std::tie(b.at, b.assignment);
    }
};

struct arrival {
    time_point at;
    std::string text;
};

std::size_t urgency_index(intake::urgency u) noexcept { return static_cast<std::size_t>(u); }

// The time the ladder of `u` takes from its first step to the end of its last.
milliseconds ladder_span(const storage::deadline_policy& p, intake::urgency u) {
    const auto& ladder = p.escalation.for_urgency(u);
    milliseconds one_round{0};
    for (const auto& s : ladder.steps) one_round += routing::effective_wait(s, p.ack.for_urgency(u));
    return one_round * ladder.repeat;
}

class simulation {
public:
    simulation(const simulation_options& o, const config& cfg, const storage::deadline_policy& policy,
               const triage& t, const routing::unit_catalog& units)
        : o_(o), cfg_(cfg), policy_(policy), triage_(t), units_(units), rng_(o.seed), clock_(o.start) {}

    result<simulation_result> run() {
        const auto wall0 = std::chrono::steady_clock::now();
        auto contacts_text = read_text(o_.contacts_file, "--contacts");
        if (!contacts_text) return std::move(contacts_text).err();
        auto rosters_text = read_text(o_.rosters_file, "--rosters");
        if (!rosters_text) return std::move(rosters_text).err();
        auto contacts = routing::parse_contacts_csv(*contacts_text, units_);
        if (!contacts)
            return make_error("invalid_directory", fmt::format("--contacts: {}:\n{}", o_.contacts_file,
                                                               contacts.err().message), "--contacts");
        std::unordered_set<std::string> keys;
        for (const auto& c : *contacts) keys.insert(c.key);
        auto roster = routing::parse_rosters_csv(
            *rosters_text, [&keys](std::string_view k) { return keys.contains(std::string(k)); });
        if (!roster)
            return make_error("invalid_directory", fmt::format("--rosters: {}:\n{}", o_.rosters_file,
                                                               roster.err().message), "--rosters");

        // Where the reports happen: the communes the directory covers, in
        // its main province.
        std::map<std::string, int> provinces;
        std::vector<const routing::commune*> communes;
        std::unordered_set<std::string> seen;
        for (const auto& c : *contacts) {
            if (const auto* m = units_.find_commune(c.unit_code)) {
                ++provinces[m->province_code];
                if (seen.insert(m->code).second) communes.push_back(m);
            } else if (units_.find_province(c.unit_code)) {
                ++provinces[c.unit_code];
            }
        }
        std::sort(communes.begin(), communes.end(), [](auto* a, auto* b) { return a->code < b->code; });
        if (communes.empty())
            return make_error("invalid_directory",
                              fmt::format("--contacts: {} names no commune: nothing to report about", o_.contacts_file),
                              "--contacts");
        std::string home = cfg_.home_province;
        if (home.empty())
            home = std::max_element(provinces.begin(), provinces.end(), [](auto& a, auto& b) {
                       return a.second < b.second;
                   })->first;
        std::erase_if(communes, [&home](auto* m) { return m->province_code != home; });
        if (communes.empty())
            return make_error("invalid_directory",
                              fmt::format("--contacts: {} names no commune of the home province {}", o_.contacts_file,
                                          home),
                              "--contacts");
        const routing::locator locator(units_, home);

        auto dir = scratch_dir::create();
        if (!dir) return std::move(dir).err();
        storage::options sopts;
        sopts.path = (dir->path() / "simulate.db").string();
        sopts.read_connections = 1;
        intake::secret_key key{};
        key.fill(0x5a);
        const intake::tracking_codec codec(key);
        const intake::secret_hasher hasher(key);
        auto opened = storage::database::open(sopts, codec);
        if (!opened) return std::move(opened).err();
        auto& db = **opened;

        const auto at = o_.start;
        auto imported = write_now<storage::import_summary>(db, [&](storage::connection& c) -> result<storage::import_summary> {
            auto a = storage::import_contacts(c, *contacts, at);
            if (!a) return a;
            return storage::import_roster(c, *roster);
        });
        if (!imported) return make_error("storage_failure", "directory import: " + imported.err().message);

        // Every random draw of the arrivals first, in one order.
        const milliseconds span(static_cast<std::int64_t>(std::llround(o_.hours * 3'600'000.0)));
        std::vector<arrival> arrivals;
        arrivals.reserve(o_.reports);
        std::uniform_int_distribution<std::int64_t> when(0, std::max<std::int64_t>(span.count() - 1, 0));
        std::uniform_int_distribution<std::size_t> where(0, communes.size() - 1);
        for (std::uint64_t i = 0; i < o_.reports; ++i) {
            const time_point t = o_.start + milliseconds(when(rng_));
            const std::string_view tmpl = draw_template(rng_);
            const auto* m = communes[where(rng_)];
            const auto* p = units_.find_province(m->province_code);
            const std::string place = fmt::format("{} {}, {} {}", m->type, m->name, p ? p->type : "tỉnh",
                                                  p ? p->name : "");
            arrivals.push_back({t, fmt::format(fmt::runtime(tmpl), place)});
        }
        std::stable_sort(arrivals.begin(), arrivals.end(), [](auto& a, auto& b) { return a.at < b.at; });

        milliseconds drain{0}, longest_ack{0};
        for (auto u : {intake::urgency::emergency, intake::urgency::high, intake::urgency::normal, intake::urgency::low}) {
            drain = std::max(drain, ladder_span(policy_, u));
            longest_ack = std::max(longest_ack, policy_.ack.for_urgency(u));
        }
        drain += milliseconds(static_cast<std::int64_t>(std::ceil(o_.max_ack_delay * longest_ack.count())));
        const time_point end = o_.start + span + drain;

        simulation_result out;
        out.start = o_.start;
        out.end = end;
        std::unordered_map<std::int64_t, intake::urgency> urgency_of;
        std::priority_queue<pending_ack, std::vector<pending_ack>, std::greater<>> acks;
        std::int64_t last_seen = 0;
        std::size_t next_arrival = 0;
        const std::size_t batch = scheduler_options{}.batch;
        const storage::deadline_policy* pol = &policy_;

        // The assignments made since the last look, each given its
        // acknowledgement (or none) in id order.
        auto look_at_new = [&]() -> result<void> {
            auto fresh = read_now<std::vector<new_assignment>>(
                db, [last_seen](storage::connection& c) -> result<std::vector<new_assignment>> {
                    auto st = c.prepare(
                        "SELECT id, contact_id, created_at, ack_due_at FROM assignments WHERE id > ?1 ORDER BY id");
                    if (!st) return std::move(st).err();
                    if (auto b = st->bind(1, last_seen); !b) return std::move(b).err();
                    std::vector<new_assignment> v;
                    for (;;) {
                        auto s = st->step();
                        if (!s) return std::move(s).err();
                        if (*s == storage::step_result::done) break;
                        v.push_back({st->column_int64(0), st->column_optional_int64(1), st->column_int64(2),
                                     st->column_optional_int64(3)});
                    }
                    return v;
                });
            if (!fresh) return std::move(fresh).err();
            std::uniform_real_distribution<double> coin(0.0, 1.0);
            for (const auto& a : *fresh) {
                last_seen = std::max(last_seen, a.id);
                if (!a.contact || !a.ack_due_at) continue;
                const bool answers = coin(rng_) < o_.ack_probability;
                const auto limit = static_cast<double>(*a.ack_due_at - a.created_at);
                const auto max_delay = static_cast<std::int64_t>(std::floor(o_.max_ack_delay * limit));
                const std::int64_t delay =
                    std::uniform_int_distribution<std::int64_t>(0, std::max<std::int64_t>(max_delay - 1, 0))(rng_);
                if (answers) acks.push({from_unix_ms(a.created_at + delay), a.id, *a.contact});
            }
            return {};
        };

        for (;;) {
            auto due = read_now<std::optional<time_point>>(
                db, [](storage::connection& c) { return storage::next_due(c); });
            if (!due) return std::move(due).err();
            const auto never = time_point::max();
            const time_point t_arrival = next_arrival < arrivals.size() ? arrivals[next_arrival].at : never;
            const time_point t_ack = acks.empty() ? never : acks.top().at;
            const time_point t_due = due->value_or(never);
            const time_point t = std::min({t_arrival, t_ack, t_due});
            if (t == never || t > end) break;
            // A deadline already past (at the start) runs at once: the clock never goes back.
            clock_.set(std::max(t, clock_.now()));

            if (t == t_arrival) {
                const arrival& a = arrivals[next_arrival++];
                storage::new_report nr;
                nr.data.text = a.text;
                nr.channel = intake::channel::api;
                nr.received_at = clock_.now();
                std::array<std::uint8_t, 16> salt{};
                nr.secret = hasher.hash("00000000", salt);
                nr.classification = triage_.classify(nr.data.text);
                const intake::urgency level = nr.classification->result.level;
                routing::location_query q;
                q.text = nr.data.text;
                nr.routing = storage::routing_request{locator.locate(q), &cfg_.routing, pol};
                auto r = wait_for<storage::receipt>([&](auto done) { db.insert_report(std::move(nr), std::move(done)); });
                if (!r) return make_error(r.err().code, "report not stored: " + r.err().message);
                urgency_of[static_cast<std::int64_t>(r->id)] = level;
            } else if (t == t_ack) {
                const pending_ack p = acks.top();
                acks.pop();
                const storage::acknowledgement ack{p.assignment, p.contact, "console", clock_.now()};
                auto r = write_now<storage::acknowledged>(
                    db, [ack](storage::connection& c) { return storage::acknowledge(c, ack); });
                if (!r) {
                    if (r.err().code != "superseded" && r.err().code != "already_acknowledged")
                        return make_error(r.err().code, "acknowledgement failed: " + r.err().message);
                    ++out.acks_refused;
                }
                continue;  // an acknowledgement makes no assignment
            } else {
                for (;;) {
                    const time_point now = clock_.now();
                    auto r = write_now<storage::due_outcome>(db, [now, pol, batch](storage::connection& c) {
                        return storage::run_due(c, now, *pol, batch);
                    });
                    if (!r) return make_error(r.err().code, "run_due failed: " + r.err().message);
                    ++out.due_runs;
                    if (r->handled() < batch) break;
                }
            }
            if (auto r = look_at_new(); !r) return std::move(r).err();
        }

        auto counted = count(db, urgency_of, out);
        if (!counted) return std::move(counted).err();
        opened->reset();  // the database closes before its directory goes
        out.wall_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall0).count();
        return out;
    }

private:
    struct report_row {
        std::int64_t id = 0;
        bool acknowledged = false;
        int legal_breaches = 0;
        bool reaches_contact = false;
        std::int64_t escalations = 0;
    };
    struct assignment_row {
        std::int64_t report = 0;
        std::optional<std::int64_t> due, acked_at, breached_at;
    };
    struct rows {
        std::vector<report_row> reports;
        std::vector<assignment_row> assignments;
    };

    static result<void> count(storage::database& db, const std::unordered_map<std::int64_t, intake::urgency>& urgency_of,
                              simulation_result& out) {
        auto all = read_now<rows>(db, [](storage::connection& c) -> result<rows> {
            rows v;
            auto st = c.prepare(
                "SELECT r.id, r.state NOT IN ('received', 'routed', 'unrouted'), "
                "(r.action_breached_at IS NOT NULL) + (r.plan_breached_at IS NOT NULL), "
                "EXISTS (SELECT 1 FROM assignments a WHERE a.report_id = r.id AND a.step = 1 "
                "AND a.ladder_round = 0 AND a.contact_id IS NOT NULL), "
                "(SELECT COUNT(*) FROM events e WHERE e.report_id = r.id AND e.kind = 'escalated') "
                "FROM reports r ORDER BY r.id");
            if (!st) return std::move(st).err();
            for (;;) {
                auto s = st->step();
                if (!s) return std::move(s).err();
                if (*s == storage::step_result::done) break;
                v.reports.push_back({st->column_int64(0), st->column_int64(1) != 0,
                                     static_cast<int>(st->column_int64(2)), st->column_int64(3) != 0,
                                     st->column_int64(4)});
            }
            auto sa = c.prepare("SELECT report_id, ack_due_at, acknowledged_at, breached_at FROM assignments ORDER BY id");
            if (!sa) return std::move(sa).err();
            for (;;) {
                auto s = sa->step();
                if (!s) return std::move(s).err();
                if (*s == storage::step_result::done) break;
                v.assignments.push_back({sa->column_int64(0), sa->column_optional_int64(1),
                                         sa->column_optional_int64(2), sa->column_optional_int64(3)});
            }
            return v;
        });
        if (!all) return std::move(all).err();
        auto slot = [&](std::int64_t report) -> simulation_tally& {
            const auto it = urgency_of.find(report);
            return out.by_urgency[urgency_index(it == urgency_of.end() ? intake::urgency::normal : it->second)];
        };
        for (const auto& r : all->reports) {
            auto& t = slot(r.id);
            ++t.reports;
            if (r.reaches_contact) ++t.reaching_contact;
            if (!r.acknowledged) ++t.unacknowledged;
            t.legal_breaches += static_cast<std::uint64_t>(r.legal_breaches);
            t.escalations += static_cast<std::uint64_t>(r.escalations);
        }
        for (const auto& a : all->assignments) {
            auto& t = slot(a.report);
            ++t.assignments;
            if (a.acked_at) {
                if (!a.due || *a.acked_at < *a.due) ++t.acknowledged_in_time;
                else ++t.acknowledged_late;
            }
            if (a.breached_at) ++t.ack_breaches;
        }
        out.total = {};
        for (const auto& t : out.by_urgency) out.total += t;
        return {};
    }

    const simulation_options& o_;
    const config& cfg_;
    const storage::deadline_policy& policy_;
    const triage& triage_;
    const routing::unit_catalog& units_;
    std::mt19937_64 rng_;
    manual_clock clock_;
};

}  // namespace

simulation_tally& simulation_tally::operator+=(const simulation_tally& o) noexcept {
    reports += o.reports;
    reaching_contact += o.reaching_contact;
    assignments += o.assignments;
    acknowledged_in_time += o.acknowledged_in_time;
    acknowledged_late += o.acknowledged_late;
    escalations += o.escalations;
    ack_breaches += o.ack_breaches;
    unacknowledged += o.unacknowledged;
    legal_breaches += o.legal_breaches;
    return *this;
}

std::optional<time_point> parse_rfc3339(std::string_view s) {
    // YYYY-MM-DDTHH:MM:SS[.fff...](Z|±HH:MM)
    auto num = [&s](std::size_t pos, std::size_t len, int& out) {
        if (pos + len > s.size()) return false;
        return parse_number(s.substr(pos, len), out);
    };
    int y, mo, d, h, mi, sec;
    if (s.size() < 20 || !num(0, 4, y) || s[4] != '-' || !num(5, 2, mo) || s[7] != '-' || !num(8, 2, d) ||
        (s[10] != 'T' && s[10] != 't' && s[10] != ' ') || !num(11, 2, h) || s[13] != ':' || !num(14, 2, mi) ||
        s[16] != ':' || !num(17, 2, sec))
        return std::nullopt;
    std::size_t pos = 19;
    std::int64_t ms = 0;
    if (pos < s.size() && s[pos] == '.') {
        ++pos;
        int digits = 0;
        while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
            if (digits < 3) ms = ms * 10 + (s[pos] - '0');
            ++digits;
            ++pos;
        }
        if (digits == 0) return std::nullopt;
        for (int i = digits; i < 3; ++i) ms *= 10;
    }
    int offset_min = 0;
    if (pos < s.size() && (s[pos] == 'Z' || s[pos] == 'z')) {
        ++pos;
    } else if (pos < s.size() && (s[pos] == '+' || s[pos] == '-')) {
        int oh, om;
        if (!num(pos + 1, 2, oh) || pos + 3 >= s.size() || s[pos + 3] != ':' || !num(pos + 4, 2, om) || oh > 23 ||
            om > 59)
            return std::nullopt;
        offset_min = (oh * 60 + om) * (s[pos] == '-' ? -1 : 1);
        pos += 6;
    } else {
        return std::nullopt;
    }
    if (pos != s.size()) return std::nullopt;
    const std::chrono::year_month_day ymd{std::chrono::year(y), std::chrono::month(static_cast<unsigned>(mo)),
                                          std::chrono::day(static_cast<unsigned>(d))};
    if (!ymd.ok() || h > 23 || mi > 59 || sec > 59) return std::nullopt;
    const auto t = std::chrono::sys_days(ymd) + std::chrono::hours(h) + std::chrono::minutes(mi) +
                   std::chrono::seconds(sec) + milliseconds(ms) - std::chrono::minutes(offset_min);
    return std::chrono::time_point_cast<milliseconds>(t);
}

result<simulation_options> parse_simulation_args(const std::vector<std::string>& args) {
    simulation_options o;
    bool reports = false, probability = false, hours = false;
    for (std::size_t i = 0; i < args.size(); ++i) {
        const std::string& flag = args[i];
        static constexpr std::array<std::string_view, 9> known = {"--reports", "--ack-probability", "--hours",
                                                                   "--seed", "--contacts", "--rosters",
                                                                   "--start", "--max-ack-delay", "--config"};
        if (std::find(known.begin(), known.end(), flag) == known.end())
            return usage_error(flag, "unknown option");
        if (i + 1 >= args.size()) return usage_error(flag, "missing value");
        const std::string& v = args[++i];
        if (flag == "--reports") {
            if (!parse_number(v, o.reports) || o.reports < 1 || o.reports > 1'000'000)
                return usage_error(flag, fmt::format("\"{}\" is not a number of reports from 1 to 1000000", v));
            reports = true;
        } else if (flag == "--ack-probability") {
            if (!parse_number(v, o.ack_probability) || !(o.ack_probability >= 0 && o.ack_probability <= 1))
                return usage_error(flag, fmt::format("\"{}\" is not a probability from 0 to 1", v));
            probability = true;
        } else if (flag == "--hours") {
            if (!parse_number(v, o.hours) || !(o.hours > 0 && o.hours <= 8760))
                return usage_error(flag, fmt::format("\"{}\" is not a number of hours above 0, at most 8760", v));
            hours = true;
        } else if (flag == "--seed") {
            if (!parse_number(v, o.seed))
                return usage_error(flag, fmt::format("\"{}\" is not a non-negative integer", v));
        } else if (flag == "--contacts" || flag == "--rosters" || flag == "--config") {
            if (v.empty()) return usage_error(flag, "needs a file name");
            if (flag == "--contacts") o.contacts_file = v;
            else if (flag == "--rosters") o.rosters_file = v;
            else o.config_file = v;
        } else if (flag == "--start") {
            const auto t = parse_rfc3339(v);
            if (!t) return usage_error(flag, fmt::format("\"{}\" is not an RFC 3339 time such as 2026-06-01T08:00:00+07:00", v));
            o.start = *t;
        } else if (flag == "--max-ack-delay") {
            if (!parse_number(v, o.max_ack_delay) || !(o.max_ack_delay > 0 && o.max_ack_delay <= 10))
                return usage_error(flag, fmt::format("\"{}\" is not a factor above 0, at most 10", v));
        }
    }
    if (!reports) return usage_error("--reports", "required");
    if (!probability) return usage_error("--ack-probability", "required");
    if (!hours) return usage_error("--hours", "required");
    return o;
}

result<simulation_result> simulate(const simulation_options& o, const config& cfg) {
    auto policy = load_deadline_policy(cfg);
    if (!policy) return make_error("config_error", "invalid configuration: " + policy.err().message, "--config");
    auto t = load_triage(cfg.triage_lexicon);
    if (!t) return make_error("config_error", "invalid lexicon: " + t.err().message, "--config");
    auto units = load_builtin_units();
    if (!units) return make_error("invalid_units", "the built-in administrative units do not load: " + units.err().message);
    simulation s(o, cfg, *policy, *t, *units);
    return s.run();
}

std::string format_simulation(const simulation_result& r, bool with_wall_time) {
    std::string out;
    out += fmt::format("simulated {} to {} ({} due runs)\n", routing::format_rfc3339_utc(r.start),
                       routing::format_rfc3339_utc(r.end), r.due_runs);
    out += fmt::format("{:<10} {:>8} {:>8} {:>11} {:>8} {:>8} {:>11} {:>8} {:>8} {:>8}\n", "urgency", "reports",
                       "contact", "assignments", "ack_ok", "ack_late", "escalations", "breaches", "unacked",
                       "legal");
    auto line = [&out](std::string_view name, const simulation_tally& t) {
        out += fmt::format("{:<10} {:>8} {:>8} {:>11} {:>8} {:>8} {:>11} {:>8} {:>8} {:>8}\n", name, t.reports,
                           t.reaching_contact, t.assignments, t.acknowledged_in_time, t.acknowledged_late,
                           t.escalations, t.ack_breaches, t.unacknowledged, t.legal_breaches);
    };
    for (auto u : {intake::urgency::emergency, intake::urgency::high, intake::urgency::normal, intake::urgency::low})
        line(intake::to_string(u), r.by_urgency[urgency_index(u)]);
    line("total", r.total);
    out += "(reports; reaching a contact at once; assignments; acknowledged in time; acknowledged late; "
           "escalations = ladder steps assigned; ack breaches; reports unacknowledged at the end; "
           "legal clocks breached)\n";
    out += fmt::format("acknowledgements refused (report already acknowledged): {}\n", r.acks_refused);
    if (with_wall_time) out += fmt::format("wall time: {:.2f} s\n", r.wall_seconds);
    return out;
}

int run_simulate(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
    auto o = parse_simulation_args(args);
    if (!o) {
        err << fmt::format("hotline simulate: {}\nusage:\n", o.err().message) << simulate_usage;
        return exit_usage;
    }
    config cfg;
    if (o->config_file) {
        auto loaded = load_config(*o->config_file);
        if (!loaded) {
            err << fmt::format("hotline simulate: --config: invalid configuration {}: {}\n", *o->config_file,
                               loaded.err().message);
            return exit_usage;
        }
        cfg = std::move(*loaded);
    }
    auto r = simulate(*o, cfg);
    if (!r) {
        err << fmt::format("hotline simulate: {}\n", r.err().message);
        return r.err().code == "config_error" ? exit_usage : exit_failure;
    }
    out << format_simulation(*r);
    out.flush();
    return out ? exit_ok : exit_failure;
}

}  // namespace hotline::server
