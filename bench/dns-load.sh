#!/usr/bin/env bash
# Replay load mode with reverse DNS, DNS blocklists and SPF enabled, against `mxgate run`
# on a unix socket, DNS from examples/fixture_dns.rs on loopback: resolver cache warm
# (cache_size = 10000) and off (cache_size = 0), interleaved.
#   bash bench/dns-load.sh [ROUNDS] [SESSIONS]
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=lib.sh
source bench/lib.sh
rounds=${1:-3}; sessions=${2:-10000}
cargo build --release --quiet --bin mxgate --example fixture_dns
bin=$PWD/target/release/mxgate
tmp=$(mktemp -d); trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$tmp"' EXIT
start_dns target/release/examples/fixture_dns "$tmp"
for c in warm:10000 cold:0; do
  name=${c%%:*}; cache=${c##*:}
  cat > "$tmp/$name.toml" <<TOML
[daemon]
listen = ["unix:$tmp/$name.sock"]
log_level = "warn"
[dns]
nameservers = ["$dns"]
timeout = "2s"
cache_size = $cache
TOML
  all_checks "$tmp" rdns dnsbl spf >> "$tmp/$name.toml"
  "$bin" run --config "$tmp/$name.toml" &
done
for _ in $(seq 50); do [[ -S $tmp/warm.sock && -S $tmp/cold.sock ]] && break; sleep 0.1; done
echo "expectations (warm):"; "$bin" replay --socket "unix:$tmp/warm.sock" bench/sessions/dns-mix.session | tail -1
for r in $(seq "$rounds"); do
  for c in warm cold; do
    printf 'round %s  %-5s ' "$r" "$c"
    "$bin" replay --load --connections 20 --sessions "$sessions" --socket "unix:$tmp/$c.sock" bench/sessions/dns-mix.session | head -1
  done
done
for c in warm cold; do
  echo "== $c"
  "$bin" replay --load --connections 20 --sessions "$sessions" --socket "unix:$tmp/$c.sock" bench/sessions/dns-mix.session | tail -n +2
  pid=$(pgrep -f "$tmp/$c.toml")
  echo "$c daemon: $(ps -o rss=,cputime= -p "$pid" | awk '{print "RSS " $1 " KiB, CPU " $2}')"
done
