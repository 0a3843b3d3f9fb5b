#pragma once
// What the CSV importers of routing (contacts, rosters, holidays) share:
// ASCII trimming and lower-casing of cells, a header read without regard to
// spaces or case, and the "line N: column: problem" list that becomes one
// error. Pure; no shared state.

#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "intake/result.hpp"
#include "routing/csv.hpp"

namespace hotline::routing::detail {

// `s` without spaces and tabs at either end.
std::string_view trim_ascii(std::string_view s) noexcept;

// `s` with A-Z lower-cased; other bytes unchanged.
std::string lower_ascii(std::string_view s);

// Collects "line N: column: what" lines and turns them into one error with
// `code`, in line order, showing at most the first 50.
class csv_problems {
public:
    explicit csv_problems(std::string code) : code_(std::move(code)) {}

    // "line N: what" when `column` is empty.
    void add(std::size_t line, std::string_view column, std::string_view what);
    // One line per error, its field as the column.
    void add(std::size_t line, const std::vector<error>& errors);
    bool empty() const noexcept { return lines_.empty(); }
    error to_error();

private:
    std::string code_;
    std::vector<std::pair<std::size_t, std::string>> lines_;
};

// The rows of a CSV file after its header, with the header parsed.
struct csv_table {
    csv_header header;
    std::size_t columns = 0;    // cells in the header row
    std::vector<csv_row> rows;  // rows whose cells are all blank left out
};

// Parses `text` (routing::parse_csv) and its header row, whose names are
// matched trimmed and lower-cased against `required` and `optional`. Every
// error, including those of parse_csv and csv_header, carries `code`; an
// empty file is "line 1: the file is empty; a header row is required".
result<csv_table> read_csv_table(std::string_view text, std::span<const std::string_view> required,
                                 std::span<const std::string_view> optional, std::string_view code);

// Adds a problem when `r` has more cells than the header, trailing blank
// cells (spreadsheets pad rows) not counted.
void check_width(const csv_table& t, const csv_row& r, csv_problems& p);

}  // namespace hotline::routing::detail
