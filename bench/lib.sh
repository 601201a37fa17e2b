# shellcheck shell=bash
# Helpers for the bench scripts. Sourced, not executed.

_bench_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

# all_checks DIR CHECK...: the [checks.CHECK] sections (with their [[checks.CHECK.*]] tables) of
# bench/all-checks.toml, in its order, @DIR@ replaced by DIR. Fails on a CHECK it does not have.
all_checks() {
    local dir=$1
    shift
    awk -v names=" $* " -v dir="$dir" '
        /^[[:space:]]*(#|$)/ { next }
        /^[[:space:]]*\[/ {
            hdr = $0; gsub(/[][[:space:]]/, "", hdr); split(hdr, part, ".")
            keep = index(names, " " part[2] " ") > 0
            if (keep) seen[part[2]] = 1
        }
        keep {
            while ((i = index($0, "@DIR@")) > 0) $0 = substr($0, 1, i - 1) dir substr($0, i + 5)
            print
        }
        END {
            n = split(names, want, " ")
            for (i = 1; i <= n; i++) if (!(want[i] in seen)) {
                print "all_checks: no [checks." want[i] "] in bench/all-checks.toml" >"/dev/stderr"; exit 1
            }
        }' "$_bench_dir/all-checks.toml"
}

# add_keys TABLE LINE...: a filter: the TOML on stdin with the LINEs added at the end of the table
# [TABLE] (of each [[TABLE]]), e.g. add_keys checks.greylist 'delay = 0'. Fails if there is none.
add_keys() {
    local table=$1 IFS=$'\n'
    shift
    awk -v t="$table" -v lines="$*" '
        function flush() { if (in_t) { print lines; found = 1 }; in_t = 0 }
        /^[[:space:]]*\[/ { flush(); hdr = $0; gsub(/[][[:space:]]/, "", hdr); in_t = (hdr == t) }
        { print }
        END { flush(); if (!found) { print "add_keys: no [" t "]" >"/dev/stderr"; exit 1 } }'
}

# start_dns BIN DIR: the fixture DNS server BIN (examples/fixture_dns) on 127.0.0.1, on a port it
# picks itself, serving tests/fixtures/zones, its output in DIR/dns.out; sets dns (ADDR:PORT) and
# dnspid. Exits if it does not say where it listens within 10 s.
start_dns() {
    "$1" --listen 127.0.0.1:0 >"$2/dns.out" 2>&1 &
    # shellcheck disable=SC2034 # for the caller
    dnspid=$!
    for _ in $(seq 100); do grep -q '^listening on ' "$2/dns.out" 2>/dev/null && break; sleep 0.1; done
    dns=$(sed -n 's/^listening on \(127\.0\.0\.1:[0-9]*\) .*/\1/p' "$2/dns.out")
    [[ -n $dns ]] || { echo "$0: fixture_dns did not start:" >&2; cat "$2/dns.out" >&2; exit 1; }
}
