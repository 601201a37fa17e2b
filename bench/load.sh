#!/usr/bin/env bash
# Replay load mode against `mxgate run` over a unix socket: the default config (HELO
# check only) and the same daemon with no check enabled, interleaved, in one run so the
# ratio is meaningful on a noisy machine.
#   bash bench/load.sh [ROUNDS] [SESSIONS]
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-3}; sessions=${2:-20000}
cargo build --release --quiet
bin=$PWD/target/release/mxgate
tmp=$(mktemp -d); trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$tmp"' EXIT
sed "s|listen = \[\"inet:127.0.0.1:8891\"\]|listen = [\"unix:$tmp/SOCK\"]|; s|log_level = \"info\"|log_level = \"warn\"|" conf/mxgate.toml > "$tmp/base.toml"
sed 's/SOCK/helo.sock/' "$tmp/base.toml" > "$tmp/helo.toml"
sed 's/SOCK/none.sock/; s/^enabled = true/enabled = false/' "$tmp/base.toml" > "$tmp/none.toml"
for c in helo none; do "$bin" run --config "$tmp/$c.toml" & done
for _ in $(seq 50); do [[ -S $tmp/helo.sock && -S $tmp/none.sock ]] && break; sleep 0.1; done
for r in $(seq "$rounds"); do
  for c in helo none; do
    printf 'round %s  %-5s ' "$r" "$c"
    "$bin" replay --load --connections 20 --sessions "$sessions" --socket "unix:$tmp/$c.sock" tests/sessions/helo.session | head -1
  done
done
"$bin" replay --load --connections 20 --sessions "$sessions" --socket "unix:$tmp/helo.sock" tests/sessions/helo.session
for c in helo none; do
  pid=$(pgrep -f "$tmp/$c.toml")
  echo "$c daemon: $(ps -o rss=,cputime= -p "$pid" | awk '{print "RSS " $1 " KiB, CPU " $2}')"
done
