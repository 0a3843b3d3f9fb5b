#include "server/pages.hpp"

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "server/detail/pages_css.hpp"
#include "server/detail/strings_pages.hpp"

namespace hotline::server {

namespace detail {
// server/cmake/embed_file.cmake writes these from server/static/place.js.
extern const unsigned char builtin_place_js_bytes[];
extern const std::size_t builtin_place_js_size;
}  // namespace detail

using detail::sid;

namespace {

constexpr std::string_view quick_exit_url = "https://www.google.com.vn/";

std::string_view tr(lang l, sid id) noexcept { return detail::text(l, id); }

lang other(lang l) noexcept { return l == lang::vi ? lang::en : lang::vi; }

// ---------------------------------------------------------------- text ----

char ascii_lower(char c) noexcept {
    return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

bool iequals(std::string_view a, std::string_view b) noexcept {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (ascii_lower(a[i]) != ascii_lower(b[i])) return false;
    return true;
}

bool is_ows(char c) noexcept { return c == ' ' || c == '\t'; }

std::string_view trim_ows(std::string_view s) noexcept {
    while (!s.empty() && is_ows(s.front())) s.remove_prefix(1);
    while (!s.empty() && is_ows(s.back())) s.remove_suffix(1);
    return s;
}

// Length of the valid UTF-8 sequence at the start of `s`, 0 when invalid
// (overlong forms, surrogates and code points above U+10FFFF are invalid).
std::size_t utf8_sequence_length(std::string_view s, char32_t& cp) noexcept {
    const auto b = [&](std::size_t i) { return static_cast<unsigned char>(s[i]); };
    const unsigned char c0 = b(0);
    if (c0 < 0x80) {
        cp = c0;
        return 1;
    }
    std::size_t n = 0;
    char32_t min = 0;
    if ((c0 & 0xE0) == 0xC0) {
        n = 2, cp = c0 & 0x1F, min = 0x80;
    } else if ((c0 & 0xF0) == 0xE0) {
        n = 3, cp = c0 & 0x0F, min = 0x800;
    } else if ((c0 & 0xF8) == 0xF0) {
        n = 4, cp = c0 & 0x07, min = 0x10000;
    } else {
        return 0;
    }
    if (s.size() < n) return 0;
    for (std::size_t i = 1; i < n; ++i) {
        if ((b(i) & 0xC0) != 0x80) return 0;
        cp = (cp << 6) | (b(i) & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
    return n;
}

// Text typed by a person, made safe to put back into the page: invalid UTF-8
// becomes U+FFFD, control characters other than tab and line breaks are
// dropped (they are parse errors in HTML), then it is escaped.
std::string escape_typed(std::string_view s) {
    std::string clean;
    clean.reserve(s.size());
    while (!s.empty()) {
        char32_t cp = 0;
        const std::size_t n = utf8_sequence_length(s, cp);
        if (n == 0) {
            clean += "\xEF\xBF\xBD";
            s.remove_prefix(1);
            continue;
        }
        const bool control = (cp < 0x20 && cp != '\t' && cp != '\n' && cp != '\r') ||
                             (cp >= 0x7F && cp <= 0x9F);
        if (!control) clean.append(s.substr(0, n));
        s.remove_prefix(n);
    }
    return html_escape(clean);
}

// ------------------------------------------------------------ the frame ----

// Concatenates pieces into one string. (Used instead of `"literal" + str`,
// which trips a false -Wrestrict in g++ 12 at -O2.)
std::string concat(std::initializer_list<std::string_view> parts) {
    std::size_t n = 0;
    for (auto p : parts) n += p.size();
    std::string out;
    out.reserve(n);
    for (auto p : parts) out.append(p);
    return out;
}

std::string lang_query(lang l) { return concat({"lang=", to_string(l)}); }

std::string home_href(lang l) { return concat({"/?", lang_query(l)}); }

std::string with_lang(std::string_view path, lang l) {
    std::string href(path.empty() ? std::string_view("/") : path);
    href += href.find('?') == std::string::npos ? '?' : '&';
    href += lang_query(l);
    return href;
}

std::string tel_link(std::string_view number) {
    std::string out = "<a class=\"tel\" href=\"tel:";
    out += number;
    out += "\">";
    out += number;
    out += "</a>";
    return out;
}

// `switch_href` is where the language link points; by default the same page
// in the other language (`?lang=`).
std::string page(lang l, std::string_view title, std::string_view main_html,
                 std::string switch_href = {}) {
    const lang o = other(l);
    if (switch_href.empty()) switch_href = concat({"?", lang_query(o)});

    std::string out;
    out.reserve(main_html.size() + 4096);
    out += "<!doctype html>\n<html lang=\"";
    out += to_string(l);
    out += "\">\n<head>\n"
           "<meta charset=\"utf-8\">\n"
           "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
           "<meta name=\"referrer\" content=\"no-referrer\">\n"
           "<meta name=\"robots\" content=\"noindex\">\n"
           "<title>";
    out += html_escape(title);
    out += tr(l, sid::page_title_sep);
    out += tr(l, sid::site_name);
    out += "</title>\n"
           "<link rel=\"stylesheet\" href=\"/static/site.css\">\n"
           "</head>\n<body>\n";

    // The quick exit comes first in the document: the first thing a keyboard
    // or screen-reader user reaches, and shown top right by the stylesheet.
    out += "<div class=\"topbar\">\n<a class=\"quick-exit\" href=\"";
    out += quick_exit_url;
    out += "\" rel=\"noreferrer\">";
    out += tr(l, sid::quick_exit);
    out += "</a>\n<p class=\"site-name\"><a href=\"";
    out += html_escape(home_href(l));
    out += "\">";
    out += tr(l, sid::site_name);
    out += "</a></p>\n</div>\n";

    out += "<header class=\"site-header\">\n<p class=\"lang-switch\"><a href=\"";
    out += html_escape(switch_href);
    out += "\" hreflang=\"";
    out += to_string(o);
    out += "\" lang=\"";
    out += to_string(o);
    out += "\">";
    out += tr(l, sid::lang_switch);
    out += "</a></p>\n<section class=\"emergency\" aria-label=\"";
    out += tr(l, sid::emergency_label);
    out += "\">\n<p class=\"emergency-title\">";
    out += tr(l, sid::emergency_title);
    out += "</p>\n<ul class=\"numbers\">\n";
    const std::array<std::pair<std::string_view, sid>, 3> numbers{{
        {"111", sid::emergency_111},
        {"113", sid::emergency_113},
        {"115", sid::emergency_115},
    }};
    for (const auto& [number, what] : numbers) {
        out += "<li>";
        out += tel_link(number);
        out += " <span>";
        out += tr(l, what);
        out += "</span></li>\n";
    }
    out += "</ul>\n</section>\n</header>\n";

    out += "<main id=\"main\">\n";
    out += main_html;
    out += "</main>\n<footer class=\"site-footer\">\n<p>";
    out += tr(l, sid::footer_safety);
    out += "</p>\n</footer>\n</body>\n</html>\n";
    return out;
}

// --------------------------------------------------------------- forms ----

constexpr sid no_hint = sid::count_;

std::string field_id(std::string_view name) { return concat({"f-", name}); }
std::string error_id(std::string_view name) { return concat({"err-", name}); }
std::string hint_id(std::string_view name) { return concat({"hint-", name}); }

bool truthy(std::string_view v) noexcept {
    return v == "1" || iequals(v, "on") || iequals(v, "true");
}

// What a form needs to render its fields: the typed values and which errors
// belong next to which field.
class form_context {
public:
    using message_fn = std::string (*)(lang, const error&);

    // `fields`: the fields on this form (their errors go next to them; all
    // others on top). `always_on_top`: codes shown on top whatever field
    // they name. `message`: the text of an error.
    form_context(lang l, const std::map<std::string, std::string>* values,
                 const std::vector<error>& errors, std::vector<std::string_view> fields,
                 std::vector<std::string_view> always_on_top = {},
                 message_fn message = &error_message)
        : l_(l), values_(values), message_(message) {
        for (const auto& e : errors) {
            const bool own_field =
                !e.field.empty() &&
                std::find(fields.begin(), fields.end(), e.field) != fields.end() &&
                std::find(always_on_top.begin(), always_on_top.end(), e.code) ==
                    always_on_top.end();
            (own_field ? field_errors_ : top_errors_).push_back(&e);
        }
    }

    lang language() const noexcept { return l_; }

    // The alert box's link for errors of `field` goes to the control of
    // `target` (for a field with no visible control of its own).
    void link_errors(std::string_view field, std::string_view target) { link_to_[field] = target; }

    std::string_view value(std::string_view name) const {
        if (values_ == nullptr) return {};
        const auto it = values_->find(std::string(name));
        return it == values_->end() ? std::string_view{} : std::string_view(it->second);
    }

    bool has_error(std::string_view name) const {
        return std::any_of(field_errors_.begin(), field_errors_.end(),
                           [&](const error* e) { return e->field == name; });
    }

    bool any_errors() const noexcept { return !field_errors_.empty() || !top_errors_.empty(); }

    // The role=alert box on top: form-level errors in full, then a list of
    // links to the fields that need attention.
    std::string alert_box(std::string_view heading,
                          const std::map<std::string_view, sid>& labels) const {
        if (!any_errors()) return {};
        std::string out = "<div class=\"alert\" role=\"alert\" id=\"form-errors\">\n";
        if (!heading.empty()) {
            out += "<p class=\"alert-heading\">";
            out += heading;
            out += "</p>\n";
        }
        std::vector<std::string> seen;
        for (const error* e : top_errors_) {
            std::string msg = message_(l_, *e);
            if (std::find(seen.begin(), seen.end(), msg) != seen.end()) continue;
            out += "<p class=\"alert-message\">";
            out += html_escape(msg);
            out += "</p>\n";
            seen.push_back(std::move(msg));
        }
        if (!field_errors_.empty()) {
            out += "<p>";
            out += tr(l_, sid::errors_fields_intro);
            out += "</p>\n<ul class=\"alert-list\">\n";
            for (const error* e : field_errors_) {
                out += "<li><a href=\"#";
                const auto target = link_to_.find(e->field);
                out += html_escape(field_id(target != link_to_.end() ? target->second
                                                                     : std::string_view(e->field)));
                out += "\">";
                const auto it = labels.find(e->field);
                out += it != labels.end() ? tr(l_, it->second) : std::string_view(e->field);
                out += "</a>: ";
                out += html_escape(message_(l_, *e));
                out += "</li>\n";
            }
            out += "</ul>\n";
        }
        out += "</div>\n";
        return out;
    }

    // The messages shown right next to a field, in one element whose id the
    // field's aria-describedby points to.
    std::string error_block(std::string_view name) const {
        if (!has_error(name)) return {};
        std::string out = "<p class=\"field-error\" id=\"";
        out += html_escape(error_id(name));
        out += "\">";
        bool first = true;
        for (const error* e : field_errors_) {
            if (e->field != name) continue;
            if (!first) out += "<br>";
            first = false;
            out += "<span class=\"marker\">";
            out += tr(l_, sid::error_marker);
            out += "</span> ";
            out += html_escape(message_(l_, *e));
        }
        out += "</p>\n";
        return out;
    }

    // id, name, aria-describedby and aria-invalid of a control.
    std::string control_attrs(std::string_view name, bool has_hint) const {
        std::string out = " id=\"";
        out += html_escape(field_id(name));
        out += "\" name=\"";
        out += html_escape(name);
        out += "\"";
        std::string described;
        if (has_hint) described = hint_id(name);
        if (has_error(name)) {
            if (!described.empty()) described += ' ';
            described += error_id(name);
        }
        if (!described.empty()) {
            out += " aria-describedby=\"";
            out += html_escape(described);
            out += "\"";
        }
        if (has_error(name)) out += " aria-invalid=\"true\"";
        return out;
    }

    std::string open_field(std::string_view name, std::string_view extra_class = {}) const {
        std::string out = "<div class=\"field";
        if (!extra_class.empty()) {
            out += ' ';
            out += extra_class;
        }
        if (has_error(name)) out += " has-error";
        out += "\">\n";
        return out;
    }

    std::string label(std::string_view name, sid text, std::optional<sid> marker) const {
        std::string out = "<label for=\"";
        out += html_escape(field_id(name));
        out += "\">";
        out += tr(l_, text);
        if (marker) {
            out += " <span class=\"";
            out += *marker == sid::required_marker ? "req" : "opt";
            out += "\">";
            out += tr(l_, *marker);
            out += "</span>";
        }
        out += "</label>\n";
        return out;
    }

    std::string hint(std::string_view name, sid text) const {
        if (text == no_hint) return {};
        std::string out = "<p class=\"hint\" id=\"";
        out += html_escape(hint_id(name));
        out += "\">";
        out += tr(l_, text);
        out += "</p>\n";
        return out;
    }

private:
    lang l_;
    const std::map<std::string, std::string>* values_;
    message_fn message_;
    std::map<std::string_view, std::string_view> link_to_;
    std::vector<const error*> field_errors_;
    std::vector<const error*> top_errors_;
};

struct input_spec {
    std::string_view name;
    sid label;
    sid hint = no_hint;
    std::string_view type = "text";
    int maxlength = 0;                 // 0: none
    std::string_view extra_attrs = {}; // already-safe attribute text, starting with a space
    std::optional<sid> marker = {};
};

std::string text_input(const form_context& f, const input_spec& s,
                       std::optional<std::string_view> value = {}) {
    const std::string_view v = value ? *value : f.value(s.name);
    std::string out = f.open_field(s.name);
    out += f.label(s.name, s.label, s.marker);
    out += f.hint(s.name, s.hint);
    out += f.error_block(s.name);
    out += "<input type=\"";
    out += s.type;
    out += "\"";
    out += f.control_attrs(s.name, s.hint != no_hint);
    if (s.maxlength > 0) {
        out += " maxlength=\"";
        out += std::to_string(s.maxlength);
        out += "\"";
    }
    out += s.extra_attrs;
    out += " value=\"";
    out += escape_typed(v);
    out += "\">\n</div>\n";
    return out;
}

std::string textarea(const form_context& f, const input_spec& s, int rows) {
    std::string out = f.open_field(s.name);
    out += f.label(s.name, s.label, s.marker);
    out += f.hint(s.name, s.hint);
    out += f.error_block(s.name);
    out += "<textarea";
    out += f.control_attrs(s.name, s.hint != no_hint);
    out += " rows=\"";
    out += std::to_string(rows);
    out += "\"";
    if (s.maxlength > 0) {
        out += " maxlength=\"";
        out += std::to_string(s.maxlength);
        out += "\"";
    }
    out += s.extra_attrs;
    // The newline after the start tag is eaten by the HTML parser, so a value
    // that itself starts with a newline survives the round trip.
    out += ">\n";
    out += escape_typed(f.value(s.name));
    out += "</textarea>\n</div>\n";
    return out;
}

std::string checkbox(const form_context& f, std::string_view name, sid label) {
    std::string out = f.open_field(name, "check-field");
    out += f.error_block(name);
    out += "<div class=\"check\">\n<input type=\"checkbox\"";
    out += f.control_attrs(name, false);
    out += " value=\"1\"";
    if (truthy(f.value(name))) out += " checked";
    out += ">\n";
    out += f.label(name, label, std::nullopt);
    out += "</div>\n</div>\n";
    return out;
}

std::string sex_select(const form_context& f) {
    constexpr std::string_view name = "child_sex";
    const lang l = f.language();
    std::string_view current = f.value(name);
    if (current != "male" && current != "female") current = "unknown";
    std::string out = f.open_field(name);
    out += f.label(name, sid::child_sex_label, std::nullopt);
    out += f.error_block(name);
    out += "<select";
    out += f.control_attrs(name, false);
    out += ">\n";
    const std::array<std::pair<std::string_view, sid>, 3> options{{
        {"unknown", sid::sex_unknown},
        {"female", sid::sex_female},
        {"male", sid::sex_male},
    }};
    for (const auto& [token, text] : options) {
        out += "<option value=\"";
        out += token;
        out += "\"";
        if (token == current) out += " selected";
        out += ">";
        out += tr(l, text);
        out += "</option>\n";
    }
    out += "</select>\n</div>\n";
    return out;
}

std::string hidden(std::string_view name, std::string_view value) {
    std::string out = "<input type=\"hidden\" name=\"";
    out += html_escape(name);
    out += "\" value=\"";
    out += escape_typed(value);
    out += "\">\n";
    return out;
}

// The place field. Without JavaScript it is free text. /static/place.js
// turns it into a combobox that suggests communes from /api/v1/units and
// puts the code of the one picked into the hidden `location_code`. An error
// about that code is shown with the text (the code has no control of its
// own) and the code is not put back, so sending again goes with the words
// alone.
std::string place_field(const form_context& f) {
    constexpr std::string_view text_name = "location_text";
    constexpr std::string_view code_name = "location_code";
    const lang l = f.language();
    const bool text_error = f.has_error(text_name);
    const bool code_error = f.has_error(code_name);

    std::string out = "<div class=\"field place-field";
    if (text_error || code_error) out += " has-error";
    out += "\">\n";
    out += f.label(text_name, sid::location_label, sid::optional_marker);
    out += f.hint(text_name, sid::location_hint);
    out += f.error_block(text_name);
    out += f.error_block(code_name);
    out += "<input type=\"text\" id=\"";
    out += field_id(text_name);
    out += "\" name=\"";
    out += text_name;
    out += "\" maxlength=\"1000\" aria-describedby=\"";
    out += hint_id(text_name);
    if (text_error) out += concat({" ", error_id(text_name)});
    if (code_error) out += concat({" ", error_id(code_name)});
    out += "\"";
    if (text_error || code_error) out += " aria-invalid=\"true\"";
    out += " autocomplete=\"off\" data-units-url=\"/api/v1/units\" data-msg-count=\"";
    out += tr(l, sid::place_suggestions_count);
    out += "\" data-msg-none=\"";
    out += tr(l, sid::place_no_suggestions);
    out += "\" value=\"";
    out += escape_typed(f.value(text_name));
    out += "\">\n";
    out += "<input type=\"hidden\" id=\"";
    out += field_id(code_name);
    out += "\" name=\"";
    out += code_name;
    out += "\" value=\"";
    if (!code_error) out += escape_typed(f.value(code_name));
    out += "\">\n</div>\n";
    return out;
}

// A group of optional fields folded away under a <details>, open when it
// holds something typed or an error so nothing is hidden from the person.
std::string group(sid title, bool open, std::string_view inner, lang l,
                  std::string_view intro = {}) {
    std::string out = "<details class=\"group\"";
    if (open) out += " open";
    out += ">\n<summary>";
    out += tr(l, title);
    out += "</summary>\n<fieldset>\n<legend class=\"vh\">";
    out += tr(l, title);
    out += "</legend>\n";
    if (!intro.empty()) {
        out += "<p class=\"hint\">";
        out += intro;
        out += "</p>\n";
    }
    out += inner;
    out += "</fieldset>\n</details>\n";
    return out;
}

std::string danger_line(lang l) {
    std::string out = "<p class=\"danger\">";
    out += tr(l, sid::danger_now);
    out += " ";
    out += tel_link("113");
    out += " (";
    out += tr(l, sid::police_word);
    out += ") ";
    out += tr(l, sid::or_word);
    out += " ";
    out += tel_link("111");
    out += " (";
    out += tr(l, sid::hotline_word);
    out += ").</p>\n";
    return out;
}

std::string button_link(std::string_view href, std::string_view text,
                        std::string_view cls = "button-link") {
    std::string out = "<a class=\"";
    out += cls;
    out += "\" href=\"";
    out += html_escape(href);
    out += "\">";
    out += text;
    out += "</a>";
    return out;
}

// ----------------------------------------------------- accept-language ----

// A q-value per RFC 9110 §12.4.2, in thousandths; nullopt when malformed.
std::optional<int> parse_qvalue(std::string_view s) {
    if (s.empty() || (s[0] != '0' && s[0] != '1')) return std::nullopt;
    int value = (s[0] - '0') * 1000;
    s.remove_prefix(1);
    if (s.empty()) return value;
    if (s[0] != '.') return std::nullopt;
    s.remove_prefix(1);
    if (s.size() > 3) return std::nullopt;
    int scale = 100;
    for (char c : s) {
        if (c < '0' || c > '9') return std::nullopt;
        value += (c - '0') * scale;
        scale /= 10;
    }
    if (value > 1000) return std::nullopt;
    return value;
}

bool is_alpha(char c) noexcept { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_alnum(char c) noexcept { return is_alpha(c) || (c >= '0' && c <= '9'); }

// language-range = (1*8ALPHA *("-" 1*8alphanum)) / "*"; returns the primary
// subtag in lower case, "*" for the wildcard, empty when malformed.
std::string primary_subtag(std::string_view range) {
    if (range == "*") return "*";
    std::string primary;
    std::size_t part = 0;
    std::size_t len = 0;
    for (char c : range) {
        if (c == '-') {
            if (len == 0) return {};
            ++part;
            len = 0;
            continue;
        }
        if (part == 0 ? !is_alpha(c) : !is_alnum(c)) return {};
        if (++len > 8) return {};
        if (part == 0) primary += ascii_lower(c);
    }
    if (len == 0) return {};
    return primary;
}

}  // namespace

// ================================================================ public ====

std::string_view to_string(lang l) noexcept { return l == lang::en ? "en" : "vi"; }

lang pick_language(std::string_view query_lang, std::string_view accept_language) {
    const std::string_view q = trim_ows(query_lang);
    if (iequals(q, "vi")) return lang::vi;
    if (iequals(q, "en")) return lang::en;

    struct best {
        int q = -1;             // highest q seen, -1 when not mentioned
        std::size_t pos = 0;    // position of the first range reaching it
    };
    best vi, en, star;
    std::size_t pos = 0;
    std::string_view rest = accept_language;
    while (!rest.empty()) {
        const std::size_t comma = rest.find(',');
        std::string_view item = rest.substr(0, comma);
        rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);

        const std::size_t semi = item.find(';');
        const std::string tag = primary_subtag(trim_ows(item.substr(0, semi)));
        if (tag.empty()) continue;
        int weight = 1000;
        bool ok = true;
        std::string_view params =
            semi == std::string_view::npos ? std::string_view{} : item.substr(semi + 1);
        while (ok && !params.empty()) {
            const std::size_t next = params.find(';');
            const std::string_view param = trim_ows(params.substr(0, next));
            params = next == std::string_view::npos ? std::string_view{} : params.substr(next + 1);
            const std::size_t eq = param.find('=');
            if (eq == std::string_view::npos) {
                ok = false;
                break;
            }
            if (iequals(trim_ows(param.substr(0, eq)), "q")) {
                const auto parsed = parse_qvalue(trim_ows(param.substr(eq + 1)));
                if (!parsed) ok = false;
                else weight = *parsed;
            }
        }
        if (!ok) continue;

        best* target = tag == "vi" ? &vi : tag == "en" ? &en : tag == "*" ? &star : nullptr;
        if (target != nullptr && weight > target->q) {
            target->q = weight;
            target->pos = pos;
        }
        ++pos;
    }
    // The wildcard speaks for a language only when that language is not named.
    if (vi.q < 0) vi = star;
    if (en.q < 0) en = star;
    if (en.q > 0 && (en.q > vi.q || (en.q == vi.q && en.pos < vi.pos))) return lang::en;
    return lang::vi;
}

std::string html_escape(std::string_view s) {
    std::string out;
    out.reserve(s.size() + s.size() / 8);
    for (char c : s) {
        switch (c) {
            case '&': out += "&amp;"; break;
            case '<': out += "&lt;"; break;
            case '>': out += "&gt;"; break;
            case '"': out += "&quot;"; break;
            case '\'': out += "&#39;"; break;
            default: out += c;
        }
    }
    return out;
}

std::string error_message(lang l, const error& e) {
    const std::string_view code = e.code;
    const std::string_view field = e.field;
    sid id = sid::msg_generic;
    if (code == "required") {
        id = field == "text"            ? sid::msg_required_text
             : field == "tracking_code" ? sid::msg_required_tracking_code
             : field == "access_secret" ? sid::msg_required_access_secret
                                        : sid::msg_required;
    } else if (code == "invalid_utf8") {
        id = sid::msg_invalid_utf8;
    } else if (code == "too_long") {
        id = field == "text" ? sid::msg_too_long_text : sid::msg_too_long;
    } else if (code == "invalid_value") {
        id = field == "child_age"       ? sid::msg_invalid_child_age
             : field == "child_sex"     ? sid::msg_invalid_child_sex
             : field == "location_code" ? sid::msg_invalid_location_code
             : field == "access_secret" ? sid::msg_invalid_access_secret
             : field == "tracking_code" ? sid::msg_invalid_code
                                        : sid::msg_invalid_value;
    } else if (code == "unknown_unit") {
        id = sid::msg_unknown_unit;
    } else if (code == "invalid_phone") {
        id = sid::msg_invalid_phone;
    } else if (code == "csrf_failed") {
        id = sid::msg_csrf_failed;
    } else if (code == "rate_limited") {
        id = sid::msg_rate_limited;
    } else if (code == "not_found") {
        id = sid::msg_not_found;
    } else if (code == "invalid_code") {
        id = sid::msg_invalid_code;
    }
    return std::string(tr(l, id));
}

std::string render_report_form(lang l, const report_form& f) {
    const std::vector<std::string_view> child_fields{
        "child_name", "child_age", "child_age_estimated", "child_sex", "child_condition",
        "perpetrator_relation"};
    const std::vector<std::string_view> reporter_fields{
        "reporter_name", "reporter_phone", "reporter_address", "contact_ok",
        "keep_identity_secret"};
    std::vector<std::string_view> fields{"text", "location_text", "location_code"};
    fields.insert(fields.end(), child_fields.begin(), child_fields.end());
    fields.insert(fields.end(), reporter_fields.begin(), reporter_fields.end());

    form_context ctx(l, &f.values, f.errors, fields);
    ctx.link_errors("location_code", "location_text");
    const std::map<std::string_view, sid> labels{
        {"text", sid::text_label},
        {"location_text", sid::location_label},
        {"location_code", sid::location_label},
        {"child_name", sid::child_name_label},
        {"child_age", sid::child_age_label},
        {"child_age_estimated", sid::child_age_estimated_label},
        {"child_sex", sid::child_sex_label},
        {"child_condition", sid::child_condition_label},
        {"perpetrator_relation", sid::perpetrator_label},
        {"reporter_name", sid::reporter_name_label},
        {"reporter_phone", sid::reporter_phone_label},
        {"reporter_address", sid::reporter_address_label},
        {"contact_ok", sid::contact_ok_label},
        {"keep_identity_secret", sid::keep_secret_label},
    };

    const auto filled = [&](std::string_view name) {
        const std::string_view v = ctx.value(name);
        if (name == "child_sex") return v == "male" || v == "female";
        if (name == "child_age_estimated" || name == "contact_ok" ||
            name == "keep_identity_secret")
            return truthy(v);
        return !trim_ows(v).empty();
    };
    const auto open_group = [&](const std::vector<std::string_view>& names) {
        return std::any_of(names.begin(), names.end(),
                           [&](std::string_view n) { return filled(n) || ctx.has_error(n); });
    };

    std::string m;
    m += "<h1>";
    m += tr(l, sid::form_title);
    m += "</h1>\n";
    m += ctx.alert_box(tr(l, sid::errors_heading), labels);
    m += "<p class=\"lead\">";
    m += tr(l, sid::form_intro_anonymous);
    m += "</p>\n<p>";
    m += tr(l, sid::form_intro_forwarded);
    m += "</p>\n";

    m += "<form class=\"report-form\" method=\"post\" action=\"/report\" "
         "enctype=\"application/x-www-form-urlencoded\" accept-charset=\"utf-8\" "
         "autocomplete=\"off\">\n";
    m += hidden("csrf", f.csrf_token);
    m += hidden("lang", to_string(l));

    m += textarea(ctx,
                  {.name = "text", .label = sid::text_label, .hint = sid::text_hint,
                   .maxlength = 5000, .extra_attrs = " required",
                   .marker = sid::required_marker},
                  8);
    m += place_field(ctx);

    std::string child;
    child += text_input(ctx, {.name = "child_name", .label = sid::child_name_label,
                              .hint = sid::child_name_hint, .maxlength = 200});
    child += text_input(ctx, {.name = "child_age", .label = sid::child_age_label,
                              .hint = sid::child_age_hint, .type = "number",
                              .extra_attrs = " min=\"0\" max=\"17\" step=\"1\" inputmode=\"numeric\""});
    child += checkbox(ctx, "child_age_estimated", sid::child_age_estimated_label);
    child += sex_select(ctx);
    child += textarea(ctx,
                      {.name = "child_condition", .label = sid::child_condition_label,
                       .hint = sid::child_condition_hint, .maxlength = 1000},
                      3);
    child += text_input(ctx, {.name = "perpetrator_relation", .label = sid::perpetrator_label,
                              .hint = sid::perpetrator_hint, .maxlength = 200});
    m += group(sid::child_group, open_group(child_fields), child, l);

    std::string reporter;
    reporter += text_input(ctx, {.name = "reporter_name", .label = sid::reporter_name_label,
                                 .maxlength = 200});
    reporter += text_input(ctx, {.name = "reporter_phone", .label = sid::reporter_phone_label,
                                 .hint = sid::reporter_phone_hint, .type = "tel",
                                 .maxlength = 40, .extra_attrs = " inputmode=\"tel\""});
    reporter += textarea(ctx,
                         {.name = "reporter_address", .label = sid::reporter_address_label,
                          .maxlength = 1000},
                         2);
    reporter += checkbox(ctx, "contact_ok", sid::contact_ok_label);
    reporter += checkbox(ctx, "keep_identity_secret", sid::keep_secret_label);
    m += group(sid::reporter_group, open_group(reporter_fields), reporter, l,
               tr(l, sid::reporter_intro));

    m += "<p class=\"actions\"><button type=\"submit\" class=\"primary\">";
    m += tr(l, sid::form_submit);
    m += "</button></p>\n</form>\n";
    m += "<p class=\"secondary-link\">";
    m += button_link(with_lang("/status", l), tr(l, sid::status_link_text), "plain-link");
    m += "</p>\n";
    // The place field's suggestions; the form works the same without them.
    m += "<script src=\"/static/place.js\" defer></script>\n";
    return page(l, tr(l, sid::form_title), m);
}

std::string render_receipt(lang l, const receipt_page& r) {
    const lang o = other(l);
    const std::string code = escape_typed(r.tracking_code);
    const std::string secret = escape_typed(r.access_secret);

    std::string m;
    m += "<h1>";
    m += tr(l, sid::receipt_title);
    m += "</h1>\n<p class=\"lead\">";
    m += tr(l, sid::receipt_thanks);
    m += "</p>\n";

    m += "<section class=\"codes\" aria-labelledby=\"codes-title\">\n<h2 id=\"codes-title\">";
    m += tr(l, sid::receipt_write_down);
    m += "</h2>\n<dl>\n<dt>";
    m += tr(l, sid::tracking_code_label);
    m += "</dt>\n<dd class=\"code\" id=\"tracking-code\">";
    m += code;
    m += "</dd>\n<dt>";
    m += tr(l, sid::access_secret_label);
    m += "</dt>\n<dd class=\"code\" id=\"access-secret\">";
    m += secret;
    m += "</dd>\n</dl>\n<p class=\"important\">";
    m += tr(l, sid::receipt_secret_once);
    m += "</p>\n<p>";
    m += tr(l, sid::receipt_if_lost);
    m += "</p>\n</section>\n";

    m += "<p>";
    m += tr(l, sid::received_at_label);
    m += ": <strong>";
    m += escape_typed(r.received_at);
    m += "</strong></p>\n";

    m += "<p>";
    m += tr(l, sid::receipt_check_how);
    m += "</p>\n<p>";
    m += button_link(with_lang(r.status_path, l), tr(l, sid::status_link_text));
    m += "</p>\n";
    m += danger_line(l);

    // The secret is shown only once: following a language link would lose it,
    // so the other language is on this same page and the switch jumps to it.
    const std::string other_id = concat({"in-", to_string(o)});
    m += "<section class=\"other-lang\" id=\"";
    m += other_id;
    m += "\" lang=\"";
    m += to_string(o);
    m += "\">\n<h2>";
    m += tr(o, sid::lang_self);
    m += "</h2>\n<p><strong>";
    m += tr(o, sid::receipt_title);
    m += "</strong></p>\n<p>";
    m += tr(o, sid::tracking_code_label);
    m += ": <strong>";
    m += code;
    m += "</strong><br>";
    m += tr(o, sid::access_secret_label);
    m += ": <strong>";
    m += secret;
    m += "</strong><br>";
    m += tr(o, sid::received_at_label);
    m += ": ";
    m += escape_typed(r.received_at);
    m += "</p>\n<p>";
    m += tr(o, sid::receipt_secret_once);
    m += "</p>\n<p>";
    m += tr(o, sid::receipt_check_how);
    m += " ";
    m += button_link(with_lang(r.status_path, o), tr(o, sid::status_link_text), "plain-link");
    m += "</p>\n";
    m += danger_line(o);
    m += "</section>\n";

    return page(l, tr(l, sid::receipt_title), m, concat({"#", other_id}));
}

std::string render_status_form(lang l, const status_form& f) {
    const std::map<std::string, std::string> values{{"tracking_code", f.tracking_code}};
    // "not_found" is shown on top whatever field it names: it must not tell
    // which of code and secret was wrong. The secret is not kept, so an
    // expired form asks for it again.
    const form_context ctx(l, &values, f.errors, {"tracking_code", "access_secret"},
                           {"not_found"}, [](lang ml, const error& e) {
                               if (e.code == "csrf_failed")
                                   return std::string(tr(ml, sid::msg_csrf_failed_status));
                               return error_message(ml, e);
                           });
    const std::map<std::string_view, sid> labels{
        {"tracking_code", sid::tracking_code_label},
        {"access_secret", sid::access_secret_label},
    };

    std::string m;
    m += "<h1>";
    m += tr(l, sid::status_form_title);
    m += "</h1>\n";
    m += ctx.alert_box({}, labels);
    m += "<p class=\"lead\">";
    m += tr(l, sid::status_form_intro);
    m += "</p>\n";
    m += "<form class=\"status-form\" method=\"post\" action=\"/status\" "
         "enctype=\"application/x-www-form-urlencoded\" accept-charset=\"utf-8\" "
         "autocomplete=\"off\">\n";
    m += hidden("csrf", f.csrf_token);
    m += hidden("lang", to_string(l));
    m += text_input(ctx,
                    {.name = "tracking_code", .label = sid::tracking_code_label,
                     .hint = sid::tracking_code_hint, .maxlength = 20,
                     .extra_attrs = " inputmode=\"text\" autocapitalize=\"characters\" "
                                    "autocomplete=\"off\" autocorrect=\"off\" "
                                    "spellcheck=\"false\" required",
                     .marker = sid::required_marker},
                    f.tracking_code);
    // The secret is never put back into the page.
    m += text_input(ctx,
                    {.name = "access_secret", .label = sid::access_secret_label,
                     .hint = sid::access_secret_hint, .maxlength = 20,
                     .extra_attrs = " inputmode=\"numeric\" autocomplete=\"off\" "
                                    "autocorrect=\"off\" spellcheck=\"false\" required",
                     .marker = sid::required_marker},
                    std::string_view{});
    m += "<p class=\"actions\"><button type=\"submit\" class=\"primary\">";
    m += tr(l, sid::status_submit);
    m += "</button></p>\n</form>\n";
    m += danger_line(l);
    return page(l, tr(l, sid::status_form_title), m);
}

std::string render_status(lang l, const status_page& s) {
    const std::string_view st = s.state;
    const sid state_text = st == "received"       ? sid::state_received
                           : st == "routed"       ? sid::state_routed
                           : st == "acknowledged" ? sid::state_acknowledged
                           : st == "in_progress"  ? sid::state_in_progress
                           : st == "closed"       ? sid::state_closed
                           : st == "unrouted"     ? sid::state_unrouted
                                                  : sid::state_other;
    const auto yes_no = [&](bool b) { return tr(l, b ? sid::yes : sid::not_yet); };

    std::string m;
    m += "<h1>";
    m += tr(l, sid::status_title);
    m += "</h1>\n<p class=\"status-code\">";
    m += tr(l, sid::tracking_code_label);
    m += ": <strong class=\"code\">";
    m += escape_typed(s.tracking_code);
    m += "</strong></p>\n";
    m += "<div class=\"state-box\">\n<p class=\"state-label\">";
    m += tr(l, sid::state_label);
    m += "</p>\n<p class=\"state\" id=\"report-state\" data-state=\"";
    m += escape_typed(s.state);
    m += "\">";
    m += tr(l, state_text);
    m += "</p>\n</div>\n";
    m += "<dl class=\"facts\">\n<dt>";
    m += tr(l, sid::received_at_label);
    m += "</dt>\n<dd>";
    m += escape_typed(s.received_at);
    m += "</dd>\n<dt>";
    m += tr(l, sid::forwarded_label);
    m += "</dt>\n<dd id=\"report-forwarded\">";
    m += yes_no(s.forwarded);
    m += "</dd>\n<dt>";
    m += tr(l, sid::acknowledged_label);
    m += "</dt>\n<dd id=\"report-acknowledged\">";
    m += yes_no(s.acknowledged);
    m += "</dd>\n</dl>\n";
    m += danger_line(l);
    m += "<p>";
    m += tr(l, sid::status_more_info);
    m += "</p>\n<p class=\"links\">";
    m += button_link(home_href(l), tr(l, sid::status_new_report));
    m += " ";
    m += button_link(with_lang("/status", l), tr(l, sid::status_check_another), "plain-link");
    m += "</p>\n";
    return page(l, tr(l, sid::status_title), m);
}

// ------------------------------------------------- acknowledgement links ----

namespace {

// The officer pages' own texts, in both languages.
std::string_view pick(lang l, std::string_view vi, std::string_view en) { return l == lang::vi ? vi : en; }

std::string_view urgency_text(lang l, std::string_view u) {
    if (u == "emergency") return pick(l, "Khẩn cấp", "Emergency");
    if (u == "high") return pick(l, "Cao", "High");
    if (u == "normal") return pick(l, "Bình thường", "Normal");
    if (u == "low") return pick(l, "Thấp", "Low");
    return pick(l, "Chưa rõ", "Unknown");
}

std::string ack_facts(lang l, const ack_page& p) {
    std::string m = "<dl class=\"facts\">\n<dt>";
    m += pick(l, "Mã tin báo", "Report code");
    m += "</dt>\n<dd><strong class=\"code\" id=\"ack-code\">";
    m += escape_typed(p.tracking_code);
    m += "</strong></dd>\n<dt>";
    m += pick(l, "Mức độ khẩn cấp", "Urgency");
    m += "</dt>\n<dd id=\"ack-urgency\" data-urgency=\"";
    m += escape_typed(p.urgency);
    m += "\">";
    m += urgency_text(l, p.urgency);
    m += "</dd>\n<dt>";
    m += pick(l, "Xã/phường", "Commune");
    m += "</dt>\n<dd id=\"ack-commune\">";
    if (p.commune.empty())
        m += pick(l, "Chưa xác định", "Not known yet");
    else
        m += escape_typed(p.commune);
    m += "</dd>\n";
    if (!p.deadline.empty()) {
        m += "<dt>";
        m += pick(l, "Hạn xác nhận", "Acknowledge by");
        m += "</dt>\n<dd id=\"ack-deadline\">";
        m += escape_typed(p.deadline);
        m += "</dd>\n";
    }
    m += "</dl>\n";
    return m;
}

}  // namespace

std::string render_ack_confirm(lang l, const ack_page& p) {
    const std::string_view title = pick(l, "Xác nhận tiếp nhận tin báo", "Acknowledge the report");
    std::string m = "<h1>";
    m += title;
    m += "</h1>\n<p class=\"lead\">";
    m += pick(l, "Bấm nút dưới đây để xác nhận anh/chị đã nhận và sẽ xử lý tin báo này.",
              "Press the button below to confirm that you have the report and will act on it.");
    m += "</p>\n";
    m += ack_facts(l, p);
    m += "<form method=\"post\" action=\"";
    m += html_escape(p.action);
    m += "\" enctype=\"application/x-www-form-urlencoded\" accept-charset=\"utf-8\">\n";
    m += hidden("lang", to_string(l));
    m += "<p class=\"actions\"><button type=\"submit\" class=\"primary\" id=\"ack-submit\">";
    m += pick(l, "Xác nhận tiếp nhận", "Acknowledge");
    m += "</button></p>\n</form>\n";
    return page(l, title, m);
}

std::string render_ack_done(lang l, const ack_page& p) {
    const std::string_view title = pick(l, "Đã xác nhận", "Acknowledged");
    std::string m = "<h1 id=\"ack-result\" data-result=\"acknowledged\">";
    m += title;
    m += "</h1>\n<p class=\"lead\">";
    m += pick(l, "Cảm ơn anh/chị. Tin báo đã được ghi nhận là do anh/chị tiếp nhận",
              "Thank you. The report is recorded as in your hands");
    if (!p.acknowledged_at.empty()) {
        m += pick(l, " lúc ", " at ");
        m += escape_typed(p.acknowledged_at);
    }
    m += p.in_time ? pick(l, ", trong hạn.", ", in time.") : pick(l, ", quá hạn.", ", after the deadline.");
    m += "</p>\n";
    m += ack_facts(l, p);
    return page(l, title, m);
}

std::string render_ack_problem(lang l, ack_problem why, const ack_page& p) {
    std::string_view title, text, result;
    switch (why) {
    case ack_problem::expired:
        result = "expired";
        title = pick(l, "Liên kết đã hết hạn", "This link has expired");
        text = pick(l, "Liên kết xác nhận này đã hết hạn. Xin trả lời tin nhắn bằng OK kèm mã tin báo, "
                       "hoặc gọi trực ban.",
                    "This acknowledgement link has expired. Reply to the message with OK and the report "
                    "code, or call the duty desk.");
        break;
    case ack_problem::used:
        result = "used";
        title = pick(l, "Liên kết đã được dùng", "This link was already used");
        text = pick(l, "Liên kết xác nhận này chỉ dùng được một lần và đã được dùng.",
                    "This acknowledgement link works once and has been used.");
        break;
    case ack_problem::not_found:
        result = "not_found";
        title = pick(l, "Liên kết không hợp lệ", "This link is not valid");
        text = pick(l, "Không tìm thấy liên kết này. Xin kiểm tra lại, hoặc trả lời tin nhắn bằng OK kèm mã "
                       "tin báo.",
                    "This link was not found. Check it, or reply to the message with OK and the report code.");
        break;
    case ack_problem::not_allowed:
        result = "not_allowed";
        title = pick(l, "Không được phép", "Not allowed");
        text = pick(l, "Anh/chị không được phân công tin báo này.", "You are not assigned to this report.");
        break;
    case ack_problem::already_acknowledged:
        result = "already_acknowledged";
        title = pick(l, "Đã được xác nhận trước đó", "Already acknowledged");
        text = pick(l, "Phân công này đã được xác nhận trước đó.", "This assignment was already acknowledged.");
        break;
    case ack_problem::superseded:
        result = "superseded";
        title = pick(l, "Đã có cán bộ khác tiếp nhận", "Someone else has it");
        text = pick(l, "Tin báo này đã được cán bộ khác xác nhận tiếp nhận; anh/chị không cần làm gì thêm.",
                    "Another officer has already acknowledged this report; nothing more is needed from you.");
        break;
    }
    std::string m = "<h1 id=\"ack-result\" data-result=\"";
    m += result;
    m += "\">";
    m += title;
    m += "</h1>\n<p class=\"lead\">";
    m += text;
    m += "</p>\n";
    if ((why == ack_problem::used || why == ack_problem::already_acknowledged) && p.by_this_contact &&
        !p.acknowledged_at.empty()) {
        m += "<p id=\"ack-by-you\">";
        m += pick(l, "Anh/chị đã xác nhận tin báo này lúc ", "You acknowledged this report at ");
        m += escape_typed(p.acknowledged_at);
        m += ".</p>\n";
    }
    if (!p.tracking_code.empty()) m += ack_facts(l, p);
    return page(l, title, m);
}

std::string render_error_page(lang l, int http_status, std::string_view message) {
    sid title = sid::err_title_other;
    switch (http_status) {
        case 400: title = sid::err_title_400; break;
        case 403: title = sid::err_title_403; break;
        case 404: title = sid::err_title_404; break;
        case 405: title = sid::err_title_405; break;
        case 408: title = sid::err_title_408; break;
        case 413: title = sid::err_title_413; break;
        case 415: title = sid::err_title_415; break;
        case 429: title = sid::err_title_429; break;
        case 503: title = sid::err_title_503; break;
        default:
            if (http_status >= 500 && http_status <= 599) title = sid::err_title_500;
    }
    std::string m;
    m += "<h1>";
    m += tr(l, title);
    m += "</h1>\n<p class=\"lead\">";
    m += message.empty() ? html_escape(tr(l, sid::err_default_message)) : escape_typed(message);
    m += "</p>\n";
    if (http_status >= 100 && http_status <= 999) {
        m += "<p class=\"muted\">";
        m += tr(l, sid::err_status_label);
        m += ": ";
        m += std::to_string(http_status);
        m += "</p>\n";
    }
    m += "<p>";
    m += button_link(home_href(l), tr(l, sid::home_link));
    m += "</p>\n";
    return page(l, tr(l, title), m);
}

std::string_view site_css() noexcept { return detail::pages_css; }

std::string_view place_js() noexcept {
    return {reinterpret_cast<const char*>(detail::builtin_place_js_bytes), detail::builtin_place_js_size};
}

}  // namespace hotline::server
