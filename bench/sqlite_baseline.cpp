// sqlite_baseline DBPATH N
//
// The naive way to store reports: one transaction per report (BEGIN; INSERT
// report; INSERT event; COMMIT) in WAL mode with synchronous=FULL, so every
// report costs its own fsync. This is the figure group commit is measured
// against. DBPATH must not exist yet; the schema is the real one (migrate()).
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
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "intake/tracking_code.hpp"
#include "storage/database.hpp"
#include "storage/sqlite.hpp"

namespace {

using hotline::storage::connection;

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

    if (auto v = hotline::storage::migrate(path); !v) return fail("migrate", v.err());
    auto c = connection::open(path, hotline::storage::open_mode::read_write);
    if (!c) return fail("open", c.err());
    if (auto r = c->exec("PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON"); !r)
        return fail("configure", r.err());

    auto ins_report = c->prepare(
        "INSERT INTO reports (id, tracking_code, channel, received_at, state, text, location_text, "
        "location_code, child_name, child_age, child_age_estimated, child_sex, child_condition, "
        "perpetrator_relation, reporter_name, reporter_phone, reporter_address, contact_ok, "
        "keep_identity_secret, secret_salt, secret_hash) "
        "VALUES (?1, ?2, ?3, ?4, 'received', ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, "
        "?18, ?19, ?20)");
    if (!ins_report) return fail("prepare", ins_report.err());
    auto ins_event = c->prepare(
        "INSERT INTO events (report_id, at, kind, actor, data) "
        "VALUES (?1, ?2, 'received', ?3, NULL)");
    if (!ins_event) return fail("prepare", ins_event.err());

    hotline::intake::secret_key key{};
    for (std::size_t i = 0; i < key.size(); ++i) key[i] = static_cast<std::uint8_t>(i);
    const hotline::intake::tracking_codec codec(key);
    std::mt19937_64 rng(20250701);
    constexpr std::array<std::string_view, 4> channels = {"web", "api", "sms", "operator"};
    constexpr std::array<std::string_view, 3> sexes = {"male", "female", "unknown"};
    const std::int64_t t0_ms = 1751328000000;  // 2025-07-01T00:00:00Z

    // Inputs are made before the clock starts: the figure is the store's.
    struct row {
        std::string code, text;
        std::array<std::uint8_t, 16> salt;
        std::array<std::uint8_t, 32> hash;
    };
    std::vector<row> rows(n);
    for (std::uint64_t i = 0; i < n; ++i) {
        rows[i].code = codec.encode(i + 1);
        rows[i].text = report_text(rng);
        for (auto& b : rows[i].salt) b = static_cast<std::uint8_t>(rng());
        for (auto& b : rows[i].hash) b = static_cast<std::uint8_t>(rng());
    }

    auto& rep = *ins_report;
    auto& ev = *ins_event;
    const auto start = std::chrono::steady_clock::now();
    for (std::uint64_t i = 0; i < n; ++i) {
        const auto id = static_cast<std::int64_t>(i + 1);
        const std::int64_t at = t0_ms + id * 1000;
        const auto channel = channels[i % channels.size()];
        const auto& r = rows[i];
        if (auto x = c->exec("BEGIN IMMEDIATE"); !x) return fail("begin", x.err());
        rep.reset();
        bool bound = rep.bind(1, id) && rep.bind(2, r.code) && rep.bind(3, channel) && rep.bind(4, at) &&
                     rep.bind(5, r.text) && rep.bind(6, "thôn 3, xã Tân Phú, Đồng Nai") && rep.bind(7, "25462") &&
                     rep.bind(8, i % 3 ? std::optional<std::string>("Nguyễn Văn An") : std::nullopt) &&
                     rep.bind(9, static_cast<std::int64_t>(i % 18)) && rep.bind(10, i % 2 == 0) &&
                     rep.bind(11, sexes[i % sexes.size()]) && rep.bind(12, "bầm tím ở tay") &&
                     rep.bind(13, "bố đẻ") && rep.bind(14, "Trần Thị Bình") && rep.bind(15, "+84912345678") &&
                     rep.bind(16, "số 5, thôn 3") && rep.bind(17, true) && rep.bind(18, i % 4 == 0) &&
                     rep.bind(19, std::span<const std::uint8_t>(r.salt)) &&
                     rep.bind(20, std::span<const std::uint8_t>(r.hash));
        if (!bound) return fail("bind", hotline::make_error("storage_failure", "a report parameter did not bind"));
        if (auto x = rep.run(); !x) return fail("insert report", x.err());
        ev.reset();
        if (!(ev.bind(1, id) && ev.bind(2, at) && ev.bind(3, channel)))
            return fail("bind", hotline::make_error("storage_failure", "an event parameter did not bind"));
        if (auto x = ev.run(); !x) return fail("insert event", x.err());
        if (auto x = c->exec("COMMIT"); !x) return fail("commit", x.err());
    }
    const std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - start;
    const double per_s = static_cast<double>(n) / elapsed.count();

    std::printf("baseline_inserts_per_s %.1f\n", per_s);
    std::printf("inserted %llu reports in %.3f s, one transaction each (WAL, synchronous=FULL): %.1f reports/s\n",
                static_cast<unsigned long long>(n), elapsed.count(), per_s);
    return 0;
}
