#include "server/pages.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <functional>
#include <initializer_list>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "server/detail/strings_pages.hpp"

using namespace hotline;
using namespace hotline::server;

namespace {

// Joins pieces (instead of `"literal" + str`, which trips a false
// -Wrestrict in g++ 12 at -O2).
std::string cat(std::initializer_list<std::string_view> parts) {
    std::string out;
    for (auto p : parts) out.append(p);
    return out;
}

bool contains(std::string_view hay, std::string_view needle) {
    return hay.find(needle) != std::string_view::npos;
}

std::size_t count(std::string_view hay, std::string_view needle) {
    std::size_t n = 0;
    for (auto p = hay.find(needle); p != std::string_view::npos; p = hay.find(needle, p + 1)) ++n;
    return n;
}

// The start tag of the element with id="<id>".
std::string tag_with_id(std::string_view html, std::string_view id) {
    const std::string attr = cat({"id=\"", id, "\""});
    const auto at = html.find(attr);
    if (at == std::string_view::npos) return {};
    const auto start = html.rfind('<', at);
    const auto end = html.find('>', at);
    return std::string(html.substr(start, end - start + 1));
}

// The text between the start tag of the element with id="<id>" and the next '<'.
std::string text_of_id(std::string_view html, std::string_view id) {
    const std::string attr = cat({"id=\"", id, "\""});
    const auto at = html.find(attr);
    if (at == std::string_view::npos) return {};
    const auto gt = html.find('>', at);
    const auto lt = html.find('<', gt);
    return std::string(html.substr(gt + 1, lt - gt - 1));
}

// The value of attribute `name` in a start tag, "" when absent.
std::string attr_of(std::string_view tag, std::string_view name) {
    const std::string key = cat({" ", name, "=\""});
    const auto at = tag.find(key);
    if (at == std::string_view::npos) return {};
    const auto from = at + key.size();
    return std::string(tag.substr(from, tag.find('"', from) - from));
}

std::vector<std::string> split_ws(std::string_view s) {
    std::vector<std::string> out;
    std::string cur;
    for (char c : s) {
        if (c == ' ') {
            if (!cur.empty()) out.push_back(cur);
            cur.clear();
        } else {
            cur += c;
        }
    }
    if (!cur.empty()) out.push_back(cur);
    return out;
}

report_form sample_form() {
    report_form f;
    f.csrf_token = "tok123";
    f.values["text"] = "Đứa bé nhà bên bị đánh hằng ngày";
    return f;
}

receipt_page sample_receipt() {
    return {"7KQ2-M9XD", "4821 0937", "29/11/2026 09:05 (UTC+7)", "/status"};
}

status_page sample_status(std::string state) {
    status_page s;
    s.tracking_code = "7KQ2-M9XD";
    s.state = std::move(state);
    s.received_at = "29/11/2026 09:05 (UTC+7)";
    s.forwarded = true;
    s.acknowledged = false;
    return s;
}

// Every page in both languages, with a label for failure messages.
std::vector<std::pair<std::string, std::string>> all_pages() {
    std::vector<std::pair<std::string, std::string>> pages;
    for (lang l : {lang::vi, lang::en}) {
        const std::string suffix = cat({"/", to_string(l)});
        report_form bad = sample_form();
        bad.errors.push_back({"csrf_failed", "", ""});
        bad.errors.push_back({"invalid_value", "", "child_age"});
        status_form sf;
        sf.csrf_token = "t";
        sf.errors.push_back({"not_found", "", ""});
        pages.emplace_back(cat({"form", suffix}), render_report_form(l, sample_form()));
        pages.emplace_back(cat({"form-errors", suffix}), render_report_form(l, bad));
        pages.emplace_back(cat({"receipt", suffix}), render_receipt(l, sample_receipt()));
        pages.emplace_back(cat({"status-form", suffix}), render_status_form(l, sf));
        pages.emplace_back(cat({"status", suffix}), render_status(l, sample_status("routed")));
        pages.emplace_back(cat({"error", suffix}), render_error_page(l, 404, "Không có"));
        pages.emplace_back(cat({"error-empty", suffix}), render_error_page(l, 500, ""));
    }
    return pages;
}

}  // namespace

TEST_CASE("pick_language: query parameter wins, then Accept-Language by q-value, else vi") {
    struct row {
        std::string_view query;
        std::string_view accept;
        lang expected;
    };
    const row rows[] = {
        {"", "", lang::vi},
        {"en", "", lang::en},
        {"vi", "en", lang::vi},
        {"EN", "vi", lang::en},
        {"fr", "en", lang::en},          // unknown ?lang= falls through to the header
        {"", "en-US,en;q=0.9,vi;q=0.8", lang::en},
        {"", "fr, vi;q=0.5", lang::vi},
        {"", "vi-VN", lang::vi},
        {"", "vi-VN,vi;q=0.9,en-US;q=0.8,en;q=0.7", lang::vi},
        {"", "en;q=0.3, vi;q=0.6", lang::vi},
        {"", "vi;q=0.3, en;q=0.6", lang::en},
        {"", "en, vi", lang::en},        // equal q: the first listed
        {"", "vi, en", lang::vi},
        {"", "en;q=0", lang::vi},        // q=0: not acceptable
        {"", "en;q=0, *;q=0.5", lang::vi},
        {"", "fr, *;q=0.5", lang::vi},
        {"", "fr, de", lang::vi},
        {"", "EN-gb", lang::en},
        {"", "en-GB ; Q=0.700", lang::en},
        {"", "en;q=2", lang::vi},        // malformed q: the range is ignored
        {"", "en;q=abc, vi;q=0.1", lang::vi},
        {"", "vi;q=0.0001, en;q=0.5", lang::en},  // more than 3 decimals: vi ignored
        {"", "garbage;;;,,,==", lang::vi},
        {"", "\xff\xfe", lang::vi},
        {"", "english", lang::vi},
        {"", "en_US", lang::vi},
        {"", ",,,en", lang::en},
        {"", "fr;q=1, en;q=0.1", lang::en},
    };
    for (const auto& r : rows) {
        CAPTURE(r.query);
        CAPTURE(r.accept);
        CHECK(pick_language(r.query, r.accept) == r.expected);
    }
    CHECK(to_string(lang::vi) == "vi");
    CHECK(to_string(lang::en) == "en");
}

TEST_CASE("html_escape escapes the five characters and nothing else") {
    CHECK(html_escape("") == "");
    CHECK(html_escape("a&b") == "a&amp;b");
    CHECK(html_escape("<script>alert('x')</script>") ==
          "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;");
    CHECK(html_escape("say \"hi\"") == "say &quot;hi&quot;");
    CHECK(html_escape("Trẻ em & gia đình") == "Trẻ em &amp; gia đình");
    CHECK(html_escape("&amp;") == "&amp;amp;");
}

TEST_CASE("report form: fields, action, hidden csrf and lang") {
    const auto html = render_report_form(lang::vi, sample_form());
    CHECK(contains(html, "<form class=\"report-form\" method=\"post\" action=\"/report\""));
    CHECK(contains(html, "enctype=\"application/x-www-form-urlencoded\""));
    CHECK(contains(html, "<input type=\"hidden\" name=\"csrf\" value=\"tok123\">"));
    CHECK(contains(html, "<input type=\"hidden\" name=\"lang\" value=\"vi\">"));
    for (std::string_view name :
         {"text", "location_text", "child_age", "child_age_estimated", "child_sex", "child_name",
          "child_condition", "perpetrator_relation", "reporter_name", "reporter_phone",
          "reporter_address", "contact_ok", "keep_identity_secret"}) {
        CAPTURE(name);
        CHECK(count(html, cat({"name=\"", name, "\""})) == 1);
    }
    const auto text = tag_with_id(html, "f-text");
    CHECK(text.rfind("<textarea", 0) == 0);
    CHECK(contains(text, " required"));
    CHECK(attr_of(text, "maxlength") == "5000");
    // the textarea comes before every other field
    CHECK(html.find("name=\"text\"") < html.find("name=\"location_text\""));
    CHECK(html.find("name=\"text\"") < html.find("name=\"child_name\""));

    const auto age = tag_with_id(html, "f-child_age");
    CHECK(attr_of(age, "type") == "number");
    CHECK(attr_of(age, "min") == "0");
    CHECK(attr_of(age, "max") == "17");
    CHECK(attr_of(tag_with_id(html, "f-reporter_phone"), "type") == "tel");
    CHECK(attr_of(tag_with_id(html, "f-contact_ok"), "type") == "checkbox");
    CHECK(attr_of(tag_with_id(html, "f-contact_ok"), "value") == "1");
    CHECK(contains(html, "<option value=\"unknown\" selected>"));
    CHECK(contains(html, "<option value=\"female\">"));
    CHECK(contains(html, "<option value=\"male\">"));
    // optional groups fold away while empty
    CHECK(count(html, "<details class=\"group\">") == 2);
    CHECK(contains(html, "<fieldset>"));
    // anonymous reports are accepted, contact details optional
    CHECK(contains(html, "không cần cho biết tên"));
    CHECK(contains(html, "xã/phường, huyện cũ, tỉnh"));
    const auto en = render_report_form(lang::en, sample_form());
    CHECK(contains(en, "anonymous reports are accepted"));
    CHECK(contains(en, "<input type=\"hidden\" name=\"lang\" value=\"en\">"));
}

TEST_CASE("report form keeps what was typed, escaped") {
    report_form f;
    f.csrf_token = "a\"b<c";
    f.values["text"] = "<script>alert(1)</script> \"quoted\" & 'single'";
    f.values["reporter_name"] = "\"><script>x</script>";
    f.values["child_condition"] = "</textarea><script>y</script>";
    f.values["child_age"] = "7";
    f.values["child_sex"] = "female";
    f.values["location_text"] = "Xã Tân Lập, huyện Đan Phượng cũ, Hà Nội";
    for (lang l : {lang::vi, lang::en}) {
        const auto html = render_report_form(l, f);
        // the only script is the site's own place.js
        CHECK(count(html, "<script") == 1);
        CHECK(count(html, "<script src=\"/static/place.js\" defer></script>") == 1);
        CHECK_FALSE(contains(html, "</textarea><script"));
        CHECK(contains(html, "&lt;script&gt;alert(1)&lt;/script&gt; &quot;quoted&quot; &amp; &#39;single&#39;"));
        CHECK(attr_of(tag_with_id(html, "f-reporter_name"), "value") ==
              "&quot;&gt;&lt;script&gt;x&lt;/script&gt;");
        CHECK(contains(html, "&lt;/textarea&gt;&lt;script&gt;y&lt;/script&gt;"));
        CHECK(attr_of(tag_with_id(html, "f-child_age"), "value") == "7");
        CHECK(contains(html, "<option value=\"female\" selected>"));
        CHECK(contains(html, "<option value=\"unknown\">"));
        CHECK(contains(html, "Xã Tân Lập, huyện Đan Phượng cũ, Hà Nội"));
        CHECK(contains(html, "name=\"csrf\" value=\"a&quot;b&lt;c\""));
        // the groups with something typed in them are open
        CHECK(count(html, "<details class=\"group\" open>") == 2);
    }
    report_form child_only;
    child_only.values["child_name"] = "Bé Na";
    const auto html = render_report_form(lang::vi, child_only);
    CHECK(count(html, "<details class=\"group\" open>") == 1);
    CHECK(html.find("<details class=\"group\" open>") < html.find("name=\"child_name\""));
    CHECK(html.find("<details class=\"group\">") > html.find("name=\"child_name\""));
}

TEST_CASE("report form: the place field is free text with a hidden code the script fills") {
    report_form f = sample_form();
    for (lang l : {lang::vi, lang::en}) {
        CAPTURE(to_string(l));
        const auto html = render_report_form(l, f);
        const auto place = tag_with_id(html, "f-location_text");
        CHECK(place.rfind("<input", 0) == 0);
        CHECK(attr_of(place, "type") == "text");
        CHECK(attr_of(place, "name") == "location_text");
        CHECK(attr_of(place, "maxlength") == "1000");
        CHECK(attr_of(place, "aria-describedby") == "hint-location_text");
        CHECK(attr_of(place, "data-units-url") == "/api/v1/units");
        CHECK(attr_of(place, "data-msg-count") == detail::text(l, detail::sid::place_suggestions_count));
        CHECK(contains(attr_of(place, "data-msg-count"), "{n}"));
        CHECK(attr_of(place, "data-msg-none") == detail::text(l, detail::sid::place_no_suggestions));
        // Without the script it is a plain text field: the combobox roles are the script's.
        CHECK_FALSE(contains(place, "role="));
        CHECK_FALSE(contains(place, "aria-invalid"));
        const auto code = tag_with_id(html, "f-location_code");
        CHECK(code == "<input type=\"hidden\" id=\"f-location_code\" name=\"location_code\" value=\"\">");
        // the code travels inside the place field's block, right after the text
        CHECK(html.find("id=\"f-location_text\"") < html.find("id=\"f-location_code\""));
        CHECK(html.find("<div class=\"field place-field\">") < html.find("id=\"f-location_text\""));
    }

    f.values["location_text"] = "thôn Nà Pàn, Phường Lương Văn Tri, Lạng Sơn";
    f.values["location_code"] = "05983";
    const auto kept = render_report_form(lang::vi, f);
    CHECK(attr_of(tag_with_id(kept, "f-location_text"), "value") == "thôn Nà Pàn, Phường Lương Văn Tri, Lạng Sơn");
    CHECK(attr_of(tag_with_id(kept, "f-location_code"), "value") == "05983");

    f.values["location_code"] = "\"><script>x</script>";
    const auto escaped = render_report_form(lang::vi, f);
    CHECK(count(escaped, "<script") == 1);
    CHECK(attr_of(tag_with_id(escaped, "f-location_code"), "value") == "&quot;&gt;&lt;script&gt;x&lt;/script&gt;");
}

TEST_CASE("report form: an unknown place code is shown next to the place field, the code dropped") {
    report_form f = sample_form();
    f.values["location_text"] = "Phường Lương Văn Tri, Lạng Sơn";
    f.values["location_code"] = "99999";
    f.errors.push_back({"unknown_unit", "location_code \"99999\" is not ...", "location_code"});
    for (lang l : {lang::vi, lang::en}) {
        CAPTURE(to_string(l));
        const auto html = render_report_form(l, f);
        const std::string msg = html_escape(error_message(l, f.errors.front()));
        CHECK(msg == html_escape(detail::text(l, detail::sid::msg_unknown_unit)));
        // next to the field, inside its block, and the field points to it
        const auto block = html.find("<div class=\"field place-field has-error\">");
        REQUIRE(block != std::string::npos);
        const auto err = html.find("id=\"err-location_code\"");
        REQUIRE(err != std::string::npos);
        CHECK(block < err);
        CHECK(err < html.find("id=\"f-location_text\""));
        CHECK(html.find(msg, err) < html.find("id=\"f-location_text\""));
        const auto place = tag_with_id(html, "f-location_text");
        CHECK(attr_of(place, "aria-describedby") == "hint-location_text err-location_code");
        CHECK(attr_of(place, "aria-invalid") == "true");
        // the words are kept; the code is not sent again
        CHECK(attr_of(place, "value") == "Phường Lương Văn Tri, Lạng Sơn");
        CHECK(attr_of(tag_with_id(html, "f-location_code"), "value") == "");
        CHECK_FALSE(contains(html, "99999"));
        // the summary on top links to the visible field
        const auto alert = html.find("role=\"alert\"");
        REQUIRE(alert != std::string::npos);
        CHECK(html.find("href=\"#f-location_text\"", alert) < html.find("<form"));
        CHECK_FALSE(contains(html, "href=\"#f-location_code\""));
    }
    CHECK(error_message(lang::vi, f.errors.front()) != error_message(lang::en, f.errors.front()));
}

TEST_CASE("report form: invalid UTF-8 and control characters are not echoed raw") {
    report_form f;
    f.values["text"] = std::string("ab\xff\xfe" "c\x01" "d\nđ");
    const auto html = render_report_form(lang::vi, f);
    CHECK(contains(html, "ab\xEF\xBF\xBD\xEF\xBF\xBD" "cd\nđ</textarea>"));
    CHECK_FALSE(contains(html, "\xff"));
    CHECK_FALSE(contains(html, "\x01"));
}

TEST_CASE("report form: checkboxes kept checked for 1/on/true") {
    for (std::string_view v : {"1", "on", "true", "ON", "True"}) {
        report_form f;
        f.values["contact_ok"] = std::string(v);
        f.values["keep_identity_secret"] = std::string(v);
        f.values["child_age_estimated"] = std::string(v);
        const auto html = render_report_form(lang::vi, f);
        CAPTURE(v);
        CHECK(contains(tag_with_id(html, "f-contact_ok"), " checked"));
        CHECK(contains(tag_with_id(html, "f-keep_identity_secret"), " checked"));
        CHECK(contains(tag_with_id(html, "f-child_age_estimated"), " checked"));
    }
    for (std::string_view v : {"", "0", "false", "off", "yes please"}) {
        report_form f;
        f.values["contact_ok"] = std::string(v);
        const auto html = render_report_form(lang::vi, f);
        CAPTURE(v);
        CHECK_FALSE(contains(tag_with_id(html, "f-contact_ok"), " checked"));
    }
    const auto empty = render_report_form(lang::en, report_form{});
    CHECK_FALSE(contains(tag_with_id(empty, "f-keep_identity_secret"), " checked"));
}

TEST_CASE("report form: a field's error sits next to it, linked by aria-describedby") {
    report_form f = sample_form();
    f.values["child_age"] = "25";
    f.values["reporter_phone"] = "12345";
    f.errors.push_back({"invalid_value", "age must be 0..17", "child_age"});
    f.errors.push_back({"invalid_phone", "bad phone", "reporter_phone"});
    for (lang l : {lang::vi, lang::en}) {
        const auto html = render_report_form(l, f);
        CAPTURE(to_string(l));
        for (std::string_view field : {"child_age", "reporter_phone"}) {
            CAPTURE(field);
            const auto input = tag_with_id(html, cat({"f-", field}));
            REQUIRE_FALSE(input.empty());
            CHECK(attr_of(input, "aria-invalid") == "true");
            const auto ids = split_ws(attr_of(input, "aria-describedby"));
            const std::string err_id = cat({"err-", field});
            CHECK(std::find(ids.begin(), ids.end(), err_id) != ids.end());
            for (const auto& id : ids) CHECK(contains(html, cat({"id=\"", id, "\""})));
            const auto err_pos = html.find(cat({"id=\"", err_id, "\""}));
            const auto input_pos = html.find(cat({"id=\"f-", field, "\""}));
            REQUIRE(err_pos != std::string::npos);
            // next to the field: inside the same field block, just before the control
            CHECK(err_pos < input_pos);
            CHECK(html.rfind("<div class=\"field", err_pos) ==
                  html.rfind("<div class=\"field", input_pos));
        }
        const auto age_msg = html_escape(error_message(l, {"invalid_value", "", "child_age"}));
        const auto age_err = html.find("id=\"err-child_age\"");
        CHECK(html.find(age_msg, age_err) < html.find("id=\"f-child_age\""));
        // fields without errors are not marked
        CHECK(attr_of(tag_with_id(html, "f-text"), "aria-invalid").empty());
        CHECK_FALSE(contains(html, "id=\"err-text\""));
        // the groups holding errors are open
        CHECK(count(html, "<details class=\"group\" open>") == 2);
        // an alert on top lists them with links
        const auto alert = html.find("role=\"alert\"");
        REQUIRE(alert != std::string::npos);
        CHECK(alert < html.find("<form"));
        CHECK(html.find("href=\"#f-child_age\"", alert) < html.find("<form"));
        // the English message of intake is not shown; ours is
        CHECK_FALSE(contains(html, "age must be 0..17"));
    }
}

TEST_CASE("report form: form-level errors on top in a role=alert box") {
    report_form f = sample_form();
    f.errors.push_back({"csrf_failed", "csrf", ""});
    f.errors.push_back({"invalid_value", "", "reporter_ip"});  // not on the form: on top
    for (lang l : {lang::vi, lang::en}) {
        const auto html = render_report_form(l, f);
        const auto alert = html.find("role=\"alert\"");
        REQUIRE(alert != std::string::npos);
        const auto form = html.find("<form");
        const auto msg = html.find(html_escape(error_message(l, {"csrf_failed", "", ""})));
        CHECK(msg > alert);
        CHECK(msg < form);
        const auto other = html.find(html_escape(error_message(l, {"invalid_value", "", "reporter_ip"})));
        CHECK(other > alert);
        CHECK(other < form);
        CHECK_FALSE(contains(html, "aria-invalid"));
        // what was typed is still there
        CHECK(contains(html, "Đứa bé nhà bên bị đánh hằng ngày</textarea>"));
    }
    CHECK_FALSE(contains(render_report_form(lang::vi, sample_form()), "role=\"alert\""));
}

TEST_CASE("no inline script or style, only the site's own stylesheet and script, on every page") {
    for (const auto& [name, html] : all_pages()) {
        CAPTURE(name);
        // The report form loads the place field's script from the site; no
        // other page has any.
        const bool form = name.starts_with("form");
        CHECK(count(html, "<script") == (form ? 1 : 0));
        CHECK(count(html, "<script src=\"/static/place.js\" defer></script>") == (form ? 1 : 0));
        CHECK_FALSE(contains(html, "style="));
        CHECK_FALSE(contains(html, "<style"));
        CHECK_FALSE(contains(html, "javascript:"));
        CHECK_FALSE(contains(html, " on"  "click"));
        CHECK(count(html, "<link ") == 1);
        CHECK(contains(html, "<link rel=\"stylesheet\" href=\"/static/site.css\">"));
        CHECK(contains(html, "<meta charset=\"utf-8\">"));
        CHECK(contains(html, "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"));
        CHECK(contains(html, "<meta name=\"referrer\" content=\"no-referrer\">"));
        CHECK(contains(html, "<meta name=\"robots\" content=\"noindex\">"));
        CHECK(html.rfind("<!doctype html>", 0) == 0);
        CHECK(count(html, "<h1>") == 1);
    }
}

TEST_CASE("every page: quick exit is the first link, emergency numbers, language switch") {
    for (const auto& [name, html] : all_pages()) {
        CAPTURE(name);
        const bool en = name.ends_with("/en");
        CHECK(contains(html, en ? "<html lang=\"en\">" : "<html lang=\"vi\">"));
        const auto body = html.find("<body>");
        REQUIRE(body != std::string::npos);
        // nothing focusable before it
        const auto first_a = html.find("<a ", body);
        for (std::string_view focusable : {"<input", "<button", "<select", "<textarea", "<summary"})
            CHECK(html.find(focusable, body) > first_a);
        const auto end = html.find('>', first_a);
        const std::string tag = html.substr(first_a, end - first_a + 1);
        CHECK(attr_of(tag, "href") == "https://www.google.com.vn/");
        CHECK(attr_of(tag, "rel") == "noreferrer");
        CHECK(attr_of(tag, "class") == "quick-exit");
        CHECK(html.substr(end + 1, html.find('<', end) - end - 1) ==
              (en ? "Quick exit" : "Thoát nhanh"));
        for (std::string_view n : {"111", "113", "115"})
            CHECK(contains(html, cat({"href=\"tel:", n, "\">", n, "</a>"})));
        CHECK(contains(html, en ? "free, 24/7" : "miễn phí, 24/7"));
        CHECK(contains(html, en ? "hreflang=\"vi\"" : "hreflang=\"en\""));
    }
    // the language switch points at the same page in the other language
    CHECK(contains(render_report_form(lang::vi, sample_form()), "href=\"?lang=en\""));
    CHECK(contains(render_report_form(lang::en, sample_form()), "href=\"?lang=vi\""));
    CHECK(contains(render_status_form(lang::en, {}), "href=\"?lang=vi\""));
}

TEST_CASE("receipt: code and secret with ids, time, status link, danger note") {
    for (lang l : {lang::vi, lang::en}) {
        const auto html = render_receipt(l, sample_receipt());
        CAPTURE(to_string(l));
        CHECK(text_of_id(html, "tracking-code") == "7KQ2-M9XD");
        CHECK(text_of_id(html, "access-secret") == "4821 0937");
        CHECK(count(html, "id=\"tracking-code\"") == 1);
        CHECK(count(html, "id=\"access-secret\"") == 1);
        CHECK(contains(html, "29/11/2026 09:05 (UTC+7)"));
        CHECK(contains(html, cat({"href=\"/status?lang=", to_string(l), "\""})));
        CHECK(contains(html, "href=\"tel:113\""));
        CHECK(contains(html, l == lang::vi ? "chỉ hiện một lần" : "shown only this once"));
        CHECK(contains(html, l == lang::vi ? "nguy hiểm ngay lúc này" : "in danger right now"));
        // the language switch stays on this page: the secret is not shown again
        const std::string other = l == lang::vi ? "en" : "vi";
        CHECK(contains(html, cat({"href=\"#in-", other, "\""})));
        CHECK(contains(html, cat({"id=\"in-", other, "\" lang=\"", other, "\""})));
        CHECK_FALSE(contains(html, "href=\"?lang="));
    }
    receipt_page r = sample_receipt();
    r.tracking_code = "<b>";
    r.status_path = "/status?x=\"1\"";
    const auto html = render_receipt(lang::vi, r);
    CHECK(text_of_id(html, "tracking-code") == "&lt;b&gt;");
    CHECK(contains(html, "href=\"/status?x=&quot;1&quot;&amp;lang=vi\""));
}

TEST_CASE("status form: fields, input modes, errors") {
    status_form f;
    f.csrf_token = "tok";
    f.tracking_code = "7kq2-m9xd\"<";
    const auto html = render_status_form(lang::vi, f);
    CHECK(contains(html, "method=\"post\" action=\"/status\""));
    CHECK(contains(html, "<input type=\"hidden\" name=\"csrf\" value=\"tok\">"));
    CHECK(contains(html, "<input type=\"hidden\" name=\"lang\" value=\"vi\">"));
    const auto code = tag_with_id(html, "f-tracking_code");
    CHECK(attr_of(code, "name") == "tracking_code");
    CHECK(attr_of(code, "inputmode") == "text");
    CHECK(attr_of(code, "autocapitalize") == "characters");
    CHECK(attr_of(code, "value") == "7kq2-m9xd&quot;&lt;");
    const auto secret = tag_with_id(html, "f-access_secret");
    CHECK(attr_of(secret, "name") == "access_secret");
    CHECK(attr_of(secret, "inputmode") == "numeric");
    CHECK(attr_of(secret, "autocomplete") == "off");
    CHECK(attr_of(secret, "value") == "");
    CHECK_FALSE(contains(html, "role=\"alert\""));

    status_form bad = f;
    bad.errors.push_back({"invalid_code", "", "tracking_code"});
    const auto b = render_status_form(lang::en, bad);
    const auto code_tag = tag_with_id(b, "f-tracking_code");
    CHECK(attr_of(code_tag, "aria-invalid") == "true");
    CHECK(contains(attr_of(code_tag, "aria-describedby"), "err-tracking_code"));
    CHECK(contains(b, "id=\"err-tracking_code\""));
    CHECK(contains(b, html_escape(error_message(lang::en, {"invalid_code", "", "tracking_code"}))));

    // an expired status form asks for the secret again (it is never kept)
    status_form expired = f;
    expired.errors.push_back({"csrf_failed", "", ""});
    for (lang l : {lang::vi, lang::en}) {
        const auto e = render_status_form(l, expired);
        CHECK(contains(e, "role=\"alert\""));
        CHECK(contains(e, l == lang::vi ? "nhập lại mã bí mật" : "enter the secret code again"));
        CHECK_FALSE(contains(e, html_escape(error_message(l, {"csrf_failed", "", ""}))));
    }

    // not_found never says which of the two was wrong, even if a field is named
    for (std::string_view field : {"", "access_secret", "tracking_code"}) {
        status_form nf = f;
        nf.errors.push_back({"not_found", "", std::string(field)});
        const auto n = render_status_form(lang::vi, nf);
        CAPTURE(field);
        CHECK_FALSE(contains(n, "aria-invalid"));
        CHECK_FALSE(contains(n, "id=\"err-"));
        const auto alert = n.find("role=\"alert\"");
        REQUIRE(alert != std::string::npos);
        CHECK(n.find(html_escape(error_message(lang::vi, {"not_found", "", ""})), alert) <
              n.find("<form"));
    }
}

TEST_CASE("status page: the state in plain words, with data-state") {
    std::set<std::string> texts_vi, texts_en;
    for (std::string_view st :
         {"received", "routed", "acknowledged", "in_progress", "closed", "unrouted"}) {
        CAPTURE(st);
        const auto vi = render_status(lang::vi, sample_status(std::string(st)));
        const auto en = render_status(lang::en, sample_status(std::string(st)));
        const auto tag = tag_with_id(vi, "report-state");
        CHECK(attr_of(tag, "data-state") == st);
        CHECK(attr_of(tag_with_id(en, "report-state"), "data-state") == st);
        const auto tv = text_of_id(vi, "report-state");
        const auto te = text_of_id(en, "report-state");
        CHECK_FALSE(tv.empty());
        CHECK_FALSE(te.empty());
        CHECK(tv != te);
        texts_vi.insert(tv);
        texts_en.insert(te);
        CHECK(contains(vi, "7KQ2-M9XD"));
        CHECK(contains(vi, "29/11/2026 09:05 (UTC+7)"));
    }
    CHECK(texts_vi.size() == 6);
    CHECK(texts_en.size() == 6);
    CHECK(contains(text_of_id(render_status(lang::en, sample_status("unrouted")), "report-state"),
                   "hotline coordinators"));

    auto s = sample_status("routed");
    s.forwarded = true;
    s.acknowledged = false;
    auto html = render_status(lang::en, s);
    CHECK(text_of_id(html, "report-forwarded") == "Yes");
    CHECK(text_of_id(html, "report-acknowledged") == "Not yet");
    html = render_status(lang::vi, s);
    CHECK(text_of_id(html, "report-forwarded") == "Có");
    CHECK(text_of_id(html, "report-acknowledged") == "Chưa");

    const auto odd = render_status(lang::vi, sample_status("\"><x"));
    CHECK(attr_of(tag_with_id(odd, "report-state"), "data-state") == "&quot;&gt;&lt;x");
    CHECK_FALSE(text_of_id(odd, "report-state").empty());
}

TEST_CASE("error page: title, escaped message, link home") {
    const auto html = render_error_page(lang::vi, 404, "Không tìm thấy <trang>");
    CHECK(contains(html, "<h1>Không tìm thấy trang</h1>"));
    CHECK(contains(html, "Không tìm thấy &lt;trang&gt;"));
    CHECK(contains(html, "href=\"/?lang=vi\""));
    const auto en = render_error_page(lang::en, 429, "");
    CHECK(contains(en, "<h1>Too many requests</h1>"));
    CHECK(contains(en, "href=\"/?lang=en\""));
    CHECK(contains(en, "call 111"));
    CHECK(contains(render_error_page(lang::en, 502, "x"), "Something went wrong on our side"));
    CHECK(contains(render_error_page(lang::en, 999, "x"), "<h1>Something went wrong</h1>"));
}

TEST_CASE("English and Vietnamese differ") {
    CHECK(render_report_form(lang::vi, sample_form()) != render_report_form(lang::en, sample_form()));
    CHECK(contains(render_report_form(lang::vi, sample_form()), "Báo tin trẻ em bị xâm hại"));
    CHECK(contains(render_report_form(lang::en, sample_form()), "Report a child at risk"));
    CHECK(contains(render_report_form(lang::vi, sample_form()), "Gửi tin báo"));
    CHECK(contains(render_report_form(lang::en, sample_form()), "Send report"));
    for (const auto& t : server::detail::strings) {
        CAPTURE(t.vi);
        CHECK(t.vi != t.en);
    }
}

TEST_CASE("error_message: every known code in both languages, distinct from the generic one") {
    const std::vector<error> known{
        {"required", "", "text"},
        {"required", "", "tracking_code"},
        {"required", "", "access_secret"},
        {"required", "", "reporter_name"},
        {"invalid_utf8", "", "text"},
        {"too_long", "", "text"},
        {"too_long", "", "reporter_address"},
        {"invalid_value", "", "child_age"},
        {"invalid_value", "", "child_sex"},
        {"invalid_value", "", "location_code"},
        {"unknown_unit", "", "location_code"},
        {"invalid_value", "", "access_secret"},
        {"invalid_value", "", "something_else"},
        {"invalid_phone", "", "reporter_phone"},
        {"csrf_failed", "", ""},
        {"rate_limited", "", ""},
        {"not_found", "", ""},
        {"invalid_code", "", "tracking_code"},
    };
    for (lang l : {lang::vi, lang::en}) {
        const auto generic = error_message(l, {"no_such_code", "x", ""});
        CHECK_FALSE(generic.empty());
        CHECK(error_message(l, {"", "", ""}) == generic);
        for (const auto& e : known) {
            CAPTURE(e.code);
            CAPTURE(e.field);
            const auto msg = error_message(l, e);
            CHECK_FALSE(msg.empty());
            CHECK(msg != generic);
            CHECK(msg != e.message);
        }
        CHECK(contains(error_message(l, {"too_long", "", "text"}), l == lang::vi ? "5.000" : "5,000"));
        CHECK(contains(error_message(l, {"invalid_value", "", "child_age"}), "17"));
        CHECK(error_message(l, {"too_long", "", "text"}) !=
              error_message(l, {"too_long", "", "child_name"}));
        // not_found reads the same whichever field it names
        CHECK(error_message(l, {"not_found", "", "access_secret"}) ==
              error_message(l, {"not_found", "", "tracking_code"}));
    }
    for (const auto& e : known) {
        CAPTURE(e.code);
        CHECK(error_message(lang::vi, e) != error_message(lang::en, e));
    }
}

TEST_CASE("site_css: mobile first, big tap targets, no external resources") {
    const auto css = site_css();
    CHECK_FALSE(css.empty());
    CHECK(contains(css, ".quick-exit"));
    CHECK(contains(css, "position: sticky"));
    CHECK(contains(css, "min-height: 44px"));
    CHECK(contains(css, ":focus"));
    CHECK(contains(css, "system-ui"));
    CHECK_FALSE(contains(css, "url("));
    CHECK_FALSE(contains(css, "@import"));
    CHECK(count(css, "{") == count(css, "}"));
}
