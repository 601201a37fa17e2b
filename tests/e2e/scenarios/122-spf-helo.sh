# shellcheck shell=bash disable=SC2154  # sourced by run.sh; globals from lib.sh
# checks.spf alone also checks the HELO identity (check_helo = true by default), which needs the
# HELO name from Postfix even though no check runs at the HELO stage:
# - 192.0.2.10, HELO mail.example.test (no SPF record): Received-SPF and Authentication-Results
#   name the HELO (helo=mail.example.test, spf=none smtp.helo=mail.example.test);
# - 198.51.100.7, HELO example.test ("v=spf1 ip4:192.0.2.0/24 -all"), MAIL FROM a domain without
#   SPF (none): the HELO fail decides (helo_fail = "reject"): 550 5.7.23 at RCPT.
conf=$(mxgate_dns_conf spf-helo <<'TOML'
[checks.spf]
mode = "enforce"
TOML
)
mxgate_restart "$conf"

mark=$(log_mark "$DNS_LOG")
tok=$(token spf-helo-none)
smtp_from 192.0.2.10 mail.example.test --helo mail.example.test --from alice@example.test \
    --to bob@example.test --header "Subject: $tok"
expect_reply eom 250
expect_delivered "$tok" bob@example.test
expect_log "$DNS_LOG" '^query mail\.example\.test\. TXT$' 5 "$mark"
msg=$(sink_file "$tok")
expect_header "$msg" '^Received-SPF: pass .*; helo=mail\.example\.test;'
expect_header "$msg" '^Authentication-Results: mx\.e2e\.test; spf=pass smtp\.mailfrom=alice@example\.test; spf=none smtp\.helo=mail\.example\.test$'

tok=$(token spf-helo-fail)
smtp_from 198.51.100.7 '[UNAVAILABLE]' --helo example.test --from alice@mail.example.test \
    --to bob@example.test --header "Subject: $tok"
expect_reply mail 250
expect_reply rcpt "550 5.7.23 SPF fail: 198.51.100.7 is not allowed to send HELO example.test"
expect_no_stage eom
expect_not_delivered "$tok"
