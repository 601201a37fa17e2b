#!/usr/bin/env bash
# Load mode with [checks.attachments] on 10 KB, 1 MB and 20 MB messages (generated here, one
# harmless base64 attachment each, so the whole MIME walk runs and the message passes), plus the
# 10 KB message with a blocked name (rejected at end of message). One fresh daemon per size on a
# unix socket: sessions/s from `mxgate replay --load`, the daemon's peak RSS (VmHWM) after it.
#   bash bench/attachments.sh [CONNECTIONS]
# 20 MB is above the default max_scan_bytes (10 MiB): its body is buffered up to the limit and
# the rest counted, so this also measures the oversize path (oversize = "continue").
set -euo pipefail
cd "$(dirname "$0")/.."
conns=${1:-10}
cargo build --release --quiet --bin mxgate
bin=$PWD/target/release/mxgate
tmp=$(mktemp -d); trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$tmp"' EXIT

# message FILE SIZE NAME: headers, a text part, one base64 attachment of about SIZE bytes.
message() {
    local raw=$(( $2 * 3 / 4 ))
    {
        printf 'From: alice@example.org\nTo: bob@example.net\nSubject: bench %s\nMIME-Version: 1.0\n' "$2"
        printf 'Content-Type: multipart/mixed; boundary="bench-b"\n\n--bench-b\nContent-Type: text/plain\n\nhello\n'
        printf -- '--bench-b\nContent-Type: application/octet-stream; name="%s"\n' "$3"
        printf 'Content-Disposition: attachment;\n filename*=UTF-8'"''"'%s\nContent-Transfer-Encoding: base64\n\n' "$3"
        head -c "$raw" /dev/urandom | base64 -w 76
        printf -- '--bench-b--\n'
    } >"$1"
}

run() { # run LABEL SIZE NAME SESSIONS
    local label=$1 size=$2 name=$3 n=$4 sock=$tmp/$1.sock
    message "$tmp/$label.eml" "$size" "$name"
    cat >"$tmp/$label.session" <<SESSION
session $label
connect 192.0.2.10 port 1 name mail.example.org
helo mail.example.org
mail <alice@example.org>
rcpt <bob@example.net>
message @$label.eml
eom
SESSION
    cat >"$tmp/$label.toml" <<TOML
[daemon]
listen = ["unix:$sock"]
log_level = "warn"
[checks.attachments]
TOML
    "$bin" run --config "$tmp/$label.toml" 2>"$tmp/$label.log" &
    local pid=$!
    for _ in $(seq 100); do [[ -S $sock ]] && break; sleep 0.1; done
    local rss0; rss0=$(awk '/VmRSS/ {print $2}' "/proc/$pid/status")
    local out; out=$("$bin" replay --load --connections "$conns" --sessions "$n" --socket "unix:$sock" "$tmp/$label.session")
    local hwm; hwm=$(awk '/VmHWM/ {print $2}' "/proc/$pid/status")
    printf '%-12s %9s bytes  %s  | daemon RSS idle %s KiB, peak %s KiB\n' "$label" \
        "$(stat -c %s "$tmp/$label.eml")" "$(head -1 <<<"$out")" "$rss0" "$hwm"
    grep -E '^ *(eom|session) ' <<<"$out" | sed 's/^/             /' || true
    kill "$pid"; wait "$pid" 2>/dev/null || true
}

run small 10000 report.pdf 5000
run small-block 10000 invoice.pdf.exe 5000
run medium 1000000 report.pdf 400
run large 20000000 report.pdf 40
