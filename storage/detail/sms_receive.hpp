#pragma once
// The body of database::receive_sms, run by the writer inside the write's
// savepoint. New reports are filed through `insert_report`, the writer's own
// insert path (id from its allocator, the report row and its `received`
// event), so SMS reports share ids, codes and history with every other
// channel.

#include <functional>

#include "intake/result.hpp"
#include "intake/tracking_code.hpp"
#include "storage/database.hpp"
#include "storage/sms.hpp"
#include "storage/sqlite.hpp"

namespace hotline::storage::detail {

using report_inserter = std::function<result<receipt>(const new_report&)>;

result<sms_outcome> receive_sms(connection& c, const inbound_sms& m, const sms_options& o,
                                const intake::tracking_codec& codec, const report_inserter& insert_report);

}  // namespace hotline::storage::detail
