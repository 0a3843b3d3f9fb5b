// sqlite_baseline DBPATH N
//
// What intake would do without group commit: every report stored through the
// server's own write path (storage::database::insert_report: the report row,
// its received, classified, located and routed events, its assignments and
// legal clocks) with max_batch = 1, so each report is its own transaction and
// pays its own fsync (WAL, synchronous=FULL). This is the figure group commit
// is measured against. Texts are 300 to 800 bytes; the classification and the
// location come from the built-in lexicon and unit catalog, worked out before
// the clock starts: the figure is the store's. DBPATH must not exist yet.
//
// Prints `baseline_inserts_per_s <number>` on one line for scripts, then a
// line for people.

#include <array>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "intake/tracking_code.hpp"
#include "routing/locate.hpp"
#include "server/config.hpp"
#include "server/scheduler.hpp"
#include "server/triage.hpp"
#include "server/units.hpp"
#include "storage/database.hpp"

namespace {

int fail(std::string_view what, const hotline::error& e) {
    std::fprintf(stderr, "sqlite_baseline: %.*s: %s\n", static_cast<int>(what.size()), what.data(),
                 e.message.c_str());
    return 1;
}

// Sentences of the kind people write to the hotline; a report is a random
// run of them, so texts vary in content and length like real ones.
constexpr std::array<std::string_view, 16> sentences = {
    "Tôi là hàng xóm, tối qua nghe tiếng cháu bé khóc rất lâu và tiếng người lớn quát mắng. ",
    "Cháu khoảng 8 tuổi, thường xuyên bị bố đánh bằng roi, trên tay có nhiều vết bầm tím. ",
    "Mẹ cháu đi làm xa, cháu ở với bố và bà nội nhưng bà đã già yếu không can thiệp được. ",
    "Sáng nay tôi thấy cháu đến trường với vết thương ở mặt, cô giáo hỏi thì cháu không dám nói. ",
    "Gia đình ở thôn 3, xã Tân Phú, trước đây thuộc huyện Đồng Phú, tỉnh Bình Phước cũ. ",
    "Có một người đàn ông lạ thường xuyên đón cháu gái sau giờ học và cho cháu tiền. ",
    "Cháu bị bỏ đói nhiều ngày, phải sang nhà hàng xóm xin cơm, quần áo rách và bẩn. ",
    "Tôi xin giấu tên vì sợ gia đình đó biết người báo tin và gây khó dễ cho nhà tôi. ",
    "Cháu phải bán vé số đến khuya ở chợ, không được đi học, người giám hộ giữ hết tiền. ",
    "Nghe nói có người hứa đưa cháu lên thành phố làm việc lương cao nhưng không rõ ở đâu. ",
    "Công an xã đã được báo một lần nhưng sự việc vẫn tiếp diễn, đề nghị xác minh sớm. ",
    "Cháu có biểu hiện sợ hãi, hay ngồi một mình, không nói chuyện với bạn bè trong lớp. ",
    "Bố dượng uống rượu say về nhà thường đập phá đồ đạc và đánh cả hai mẹ con. ",
    "Tôi có thể cung cấp thêm thông tin nếu cán bộ bảo vệ trẻ em liên hệ qua số điện thoại này. ",
    "Đường vào nhà đi qua cầu tre cạnh trạm y tế, nhà mái tôn màu xanh cuối ngõ. ",
    "Việc này xảy ra đã vài tháng, hàng xóm ai cũng biết nhưng không ai dám can thiệp. ",
};

std::string report_text(std::mt19937_64& rng) {
    std::uniform_int_distribution<std::size_t> target_len(300, 800);
    std::uniform_int_distribution<std::size_t> pick(0, sentences.size() - 1);
    const std::size_t target = target_len(rng);
    std::string text;
    // Whole sentences only, so the text stays valid UTF-8; stop before
    // passing 800 bytes.
    for (;;) {
        auto s = sentences[pick(rng)];
        if (text.size() + s.size() > 800) break;
        text += s;
        if (text.size() >= target) break;
    }
    while (text.size() < 300) text += sentences[0];
    return text;
}

}  // namespace

int main(int argc, char** argv) {
    namespace storage = hotline::storage;
    if (argc != 3) {
        std::fprintf(stderr, "usage: sqlite_baseline DBPATH N\n");
        return 2;
    }
    const std::string path = argv[1];
    std::uint64_t n = 0;
    std::string_view count_arg = argv[2];
    auto [end, ec] = std::from_chars(count_arg.data(), count_arg.data() + count_arg.size(), n);
    if (ec != std::errc() || end != count_arg.data() + count_arg.size() || n == 0) {
        std::fprintf(stderr, "sqlite_baseline: N must be a positive integer\n");
        return 2;
    }
    std::error_code fs_ec;
    if (std::filesystem::exists(path, fs_ec)) {
        // Never overwrite: the path might be a real database.
        std::fprintf(stderr, "sqlite_baseline: %s exists; give the path of a new file\n", path.c_str());
        return 2;
    }

    // What the server has at hand when it stores a report (server/main.cpp).
    const hotline::server::config cfg;
    auto policy = hotline::server::load_deadline_policy(cfg);
    if (!policy) return fail("deadline policy", policy.err());
    auto triage = hotline::server::load_triage("");
    if (!triage) return fail("lexicon", triage.err());
    auto units = hotline::server::load_builtin_units();
    if (!units) return fail("units", units.err());
    const hotline::routing::locator locator(*units, "20");

    // Inputs are made before the clock starts: the figure is the store's.
    std::mt19937_64 rng(20250701);
    constexpr std::array<hotline::intake::channel, 2> channels = {hotline::intake::channel::web,
                                                                  hotline::intake::channel::api};
    constexpr std::array<hotline::intake::child_sex, 3> sexes = {
        hotline::intake::child_sex::male, hotline::intake::child_sex::female, hotline::intake::child_sex::unknown};
    constexpr std::array<std::string_view, 4> places = {"thôn 3, xã Tân Phú, Đồng Nai", "phường Hải Châu, Đà Nẵng",
                                                        "xa Dong Tam, huyen Ninh Giang cu", "quan 3 tp hcm"};
    const std::int64_t t0_ms = 1782878400000;  // 2026-07-01T04:00:00Z
    std::vector<storage::new_report> reports(n);
    for (std::uint64_t i = 0; i < n; ++i) {
        auto& r = reports[i];
        r.channel = channels[i % channels.size()];
        r.received_at = hotline::from_unix_ms(t0_ms + static_cast<std::int64_t>(i) * 1000);
        auto& d = r.data;
        d.text = report_text(rng);
        d.location_text = std::string(places[i % places.size()]);
        if (i % 3) d.child_name = "Nguyễn Văn An";
        d.child_age = static_cast<int>(i % 18);
        d.child_age_estimated = i % 2 == 0;
        d.sex = sexes[i % sexes.size()];
        d.child_condition = "bầm tím ở tay";
        d.perpetrator_relation = "bố đẻ";
        d.reporter_name = "Trần Thị Bình";
        d.reporter_phone = "+84912345678";
        d.reporter_address = "số 5, thôn 3";
        d.contact_ok = true;
        d.keep_identity_secret = i % 4 == 0;
        for (auto& b : r.secret.salt) b = static_cast<std::uint8_t>(rng());
        for (auto& b : r.secret.hash) b = static_cast<std::uint8_t>(rng());
        r.classification = triage->classify(d.text);
        hotline::routing::location_query q;
        q.text = *d.location_text;
        r.routing = storage::routing_request{locator.locate(q), &cfg.routing, &*policy};
    }

    storage::options opts;
    opts.path = path;
    opts.max_batch = 1;  // one transaction, and one fsync, per report
    hotline::intake::secret_key key{};
    for (std::size_t i = 0; i < key.size(); ++i) key[i] = static_cast<std::uint8_t>(i);
    const hotline::intake::tracking_codec codec(key);
    auto db = storage::database::open(opts, codec);
    if (!db) return fail("open", db.err());

    // One report after another, each waiting for its commit: nothing is
    // queued behind a commit, so nothing could share it anyway.
    const auto start = std::chrono::steady_clock::now();
    for (auto& r : reports) {
        auto x = storage::wait_for<storage::receipt>(
            [&](auto done) { (*db)->insert_report(std::move(r), std::move(done)); });
        if (!x) return fail("insert", x.err());
    }
    const std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - start;
    const double per_s = static_cast<double>(n) / elapsed.count();
    if ((*db)->commits() != n)
        return fail("commit count", hotline::make_error("storage_failure", "not one commit per report"));

    std::printf("baseline_inserts_per_s %.1f\n", per_s);
    std::printf("stored %llu reports in %.3f s through the intake write, one transaction each "
                "(WAL, synchronous=FULL): %.1f reports/s\n",
                static_cast<unsigned long long>(n), elapsed.count(), per_s);
    return 0;
}
