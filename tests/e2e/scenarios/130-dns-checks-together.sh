# shellcheck shell=bash disable=SC2154  # sourced by run.sh; globals from lib.sh
# rdns, dnsbl and spf together, in config-file order, as on a real MX; IPv4 and IPv6 clients:
# - 192.0.2.50 (PTR liar + two.example.test; two confirms), not listed, SPF pass for pass.spf.test
#   (ip4:192.0.2.0/24 ip6:2001:db8::/32): delivered, Received-SPF: pass;
# - 2001:db8::10 (PTR/AAAA mail.example.test), not listed, SPF pass: delivered, the milter saw the
#   IPv6 address (ip6.arpa PTR and nibble DNSBL queries), client-ip=2001:db8::10;
# - 192.0.2.30 (no PTR): rdns 550 5.7.25, before the other checks' hits could matter;
# - 192.0.2.10 (FCrDNS ok) listed in dnsbl.test: 554 5.7.1;
# - 192.0.2.50 sending for fail.spf.test: 550 5.7.23.
conf=$(mxgate_dns_conf dns-together <<'TOML'
[checks.rdns]
mode = "enforce"

[checks.dnsbl]
mode = "enforce"

[[checks.dnsbl.lists]]
zone = "dnsbl.test"

[checks.spf]
mode = "enforce"
TOML
)
mxgate_restart "$conf"

tok=$(token together-ok4)
smtp_from 192.0.2.50 two.example.test --helo two.example.test --from alice@pass.spf.test \
    --to bob@example.test --header "Subject: $tok"
expect_reply rcpt 250
expect_reply eom 250
expect_delivered "$tok" bob@example.test
expect_header "$(sink_file "$tok")" '^Received-SPF: pass .*client-ip=192\.0\.2\.50;'

mark=$(log_mark "$DNS_LOG")
tok=$(token together-ok6)
smtp_from IPV6:2001:db8::10 mail.example.test --helo mail.example.test \
    --from alice@pass.spf.test --to bob@example.test --header "Subject: $tok"
expect_reply xclient 220
expect_reply rcpt 250
expect_reply eom 250
expect_delivered "$tok" bob@example.test
expect_header "$(sink_file "$tok")" '^Received-SPF: pass .*client-ip="?2001:db8::10"?;'
expect_log "$DNS_LOG" '^query 0\.1\.0\.0(\.0){20}\.8\.b\.d\.0\.1\.0\.0\.2\.ip6\.arpa\. PTR$' 5 "$mark"
expect_log "$DNS_LOG" '^query mail\.example\.test\. AAAA$' 5 "$mark"
expect_log "$DNS_LOG" '^query 0\.1\.0\.0(\.0){20}\.8\.b\.d\.0\.1\.0\.0\.2\.dnsbl\.test\. A$' 5 "$mark"

tok=$(token together-noptr)
smtp_from 192.0.2.30 '[UNAVAILABLE]' --helo mail.example.test --from alice@pass.spf.test \
    --to bob@example.test --header "Subject: $tok"
expect_reply rcpt "550 5.7.25"
expect_no_stage eom
expect_not_delivered "$tok"

tok=$(token together-listed)
smtp_from 192.0.2.10 mail.example.test --helo mail.example.test --from alice@pass.spf.test \
    --to bob@example.test --header "Subject: $tok"
expect_reply rcpt "554 5.7.1 Service unavailable; client [192.0.2.10] blocked using dnsbl.test"
expect_no_stage eom
expect_not_delivered "$tok"

tok=$(token together-spf-fail)
smtp_from 192.0.2.50 two.example.test --helo two.example.test --from alice@fail.spf.test \
    --to bob@example.test --header "Subject: $tok"
expect_reply rcpt "550 5.7.23 SPF fail: 192.0.2.50 is not allowed to send mail from fail.spf.test"
expect_no_stage eom
expect_not_delivered "$tok"
