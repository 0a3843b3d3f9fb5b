#pragma once
// RFC 4180 CSV, read and written in memory (libcsv underneath). Used for the
// administrative-unit tables and for the directory's import and export files.
//
// Pure: the caller reads the file and passes its text. Thread-safe (no shared
// state).

#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "intake/result.hpp"

namespace hotline::routing {

struct csv_row {
    std::size_t line = 0;             // 1-based line of the file where the record starts
    std::vector<std::string> fields;  // unquoted, as written (no trimming)
};

// Every record of `text`: CRLF or LF line ends (a lone CR ends a line too),
// an optional UTF-8 byte-order mark skipped, lines that are completely empty
// skipped. The header row, if the file has one, is the first row returned. Errors (code `invalid_csv`):
// a quote that is never closed or stray characters after a closing quote,
// with the message "line N: <problem>"; text that is not valid UTF-8 is
// refused the same way.
result<std::vector<csv_row>> parse_csv(std::string_view text);

// Appends one record to `out`: fields quoted only when they contain a comma,
// a quote, CR or LF (quotes doubled), the record ended by CRLF.
void append_csv_row(std::string& out, std::span<const std::string_view> fields);
void append_csv_row(std::string& out, std::initializer_list<std::string_view> fields);

// Maps the names of a header row to column indices, for files whose columns
// may come in any order. Errors (code `invalid_csv`, message "line 1: ...")
// name a required column that is missing, a repeated column, or a column
// that is not among `required` or `optional`.
class csv_header {
public:
    static result<csv_header> parse(const csv_row& header, std::span<const std::string_view> required,
                                    std::span<const std::string_view> optional = {});
    // The column's index, or npos when the (optional) column is absent.
    std::size_t index(std::string_view name) const noexcept;
    // The row's value in that column; empty when absent or the row is short.
    std::string_view get(const csv_row& row, std::string_view name) const noexcept;
    static constexpr std::size_t npos = static_cast<std::size_t>(-1);

private:
    std::vector<std::string> names_;
};

}  // namespace hotline::routing
