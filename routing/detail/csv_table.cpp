#include "routing/detail/csv_table.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace hotline::routing::detail {

namespace {

constexpr std::size_t reported_problems = 50;  // lines in one error message

bool blank_row(const csv_row& r) {
    return std::all_of(r.fields.begin(), r.fields.end(), [](const std::string& f) { return trim_ascii(f).empty(); });
}

error with_code(error e, std::string_view code) {
    e.code = std::string(code);
    return e;
}

}  // namespace

std::string_view trim_ascii(std::string_view s) noexcept {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

std::string lower_ascii(std::string_view s) {
    std::string out(s);
    for (auto& c : out)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    return out;
}

void csv_problems::add(std::size_t line, std::string_view column, std::string_view what) {
    if (column.empty())
        lines_.emplace_back(line, fmt::format("line {}: {}", line, what));
    else
        lines_.emplace_back(line, fmt::format("line {}: {}: {}", line, column, what));
}

void csv_problems::add(std::size_t line, const std::vector<error>& errors) {
    for (const auto& e : errors) add(line, e.field, e.message);
}

error csv_problems::to_error() {
    std::stable_sort(lines_.begin(), lines_.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    std::string msg;
    const std::size_t shown = std::min(lines_.size(), reported_problems);
    for (std::size_t i = 0; i < shown; ++i) {
        if (i) msg += '\n';
        msg += lines_[i].second;
    }
    if (lines_.size() > shown) msg += fmt::format("\n... and {} more", lines_.size() - shown);
    return make_error(code_, std::move(msg));
}

result<csv_table> read_csv_table(std::string_view text, std::span<const std::string_view> required,
                                 std::span<const std::string_view> optional, std::string_view code) {
    auto rows = parse_csv(text);
    if (!rows) return with_code(std::move(rows).err(), code);
    if (rows->empty())
        return make_error(std::string(code), "line 1: the file is empty; a header row is required");
    auto header_row = std::move(rows->front());
    // Header names are matched without surrounding spaces and case.
    for (auto& f : header_row.fields) f = lower_ascii(trim_ascii(f));
    auto header = csv_header::parse(header_row, required, optional);
    if (!header) return with_code(std::move(header).err(), code);
    csv_table t{std::move(*header), header_row.fields.size(), {}};
    t.rows.reserve(rows->size() - 1);
    for (std::size_t i = 1; i < rows->size(); ++i)
        if (!blank_row((*rows)[i])) t.rows.push_back(std::move((*rows)[i]));
    return t;
}

void check_width(const csv_table& t, const csv_row& r, csv_problems& p) {
    // Trailing empty cells (spreadsheets pad rows) are harmless.
    std::size_t used = r.fields.size();
    while (used > t.columns && trim_ascii(r.fields[used - 1]).empty()) --used;
    if (used > t.columns) p.add(r.line, "", fmt::format("{} fields, but the header has {}", used, t.columns));
}

}  // namespace hotline::routing::detail
