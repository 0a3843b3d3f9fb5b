#include "routing/csv.hpp"

#include <csv.h>
#include <fmt/format.h>

#include <algorithm>

#include "intake/text.hpp"

namespace hotline::routing {

namespace {

error bad_csv(std::size_t line, std::string_view problem) {
    return make_error("invalid_csv", fmt::format("line {}: {}", line, problem));
}

// Fields are taken exactly as written: libcsv would otherwise drop spaces and
// tabs around unquoted fields, and in strict mode refuse a space after a
// closing quote only sometimes.
int never_space(unsigned char) { return 0; }

// Owns one libcsv parser for the duration of a parse.
class parser {
public:
    parser() : ok_(csv_init(&p_, CSV_STRICT | CSV_STRICT_FINI) == 0) {
        if (ok_) csv_set_space_func(&p_, never_space);
    }
    ~parser() {
        if (ok_) csv_free(&p_);
    }
    parser(const parser&) = delete;
    parser& operator=(const parser&) = delete;

    bool ok() const noexcept { return ok_; }
    csv_parser* get() noexcept { return &p_; }

private:
    csv_parser p_{};
    bool ok_ = false;
};

// Where libcsv's callbacks put what they find.
struct sink {
    std::vector<csv_row> rows;
    csv_row current;
    std::size_t record_line = 0;  // the line the record being read started on
};

void on_field(void* s, std::size_t len, void* data) {
    auto* k = static_cast<sink*>(data);
    if (s == nullptr || len == 0) k->current.fields.emplace_back();
    else k->current.fields.emplace_back(static_cast<const char*>(s), len);
}

void on_record(int, void* data) {
    auto* k = static_cast<sink*>(data);
    k->current.line = k->record_line;
    const std::size_t width = k->current.fields.size();
    k->rows.push_back(std::move(k->current));
    k->current = csv_row{};
    k->current.fields.reserve(width);  // the next record is most likely as wide
}

}  // namespace

result<std::vector<csv_row>> parse_csv(std::string_view text) {
    if (text.starts_with("\xEF\xBB\xBF")) text.remove_prefix(3);
    parser p;
    if (!p.ok()) return make_error("invalid_csv", "out of memory");
    sink k;
    k.rows.reserve(static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n')) + 1);
    // Fed one physical line at a time so that an error can name its line.
    // A record continues onto the next line only inside a quoted field, that
    // is when the quotes seen so far in the record are odd in number (an
    // escaped quote counts two).
    bool in_quotes = false;
    std::size_t line = 0;
    std::size_t pos = 0;
    while (pos < text.size()) {
        // A line ends with LF, CRLF, or a lone CR (which libcsv ends a record on too).
        const std::size_t nl = text.find_first_of("\r\n", pos);
        const std::size_t end = nl == std::string_view::npos                          ? text.size()
                                : text[nl] == '\r' && nl + 1 < text.size() && text[nl + 1] == '\n' ? nl + 2
                                                                                                    : nl + 1;
        const std::string_view chunk = text.substr(pos, end - pos);
        pos = end;
        ++line;
        if (!intake::is_valid_utf8(chunk)) return bad_csv(line, "not valid UTF-8");
        if (!in_quotes) k.record_line = line;
        if (std::count(chunk.begin(), chunk.end(), '"') % 2 != 0) in_quotes = !in_quotes;
        if (csv_parse(p.get(), chunk.data(), chunk.size(), on_field, on_record, &k) != chunk.size()) {
            if (csv_error(p.get()) == CSV_EPARSE) return bad_csv(line, "stray quote or text after a closing quote");
            return bad_csv(line, csv_strerror(csv_error(p.get())));
        }
    }
    if (csv_fini(p.get(), on_field, on_record, &k) != 0) {
        if (csv_error(p.get()) == CSV_EPARSE) return bad_csv(k.record_line, "quote never closed");
        return bad_csv(k.record_line, csv_strerror(csv_error(p.get())));
    }
    return std::move(k.rows);
}

void append_csv_row(std::string& out, std::span<const std::string_view> fields) {
    bool first = true;
    for (const auto f : fields) {
        if (!first) out.push_back(',');
        first = false;
        if (f.find_first_of(",\"\r\n") == std::string_view::npos) {
            out.append(f);
            continue;
        }
        out.push_back('"');
        for (const char c : f) {
            if (c == '"') out.push_back('"');
            out.push_back(c);
        }
        out.push_back('"');
    }
    out.append("\r\n");
}

void append_csv_row(std::string& out, std::initializer_list<std::string_view> fields) {
    append_csv_row(out, std::span<const std::string_view>(fields.begin(), fields.size()));
}

result<csv_header> csv_header::parse(const csv_row& header, std::span<const std::string_view> required,
                                     std::span<const std::string_view> optional) {
    csv_header h;
    for (const auto& name : header.fields) {
        if (std::find(h.names_.begin(), h.names_.end(), name) != h.names_.end())
            return bad_csv(header.line, fmt::format("column \"{}\" appears twice", name));
        const bool known = std::find(required.begin(), required.end(), name) != required.end() ||
                           std::find(optional.begin(), optional.end(), name) != optional.end();
        if (!known) return bad_csv(header.line, fmt::format("unknown column \"{}\"", name));
        h.names_.push_back(name);
    }
    for (const auto name : required)
        if (std::find(h.names_.begin(), h.names_.end(), name) == h.names_.end())
            return bad_csv(header.line, fmt::format("missing column \"{}\"", name));
    return h;
}

std::size_t csv_header::index(std::string_view name) const noexcept {
    const auto it = std::find(names_.begin(), names_.end(), name);
    return it == names_.end() ? npos : static_cast<std::size_t>(it - names_.begin());
}

std::string_view csv_header::get(const csv_row& row, std::string_view name) const noexcept {
    const std::size_t i = index(name);
    if (i == npos || i >= row.fields.size()) return {};
    return row.fields[i];
}

}  // namespace hotline::routing
