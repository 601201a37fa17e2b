# shellcheck shell=bash disable=SC2154  # sourced by run.sh; globals from lib.sh
# checks.rdns (require = "fcrdns") against the fixture DNS server, clients posing via XCLIENT:
# a forward-confirmed client is delivered; one without PTR gets 550 5.7.25 at RCPT (not at
# connect: delay_reject) and nothing is delivered, except to postmaster@ in the same session.
conf=$(mxgate_dns_conf rdns <<'TOML'
[checks.rdns]
mode = "enforce"
require = "fcrdns"
TOML
)
mxgate_restart "$conf"

# 192.0.2.10 -> mail.example.test -> 192.0.2.10
mark=$(log_mark "$DNS_LOG")
tok=$(token rdns-ok)
smtp_from 192.0.2.10 mail.example.test --helo mail.example.test --from alice@example.test \
    --to bob@example.test --header "Subject: $tok"
expect_reply xclient 220
expect_reply rcpt 250
expect_reply eom 250
expect_delivered "$tok" bob@example.test
# mxgate asked our server (not a cache, not the system resolver) for both directions.
expect_log "$DNS_LOG" '^query 10\.2\.0\.192\.in-addr\.arpa\. PTR$' 5 "$mark"
expect_log "$DNS_LOG" '^query mail\.example\.test\. A$' 5 "$mark"

# 192.0.2.30: no PTR (NXDOMAIN). Postfix passes the XCLIENT address on to the milter.
mark=$(log_mark "$MXGATE_LOG")
tok=$(token rdns-noptr)
smtp_from 192.0.2.30 '[UNAVAILABLE]' --helo mail.example.test --from alice@example.test \
    --to bob@example.test,postmaster@example.test --header "Subject: $tok"
expect_reply mail 250
expect_reply rcpt#1 "550 5.7.25 Client host rejected: cannot find your reverse hostname, [192.0.2.30]"
expect_reply rcpt#2 250
expect_reply eom 250
expect_delivered "$tok" postmaster@example.test
expect_log "$MXGATE_LOG" 'decision .*client=[^ ]*\[192\.0\.2\.30\] .*check=rdns verdict=reject' 5 "$mark"

# Same client, only an ordinary recipient: nothing is accepted.
tok=$(token rdns-noptr-only)
smtp_from 192.0.2.30 '[UNAVAILABLE]' --helo mail.example.test --from alice@example.test \
    --to bob@example.test --header "Subject: $tok"
expect_reply rcpt "550 5.7.25"
expect_no_stage eom
expect_not_delivered "$tok"

# 192.0.2.20 -> liar.example.test, whose A is 192.0.2.99: PTR exists, not forward-confirmed.
tok=$(token rdns-liar)
smtp_from 192.0.2.20 '[UNAVAILABLE]' --helo mail.example.test --from alice@example.test \
    --to bob@example.test --header "Subject: $tok"
expect_reply rcpt "550 5.7.25 Client host rejected: your hostname does not resolve back to your address, [192.0.2.20]"
expect_no_stage eom
expect_not_delivered "$tok"
