#!/usr/bin/env bash
# Throughput benchmark of the hotline server: GET /healthz, then POST
# /api/v1/reports with realistic reports (bench/post_reports.lua), then signed
# Twilio SMS webhooks, POST /webhooks/sms/twilio (bench/post_twilio.lua, with
# requests signed beforehand by bench/twilio_requests.mjs using Twilio's npm
# library from tests/node/node_modules), against a fresh database, then the
# SQLite floor (bench/sqlite_baseline: one synchronous=FULL commit per report)
# on the same disk, then the location resolver's quality and speed
# (bench/locate_eval on the labelled sets in tests/routing/data), then the
# deadline scheduler with 100,000 open deadlines (bench/deadlines_bench).
#
#   bench/run.sh [BUILD_DIR]        (default: the repository's build/)
#
# Environment (all optional):
#   BENCH_DURATION=10s  BENCH_THREADS=2  BENCH_CONNECTIONS=32   wrk settings
#   BENCH_BASELINE_N=N      inserts for sqlite_baseline; by default a 100-insert
#                           probe sizes it to take BENCH_BASELINE_SECONDS=3 (fsync
#                           speed of virtual disks varies from ~170/s to ~4000/s)
#   BENCH_TMPDIR=DIR        where the databases go (default $TMPDIR or /tmp; keep
#                           it on a real disk, tmpfs makes fsync free)
#   BENCH_KEEP=1            keep the temporary directory (kept anyway on failure)
#   BENCH_TWILIO_LINES=N    signed Twilio requests to generate (default 30000 per
#                           second of BENCH_DURATION; running out breaks the run)
#
# Exit status: 0 when the run completed, even if targets were missed (MISS);
# 1 when something broke: the server did not start or stop cleanly, a request
# got a non-2xx answer (non-200 for Twilio, or a 200 that is not TwiML with a
# tracking code) or a socket error, fewer rows were stored than 201s / 200s
# answered, the Twilio requests ran out, or a tool failed.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)
build=${1:-$repo/build}
[[ $build = /* ]] || build=$PWD/$build

duration=${BENCH_DURATION:-10s}
threads=${BENCH_THREADS:-2}
server_threads=${BENCH_SERVER_THREADS:-2}   # the server's I/O threads
conns=${BENCH_CONNECTIONS:-32}
baseline_n=${BENCH_BASELINE_N:-}            # empty: sized to take ~BENCH_BASELINE_SECONDS
baseline_s=${BENCH_BASELINE_SECONDS:-3}
# wrk's duration ("10s", "1m", "2h", "10") in whole seconds, rounded up.
duration_s=$(awk -v d="$duration" 'BEGIN { n = d + 0; u = d; sub(/^[0-9.]+/, "", u)
    if (u == "m") n *= 60; else if (u == "h") n *= 3600
    n = int(n + 0.999); print (n < 1 ? 1 : n) }')
twilio_lines=${BENCH_TWILIO_LINES:-$((30000 * duration_s))}
public_base_url=https://hotline.example.vn   # any URL: Twilio's signature covers it
twilio_token=bench-token
twilio_lib=$repo/tests/node/node_modules/twilio

hotline=$build/hotline
[[ -x $hotline || ! -x $build/server/hotline ]] || hotline=$build/server/hotline
baseline=$build/bench/sqlite_baseline
locate_eval=$build/bench/locate_eval
deadlines_bench=$build/bench/deadlines_bench

die() { echo "bench: $*" >&2; exit 1; }

# --- tools ---------------------------------------------------------------------
need_tool() {  # need_tool COMMAND DEBIAN_PACKAGE
    command -v "$1" >/dev/null 2>&1 && return
    if [[ $(id -u) = 0 ]] && command -v apt-get >/dev/null 2>&1; then
        echo "bench: installing $2" >&2
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$2" >/dev/null ||
            { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$2" >/dev/null; } ||
            die "could not install $2"
    else
        die "$1 is missing: apt-get install -y $2"
    fi
}
need_tool wrk wrk
need_tool sqlite3 sqlite3
need_tool node nodejs
if [[ ! -f $twilio_lib/package.json ]]; then  # what `make test-deps` does
    need_tool npm npm
    echo "bench: installing tests/node's packages (npm ci) for Twilio's library" >&2
    (cd "$repo/tests/node" && npm ci --no-audit --no-fund --loglevel=error) >&2 ||
        die "npm ci in tests/node failed; Twilio's library is needed to sign the webhooks"
fi
[[ -x $hotline ]] || die "no server binary at $hotline (build it first: cmake --build $build)"
[[ -x $baseline ]] || die "no baseline binary at $baseline (cmake --build $build --target sqlite_baseline)"
[[ -x $locate_eval ]] || die "no locator benchmark at $locate_eval (cmake --build $build --target locate_eval)"
[[ -x $deadlines_bench ]] || die "no deadline benchmark at $deadlines_bench (cmake --build $build --target deadlines_bench)"

# --- temporary directory and clean-up -----------------------------------------
tmp=$(mktemp -d "${BENCH_TMPDIR:-${TMPDIR:-/tmp}}/hotline-bench.XXXXXX")
server_pid=
ok=0

stop_server() {  # SIGTERM, wait up to 20 s, then SIGKILL; sets server_rc
    server_rc=
    [[ -n $server_pid ]] || return 0
    if kill -0 "$server_pid" 2>/dev/null; then
        kill -TERM "$server_pid" 2>/dev/null || true
        for _ in $(seq 200); do
            kill -0 "$server_pid" 2>/dev/null || break
            sleep 0.1
        done
        if kill -0 "$server_pid" 2>/dev/null; then
            echo "bench: server did not stop within 20 s of SIGTERM; killing it" >&2
            kill -KILL "$server_pid" 2>/dev/null || true
        fi
    fi
    server_rc=0
    wait "$server_pid" 2>/dev/null || server_rc=$?
    server_pid=
}

cleanup() {
    local rc=$?
    stop_server || true
    if [[ $ok = 1 && $rc = 0 && -z ${BENCH_KEEP:-} ]]; then
        rm -rf "$tmp"
    else
        echo "bench: files kept in $tmp (server log: $tmp/server.log)" >&2
    fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# --- helpers -------------------------------------------------------------------
# wrk prints latencies as 812.00us, 1.23ms, 1.02s or 1.50m; this gives ms.
to_ms() {
    awk -v v="$1" 'BEGIN {
        n = v + 0; u = v; sub(/^[0-9.]+/, "", u)
        if (u == "us") n /= 1000; else if (u == "s") n *= 1000; else if (u == "m") n *= 60000
        printf "%.2f", n }'
}
wrk_field() {  # wrk_field FILE WHAT
    case $2 in
        rps) awk '/^Requests\/sec:/ {print $2}' "$1" ;;
        p50) awk '$1 == "50%" {print $2; exit}' "$1" ;;
        p99) awk '$1 == "99%" {print $2; exit}' "$1" ;;
        requests) awk '/requests in/ {print $1; exit}' "$1" ;;
        non2xx) awk -F': *' '/Non-2xx or 3xx responses/ {print $2; exit}' "$1" ;;
        sockerr) awk '/Socket errors:/ {sub(/^ *Socket errors: */, ""); print; exit}' "$1" ;;
    esac
}
lua_field() { awk -v k="$2" '$1 == k {print $2; exit}' "$1"; }
# verdict MEASURED VALUE OP LIMIT: PASS or MISS; MISS (not measured) when MEASURED is 0.
verdict() {
    awk -v m="$1" -v v="$2" -v op="$3" -v l="$4" 'BEGIN {
        if (m + 0 == 0) { print "MISS (not measured)"; exit }
        ok = (op == ">=") ? (v + 0 >= l + 0) : (op == "<") ? (v + 0 < l + 0) : 0
        print (ok ? "PASS" : "MISS") }'
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {if (b > 0) printf "%.2f", a / b; else print "nan"}'; }

broken=()

# --- server ----------------------------------------------------------------------
cat > "$tmp/hotline.toml" <<EOF
[server]
threads = $server_threads
public_base_url = "$public_base_url"

[limits]
reports_per_minute = 0

[storage]
key_file = "$tmp/server.key"

[sms.twilio]
auth_tokens = ["$twilio_token"]

[log]
level = "warn"
EOF

# Signed Twilio webhooks, generated before the server starts so that neither
# the signing nor the file's writing falls in a measured window.
echo "-- generating $twilio_lines signed Twilio requests (bench/twilio_requests.mjs)"
g0=$(date +%s.%N)
node --max-semi-space-size=32 "$here/twilio_requests.mjs" "$tmp/twilio-requests.txt" "$twilio_lines" \
    "$public_base_url/webhooks/sms/twilio" "$twilio_token" >"$tmp/twilio-gen.txt" ||
    die "bench/twilio_requests.mjs failed (its output: $tmp/twilio-gen.txt)"
g1=$(date +%s.%N)
gen_s=$(awk -v a="$g0" -v b="$g1" 'BEGIN {printf "%.1f", b - a}')
gen_mib=$(awk -v b="$(lua_field "$tmp/twilio-gen.txt" twilio_file_bytes)" 'BEGIN {printf "%.0f", b / 1048576}')
gen_chars=$(awk '$1 == "twilio_body_chars" {print $2 ".." $3}' "$tmp/twilio-gen.txt")
echo "   $twilio_lines lines, $gen_mib MiB, bodies of $gen_chars characters, in $gen_s s"
echo

alive() { kill -0 "$server_pid" 2>/dev/null; }
"$hotline" serve --config "$tmp/hotline.toml" --listen 127.0.0.1:0 \
    --db "$tmp/hotline.db" --port-file "$tmp/port" >"$tmp/server.out" 2>"$tmp/server.log" &
server_pid=$!

for _ in $(seq 200); do
    [[ -s $tmp/port ]] && break
    alive || break
    sleep 0.05
done
if [[ ! -s $tmp/port ]]; then
    cat "$tmp/server.out" "$tmp/server.log" >&2 || true
    if alive; then die "server did not start (no port file after 10 s)"; fi
    rc=0; wait "$server_pid" || rc=$?; server_pid=
    die "server exited with status $rc before listening"
fi
port=$(tr -d '[:space:]' <"$tmp/port")
base=http://127.0.0.1:$port
curl_ok() { command -v curl >/dev/null 2>&1 || return 0; curl -fsS -o /dev/null "$1"; }
curl_ok "$base/healthz" || die "GET $base/healthz failed before the benchmark"

echo "== hotline benchmark: $(nproc) cores, $(uname -r), db on $(stat -f -c %T "$tmp") ($tmp)"
echo "== server pid $server_pid on $base; wrk -t$threads -c$conns -d$duration --latency"
echo

# CPU seconds (user + system) the server has used so far.
hz=$(getconf CLK_TCK)
cpu_s() { awk -v hz="$hz" '{printf "%.2f", ($14 + $15) / hz}' "/proc/$server_pid/stat" 2>/dev/null || echo 0; }

# --- 1. healthz -----------------------------------------------------------------
echo "-- GET /healthz"
cpu0=$(cpu_s)
wrk -t"$threads" -c"$conns" -d"$duration" --latency "$base/healthz" | tee "$tmp/wrk-healthz.txt"
cpu1=$(cpu_s)
echo

# --- 2. intake ------------------------------------------------------------------
alive || broken+=("server died during GET /healthz")
echo "-- POST /api/v1/reports"
(cd "$here" && wrk -t"$threads" -c"$conns" -d"$duration" --latency -s post_reports.lua \
    "$base/api/v1/reports") | tee "$tmp/wrk-intake.txt"
cpu2=$(cpu_s)
echo

# --- 3. Twilio SMS webhooks ---------------------------------------------------------
alive || broken+=("server died during POST /api/v1/reports (see its log below)")
echo "-- POST /webhooks/sms/twilio"
(cd "$here" && TWILIO_REQUESTS="$tmp/twilio-requests.txt" TWILIO_THREADS=$threads \
    wrk -t"$threads" -c"$conns" -d"$duration" --latency -s post_twilio.lua \
    "$base/webhooks/sms/twilio") | tee "$tmp/wrk-twilio.txt" || broken+=("wrk failed on /webhooks/sms/twilio")
cpu3=$(cpu_s)
echo

# --- 4. SQLite floor --------------------------------------------------------------
alive || broken+=("server died during POST /webhooks/sms/twilio (see its log below)")
if [[ -z $baseline_n ]]; then
    probe=$("$baseline" "$tmp/baseline-probe.db" 100 | awk '$1 == "baseline_inserts_per_s" {print $2; exit}')
    baseline_n=$(awk -v r="${probe:-0}" -v s="$baseline_s" 'BEGIN {
        n = int(r * s); if (n < 300) n = 300; if (n > 50000) n = 50000; print n }')
fi
echo "-- sqlite_baseline $baseline_n"
"$baseline" "$tmp/baseline.db" "$baseline_n" | tee "$tmp/baseline.txt"
cpu4=$(cpu_s)
echo

# --- peak memory, then stop --------------------------------------------------------
was_alive=yes; alive || was_alive=no
vmhwm_kb=$(awk '/^VmHWM:/ {print $2}' "/proc/$server_pid/status" 2>/dev/null || true)
t0=$(date +%s.%N)
stop_server
t1=$(date +%s.%N)
stop_s=$(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.2f", b - a}')
if [[ $was_alive = yes ]]; then
    [[ $server_rc = 0 ]] || broken+=("server exited with status $server_rc after SIGTERM")
else
    broken+=("server was dead before SIGTERM (exit status $server_rc)")
fi

rows=$(sqlite3 "$tmp/hotline.db" "SELECT COUNT(*) FROM reports WHERE channel = 'api';" 2>"$tmp/sqlite3.err") ||
    { broken+=("cannot count rows: $(cat "$tmp/sqlite3.err")"); rows=0; }
sms_rows=$(sqlite3 "$tmp/hotline.db" 'SELECT COUNT(*) FROM sms_messages;' 2>"$tmp/sqlite3.err") ||
    { broken+=("cannot count sms_messages: $(cat "$tmp/sqlite3.err")"); sms_rows=0; }
sms_reports=$(sqlite3 "$tmp/hotline.db" "SELECT COUNT(*) FROM reports WHERE channel = 'sms';" 2>/dev/null || echo "?")
# Every message comes from a new number: a new report, answered, not flagged.
sms_odd=$(sqlite3 "$tmp/hotline.db" "SELECT COUNT(*) FROM sms_messages WHERE action <> 'new_report'
    OR flagged <> 0 OR report_id IS NULL OR reply IS NULL OR reply = '';" 2>/dev/null || echo "?")
sms_odd_kinds=$(sqlite3 -separator ' ' "$tmp/hotline.db" "SELECT action, flagged, reply_kind, COUNT(*) FROM sms_messages
    GROUP BY 1, 2, 3 ORDER BY 4 DESC;" 2>/dev/null | tr '\n' ';' || true)
events=$(sqlite3 "$tmp/hotline.db" 'SELECT COUNT(*) FROM events;' 2>/dev/null || echo "?")
check=$(sqlite3 "$tmp/hotline.db" 'PRAGMA quick_check;' 2>&1 | head -n 3 | tr '\n' ' ' || true)
[[ $check = "ok " ]] || broken+=("database quick_check: $check")

# --- 6. location resolution (in-process, one core, after the server stopped) -------
echo
echo "-- locate_eval: routing/data, home province 20, tests/routing/data/locate_{dev,extra}.jsonl"
"$locate_eval" "$repo/routing/data" 20 "$repo/tests/routing/data/locate_dev.jsonl" \
    "$repo/tests/routing/data/locate_extra.jsonl" > "$tmp/locate.txt" || broken+=("locate_eval failed (see $tmp/locate.txt)")
grep -v '^locate_' "$tmp/locate.txt" || true

# --- 7. deadlines: 100,000 open, rebuild, memory, timer lateness (about 30 s) --------
echo
echo "-- deadlines_bench: 100000 open deadlines"
"$deadlines_bench" "$tmp" 100000 > "$tmp/deadlines.txt" || broken+=("deadlines_bench failed (see $tmp/deadlines.txt)")
grep -v '^$' "$tmp/deadlines.txt" | sed 's/^/   /' || true

# --- figures -----------------------------------------------------------------------
h=$tmp/wrk-healthz.txt
i=$tmp/wrk-intake.txt
t=$tmp/wrk-twilio.txt
h_rps=$(wrk_field "$h" rps); h_p50=$(wrk_field "$h" p50); h_p99=$(wrk_field "$h" p99)
i_rps=$(wrk_field "$i" rps); i_p50=$(wrk_field "$i" p50); i_p99=$(wrk_field "$i" p99)
[[ -n $h_rps && -n $h_p99 ]] || broken+=("could not parse the wrk output for /healthz")
[[ -n $i_rps && -n $i_p99 ]] || broken+=("could not parse the wrk output for /api/v1/reports")
t_rps=$(wrk_field "$t" rps); t_p50=$(wrk_field "$t" p50); t_p99=$(wrk_field "$t" p99)
[[ -n $t_rps && -n $t_p99 ]] || broken+=("could not parse the wrk output for /webhooks/sms/twilio")
t_rps=${t_rps:-0} t_p50=${t_p50:-0} t_p99=${t_p99:-0}
t_non2xx=$(wrk_field "$t" non2xx); t_non2xx=${t_non2xx:-0}
t_sock=$(wrk_field "$t" sockerr)
tw() { local v; v=$(lua_field "$t" "twilio_$1"); echo "${v:-0}"; }
t_ok=$(tw ok) t_non200=$(tw non200) t_bad=$(tw bad_twiml) t_checked=$(tw codes_checked)
t_codes_bad=$(tw codes_bad) t_dup=$(tw codes_duplicate) t_read=$(tw lines_read) t_ran_out=$(tw ran_out)
[[ -n $(lua_field "$t" twilio_ok) ]] || broken+=("post_twilio.lua printed no counts (script error?)")
[[ $t_non2xx = 0 && $t_non200 = 0 ]] ||
    broken+=("twilio: $t_non200 non-200 answers ($(awk '$1 == "twilio_status" {printf "%s%s x%s", s, $2, $3; s = ", "}' "$t")); first: $(grep '^twilio_first_error' "$t" | cut -d' ' -f2- || true)")
[[ $t_bad = 0 && $t_codes_bad = 0 ]] ||
    broken+=("twilio: $t_bad 200s without <Response><Message>, $t_codes_bad of $t_checked sampled without a tracking code or not text/xml; first: $(grep '^twilio_first_bad_twiml' "$t" | cut -d' ' -f2- || true)")
(( t_ok == 0 || t_checked > 0 )) || broken+=("twilio: no answer was sampled for its tracking code")
[[ $t_dup = 0 ]] || broken+=("twilio: $t_dup tracking codes answered twice among $t_checked sampled")
[[ $t_ran_out = 0 ]] ||
    broken+=("twilio: RAN OUT of pre-generated requests after $t_read lines (raise BENCH_TWILIO_LINES from $twilio_lines)")
[[ -z $t_sock ]] || broken+=("twilio socket errors: $t_sock")
(( sms_rows >= t_ok )) || broken+=("LOST SMS: $t_ok answered 200 but only $sms_rows sms_messages rows stored")
[[ $sms_odd = 0 ]] ||
    broken+=("twilio: $sms_odd messages not filed as new, answered, unflagged reports (action flagged reply_kind count: $sms_odd_kinds)")
h_rps=${h_rps:-0} i_rps=${i_rps:-0} h_p50=${h_p50:-0} h_p99=${h_p99:-0} i_p50=${i_p50:-0} i_p99=${i_p99:-0}
h_non2xx=$(wrk_field "$h" non2xx); h_non2xx=${h_non2xx:-0}
i_non2xx=$(wrk_field "$i" non2xx); i_non2xx=${i_non2xx:-0}
h_sock=$(wrk_field "$h" sockerr); i_sock=$(wrk_field "$i" sockerr)
created=$(lua_field "$i" intake_created); created=${created:-0}
non201=$(lua_field "$i" intake_non201); non201=${non201:-0}
[[ -n $(lua_field "$i" intake_created) ]] || broken+=("post_reports.lua printed no counts (script error?)")
b_rate=$(awk '$1 == "baseline_inserts_per_s" {print $2; exit}' "$tmp/baseline.txt")
[[ -n $b_rate ]] || { broken+=("sqlite_baseline printed no baseline_inserts_per_s line"); b_rate=0; }

[[ $h_non2xx = 0 ]] || broken+=("/healthz: $h_non2xx non-2xx answers")
[[ $i_non2xx = 0 && $non201 = 0 ]] ||
    broken+=("intake: $non201 non-201 answers ($(awk '$1 == "intake_status" {printf "%s%s x%s", s, $2, $3; s = ", "}' "$i")); first: $(grep '^intake_first_error' "$i" | cut -d' ' -f2- || true)")
[[ -z $h_sock ]] || broken+=("/healthz socket errors: $h_sock")
[[ -z $i_sock ]] || broken+=("intake socket errors: $i_sock")
(( rows >= created )) || broken+=("LOST REPORTS: $created answered 201 but only $rows rows stored")

h_p50ms=$(to_ms "$h_p50"); h_p99ms=$(to_ms "$h_p99")
i_p50ms=$(to_ms "$i_p50"); i_p99ms=$(to_ms "$i_p99")
r_h=$(ratio "$i_rps" "$h_rps"); r_b=$(ratio "$i_rps" "$b_rate")
t_p50ms=$(to_ms "$t_p50"); t_p99ms=$(to_ms "$t_p99")
r_t=$(ratio "$t_rps" "$i_rps")
rss_mib=$(awk -v k="${vmhwm_kb:-0}" 'BEGIN {printf "%.1f", k / 1024}')
[[ -n $vmhwm_kb || $was_alive = no ]] || broken+=("could not read VmHWM of the server")

log_warn=$(grep -c '"level":"warn"' "$tmp/server.log" || true)
log_err=$(grep -c '"level":"error"' "$tmp/server.log" || true)
log_other=$(grep -vc '^{' "$tmp/server.log" || true)

printf '\n==================== summary ====================\n'
printf 'healthz: %10.0f req/s, p50 %s ms, p99 %s ms\n' "$h_rps" "$h_p50ms" "$h_p99ms"
printf 'intake:  %10.0f req/s, p50 %s ms, p99 %s ms (non-2xx: %s)\n' "$i_rps" "$i_p50ms" "$i_p99ms" "$non201"
printf 'twilio:  %10.0f req/s, p50 %s ms, p99 %s ms (non-200: %s)\n' "$t_rps" "$t_p50ms" "$t_p99ms" "$((t_non200 > t_non2xx ? t_non200 : t_non2xx))"
cpu_per_req() {  # cpu_per_req CPU_BEFORE CPU_AFTER WRK_FILE
    awk -v a="$1" -v b="$2" -v n="$(wrk_field "$3" requests)" \
        'BEGIN {if (b < a) print "n/a"; else printf "%.1f s CPU, %.0f us/request", b - a, (n > 0) ? (b - a) * 1e6 / n : 0}'
}
printf 'server CPU: healthz %s; intake %s; twilio %s; idle during baseline %s s\n' \
    "$(cpu_per_req "$cpu0" "$cpu1" "$h")" "$(cpu_per_req "$cpu1" "$cpu2" "$i")" "$(cpu_per_req "$cpu2" "$cpu3" "$t")" \
    "$(awk -v a="$cpu3" -v b="$cpu4" 'BEGIN {printf "%.2f", b - a}')"
printf 'twilio requests: %s generated (%s MiB) in %s s before the server started; %s read by wrk, %s of %s 200s checked for a tracking code\n' \
    "$twilio_lines" "$gen_mib" "$gen_s" "$t_read" "$t_checked" "$t_ok"
printf 'baseline (one commit per report): %.0f inserts/s\n' "$b_rate"
printf 'ratio intake/healthz  = %s, target >= 0.35  %s\n' "$r_h" "$(verdict "$i_rps" "$r_h" ">=" 0.35)"
printf 'ratio intake/baseline = %s, target >= 4     %s\n' "$r_b" "$(verdict "$i_rps" "$r_b" ">=" 4)"
printf 'ratio twilio/intake   = %s, target >= 0.8   %s\n' "$r_t" "$(verdict "$t_rps" "$r_t" ">=" 0.8)"
printf 'p99 intake = %s ms, target < 20 ms       %s\n' "$i_p99ms" "$(verdict "$i_rps" "$i_p99ms" "<" 20)"
printf 'peak RSS: %s MiB, target < 64 MiB        %s\n' "$rss_mib" "$(verdict "$rss_mib" "$rss_mib" "<" 64)"
l=$tmp/locate.txt
l_sets=$(awk '$1 == "locate_set" {n = split($2, p, "/"); printf "%s%s %d/%d", s, p[n], $3, $4; s = ", "}' "$l")
l_low=$(awk '$1 == "locate_set" && $4 > 0 {a = $3 / $4; if (m == "" || a < m) m = a} END {printf "%.3f", m + 0}' "$l")
l_wrong=$(awk '$1 == "locate_set" {w += $6} END {print w + 0}' "$l")
l_rate=$(awk '$1 == "locate_rate" {print $2; exit}' "$l"); l_rate=${l_rate:-0}
l_ratio=$(awk '$1 == "locate_rate" {print $4; exit}' "$l")
l_load=$(awk '$1 == "locate_load_ms" {print $2; exit}' "$l")
[[ -n $l_sets && -n $l_load ]] || broken+=("could not parse the locate_eval output")
printf 'locate: %s correct; units load in %s ms; %s locations/s on report bodies (%sx slower than lower-casing them)\n' \
    "$l_sets" "$l_load" "$l_rate" "$l_ratio"
printf 'locate accuracy (lowest set) = %s, target >= 0.95  %s\n' "$l_low" "$(verdict "${l_sets:+1}" "$l_low" ">=" 0.95)"
printf 'locate confident wrong on ambiguous texts = %s, target 0  %s\n' "$l_wrong" "$(verdict "${l_sets:+1}" "$l_wrong" "<" 1)"
printf 'locate speed = %s/s, target >= 20000      %s\n' "$l_rate" "$(verdict "$l_rate" "$l_rate" ">=" 20000)"
d=$tmp/deadlines.txt
d_field() { awk -v k="$1" -v f="$2" '$1 == k {print $f; exit}' "$d"; }
d_rebuild=$(d_field rebuild_scheduler_armed_ms 2)
[[ -n $d_rebuild ]] || broken+=("could not parse the deadlines_bench output")
printf 'deadlines (100000 open): scheduler armed %s ms after start, RSS %s -> %s MiB, peak %s MiB\n' \
    "${d_rebuild:-?}" "$(d_field rss_before_scheduler_mib 2)" "$(d_field rss_scheduler_armed_mib 2)" "$(d_field rss_peak_mib 2)"
printf 'deadlines lateness (committed - due): baseline p99 %s ms, under intake p99 %s ms (max %s ms, %s reports in %s s)\n' \
    "$(d_field lateness_baseline_committed_ms 5)" "$(d_field lateness_intake_committed_ms 5)" \
    "$(d_field lateness_intake_committed_ms 7)" "$(d_field intake_reports 2)" "$(d_field intake_reports 4)"
in_flight() {  # in_flight STORED ANSWERED
    if (( $1 < $2 )); then echo "LOST $(($2 - $1))"
    elif (( $1 == $2 )); then echo "equal"
    elif (( $1 - $2 <= conns )); then echo "+$(($1 - $2)) in flight when wrk stopped"
    else echo "+$(($1 - $2)): more than the $conns requests in flight, CHECK"; fi
}
printf 'rows stored (api): %s (events %s, quick_check %s), 201s answered: %s (%s)\n' "$rows" "$events" "${check% }" "$created" \
    "$(in_flight "$rows" "$created")"
printf 'sms_messages: %s (sms reports %s), twilio 200s answered: %s (%s)\n' "$sms_rows" "$sms_reports" "$t_ok" \
    "$(in_flight "$sms_rows" "$t_ok")"
printf 'server: stopped in %s s, exit %s; log: %s warn, %s error, %s non-JSON lines\n' \
    "$stop_s" "${server_rc:-?}" "$log_warn" "$log_err" "$log_other"
if (( log_warn + log_err + log_other > 0 )); then
    echo "server log events (count event):"
    grep -o '"event":"[^"]*"' "$tmp/server.log" | sort | uniq -c | sort -rn | head -n 10 | sed 's/^/  /' || true
    grep -v '^{' "$tmp/server.log" | head -n 5 | sed 's/^/  | /' || true
fi
printf '=================================================\n'

if (( ${#broken[@]} > 0 )); then
    printf 'BROKEN: %s\n' "${broken[@]}" >&2
    exit 1
fi
ok=1
