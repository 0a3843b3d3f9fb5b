#include "server/config.hpp"

#include "tests/support/temp_dir.hpp"

#include <doctest/doctest.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <functional>
#include <random>
#include <span>
#include <string>
#include <string_view>
#include <system_error>

#include <unistd.h>

using namespace hotline;
using namespace hotline::server;
using namespace std::chrono_literals;

namespace {

using hotline::test::temp_dir;

bool contains(std::string_view hay, std::string_view needle) { return hay.find(needle) != std::string_view::npos; }

// load_config on a file holding `toml`.
result<config> load_text(std::string_view toml) {
    temp_dir dir;
    return load_config(dir.write("hotline.toml", toml));
}

// A configuration load_config must refuse, and the key its error names.
struct refused {
    std::string toml;
    std::string key;
};

// Each case fails with code config_error, the key as the field and (unless
// `key_in_message` is false) in the message, and `word`, when given, in the
// message too.
void check_refused(std::span<const refused> cases, std::string_view word = {}, bool key_in_message = true) {
    for (const auto& t : cases) {
        CAPTURE(t.toml);
        const auto c = load_text(t.toml);
        REQUIRE_FALSE(c.has_value());
        CHECK(c.err().code == "config_error");
        CHECK(c.err().field == t.key);
        if (key_in_message) CHECK(contains(c.err().message, t.key));
        if (!word.empty()) CHECK(contains(c.err().message, word));
    }
}

void check_same(const config& a, const config& b) {
    CHECK(a.listen_address == b.listen_address);
    CHECK(a.listen_port == b.listen_port);
    CHECK(a.threads == b.threads);
    CHECK(a.public_base_url == b.public_base_url);
    CHECK(a.trust_forwarded_for == b.trust_forwarded_for);
    CHECK(a.header_limit == b.header_limit);
    CHECK(a.body_limit == b.body_limit);
    CHECK(a.pipeline_limit == b.pipeline_limit);
    CHECK(a.max_connections == b.max_connections);
    CHECK(a.read_timeout == b.read_timeout);
    CHECK(a.idle_timeout == b.idle_timeout);
    CHECK(a.write_timeout == b.write_timeout);
    CHECK(a.shutdown_timeout == b.shutdown_timeout);
    CHECK(a.reports_per_minute == b.reports_per_minute);
    CHECK(a.status_failures_per_hour == b.status_failures_per_hour);
    CHECK(a.db_path == b.db_path);
    CHECK(a.read_connections == b.read_connections);
    CHECK(a.max_batch == b.max_batch);
    CHECK(a.checkpoint_frames == b.checkpoint_frames);
    CHECK(a.key_file == b.key_file);
    CHECK(a.level == b.level);
}

}  // namespace

TEST_CASE("config: the example file documents exactly the defaults") {
    const std::string path = std::string(HOTLINE_SOURCE_DIR) + "/deploy/hotline.example.toml";
    REQUIRE(std::filesystem::exists(path));
    const auto c = load_config(path);
    REQUIRE_MESSAGE(c.has_value(), (c ? "" : c.err().message));
    check_same(*c, config{});
    CHECK(*c == config{});  // every field, including those check_same does not list
}

TEST_CASE("config: SMS gateways and the outbox") {
    const auto c = load_text(R"(
[sms]
silent = true
follow_up_window_min = 45
replies_per_hour = 5
[sms.twilio]
auth_tokens = ["old-token", "new-token"]
[sms.android]
signing_key = "k3y"
timestamp_tolerance_s = 120
send_url = "http://192.168.1.20:8080/messages"
username = "sms"
password = "pw"
[sms.generic]
secret = "s3cret"
[outbox]
backoff_base_ms = 50
backoff_max_s = 30
max_attempts = 3
)");
    REQUIRE_MESSAGE(c.has_value(), (c ? "" : c.err().message));
    CHECK(c->sms_silent);
    CHECK(c->sms_follow_up_window == std::chrono::minutes(45));
    CHECK(c->sms_replies_per_hour == 5);
    CHECK(c->twilio_auth_tokens == std::vector<std::string>{"old-token", "new-token"});
    CHECK(c->android_signing_key == "k3y");
    CHECK(c->android_timestamp_tolerance == 120s);
    CHECK(c->android_send_url == "http://192.168.1.20:8080/messages");
    CHECK(c->android_username == "sms");
    CHECK(c->android_password == "pw");
    CHECK(c->generic_secret == "s3cret");
    CHECK(c->outbox_backoff_base == std::chrono::milliseconds(50));
    CHECK(c->outbox_backoff_max == 30s);
    CHECK(c->outbox_max_attempts == 3);

    const auto bad_tokens = load_text("[sms.twilio]\nauth_tokens = [\"\", 3]\n");
    REQUIRE_FALSE(bad_tokens.has_value());
    CHECK(bad_tokens.err().field == "sms.twilio.auth_tokens");
    const auto bad_url = load_text("[sms.android]\nsend_url = \"ftp://x\"\n");
    REQUIRE_FALSE(bad_url.has_value());
    CHECK(bad_url.err().field == "sms.android.send_url");
    const auto unknown = load_text("[sms.android]\nsigning_kee = \"x\"\n");
    REQUIRE_FALSE(unknown.has_value());
    CHECK(unknown.err().field == "sms.android.signing_kee");
}

TEST_CASE("config: [routing] defaults are the routing policy's defaults") {
    const config c;
    CHECK(c.home_province.empty());
    CHECK(c.routing == routing::routing_policy::defaults());
    CHECK(c.routing.validate().has_value());
    REQUIRE(c.routing.rules.size() == 4);
    CHECK(c.routing.rules[0].name == "emergency");
    CHECK(c.routing.rules[3].hotline_queue);
    CHECK(c.routing.rules[3].stop);
}

TEST_CASE("config: [routing] home province, rules and fallback") {
    const auto c = load_text(R"(
[routing]
home_province = "20"
fallback = ["province_coordinator", "hotline_supervisor"]

[[routing.rules]]
name = "everything-to-police"
urgencies = ["emergency", "high"]
categories = ["physical_violence", "neglect"]
roles = ["commune_police", "province_police"]
stop = true

[[routing.rules]]
name = "queue"
hotline_queue = true
)");
    REQUIRE_MESSAGE(c.has_value(), (c ? "" : c.err().message));
    CHECK(c->home_province == "20");
    CHECK(c->routing.fallback == std::vector<routing::role>{routing::role::province_coordinator,
                                                            routing::role::hotline_supervisor});
    REQUIRE(c->routing.rules.size() == 2);
    const auto& r0 = c->routing.rules[0];
    CHECK(r0.name == "everything-to-police");
    CHECK(r0.urgencies == std::vector<intake::urgency>{intake::urgency::emergency, intake::urgency::high});
    CHECK(r0.categories == std::vector<std::string>{"physical_violence", "neglect"});
    CHECK(r0.roles == std::vector<routing::role>{routing::role::commune_police, routing::role::province_police});
    CHECK(r0.stop);
    CHECK_FALSE(r0.hotline_queue);
    const auto& r1 = c->routing.rules[1];
    CHECK(r1.name == "queue");
    CHECK(r1.urgencies.empty());
    CHECK(r1.roles.empty());
    CHECK(r1.hotline_queue);
    CHECK_FALSE(r1.stop);

    // Only the home province: the default rules stay.
    const auto home = load_text("[routing]\nhome_province = \"20\"\n");
    REQUIRE_MESSAGE(home.has_value(), (home ? "" : home.err().message));
    CHECK(home->routing == routing::routing_policy::defaults());
}

TEST_CASE("config: [routing] errors name the key") {
    const refused cases[] = {
        {"[routing]\nhome_province = 20\n", "routing.home_province"},
        {"[routing]\nhome_province = \"Lang Son\"\n", "routing.home_province"},
        {"[routing]\nfallback = \"commune_chair\"\n", "routing.fallback"},
        {"[routing]\nfallback = [\"commune_boss\"]\n", "routing.fallback"},
        {"[routing]\nfallback = [\"commune_chair\", \"commune_chair\"]\n", "routing.fallback"},
        {"[routing]\nrules = 3\n", "routing.rules"},
        {"[routing.rules]\nname = \"x\"\n", "routing.rules"},
        {"[routing]\nrules = [1]\n", "routing.rules[0]"},
        {"[[routing.rules]]\nroles = [\"commune_police\"]\n", "routing.rules[0].name"},
        {"[[routing.rules]]\nname = \"\"\nroles = [\"commune_police\"]\n", "routing.rules[0].name"},
        {"[[routing.rules]]\nname = \"a\"\nroles = [\"commune_police\"]\n[[routing.rules]]\nname = \"a\"\n"
         "roles = [\"commune_chair\"]\n",
         "routing.rules[1].name"},
        {"[[routing.rules]]\nname = \"a\"\n", "routing.rules[0].roles"},
        {"[[routing.rules]]\nname = \"a\"\nroles = [\"mayor\"]\n", "routing.rules[0].roles"},
        {"[[routing.rules]]\nname = \"a\"\nroles = \"commune_police\"\n", "routing.rules[0].roles"},
        {"[[routing.rules]]\nname = \"a\"\nroles = [\"commune_police\"]\nurgencies = [\"urgent\"]\n",
         "routing.rules[0].urgencies"},
        {"[[routing.rules]]\nname = \"a\"\nroles = [\"commune_police\"]\ncategories = [\"theft\"]\n",
         "routing.rules[0].categories"},
        {"[[routing.rules]]\nname = \"a\"\nroles = [\"commune_police\"]\nstop = \"yes\"\n", "routing.rules[0].stop"},
        {"[[routing.rules]]\nname = \"a\"\nhotline_queue = 1\n", "routing.rules[0].hotline_queue"},
        {"[[routing.rules]]\nname = \"a\"\nroles = [\"commune_police\"]\nrole = [\"x\"]\n", "routing.rules[0].role"},
        {"[routing]\nhome = \"20\"\n", "routing.home"},
    };
    check_refused(cases);
}

TEST_CASE("config: the defaults are the documented ones") {
    const config c;
    CHECK(c.listen_address == "127.0.0.1");
    CHECK(c.listen_port == 8080);
    CHECK(c.threads == 2);
    CHECK(c.public_base_url == "http://127.0.0.1:8080");
    CHECK_FALSE(c.trust_forwarded_for);
    CHECK(c.header_limit == 8192);
    CHECK(c.body_limit == 65536);
    CHECK(c.pipeline_limit == 8);
    CHECK(c.max_connections == 4096);
    CHECK(c.read_timeout == 15s);
    CHECK(c.idle_timeout == 60s);
    CHECK(c.write_timeout == 15s);
    CHECK(c.shutdown_timeout == 10s);
    CHECK(c.reports_per_minute == 30);
    CHECK(c.status_failures_per_hour == 20);
    CHECK(c.db_path == "var/hotline.db");
    CHECK(c.read_connections == 2);
    CHECK(c.max_batch == 256);
    CHECK(c.checkpoint_frames == 1000);
    CHECK(c.key_file == "var/server.key");
    CHECK(c.level == log_level::info);
}

TEST_CASE("config: an empty file gives the defaults") {
    const auto c = load_text("");
    REQUIRE(c.has_value());
    check_same(*c, config{});
}

TEST_CASE("config: every key is read into its member") {
    const auto c = load_text(R"(
[server]
listen = "0.0.0.0:9090"
threads = 8
public_base_url = "https://hotline.example.vn"
trust_forwarded_for = true

[limits]
header_bytes = 16384
body_bytes = 131072
pipeline = 4
max_connections = 100
read_timeout_s = 5
idle_timeout_s = 120
write_timeout_s = 7
shutdown_timeout_s = 3
reports_per_minute = 0
status_failures_per_hour = 5

[storage]
path = "/var/lib/hotline/hotline.db"
read_connections = 4
max_batch = 64
checkpoint_frames = 500
key_file = "/var/lib/hotline/server.key"

[log]
level = "debug"
)");
    REQUIRE_MESSAGE(c.has_value(), (c ? "" : c.err().message));
    CHECK(c->listen_address == "0.0.0.0");
    CHECK(c->listen_port == 9090);
    CHECK(c->threads == 8);
    CHECK(c->public_base_url == "https://hotline.example.vn");
    CHECK(c->trust_forwarded_for);
    CHECK(c->header_limit == 16384);
    CHECK(c->body_limit == 131072);
    CHECK(c->pipeline_limit == 4);
    CHECK(c->max_connections == 100);
    CHECK(c->read_timeout == 5s);
    CHECK(c->idle_timeout == 120s);
    CHECK(c->write_timeout == 7s);
    CHECK(c->shutdown_timeout == 3s);
    CHECK(c->reports_per_minute == 0);
    CHECK(c->status_failures_per_hour == 5);
    CHECK(c->db_path == "/var/lib/hotline/hotline.db");
    CHECK(c->read_connections == 4);
    CHECK(c->max_batch == 64);
    CHECK(c->checkpoint_frames == 500);
    CHECK(c->key_file == "/var/lib/hotline/server.key");
    CHECK(c->level == log_level::debug);
}

TEST_CASE("config: keys left out keep their defaults") {
    const auto c = load_text("[limits]\nbody_bytes = 2048\n");
    REQUIRE(c.has_value());
    config expected;
    expected.body_limit = 2048;
    check_same(*c, expected);
}

TEST_CASE("config: dotted keys at the top level are the same as sections") {
    const auto c = load_text("server.threads = 3\nlog.level = \"warn\"\n");
    REQUIRE_MESSAGE(c.has_value(), (c ? "" : c.err().message));
    CHECK(c->threads == 3);
    CHECK(c->level == log_level::warn);
}

TEST_CASE("config: an unknown key is an error naming it") {
    const refused cases[] = {
        {"[server]\nlisten_port = 80\n", "server.listen_port"},
        {"[limits]\nbody_limit = 2048\n", "limits.body_limit"},
        {"[storage]\ndb_path = \"x.db\"\n", "storage.db_path"},
        {"[log]\nlevel = \"info\"\nformat = \"json\"\n", "log.format"},
        {"threads = 2\n", "threads"},
        {"server = \"127.0.0.1:80\"\n", "server"},
    };
    check_refused(cases, "unknown");
}

TEST_CASE("config: an unknown section is an error naming it") {
    const refused cases[] = {
        {"[serverr]\nthreads = 2\n", "serverr"},
        {"[database]\n", "database"},
        {"[server.tls]\ncert = \"x\"\n", "server.tls"},
        {"[limits]\n[limits.per_ip]\nx = 1\n", "limits.per_ip"},
    };
    check_refused(cases, "section");
}

TEST_CASE("config: a value of the wrong type is an error naming the key") {
    const refused cases[] = {
        {"[server]\nlisten = 8080\n", "server.listen"},
        {"[server]\nthreads = \"2\"\n", "server.threads"},
        {"[server]\nthreads = 2.0\n", "server.threads"},
        {"[server]\npublic_base_url = true\n", "server.public_base_url"},
        {"[server]\ntrust_forwarded_for = 1\n", "server.trust_forwarded_for"},
        {"[server]\ntrust_forwarded_for = \"true\"\n", "server.trust_forwarded_for"},
        {"[limits]\nbody_bytes = 1.5\n", "limits.body_bytes"},
        {"[limits]\nread_timeout_s = \"15s\"\n", "limits.read_timeout_s"},
        {"[limits]\nreports_per_minute = [30]\n", "limits.reports_per_minute"},
        {"[storage]\npath = 3\n", "storage.path"},
        {"[storage]\nkey_file = false\n", "storage.key_file"},
        {"[storage]\nmax_batch = 1979-05-27\n", "storage.max_batch"},
        {"[log]\nlevel = 1\n", "log.level"},
    };
    check_refused(cases);
}

TEST_CASE("config: a value out of range is an error naming the key") {
    const refused cases[] = {
        {"[server]\nthreads = 0\n", "server.threads"},
        {"[server]\nthreads = 65\n", "server.threads"},
        {"[server]\nthreads = -1\n", "server.threads"},
        {"[limits]\nheader_bytes = 1023\n", "limits.header_bytes"},
        {"[limits]\nbody_bytes = 16777217\n", "limits.body_bytes"},
        {"[limits]\npipeline = 0\n", "limits.pipeline"},
        {"[limits]\npipeline = 129\n", "limits.pipeline"},
        {"[limits]\nmax_connections = 0\n", "limits.max_connections"},
        {"[limits]\nread_timeout_s = 0\n", "limits.read_timeout_s"},
        {"[limits]\nidle_timeout_s = 3601\n", "limits.idle_timeout_s"},
        {"[limits]\nwrite_timeout_s = -5\n", "limits.write_timeout_s"},
        {"[limits]\nshutdown_timeout_s = 601\n", "limits.shutdown_timeout_s"},
        {"[limits]\nreports_per_minute = -1\n", "limits.reports_per_minute"},
        {"[limits]\nstatus_failures_per_hour = 1000001\n", "limits.status_failures_per_hour"},
        {"[storage]\nread_connections = 0\n", "storage.read_connections"},
        {"[storage]\nmax_batch = 100001\n", "storage.max_batch"},
        {"[storage]\ncheckpoint_frames = 0\n", "storage.checkpoint_frames"},
        {"[storage]\npath = \"\"\n", "storage.path"},
        {"[storage]\nkey_file = \"\"\n", "storage.key_file"},
        {"[sms]\nreplies_per_hour = 0\n", "sms.replies_per_hour"},
        {"[sms]\nreplies_per_hour = 1001\n", "sms.replies_per_hour"},
    };
    check_refused(cases);
}

TEST_CASE("config: the ends of each range are accepted") {
    struct {
        std::string toml;
        std::function<bool(const config&)> check;
    } const cases[] = {
        {"[server]\nthreads = 1\n", [](const config& c) { return c.threads == 1; }},
        {"[server]\nthreads = 64\n", [](const config& c) { return c.threads == 64; }},
        {"[sms]\nreplies_per_hour = 1000\n", [](const config& c) { return c.sms_replies_per_hour == 1000; }},
        {"[limits]\nheader_bytes = 1024\n", [](const config& c) { return c.header_limit == 1024; }},
        {"[limits]\nbody_bytes = 16777216\n", [](const config& c) { return c.body_limit == 16777216; }},
        {"[limits]\npipeline = 128\n", [](const config& c) { return c.pipeline_limit == 128; }},
        {"[limits]\nmax_connections = 1000000\n", [](const config& c) { return c.max_connections == 1000000; }},
        {"[limits]\nread_timeout_s = 1\n", [](const config& c) { return c.read_timeout == 1s; }},
        {"[limits]\nidle_timeout_s = 3600\n", [](const config& c) { return c.idle_timeout == 3600s; }},
        {"[limits]\nshutdown_timeout_s = 600\n", [](const config& c) { return c.shutdown_timeout == 600s; }},
        {"[limits]\nreports_per_minute = 0\n", [](const config& c) { return c.reports_per_minute == 0; }},
        {"[limits]\nstatus_failures_per_hour = 0\n", [](const config& c) { return c.status_failures_per_hour == 0; }},
        {"[storage]\nread_connections = 64\n", [](const config& c) { return c.read_connections == 64; }},
        {"[storage]\nmax_batch = 1\n", [](const config& c) { return c.max_batch == 1; }},
    };
    for (const auto& t : cases) {
        CAPTURE(t.toml);
        const auto c = load_text(t.toml);
        REQUIRE_MESSAGE(c.has_value(), (c ? "" : c.err().message));
        CHECK(t.check(*c));
    }
}

TEST_CASE("config: a TOML syntax error gives the file and line") {
    temp_dir dir;
    const std::string path = dir.write("broken.toml", "[server]\nthreads = 2\nlisten = = \"x\"\n");
    const auto c = load_config(path);
    REQUIRE_FALSE(c.has_value());
    CHECK(c.err().code == "config_error");
    CHECK(contains(c.err().message, path + ":3"));
}

TEST_CASE("config: a duplicate key is a syntax error") {
    temp_dir dir;
    const std::string path = dir.write("dup.toml", "[server]\nthreads = 2\n\nthreads = 3\n");
    const auto c = load_config(path);
    REQUIRE_FALSE(c.has_value());
    CHECK(c.err().code == "config_error");
    CHECK(contains(c.err().message, path + ":4"));
}

TEST_CASE("config: a missing file is an error naming it") {
    temp_dir dir;
    const std::string path = dir.write("present.toml", "") + ".absent";
    const auto c = load_config(path);
    REQUIRE_FALSE(c.has_value());
    CHECK(c.err().code == "config_error");
    CHECK(contains(c.err().message, path));
}

TEST_CASE("apply_listen parses ADDR:PORT") {
    struct {
        std::string in;
        std::string address;
        std::uint16_t port;
    } const cases[] = {
        {"127.0.0.1:8080", "127.0.0.1", 8080},
        {"0.0.0.0:0", "0.0.0.0", 0},
        {"[::1]:0", "::1", 0},
        {"[::]:443", "::", 443},
        {"[2001:db8::5]:65535", "2001:db8::5", 65535},
        {"localhost:1", "localhost", 1},
    };
    for (const auto& t : cases) {
        CAPTURE(t.in);
        config c;
        const auto r = apply_listen(c, t.in);
        REQUIRE_MESSAGE(r.has_value(), (r ? "" : r.err().message));
        CHECK(c.listen_address == t.address);
        CHECK(c.listen_port == t.port);
    }
}

TEST_CASE("apply_listen refuses what is not ADDR:PORT and leaves the config alone") {
    const std::string cases[] = {
        "",
        "127.0.0.1",
        "127.0.0.1:",
        ":8080",
        "8080",
        "127.0.0.1:65536",
        "127.0.0.1:99999999999",
        "127.0.0.1:-1",
        "127.0.0.1:+80",
        "127.0.0.1:80a",
        "127.0.0.1: 80",
        "127.0.0.1:http",
        "[::1]",
        "[]:80",
        "[::1:80",
        "::1]:80",
    };
    for (const std::string& in : cases) {
        CAPTURE(in);
        config c;
        const auto r = apply_listen(c, in);
        REQUIRE_FALSE(r.has_value());
        CHECK(r.err().code == "config_error");
        CHECK_FALSE(r.err().message.empty());
        CHECK(c.listen_address == config{}.listen_address);
        CHECK(c.listen_port == config{}.listen_port);
    }
}

TEST_CASE("config: server.listen in the file") {
    SUBCASE("IPv6 loopback, any port") {
        const auto c = load_text("[server]\nlisten = \"[::1]:0\"\n");
        REQUIRE_MESSAGE(c.has_value(), (c ? "" : c.err().message));
        CHECK(c->listen_address == "::1");
        CHECK(c->listen_port == 0);
    }
    SUBCASE("a bad port names the key and the port") {
        const auto c = load_text("[server]\nlisten = \"127.0.0.1:70000\"\n");
        REQUIRE_FALSE(c.has_value());
        CHECK(c.err().code == "config_error");
        CHECK(c.err().field == "server.listen");
        CHECK(contains(c.err().message, "70000"));
    }
    SUBCASE("no port names the key") {
        const auto c = load_text("[server]\nlisten = \"127.0.0.1\"\n");
        REQUIRE_FALSE(c.has_value());
        CHECK(c.err().field == "server.listen");
    }
}

TEST_CASE("config: public_base_url loses trailing slashes") {
    struct {
        std::string in;
        std::string out;
    } const cases[] = {
        {"http://127.0.0.1:8080", "http://127.0.0.1:8080"},
        {"https://hotline.example.vn", "https://hotline.example.vn"},
        {"https://hotline.example.vn/", "https://hotline.example.vn"},
        {"https://hotline.example.vn///", "https://hotline.example.vn"},
        {"https://example.vn/hotline/", "https://example.vn/hotline"},
        {"http://a/", "http://a"},
    };
    for (const auto& t : cases) {
        CAPTURE(t.in);
        const auto c = load_text(std::string("[server]\npublic_base_url = \"") + t.in + "\"\n");
        REQUIRE_MESSAGE(c.has_value(), (c ? "" : c.err().message));
        CHECK(c->public_base_url == t.out);
    }
}

TEST_CASE("config: public_base_url needs an http or https scheme and a host") {
    const std::string cases[] = {
        "",
        "hotline.example.vn",
        "//hotline.example.vn",
        "ftp://hotline.example.vn",
        "HTTPS//hotline.example.vn",
        "http:/hotline.example.vn",
        "http://",
        "https://",
        "https:///",
        "http:///path",
    };
    for (const std::string& in : cases) {
        CAPTURE(in);
        const auto c = load_text(std::string("[server]\npublic_base_url = \"") + in + "\"\n");
        REQUIRE_FALSE(c.has_value());
        CHECK(c.err().code == "config_error");
        CHECK(c.err().field == "server.public_base_url");
        CHECK(contains(c.err().message, "server.public_base_url"));
    }
}

TEST_CASE("config: log levels") {
    struct {
        std::string in;
        log_level level;
    } const cases[] = {
        {"debug", log_level::debug},
        {"info", log_level::info},
        {"warn", log_level::warn},
        {"error", log_level::error},
    };
    for (const auto& t : cases) {
        CAPTURE(t.in);
        const auto c = load_text(std::string("[log]\nlevel = \"") + t.in + "\"\n");
        REQUIRE_MESSAGE(c.has_value(), (c ? "" : c.err().message));
        CHECK(c->level == t.level);
        CHECK(to_string(t.level) == t.in);
    }
    for (const std::string bad : {"", "verbose", "warning", "INFO", "Debug", "trace", " info"}) {
        CAPTURE(bad);
        const auto c = load_text(std::string("[log]\nlevel = \"") + bad + "\"\n");
        REQUIRE_FALSE(c.has_value());
        CHECK(c.err().code == "config_error");
        CHECK(c.err().field == "log.level");
        CHECK(contains(c.err().message, "log.level"));
    }
}

TEST_CASE("config: [deadlines] sets the acknowledgement limits and the holidays file") {
    const auto c = load_text(R"(
[deadlines]
ack_emergency_min = 10
ack_high_min = 30
ack_normal_min = 120
ack_low_min = 2880
holidays_file = "/etc/hotline/holidays.csv"
)");
    REQUIRE_MESSAGE(c.has_value(), (c ? "" : c.err().message));
    CHECK(c->ack.emergency == std::chrono::minutes(10));
    CHECK(c->ack.high == std::chrono::minutes(30));
    CHECK(c->ack.normal == std::chrono::minutes(120));
    CHECK(c->ack.low == std::chrono::minutes(2880));
    CHECK(c->holidays_file == "/etc/hotline/holidays.csv");

    const refused bad[] = {
        {"[deadlines]\nack_high_min = 0\n", "deadlines.ack_high_min"},
        {"[deadlines]\nack_low_min = 10081\n", "deadlines.ack_low_min"},
        {"[deadlines]\nack_normal_min = \"4h\"\n", "deadlines.ack_normal_min"},
        // Within the limits of the key, beyond the 12-hour legal clock.
        {"[deadlines]\nack_emergency_min = 721\n", "deadlines.ack_emergency_min"},
        {"[deadlines]\nholidays = \"x.csv\"\n", "deadlines.holidays"},
    };
    check_refused(bad, {}, false);
}

TEST_CASE("config: [escalation.<urgency>] replaces a ladder's keys, steps as a whole") {
    const auto c = load_text(R"(
[escalation.normal]
repeat = 3
reminder_fraction = 0
[[escalation.normal.steps]]
roles = ["commune_child_protection", "commune_police"]
wait_min = 30
[[escalation.normal.steps]]
roles = ["hotline_supervisor"]
[escalation.low]
reminder_fraction = 0.75
)");
    REQUIRE_MESSAGE(c.has_value(), (c ? "" : c.err().message));
    const auto& n = c->escalation.normal;
    REQUIRE(n.steps.size() == 2);
    CHECK(n.steps[0].roles == std::vector<routing::role>{routing::role::commune_child_protection,
                                                          routing::role::commune_police});
    CHECK(n.steps[0].wait == std::optional<std::chrono::milliseconds>(std::chrono::minutes(30)));
    CHECK(n.steps[1].wait == std::nullopt);
    CHECK(n.repeat == 3);
    CHECK(n.reminder_fraction == 0.0);
    // Keys not given keep the defaults.
    CHECK(c->escalation.low.steps == routing::escalation_policy::defaults().low.steps);
    CHECK(c->escalation.low.reminder_fraction == 0.75);
    CHECK(c->escalation.emergency == routing::escalation_policy::defaults().emergency);

    const refused bad[] = {
        {"[escalation.high]\nrepeat = 0\n", "escalation.high.repeat"},
        {"[escalation.high]\nreminder_fraction = 1.0\n", "escalation.high.reminder_fraction"},
        {"[escalation.high]\nsteps = []\n", "escalation.high.steps"},
        {"[[escalation.high.steps]]\nroles = [\"mayor\"]\n", "escalation.high.steps[0].roles"},
        {"[[escalation.high.steps]]\nroles = []\n", "escalation.high.steps[0].roles"},
        {"[[escalation.high.steps]]\nroles = [\"commune_chair\"]\n[[escalation.high.steps]]\nwait_min = 5\n",
         "escalation.high.steps[1].roles"},
        {"[[escalation.high.steps]]\nroles = [\"commune_chair\"]\nwait_min = 0\n", "escalation.high.steps[0].wait_min"},
        {"[[escalation.high.steps]]\nroles = [\"commune_chair\"]\nwho = 1\n", "escalation.high.steps[0].who"},
        {"[escalation.urgent]\nrepeat = 1\n", "escalation.urgent"},
        {"[escalation.low]\nrounds = 2\n", "escalation.low.rounds"},
    };
    check_refused(bad, {}, false);
}

TEST_CASE("config: Twilio sending and [notifications]") {
    const auto c = load_text(R"(
[sms.twilio]
auth_tokens = ["tok-1", "tok-2"]
account_sid = "AC0123456789abcdef0123456789abcdef"
from = "+84912345678"
api_base_url = "http://127.0.0.1:9999/"
[sms.android]
send_url = "http://192.168.1.20:8080/messages"
[notifications]
sms_channel = "android_sms"
ack_link_lifetime_min = 90
webhook_signing_secret = "whsec-0123456789"
)");
    REQUIRE_MESSAGE(c.has_value(), (c ? "" : c.err().message));
    CHECK(c->twilio_account_sid == "AC0123456789abcdef0123456789abcdef");
    CHECK(c->twilio_from == "+84912345678");
    CHECK(c->twilio_api_base_url == "http://127.0.0.1:9999");  // trailing slash dropped
    CHECK(c->notify_sms_channel == "android_sms");
    CHECK(c->ack_link_lifetime == std::chrono::minutes(90));
    CHECK(c->webhook_signing_secret == "whsec-0123456789");

    const auto service = load_text(R"(
[sms.twilio]
auth_tokens = ["tok"]
account_sid = "ACx1"
from = "MG0123456789abcdef"
[notifications]
sms_channel = "twilio_sms"
)");
    REQUIRE_MESSAGE(service.has_value(), (service ? "" : service.err().message));
    CHECK(service->twilio_from == "MG0123456789abcdef");
    CHECK(service->notify_sms_channel == "twilio_sms");
    CHECK(service->twilio_api_base_url == "https://api.twilio.com");
}

TEST_CASE("config: Twilio sending and [notifications] errors name the key") {
    const refused wrong[] = {
        {"[sms.twilio]\naccount_sid = \"SK123\"\n", "sms.twilio.account_sid"},
        {"[sms.twilio]\naccount_sid = \"AC 12\"\n", "sms.twilio.account_sid"},
        {"[sms.twilio]\naccount_sid = 12\n", "sms.twilio.account_sid"},
        {"[sms.twilio]\nfrom = \"0912345678\"\n", "sms.twilio.from"},
        {"[sms.twilio]\nfrom = \"+84 912 345 678\"\n", "sms.twilio.from"},
        {"[sms.twilio]\nfrom = \"MG\"\n", "sms.twilio.from"},
        {"[sms.twilio]\napi_base_url = \"api.twilio.com\"\n", "sms.twilio.api_base_url"},
        {"[notifications]\nsms_channel = \"sms\"\n", "notifications.sms_channel"},
        {"[notifications]\nsms_channel = \"webhook\"\n", "notifications.sms_channel"},
        {"[notifications]\nack_link_lifetime_min = 0\n", "notifications.ack_link_lifetime_min"},
        {"[notifications]\nack_link_lifetime_min = 43201\n", "notifications.ack_link_lifetime_min"},
        {"[notifications]\nack_link_lifetime_min = \"1h\"\n", "notifications.ack_link_lifetime_min"},
        {"[notifications]\nwebhook_signing_secret = 5\n", "notifications.webhook_signing_secret"},
        {"[notifications]\nwebhook_secret = \"x\"\n", "notifications.webhook_secret"},
    };
    check_refused(wrong);

    // A channel whose sender is not configured, and Twilio half configured.
    const refused missing[] = {
        {"[notifications]\nsms_channel = \"twilio_sms\"\n", "notifications.sms_channel"},
        {"[notifications]\nsms_channel = \"android_sms\"\n", "notifications.sms_channel"},
        {"[sms.twilio]\nauth_tokens = [\"t\"]\naccount_sid = \"AC1\"\n", "sms.twilio.from"},
        {"[sms.twilio]\naccount_sid = \"AC1\"\nfrom = \"+84912345678\"\n", "sms.twilio.auth_tokens"},
    };
    check_refused(missing);
}
