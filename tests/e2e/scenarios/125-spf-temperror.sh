# shellcheck shell=bash disable=SC2154  # sourced by run.sh; globals from lib.sh
# checks.spf when the sender domain's SPF record cannot be fetched (down.test is in no fixture
# zone: REFUSED, a temporary DNS error): temperror, 451 4.7.24 at RCPT with the default
# on_error = "tempfail", never a 5xx; with on_error = "continue" the message is delivered.
conf=$(mxgate_dns_conf spf-temperror <<'TOML'
[checks.spf]
mode = "enforce"
check_helo = false
TOML
)
mxgate_restart "$conf"
mark=$(log_mark "$DNS_LOG")
tok=$(token spf-temperror)
smtp_from 192.0.2.10 mail.example.test --helo mail.example.test --from alice@down.test \
    --to bob@example.test --header "Subject: $tok"
expect_reply mail 250
expect_reply rcpt "451 4.7.24 SPF: temporary error evaluating down.test"
expect_first_failure 4 rcpt
expect_no_stage eom
expect_not_delivered "$tok"
expect_log "$DNS_LOG" '^query down\.test\. TXT$' 5 "$mark"

conf=$(mxgate_dns_conf spf-temperror-continue <<'TOML'
[checks.spf]
mode = "enforce"
check_helo = false
on_error = "continue"
TOML
)
mxgate_restart "$conf"
tok=$(token spf-temperror-continue)
smtp_from 192.0.2.10 mail.example.test --helo mail.example.test --from alice@down.test \
    --to bob@example.test --header "Subject: $tok"
expect_reply rcpt 250
expect_reply eom 250
expect_delivered "$tok" bob@example.test
expect_header "$(sink_file "$tok")" '^Received-SPF: temperror '
