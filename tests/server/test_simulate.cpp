#include "server/simulate.hpp"

#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "routing/escalation.hpp"

using namespace hotline;
using server::simulation_options;
using server::simulation_result;

namespace {

simulation_options demo(std::uint64_t reports, double p, double hours, std::uint64_t seed = 1) {
    simulation_options o;
    o.reports = reports;
    o.ack_probability = p;
    o.hours = hours;
    o.seed = seed;
    o.contacts_file = std::string(HOTLINE_SOURCE_DIR) + "/deploy/demo/contacts.csv";
    o.rosters_file = std::string(HOTLINE_SOURCE_DIR) + "/deploy/demo/rosters.csv";
    return o;
}

simulation_result run(const simulation_options& o) {
    const server::config cfg;
    auto r = server::simulate(o, cfg);
    REQUIRE_MESSAGE(r.has_value(), (r ? std::string() : r.err().message));
    return std::move(*r);
}

// Ladder positions after the first: the escalations of a report nobody answers.
std::uint64_t escalations_of(const routing::escalation_ladder& l) {
    return l.steps.size() * static_cast<std::size_t>(l.repeat) - 1;
}

std::string error_field(const std::vector<std::string>& args) {
    auto r = server::parse_simulation_args(args);
    REQUIRE_FALSE(r.has_value());
    CHECK(r.err().code == "usage");
    return r.err().field;
}

}  // namespace

TEST_CASE("simulate: the same seed gives the same figures, another seed others") {
    const auto a = run(demo(40, 0.5, 6, 7));
    const auto b = run(demo(40, 0.5, 6, 7));
    CHECK(server::format_simulation(a, false) == server::format_simulation(b, false));
    CHECK(a.total.reports == 40);
    CHECK(a.total.acknowledged_in_time > 0);
    CHECK(a.total.acknowledged_late > 0);
    CHECK(a.total.escalations > 0);
    // Every urgency got reports from the templates.
    for (const auto& t : a.by_urgency) CHECK(t.reports > 0);
    const auto c = run(demo(40, 0.5, 6, 8));
    CHECK(server::format_simulation(a, false) != server::format_simulation(c, false));
}

TEST_CASE("simulate: everyone answering before the deadline leaves nothing to escalate") {
    auto o = demo(40, 1.0, 6, 3);
    o.max_ack_delay = 0.9;  // every delay below the assignment's ack limit
    const auto r = run(o);
    REQUIRE(r.total.reports == 40);
    // Reports of low urgency go to the hotline's queue first, which nobody
    // can acknowledge: make sure both kinds are in the run.
    REQUIRE(r.total.reaching_contact > 0);
    REQUIRE(r.total.reaching_contact < r.total.reports);
    for (auto u : {intake::urgency::emergency, intake::urgency::high, intake::urgency::normal, intake::urgency::low}) {
        CAPTURE(intake::to_string(u));
        const auto& t = r.by_urgency[static_cast<std::size_t>(u)];
        // A report a contact has at once is acknowledged in time; one that
        // sits in a queue escalates once, to contacts who answer in time.
        CHECK(t.escalations == t.reports - t.reaching_contact);
        CHECK(t.ack_breaches == t.reports - t.reaching_contact);
        CHECK(t.acknowledged_late == 0);
        CHECK(t.acknowledged_in_time == t.reports);  // one per report: the others are superseded
        CHECK(t.unacknowledged == 0);
    }
}

TEST_CASE("simulate: nobody answering walks every report through its whole ladder") {
    const auto r = run(demo(40, 0.0, 6, 5));
    const auto ladders = routing::escalation_policy::defaults();
    REQUIRE(r.total.reports == 40);
    for (auto u : {intake::urgency::emergency, intake::urgency::high, intake::urgency::normal, intake::urgency::low}) {
        CAPTURE(intake::to_string(u));
        const auto& t = r.by_urgency[static_cast<std::size_t>(u)];
        CHECK(t.escalations == t.reports * escalations_of(ladders.for_urgency(u)));
        CHECK(t.unacknowledged == t.reports);
        CHECK(t.acknowledged_in_time + t.acknowledged_late == 0);
        // Every assignment's deadline passed unanswered.
        CHECK(t.ack_breaches == t.assignments);
    }
    CHECK(r.total.escalations > 0);
}

TEST_CASE("simulate: flags") {
    SUBCASE("the three required ones") {
        const auto o = server::parse_simulation_args(
            {"--reports", "10", "--ack-probability", "0.25", "--hours", "1.5", "--seed", "9", "--start",
             "2026-06-01T08:00:00+07:00", "--max-ack-delay", "1.5", "--contacts", "c.csv", "--rosters", "r.csv"});
        REQUIRE(o.has_value());
        CHECK(o->reports == 10);
        CHECK(o->ack_probability == 0.25);
        CHECK(o->hours == 1.5);
        CHECK(o->seed == 9);
        CHECK(o->start == from_unix_ms(1780275600000));
        CHECK(o->max_ack_delay == 1.5);
        CHECK(o->contacts_file == "c.csv");
        CHECK(o->rosters_file == "r.csv");
    }
    SUBCASE("bad ones are named") {
        CHECK(error_field({"--ack-probability", "0.5", "--hours", "1"}) == "--reports");
        CHECK(error_field({"--reports", "0", "--ack-probability", "0.5", "--hours", "1"}) == "--reports");
        CHECK(error_field({"--reports", "ten", "--ack-probability", "0.5", "--hours", "1"}) == "--reports");
        CHECK(error_field({"--reports", "10", "--hours", "1"}) == "--ack-probability");
        CHECK(error_field({"--reports", "10", "--ack-probability", "1.5", "--hours", "1"}) == "--ack-probability");
        CHECK(error_field({"--reports", "10", "--ack-probability", "0.5", "--hours", "0"}) == "--hours");
        CHECK(error_field({"--reports", "10", "--ack-probability", "0.5"}) == "--hours");
        CHECK(error_field({"--reports", "10", "--ack-probability", "0.5", "--hours", "1", "--seed", "-1"}) ==
              "--seed");
        CHECK(error_field({"--reports", "10", "--ack-probability", "0.5", "--hours", "1", "--start", "yesterday"}) ==
              "--start");
        CHECK(error_field({"--reports", "10", "--ack-probability", "0.5", "--hours", "1", "--max-ack-delay", "0"}) ==
              "--max-ack-delay");
        CHECK(error_field({"--reports", "10", "--ack-probability", "0.5", "--hours", "1", "--colour", "red"}) ==
              "--colour");
        CHECK(error_field({"--reports", "10", "--ack-probability", "0.5", "--hours"}) == "--hours");
    }
}

TEST_CASE("simulate: a missing directory file is named") {
    auto o = demo(5, 0.5, 1);
    o.rosters_file = "/nonexistent/rosters.csv";
    const server::config cfg;
    const auto r = server::simulate(o, cfg);
    REQUIRE_FALSE(r.has_value());
    CHECK(r.err().field == "--rosters");
    CHECK(r.err().message.find("/nonexistent/rosters.csv") != std::string::npos);
}

TEST_CASE("simulate: RFC 3339 times") {
    CHECK(server::parse_rfc3339("2026-06-01T01:00:00Z") == from_unix_ms(1780275600000));
    CHECK(server::parse_rfc3339("2026-06-01T08:00:00+07:00") == from_unix_ms(1780275600000));
    CHECK(server::parse_rfc3339("2026-06-01T00:30:00.250-00:30") == from_unix_ms(1780275600250));
    CHECK_FALSE(server::parse_rfc3339("2026-06-01T01:00:00"));
    CHECK_FALSE(server::parse_rfc3339("2026-02-30T01:00:00Z"));
    CHECK_FALSE(server::parse_rfc3339("2026-06-01T24:00:00Z"));
    CHECK_FALSE(server::parse_rfc3339("2026-06-01T01:00:00Zjunk"));
}
