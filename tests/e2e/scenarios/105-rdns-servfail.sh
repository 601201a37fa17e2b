# shellcheck shell=bash disable=SC2154  # sourced by run.sh; globals from lib.sh
# checks.rdns with the client's PTR query answered SERVFAIL (run.sh faults DNS_SERVFAIL_CLIENT):
# a temporary failure, so 450 4.7.25 at RCPT, never a 5xx; nothing delivered. The same client
# with on_error = "continue" (fail open) is let through.
conf=$(mxgate_dns_conf rdns-servfail <<'TOML'
[checks.rdns]
mode = "enforce"
TOML
)
mxgate_restart "$conf"

mark=$(log_mark "$DNS_LOG")
tok=$(token rdns-servfail)
smtp_from "$DNS_SERVFAIL_CLIENT" '[TEMPUNAVAIL]' --helo mail.example.test \
    --from alice@example.test --to bob@example.test --header "Subject: $tok"
expect_reply mail 250
expect_reply rcpt "450 4.7.25"
expect_first_failure 4 rcpt
expect_no_stage eom
expect_not_delivered "$tok"
expect_log "$DNS_LOG" "^query $(rev_re "$DNS_SERVFAIL_CLIENT") PTR\$" 5 "$mark"

conf=$(mxgate_dns_conf rdns-servfail-continue <<'TOML'
[checks.rdns]
mode = "enforce"
on_error = "continue"
TOML
)
mxgate_restart "$conf"
tok=$(token rdns-servfail-continue)
smtp_from "$DNS_SERVFAIL_CLIENT" '[TEMPUNAVAIL]' --helo mail.example.test \
    --from alice@example.test --to bob@example.test --header "Subject: $tok"
expect_reply rcpt 250
expect_reply eom 250
expect_delivered "$tok" bob@example.test
