#!/usr/bin/env bash
# Instructions per milter session (issue 8): the daemon under valgrind --tool=callgrind, the load
# client in a separate process; counters zeroed after a warm-up, so startup is excluded. Counts
# are repeatable on a noisy machine (same binary: within ±1 k per session).
#
#   bash bench/callgrind.sh [all|empty] [SESSIONS] [SESSION_FILE]
#       defaults: all, 2000, bench/sessions/clean-v6.session
#
# all: client_access and sender_access (small maps), helo, rdns, dnsbl (dnsbl.test), spf,
# sender_domain, recipient_domain, attachments, greylist (SQLite, delay 0: the warm-up passes the
# triplet), against examples/fixture_dns.rs with the resolver cache on. empty: every check off.
# Prints instructions per session and the top functions by inclusive cost under mxgate::.
# Needs valgrind. MXGATE_BIN / FIXTURE_DNS_BIN skip the release build. Standalone: not run by CI.
set -euo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=lib.sh
source "$REPO/bench/lib.sh"
cfg=${1:-all}; n=${2:-2000}; sess=${3:-$REPO/bench/sessions/clean-v6.session}
[[ $cfg == all || $cfg == empty ]] || { echo "usage: $0 [all|empty] [SESSIONS] [SESSION_FILE]" >&2; exit 2; }
command -v valgrind >/dev/null || { echo "valgrind not found (apt-get install valgrind)" >&2; exit 1; }
bin=${MXGATE_BIN:-$REPO/target/release/mxgate}
dnsbin=${FIXTURE_DNS_BIN:-$REPO/target/release/examples/fixture_dns}
if [[ -z ${MXGATE_BIN:-} || -z ${FIXTURE_DNS_BIN:-} ]]; then
    (cd "$REPO" && cargo build --release --quiet --bin mxgate --example fixture_dns)
fi
d=$(mktemp -d "${TMPDIR:-/tmp}/mxgate-callgrind.XXXXXX")
dnspid='' vg_pid=''
cleanup() {
    [[ -z $vg_pid ]] || kill -TERM "$vg_pid" 2>/dev/null || true
    [[ -z $dnspid ]] || kill -TERM "$dnspid" 2>/dev/null || true
    wait 2>/dev/null || true
    rm -rf "$d"
}
trap cleanup EXIT

start_dns "$dnsbin" "$d"

printf '%s\n' '198.51.100.0/24 REJECT' '203.0.113.7 REJECT' '2001:db8:bad::/48 REJECT' >"$d/client_access.cidr"
printf '%s\n' 'spammer@example.org REJECT' 'badsender.example REJECT' >"$d/sender_access"
cat >"$d/c.toml" <<TOML
[daemon]
listen = ["unix:$d/s.sock"]
log_level = "warn"
[dns]
nameservers = ["$dns"]
cache_size = 10000
TOML
if [[ $cfg == all ]]; then
    all_checks "$d" client_access helo rdns dnsbl spf sender_access sender_domain recipient_domain \
        attachments greylist |
        add_keys checks.dnsbl 'self_test = false' |
        add_keys checks.dnsbl.lists 'ipv6 = true' |
        add_keys checks.greylist "path = \"$d/grey.sqlite\"" 'delay = 0' >>"$d/c.toml"
else
    printf '%s\n' '[checks.helo]' 'enabled = false' '[checks.attachments]' 'enabled = false' >>"$d/c.toml"
fi

valgrind --tool=callgrind --callgrind-out-file="$d/cg.out" --dump-instr=no "$bin" run --config "$d/c.toml" \
    2>"$d/vg.log" &
vg_pid=$!
for _ in $(seq 300); do [[ -S $d/s.sock ]] && break; sleep 0.1; done
[[ -S $d/s.sock ]] || { echo "mxgate did not start under valgrind: $(tail -n 5 "$d/vg.log")" >&2; exit 1; }
# Warm-up: resolver cache, greylist (first attempt greylisted with delay 0, the next passes).
for _ in 1 2 3; do "$bin" replay --socket "unix:$d/s.sock" "$sess" >"$d/warm.log" 2>&1 || true; done
if [[ $cfg == all ]] && ! "$bin" replay --socket "unix:$d/s.sock" "$sess" >"$d/warm.log" 2>&1; then
    echo "the session does not pass every check after the warm-up:" >&2; cat "$d/warm.log" >&2; exit 1
fi
"$bin" replay --load --connections 20 --sessions 200 --socket "unix:$d/s.sock" "$sess" >/dev/null
callgrind_control -z "$vg_pid" >/dev/null
"$bin" replay --load --connections 20 --sessions "$n" --socket "unix:$d/s.sock" "$sess" >"$d/load.log"
callgrind_control -d "$vg_pid" >/dev/null
kill -TERM "$vg_pid"; wait "$vg_pid" || true; vg_pid=
f=$(ls -t "$d"/cg.out.* 2>/dev/null | head -n 1 || true)
[[ -n $f ]] || { echo "no callgrind dump found" >&2; exit 1; }
tot=$(awk '/^(summary|totals):/ { print $2; exit }' "$f")
echo "$cfg: $tot instructions / $n sessions = $((tot / n)) per session"
head -n 1 "$d/load.log"
echo "top inclusive costs in mxgate (instructions per session):"
callgrind_annotate --inclusive=yes "$f" 2>/dev/null | grep -E '\.rs:<?mxgate::' | head -n 25 |
    sed -E 's/ \[[^]]*\] *$//; s/^ *([0-9,]+) .*\.rs:(<?mxgate::.*)$/\1 \2/' |
    awk -v n="$n" '{ c = $1; gsub(",", "", c); $1 = ""; printf "%10d %s\n", c / n, $0 }'
