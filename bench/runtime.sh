#!/usr/bin/env bash
# current-thread vs multi-thread tokio runtime ([daemon] runtime): two `mxgate run` with the
# same config, driven in interleaved rounds by the replay load client on unix sockets.
# Per round and runtime: sessions/s (load client) and the daemon's CPU seconds per 1000
# sessions (utime + stime from /proc/PID/stat, before and after the round).
#   bash bench/runtime.sh [ROUNDS] [SESSIONS] [CONNECTIONS]   (default 6 20000 20)
#
# Checks on: client_access (small table, no entry matches), helo, rdns, dnsbl, spf,
# attachments; DNS from examples/fixture_dns.rs on loopback with the resolver cache warmed
# by a first, uncounted round. Sessions: tests/sessions/*.session,
# tests/sessions/attachments/basic.session, bench/sessions/*.session (load mode ignores
# their expectations; every session must finish without a protocol error).
# Standalone (not run by CI). Needs cargo.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=lib.sh
source bench/lib.sh
rounds=${1:-6}; sessions=${2:-20000}; connections=${3:-20}
for n in "$rounds" "$sessions" "$connections"; do
  [[ $n =~ ^[1-9][0-9]*$ ]] || { echo "usage: bash bench/runtime.sh [ROUNDS] [SESSIONS] [CONNECTIONS]" >&2; exit 2; }
done
command -v cargo > /dev/null || { echo "bench/runtime.sh: cargo is required" >&2; exit 1; }
[[ -r /proc/self/stat ]] || { echo "bench/runtime.sh: needs Linux /proc" >&2; exit 1; }
tck=$(getconf CLK_TCK)

cargo build --release --quiet --bin mxgate --example fixture_dns
bin=$PWD/target/release/mxgate
files=(tests/sessions/*.session tests/sessions/attachments/basic.session bench/sessions/*.session)
for f in "${files[@]}"; do [[ -r $f ]] || { echo "bench/runtime.sh: missing session file $f" >&2; exit 1; }; done

tmp=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2> /dev/null || true; done
  wait 2> /dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT

start_dns target/release/examples/fixture_dns "$tmp"
pids+=("$dnspid")

cat > "$tmp/client_access.cidr" <<'EOF'
198.51.100.0/24   REJECT 5.7.1 no mail from this network
203.0.113.0/24    DEFER try again later
EOF

declare -A daemon
for rt in current-thread multi-thread; do
  cat > "$tmp/$rt.toml" <<TOML
[daemon]
listen = ["unix:$tmp/$rt.sock"]
runtime = "$rt"
log_level = "warn"
[dns]
nameservers = ["$dns"]
timeout = "2s"
cache_size = 10000
TOML
  all_checks "$tmp" client_access helo rdns dnsbl spf attachments >> "$tmp/$rt.toml"
  "$bin" check-config "$tmp/$rt.toml" > /dev/null 2>&1 || { "$bin" check-config "$tmp/$rt.toml"; exit 1; }
  "$bin" run --config "$tmp/$rt.toml" 2> "$tmp/$rt.log" &
  daemon[$rt]=$!
  pids+=($!)
done
for _ in $(seq 100); do [[ -S $tmp/current-thread.sock && -S $tmp/multi-thread.sock ]] && break; sleep 0.1; done
for rt in current-thread multi-thread; do
  [[ -S $tmp/$rt.sock ]] || { echo "bench/runtime.sh: mxgate ($rt) did not start:" >&2; cat "$tmp/$rt.log" >&2; exit 1; }
done

# cpu PID -> utime + stime in clock ticks (fields 14 and 15; the command name in field 2
# has no spaces here).
cpu() { awk '{print $14 + $15}' "/proc/$1/stat"; }

# load RUNTIME N -> "SESSIONS_PER_S CPU_TICKS DNS_TICKS"; fails on any session error.
# DNS_TICKS: the fixture DNS server's CPU, near 0 when the resolver cache is warm.
load() {
  local rt=$1 n=$2 before after dns0 dns1 out
  before=$(cpu "${daemon[$rt]}"); dns0=$(cpu "$dnspid")
  out=$("$bin" replay --load --connections "$connections" --sessions "$n" --socket "unix:$tmp/$rt.sock" "${files[@]}" | head -1)
  after=$(cpu "${daemon[$rt]}"); dns1=$(cpu "$dnspid")
  # "20000 sessions in 2.345 s: 8529 sessions/s, 0 errors"
  [[ $out =~ ([0-9]+)\ sessions/s,\ ([0-9]+)\ errors ]] || { echo "bench/runtime.sh: unexpected replay output: $out" >&2; return 1; }
  if [[ ${BASH_REMATCH[2]} != 0 ]]; then
    echo "bench/runtime.sh: $rt: $out" >&2
    return 1
  fi
  echo "${BASH_REMATCH[1]} $((after - before)) $((dns1 - dns0))"
}

echo "warm-up (not counted):"
for rt in current-thread multi-thread; do
  read -r rate _ _ < <(load "$rt" 2000) || exit 1
  echo "  $rt: $rate sessions/s"
done

load0=$(cut -d' ' -f1-3 /proc/loadavg)
rows=()
declare -A rates cpus
rate_ratios=; cpu_ratios=
for r in $(seq "$rounds"); do
  # Alternate which runtime goes first, so drift in the machine's load hits both alike.
  if (( r % 2 )); then order=(current-thread multi-thread); else order=(multi-thread current-thread); fi
  for rt in "${order[@]}"; do
    read -r rate ticks dticks < <(load "$rt" "$sessions") || exit 1
    per=$(awk -v t="$ticks" -v h="$tck" -v n="$sessions" 'BEGIN {printf "%.3f", t / h / n * 1000}')
    rates[$rt]+="$rate "; cpus[$rt]+="$per "
    dper=$(awk -v t="$dticks" -v h="$tck" -v n="$sessions" 'BEGIN {printf "%.3f", t / h / n * 1000}')
    rows+=("| $r | $rt | $rate | $per | $dper |")
    printf 'round %s  %-14s %6s sessions/s  %s CPU s/1000 sessions\n' "$r" "$rt" "$rate" "$per"
    declare "last_rate_${rt%%-*}=$rate" "last_cpu_${rt%%-*}=$per"
  done
  # Ratios within a round: the two runs were back to back, so the machine's drift cancels.
  # shellcheck disable=SC2154 # set by declare above
  rate_ratios+="$(awk -v a="$last_rate_current" -v b="$last_rate_multi" 'BEGIN {print a / b}') "
  # shellcheck disable=SC2154
  cpu_ratios+="$(awk -v a="$last_cpu_current" -v b="$last_cpu_multi" 'BEGIN {print a / b}') "
done

median() { tr ' ' '\n' | grep . | sort -g | awk '{a[NR] = $1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }

echo
echo "$(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, mxgate $(git rev-parse --short HEAD)," \
     "$rounds rounds x $sessions sessions, $connections connections, unix sockets;" \
     "load average $load0 before, $(cut -d' ' -f1-3 /proc/loadavg) after"
echo
echo "| round | runtime | sessions/s | daemon CPU s / 1000 sessions | DNS server CPU s / 1000 sessions |"
echo "|---|---|---|---|---|"
printf '%s\n' "${rows[@]}"
echo
echo "| runtime | median sessions/s | median CPU s / 1000 sessions | threads | RSS (MiB) |"
echo "|---|---|---|---|---|"
for rt in current-thread multi-thread; do
  read -r rss thr < <(awk '/^VmRSS:/ {r = $2} /^Threads:/ {t = $2} END {printf "%.1f %s\n", r / 1024, t}' "/proc/${daemon[$rt]}/status")
  echo "| $rt | $(median <<< "${rates[$rt]}") | $(median <<< "${cpus[$rt]}") | $thr | $rss |"
done
awk -v a="$(median <<< "$rate_ratios")" -v c="$(median <<< "$cpu_ratios")" 'BEGIN {
  printf "\ncurrent-thread / multi-thread, median of the per-round ratios: %.2f x the sessions/s, %.2f x the daemon CPU per session (%+.0f %%)\n",
         a, c, (c - 1) * 100 }'
