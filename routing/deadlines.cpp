#include "routing/deadlines.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <string>
#include <utility>

#include "intake/text.hpp"
#include "routing/csv.hpp"
#include "routing/detail/by_urgency.hpp"
#include "routing/detail/csv_table.hpp"
#include "routing/directory.hpp"
#include "routing/time.hpp"

namespace hotline::routing {

namespace {

using detail::check_width;
using detail::csv_problems;
using detail::lower_ascii;
using detail::trim_ascii;

constexpr std::array<std::string_view, 3> kind_names = {"holiday", "day_off", "working_day"};
constexpr std::array<std::string_view, 3> status_names = {"decided", "statutory", "estimate"};
constexpr std::array<std::string_view, 3> state_names = {"pending", "met", "breached"};

constexpr std::size_t name_limit = 200;         // code points
constexpr std::size_t source_limit = 500;       // code points

constexpr std::array<std::string_view, 3> required_columns = {"date", "kind", "name"};
constexpr std::array<std::string_view, 2> optional_columns = {"status", "source"};

bool is_weekend(std::chrono::local_days d) noexcept {
    const std::chrono::weekday w{d};
    return w == std::chrono::Saturday || w == std::chrono::Sunday;
}

// Comment lines become empty lines, which the CSV reader skips: the line
// numbers of the other rows stay those of the file.
std::string without_comments(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    std::size_t pos = 0;
    bool first = true;
    while (pos <= text.size()) {
        const std::size_t nl = text.find('\n', pos);
        const std::size_t end = nl == std::string_view::npos ? text.size() : nl;
        std::string_view line = text.substr(pos, end - pos);
        // A byte-order mark before a comment on the first line.
        if (first && line.starts_with("\xEF\xBB\xBF")) line.remove_prefix(3);
        if (!line.starts_with('#')) out += line;
        first = false;
        if (nl == std::string_view::npos) break;
        out += '\n';
        pos = nl + 1;
    }
    return out;
}

// A one-line text cell: NFC, trimmed, at most `limit` code points. The
// problem, or the text.
std::optional<std::string> one_line(std::string_view cell, std::size_t limit, std::string_view column,
                                    std::size_t line, csv_problems& p) {
    auto text = intake::clean_text(cell);
    if (!text) {
        p.add(line, column, "not valid UTF-8");
        return std::nullopt;
    }
    if (text->find_first_of("\n\t") != std::string::npos) {
        p.add(line, column, "must be one line");
        return std::nullopt;
    }
    if (intake::count_code_points(*text) > limit) {
        p.add(line, column, fmt::format("longer than {} characters", limit));
        return std::nullopt;
    }
    return text;
}

}  // namespace

std::string_view to_string(calendar_day_kind k) noexcept { return kind_names[static_cast<std::size_t>(k)]; }

std::optional<calendar_day_kind> parse_calendar_day_kind(std::string_view s) noexcept {
    for (std::size_t i = 0; i < kind_names.size(); ++i)
        if (s == kind_names[i]) return static_cast<calendar_day_kind>(i);
    return std::nullopt;
}

std::string_view to_string(calendar_day_status s) noexcept { return status_names[static_cast<std::size_t>(s)]; }

std::optional<calendar_day_status> parse_calendar_day_status(std::string_view s) noexcept {
    for (std::size_t i = 0; i < status_names.size(); ++i)
        if (s == status_names[i]) return static_cast<calendar_day_status>(i);
    return std::nullopt;
}

std::string_view to_string(deadline_state s) noexcept { return state_names[static_cast<std::size_t>(s)]; }

result<holiday_calendar> holiday_calendar::parse_csv(std::string_view text) {
    const std::string cleaned = without_comments(text);
    auto table = detail::read_csv_table(cleaned, required_columns, optional_columns, "invalid_holidays");
    if (!table) return std::move(table).err();
    const auto& h = table->header;

    csv_problems p("invalid_holidays");
    holiday_calendar cal;
    std::vector<std::size_t> lines;  // the file line of each entry of cal.days_
    for (const auto& r : table->rows) {
        check_width(*table, r, p);

        calendar_day day;
        bool ok = true;

        const auto date_text = trim_ascii(h.get(r, "date"));
        const auto date = parse_date(date_text);
        if (date_text.empty()) {
            p.add(r.line, "date", "required");
            ok = false;
        } else if (!date) {
            p.add(r.line, "date", fmt::format("\"{}\" is not a date YYYY-MM-DD", date_text));
            ok = false;
        } else {
            day.date = *date;
        }

        const auto kind_text = lower_ascii(trim_ascii(h.get(r, "kind")));
        const auto kind = parse_calendar_day_kind(kind_text);
        if (!kind) {
            p.add(r.line, "kind",
                  kind_text.empty() ? std::string("required (holiday, day_off or working_day)")
                                    : fmt::format("\"{}\" is not holiday, day_off or working_day", kind_text));
            ok = false;
        } else {
            day.kind = *kind;
            if (date && *kind == calendar_day_kind::working_day && !is_weekend(*date)) {
                p.add(r.line, "kind", fmt::format("{} is not a Saturday or Sunday, so it is a working day already",
                                                  date_text));
                ok = false;
            }
        }

        if (auto name = one_line(h.get(r, "name"), name_limit, "name", r.line, p)) {
            if (name->empty()) {
                p.add(r.line, "name", "required");
                ok = false;
            } else {
                day.name = std::move(*name);
            }
        } else {
            ok = false;
        }

        const auto status_text = lower_ascii(trim_ascii(h.get(r, "status")));
        if (!status_text.empty()) {
            if (const auto status = parse_calendar_day_status(status_text)) {
                day.status = *status;
            } else {
                p.add(r.line, "status", fmt::format("\"{}\" is not decided, statutory or estimate", status_text));
                ok = false;
            }
        }

        if (auto source = one_line(h.get(r, "source"), source_limit, "source", r.line, p))
            day.source = std::move(*source);
        else
            ok = false;

        if (!ok) continue;
        cal.days_.push_back(std::move(day));
        lines.push_back(r.line);
    }

    // Sort by date, keeping the file line of each entry for the duplicate check.
    std::vector<std::size_t> order(cal.days_.size());
    for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::stable_sort(order.begin(), order.end(),
                     [&](std::size_t a, std::size_t b) { return cal.days_[a].date < cal.days_[b].date; });
    std::vector<calendar_day> sorted;
    sorted.reserve(order.size());
    for (std::size_t k = 0; k < order.size(); ++k) {
        const std::size_t i = order[k];
        if (k > 0 && cal.days_[order[k - 1]].date == cal.days_[i].date) {
            p.add(lines[i], "date",
                  fmt::format("{} is already listed on line {}", format_date(cal.days_[i].date), lines[order[k - 1]]));
            continue;
        }
        sorted.push_back(std::move(cal.days_[i]));
    }
    if (!p.empty()) return p.to_error();
    cal.days_ = std::move(sorted);
    return cal;
}

const calendar_day* holiday_calendar::find(std::chrono::local_days d) const noexcept {
    const auto it = std::lower_bound(days_.begin(), days_.end(), d,
                                     [](const calendar_day& c, std::chrono::local_days x) { return c.date < x; });
    return it != days_.end() && it->date == d ? &*it : nullptr;
}

bool holiday_calendar::is_working_day(std::chrono::local_days d) const noexcept {
    if (const auto* c = find(d)) return c->kind == calendar_day_kind::working_day;
    return !is_weekend(d);
}

bool holiday_calendar::covers(std::chrono::year y) const noexcept {
    using namespace std::chrono;
    const local_days first{y / January / 1};
    const auto it = std::lower_bound(days_.begin(), days_.end(), first,
                                     [](const calendar_day& c, local_days x) { return c.date < x; });
    return it != days_.end() && year_month_day(it->date).year() == y;
}

std::chrono::local_days vietnam_day(time_point t) noexcept {
    return std::chrono::floor<std::chrono::days>(to_vietnam_time(t));
}

time_point end_of_vietnam_day(std::chrono::local_days d) noexcept {
    const auto next_midnight_local = (d + std::chrono::days(1)).time_since_epoch();
    return time_point(std::chrono::duration_cast<std::chrono::milliseconds>(next_midnight_local - vietnam_offset));
}

time_point add_working_days(time_point received, int n, const holiday_calendar& calendar) {
    auto day = vietnam_day(received);
    // The day of receipt is never counted (Civil Code Art. 147): start with
    // the day after it, whatever kind of day it is.
    for (int counted = 0; counted < n;) {
        day += std::chrono::days(1);
        if (calendar.is_working_day(day)) ++counted;
    }
    return end_of_vietnam_day(day);
}

legal_deadlines legal_deadlines_for(intake::legal_track track, time_point received,
                                    const holiday_calendar& calendar) {
    legal_deadlines d;
    switch (track) {
    case intake::legal_track::emergency_12h: d.action_by = received + emergency_action_within; break;
    case intake::legal_track::standard_5wd: d.plan_by = add_working_days(received, plan_working_days, calendar); break;
    case intake::legal_track::none: break;
    }
    return d;
}

std::chrono::milliseconds ack_policy::for_urgency(intake::urgency u) const noexcept {
    return detail::member_for(*this, u);
}

result<void> ack_policy::validate() const {
    constexpr auto longest = std::chrono::hours(24 * 7);
    for (const auto u : detail::all_urgencies) {
        const auto limit = for_urgency(u);
        const std::string field = fmt::format("deadlines.ack_{}_min", to_string(u));
        if (limit <= std::chrono::milliseconds::zero())
            return make_error("invalid_deadlines", field + ": must be more than zero", field);
        if (limit > longest)
            return make_error("invalid_deadlines", field + ": must be at most 7 days (10080 minutes)", field);
    }
    if (emergency > emergency_action_within)
        return make_error("invalid_deadlines",
                          "deadlines.ack_emergency_min: must be at most 12 hours (720 minutes), the legal limit "
                          "for starting protection on the emergency track",
                          "deadlines.ack_emergency_min");
    return {};
}

time_point ack_due(const ack_policy& policy, intake::urgency u, time_point assigned_at) noexcept {
    return assigned_at + policy.for_urgency(u);
}

deadline_state deadline_state_at(time_point due, std::optional<time_point> done_at, time_point now) noexcept {
    if (done_at) return *done_at < due ? deadline_state::met : deadline_state::breached;
    return now < due ? deadline_state::pending : deadline_state::breached;
}

}  // namespace hotline::routing
