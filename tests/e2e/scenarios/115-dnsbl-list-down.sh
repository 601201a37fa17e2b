# shellcheck shell=bash disable=SC2154  # sourced by run.sh; globals from lib.sh
# checks.dnsbl with a list whose servers fail (down.test is in no fixture zone: the fixture server
# answers REFUSED, a temporary error): by default (on_error = "continue") mail flows; with
# on_error = "tempfail" the client gets a 4xx at RCPT, never a 5xx.
conf=$(mxgate_dns_conf dnsbl-down <<'TOML'
[checks.dnsbl]
mode = "enforce"

[[checks.dnsbl.lists]]
zone = "down.test"
TOML
)
mxgate_restart "$conf"
mark=$(log_mark "$DNS_LOG")
tok=$(token dnsbl-down-open)
smtp_from 192.0.2.10 mail.example.test --helo mail.example.test --from alice@example.test \
    --to bob@example.test --header "Subject: $tok"
expect_reply rcpt 250
expect_reply eom 250
expect_delivered "$tok" bob@example.test
expect_log "$DNS_LOG" '^query 10\.2\.0\.192\.down\.test\. A$' 5 "$mark"

conf=$(mxgate_dns_conf dnsbl-down-tempfail <<'TOML'
[checks.dnsbl]
mode = "enforce"
on_error = "tempfail"

[[checks.dnsbl.lists]]
zone = "down.test"
TOML
)
mxgate_restart "$conf"
tok=$(token dnsbl-down-tempfail)
smtp_from 192.0.2.10 mail.example.test --helo mail.example.test --from alice@example.test \
    --to bob@example.test --header "Subject: $tok"
expect_reply mail 250
expect_reply rcpt "451 4.7.1 Service temporarily unavailable; DNS blocklist lookup failed"
expect_first_failure 4 rcpt
expect_no_stage eom
expect_not_delivered "$tok"
