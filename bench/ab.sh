#!/usr/bin/env bash
# Two mxgate builds side by side under replay load (the same client, interleaved rounds, so
# the ratio holds on a noisy machine): sessions/s and each daemon's CPU per round.
#   bash bench/ab.sh OLD_BIN OLD_CONF NEW_BIN NEW_CONF [ROUNDS] [SESSIONS]
# Each config's `listen` and `log_level` are replaced (a unix socket in a temp dir, warn).
# Sessions: tests/sessions/helo.session and tests/sessions/attachments/.
# Example (before/after a change): git worktree add /tmp/old REV && (cd /tmp/old && cargo build
#   --release) && cargo build --release && bash bench/ab.sh /tmp/old/target/release/mxgate
#   /tmp/old/conf/mxgate.toml target/release/mxgate conf/mxgate.toml
set -euo pipefail
cd "$(dirname "$0")/.."
[[ $# -ge 4 ]] || { sed -n '2,9p' "$0"; exit 2; }
declare -A bin=([old]="$1" [new]="$3") conf=([old]="$2" [new]="$4")
rounds=${5:-5}; sessions=${6:-20000}
tmp=$(mktemp -d); trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$tmp"' EXIT
for v in old new; do
  # The first `listen` is [daemon]'s ([metrics] has one too).
  sed "0,/^listen = .*/s||listen = [\"unix:$tmp/$v.sock\"]|; s|^log_level = .*|log_level = \"warn\"|" \
    "${conf[$v]}" > "$tmp/$v.toml"
  "${bin[$v]}" run --config "$tmp/$v.toml" & echo $! > "$tmp/$v.pid"
done
for _ in $(seq 100); do [[ -S $tmp/old.sock && -S $tmp/new.sock ]] && break; sleep 0.1; done
ticks() { awk '{print $14+$15}' "/proc/$(cat "$tmp/$1.pid")/stat"; }
hz=$(getconf CLK_TCK)
for r in $(seq "$rounds"); do
  for v in old new; do
    t0=$(ticks $v)
    line=$("${bin[new]}" replay --load --connections 20 --sessions "$sessions" \
      --socket "unix:$tmp/$v.sock" tests/sessions/helo.session tests/sessions/attachments | head -1)
    t1=$(ticks $v)
    echo "round $r $v: $line; daemon CPU $(( (t1 - t0) * 1000 / hz )) ms"
  done
done
