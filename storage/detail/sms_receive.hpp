#pragma once
// The body of database::receive_sms, run by the writer inside the batch
// transaction (a failure rolls back all it wrote). New reports are filed
// through `insert_report`, the writer's own insert path (id from its
// allocator, the report row and its `received` event), so SMS reports share
// ids, codes and history with every other channel.

#include <functional>

#include "intake/result.hpp"
#include "intake/tracking_code.hpp"
#include "storage/assignments.hpp"
#include "storage/database.hpp"
#include "storage/sms.hpp"
#include "storage/sqlite.hpp"

namespace hotline::storage::detail {

using report_inserter = std::function<result<receipt>(const new_report&)>;

// `routing`, when not null, is where m.body places the report and the policy:
// a message whose body names a commune is not asked for one, and a location
// added to an open report is routed with it (route_late_location). New
// reports are routed by `insert_report` itself. `command` is
// intake::parse_sms_command(m.body), parsed by the caller before the write
// was queued: it depends on the body alone.
result<sms_outcome> receive_sms(connection& c, const inbound_sms& m, const intake::sms_command& command,
                                const sms_options& o, const intake::tracking_codec& codec,
                                const routing_request* routing, const report_inserter& insert_report);

}  // namespace hotline::storage::detail
