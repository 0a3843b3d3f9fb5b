-- wrk script: signed Twilio SMS webhooks (POST /webhooks/sms/twilio), read
-- from a file that bench/twilio_requests.mjs generated beforehand with
-- Twilio's own library (wrk's Lua cannot compute HMAC-SHA1 fast enough).
-- One request per line: X-Twilio-Signature value, TAB, form body.
--
--   TWILIO_REQUESTS=FILE TWILIO_THREADS=N \
--     wrk -tN -c32 -d10s --latency -s post_twilio.lua http://HOST:PORT/webhooks/sms/twilio
--
-- TWILIO_THREADS must equal wrk's -t: thread k (1..N) sends lines k, k+N,
-- k+2N, ... so that the threads' slices are disjoint. A thread whose id
-- exceeds TWILIO_THREADS stops wrk at once (it would share lines otherwise).
-- A line is never sent twice: each thread streams its slice from its own file
-- handle and never rewinds. The file is opened in init() and read as requests
-- go out rather than loaded whole there: wrk starts thread 1's event loop
-- before it runs thread 2's init(), so a long load would let thread 1 send
-- requests that wrk counts but whose time it does not. (wrk also calls
-- request() once in thread 1 right after init() to check the request's
-- syntax; that line is read and never sent.)
--
-- When a thread runs out of lines it stops its event loop
-- (wrk.thread:stop()) and answers wrk's last request() calls with a filler
-- GET /healthz; the lines it could not send are reported as twilio_ran_out,
-- which bench/run.sh treats as a broken run (the file was too short).
--
-- Every 200 must be TwiML with a message: the body must contain
-- "<Response><Message>". Every 8th is also checked for the reply's tracking
-- code ("Ma so: 7KQ2-M9XD", the 31-symbol alphabet without 0 O 1 I L) and
-- its Content-Type (text/xml); the sampled codes must all differ (each
-- message is a new report).
--
-- done() prints machine-readable lines for bench/run.sh:
--   twilio_ok N                 200 answers
--   twilio_non200 N             any other status
--   twilio_status CODE N        per status code
--   twilio_first_error ...      status and start of the first non-200 body
--   twilio_bad_twiml N          200s without <Response><Message>
--   twilio_first_bad_twiml ...  start of the first such body
--   twilio_codes_checked N      sampled answers whose tracking code was read
--   twilio_codes_bad N          sampled answers with no well-formed code or not text/xml
--   twilio_codes_duplicate N    sampled codes seen twice
--   twilio_lines_read N         lines taken from the file by all threads
--   twilio_ran_out N            request() calls after a thread's slice ended
--   twilio_threads N            wrk threads that ran (TWILIO_THREADS: stride)

local file_path = os.getenv("TWILIO_REQUESTS")
local stride_env = tonumber(os.getenv("TWILIO_THREADS") or "")

local threads = {}
local next_id = 0

-- Runs in wrk's main Lua state, once per thread, before that thread's init().
function setup(thread)
  next_id = next_id + 1
  if not stride_env or stride_env < 1 then
    io.stderr:write("post_twilio.lua: set TWILIO_THREADS to wrk's -t value\n")
    os.exit(2)
  end
  if next_id > stride_env then
    io.stderr:write(string.format(
      "post_twilio.lua: wrk runs more threads than TWILIO_THREADS=%d: their slices would overlap\n", stride_env))
    os.exit(2)
  end
  thread:set("tid", next_id)
  thread:set("stride", stride_env)
  threads[#threads + 1] = thread
end

local fh
local find, sub = string.find, string.sub

lines_read = 0
ran_out = 0
filler_pending = 0
ok = 0
non200 = 0
bad_twiml = 0
codes_checked = 0
codes_bad = 0
codes_duplicate = 0
codes = {}
seen = {}
first_error = ""
first_bad_twiml = ""

local filler

function init(args)
  if not file_path or file_path == "" then error("post_twilio.lua: set TWILIO_REQUESTS to the requests file") end
  local err
  fh, err = io.open(file_path, "rb")
  if not fh then error("post_twilio.lua: cannot open " .. file_path .. ": " .. tostring(err)) end
  fh:setvbuf("full", 1024 * 1024)
  -- Offset: skip the lines of the threads before this one.
  for _ = 2, tid do fh:read("*l") end
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
  filler = wrk.format("GET", "/healthz", { Host = wrk.host }, nil)
end

function request()
  local line = fh and fh:read("*l")
  if line then
    -- Stride: skip the other threads' lines.
    for _ = 2, stride do fh:read("*l") end
  end
  local tab = line and find(line, "\t", 1, true)
  if not tab then
    if line then error("post_twilio.lua: malformed line (no TAB) in " .. file_path) end
    ran_out = ran_out + 1
    filler_pending = filler_pending + 1
    if ran_out == 1 then
      io.stderr:write(string.format("post_twilio.lua: thread %d RAN OUT of requests after %d lines; stopping it\n",
                                    tid, lines_read))
      wrk.thread:stop()
    end
    return filler
  end
  lines_read = lines_read + 1
  wrk.headers["X-Twilio-Signature"] = sub(line, 1, tab - 1)
  return wrk.format(nil, nil, nil, sub(line, tab + 1))
end

local c4 = "[2-9A-HJKMNP-Z][2-9A-HJKMNP-Z][2-9A-HJKMNP-Z][2-9A-HJKMNP-Z]"
local code_pattern = "<Response><Message>.-Ma so: (" .. c4 .. "%-" .. c4 .. ")[^%w%-]"

function response(status, headers, body)
  body = body or ""
  if filler_pending > 0 and not find(body, "<?xml", 1, true) then
    filler_pending = filler_pending - 1   -- the answer to a filler GET /healthz
    return
  end
  if status == 200 then
    ok = ok + 1
    if not find(body, "<Response><Message>", 1, true) then
      bad_twiml = bad_twiml + 1
      if first_bad_twiml == "" then first_bad_twiml = sub(body, 1, 300):gsub("%s+", " ") end
    elseif ok % 8 == 1 then
      codes_checked = codes_checked + 1
      local code = body:match(code_pattern)
      local ctype = headers["Content-Type"] or headers["content-type"] or ""
      if not code or not find(ctype, "text/xml", 1, true) then
        codes_bad = codes_bad + 1
        if first_bad_twiml == "" then
          first_bad_twiml = "(" .. ctype .. ") " .. sub(body, 1, 300):gsub("%s+", " ")
        end
      elseif seen[code] then
        codes_duplicate = codes_duplicate + 1
      else
        seen[code] = true
      end
    end
  else
    non200 = non200 + 1
    codes[status] = (codes[status] or 0) + 1
    if first_error == "" then
      first_error = tostring(status) .. " " .. sub(body, 1, 300):gsub("%s+", " ")
    end
  end
end

function done(summary, latency, requests)
  local sum = { ok = 0, non200 = 0, bad_twiml = 0, codes_checked = 0, codes_bad = 0, codes_duplicate = 0,
                lines_read = 0, ran_out = 0 }
  local all, err, bad, union = {}, "", "", {}
  for _, thread in ipairs(threads) do
    for k in pairs(sum) do sum[k] = sum[k] + (thread:get(k) or 0) end
    for code, cnt in pairs(thread:get("codes") or {}) do all[code] = (all[code] or 0) + cnt end
    if err == "" then err = thread:get("first_error") or "" end
    if bad == "" then bad = thread:get("first_bad_twiml") or "" end
    -- Codes sampled by different threads must differ too.
    for code in pairs(thread:get("seen") or {}) do
      if union[code] then sum.codes_duplicate = sum.codes_duplicate + 1 else union[code] = true end
    end
  end
  for _, k in ipairs({ "ok", "non200", "bad_twiml", "codes_checked", "codes_bad", "codes_duplicate",
                       "lines_read", "ran_out" }) do
    io.write(string.format("twilio_%s %d\n", k, sum[k]))
  end
  for code, cnt in pairs(all) do io.write(string.format("twilio_status %s %d\n", tostring(code), cnt)) end
  if err ~= "" then io.write("twilio_first_error " .. err .. "\n") end
  if bad ~= "" then io.write("twilio_first_bad_twiml " .. bad .. "\n") end
  io.write(string.format("twilio_threads %d\n", #threads))
end
