# shellcheck shell=bash disable=SC2154  # sourced by run.sh; globals from lib.sh
# checks.spf with example.test's "v=spf1 ip4:192.0.2.0/24 -all" (example.test.zone):
# - 192.0.2.10 sending for example.test: pass; delivered with Received-SPF: pass and our
#   Authentication-Results (authserv-id = Postfix's myhostname, mx.e2e.test); a forged
#   Authentication-Results with our authserv-id is removed, a foreign one kept;
# - 198.51.100.7 sending for example.test: fail, 550 5.7.23 at RCPT (delay_reject), not
#   delivered; postmaster@ in the same session still gets it, marked Received-SPF: fail.
# Only spf is enabled (198.51.100.0/24 has no reverse zone: rdns would tempfail).
conf=$(mxgate_dns_conf spf <<'TOML'
[checks.spf]
mode = "enforce"
TOML
)
mxgate_restart "$conf"

mark=$(log_mark "$DNS_LOG")
tok=$(token spf-pass)
smtp_from 192.0.2.10 mail.example.test --helo mail.example.test --from alice@example.test \
    --to bob@example.test --header "Subject: $tok" \
    --add-header "Authentication-Results: mx.e2e.test; spf=pass smtp.mailfrom=forged@example.test" \
    --add-header "Authentication-Results: elsewhere.example; spf=fail smtp.mailfrom=kept@example.test"
expect_reply rcpt 250
expect_reply eom 250
expect_delivered "$tok" bob@example.test
expect_log "$DNS_LOG" '^query example\.test\. TXT$' 5 "$mark"
msg=$(sink_file "$tok")
expect_header "$msg" '^Received-SPF: pass \(mx\.e2e\.test: domain of alice@example\.test designates 192\.0\.2\.10 as permitted sender\) client-ip=192\.0\.2\.10; envelope-from="alice@example\.test"; helo=mail\.example\.test;'
expect_header "$msg" '^Authentication-Results: mx\.e2e\.test; spf=pass smtp\.mailfrom=alice@example\.test; spf=none smtp\.helo=mail\.example\.test$'
expect_header "$msg" '^Authentication-Results: elsewhere\.example; spf=fail smtp\.mailfrom=kept@example\.test$'
expect_no_header "$msg" 'forged@example\.test'

tok=$(token spf-fail)
smtp_from 198.51.100.7 '[UNAVAILABLE]' --helo mail.example.test --from alice@example.test \
    --to bob@example.test,postmaster@example.test --header "Subject: $tok"
expect_reply mail 250
expect_reply rcpt#1 "550 5.7.23 SPF fail: 198.51.100.7 is not allowed to send mail from example.test"
expect_reply rcpt#2 250
expect_reply eom 250
expect_delivered "$tok" postmaster@example.test
expect_header "$(sink_file "$tok")" '^Received-SPF: fail \(mx\.e2e\.test: domain of alice@example\.test does not designate 198\.51\.100\.7 as permitted sender\)'

tok=$(token spf-fail-only)
smtp_from 198.51.100.7 '[UNAVAILABLE]' --helo mail.example.test --from alice@example.test \
    --to bob@example.test --header "Subject: $tok"
expect_reply rcpt "550 5.7.23"
expect_no_stage eom
expect_not_delivered "$tok"
