#pragma once
// The outbox dispatcher: sends what the outbox holds (storage/outbox.hpp),
// after commit, with retries.
//
// One coroutine claims due messages in batches and hands each to the sender
// registered for its channel. A sender's verdict decides what happens next:
// sent -> mark_outbox_sent with the gateway's message id; retry -> due again
// after an exponential backoff with jitter (base * 2^(n-1) after the n-th
// send, capped at backoff_max, times a random factor in [0.5, 1]);
// permanent -> fail_outbox at once, then on_deadline_moved when that made an
// assignment due. When the n-th send reaches `max_attempts`, a retry becomes
// a permanent failure. A message claimed but not sent because stop() came is
// handed back, due at once. A channel without a sender fails permanently
// ("no sender for channel"). Between batches the dispatcher sleeps until the
// earliest due message or until notify() (called after a write put something
// in the outbox). Time comes from the injected clock, so a test moves the
// clock and calls notify() instead of waiting for a backoff. The senders are
// in server/senders.hpp.
//
// Thread-safety: notify() and stop() may be called from any thread.

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "intake/clock.hpp"
#include "server/log.hpp"
#include "storage/database.hpp"
#include "storage/outbox.hpp"

namespace hotline::server {

enum class send_verdict { sent, retry, permanent };

struct send_result {
    send_verdict verdict = send_verdict::sent;
    std::string error;  // for logs and the outbox row; never the message text or a phone number
    // When sent: the gateway's id of the message (Twilio's SM…, the Android
    // gateway's message id), stored with it so that delivery reports
    // (storage::record_delivery) find it; empty when the gateway has none.
    std::string provider_message_id;
};

// Sends one message on one channel. Runs on the dispatcher's strand.
class outbox_sender {
public:
    virtual ~outbox_sender() = default;
    virtual boost::asio::awaitable<send_result> send(const storage::outbox_message& m) = 0;
};

struct dispatcher_options {
    std::chrono::milliseconds backoff_base{2000};
    std::chrono::milliseconds backoff_max{std::chrono::minutes(10)};
    int max_attempts = 10;
    std::chrono::milliseconds lease{std::chrono::seconds(60)};  // a claim not settled by then is retried
    std::size_t batch = 16;
    // Called (on the dispatcher's strand) after a message failed for good
    // and that moved an assignment's acknowledgement deadline to now
    // (storage::fail_outbox): the deadline scheduler must look again
    // (scheduler::notify()).
    std::function<void()> on_deadline_moved;
};

class dispatcher {
public:
    dispatcher(boost::asio::io_context& ioc, storage::database& db, const hotline::clock& clock, logger& log,
               dispatcher_options options);
    ~dispatcher();

    // Registers the sender for `channel` ("android_sms", ...). Before start().
    void add_sender(std::string channel, std::unique_ptr<outbox_sender> sender);

    void start();
    // Something may be due now: look again.
    void notify();
    // Finishes the send in progress, then stops; on_stopped is called once,
    // on the dispatcher's strand (at once when the loop is not running).
    // Destroying the dispatcher without stop() also winds the loop down; the
    // io_context, database, clock and logger must outlive the loop (stop and
    // wait for on_stopped, or stop the io_context, before destroying them).
    void stop(std::function<void()> on_stopped);

    // Totals since start (metrics, tests).
    std::uint64_t sent() const noexcept;
    std::uint64_t retried() const noexcept;
    std::uint64_t failed() const noexcept;

private:
    struct impl;
    std::shared_ptr<impl> impl_;
};

}  // namespace hotline::server
