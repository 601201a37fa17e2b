# shellcheck shell=bash disable=SC2154  # sourced by run.sh; globals from lib.sh
# checks.dnsbl with the fixture list dnsbl.test: a listed client (192.0.2.10) gets the default
# 554 5.7.1 at RCPT, with the list's TXT reason in the reply text; postmaster@ still gets mail
# from it; an unlisted client (192.0.2.30) is delivered; an IPv6 client (2001:db8::25) is looked
# up by its nibble name and rejected. Only dnsbl is enabled.
conf=$(mxgate_dns_conf dnsbl <<'TOML'
[checks.dnsbl]
mode = "enforce"

[[checks.dnsbl.lists]]
zone = "dnsbl.test"
TOML
)
mxgate_restart "$conf"

mark=$(log_mark "$DNS_LOG")
tok=$(token dnsbl-listed)
smtp_from 192.0.2.10 mail.example.test --helo mail.example.test --from alice@example.test \
    --to bob@example.test,postmaster@example.test --header "Subject: $tok"
expect_reply mail 250
expect_reply rcpt#1 "554 5.7.1 Service unavailable; client [192.0.2.10] blocked using dnsbl.test; 192.0.2.10 is listed: mxgate test entry"
expect_reply rcpt#2 250
expect_reply eom 250
expect_delivered "$tok" postmaster@example.test
expect_log "$DNS_LOG" '^query 10\.2\.0\.192\.dnsbl\.test\. A$' 5 "$mark"
expect_log "$DNS_LOG" '^query 10\.2\.0\.192\.dnsbl\.test\. TXT$' 5 "$mark"

tok=$(token dnsbl-listed-only)
smtp_from 192.0.2.10 mail.example.test --helo mail.example.test --from alice@example.test \
    --to bob@example.test --header "Subject: $tok"
expect_reply rcpt "554 5.7.1"
expect_no_stage eom
expect_not_delivered "$tok"

mark=$(log_mark "$DNS_LOG")
tok=$(token dnsbl-unlisted)
smtp_from 192.0.2.30 '[UNAVAILABLE]' --helo mail.example.test --from alice@example.test \
    --to bob@example.test --header "Subject: $tok"
expect_reply rcpt 250
expect_reply eom 250
expect_delivered "$tok" bob@example.test
expect_log "$DNS_LOG" '^query 30\.2\.0\.192\.dnsbl\.test\. A$' 5 "$mark"

# An IPv6 client listed by its nibble name (2001:db8::25, dnsbl.test's IPv6 entry).
mark=$(log_mark "$DNS_LOG")
tok=$(token dnsbl-listed6)
smtp_from IPV6:2001:db8::25 '[UNAVAILABLE]' --helo mail.example.test \
    --from alice@example.test --to bob@example.test --header "Subject: $tok"
expect_reply xclient 220
expect_reply rcpt "554 5.7.1 Service unavailable; client [2001:db8::25] blocked using dnsbl.test; 2001:db8::25 is listed: IPv6 test entry"
expect_no_stage eom
expect_not_delivered "$tok"
expect_log "$DNS_LOG" '^query 5\.2\.0\.0(\.0){20}\.8\.b\.d\.0\.1\.0\.0\.2\.dnsbl\.test\. A$' 5 "$mark"
