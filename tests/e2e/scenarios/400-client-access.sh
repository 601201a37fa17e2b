# shellcheck shell=bash disable=SC2154  # sourced by run.sh; globals from lib.sh
# checks.client_access (Postfix's check_client_access cidr:) behind real Postfix, clients posed
# with XCLIENT: an IPv4 network rejected at RCPT (postmaster@ still delivered), a host inside it
# allowed (OK: no more checks, so its bad HELO passes the helo check listed after), an IPv6 /32
# rejected with a /48 inside it allowed, a DEFER network 450; then the table is edited while
# mxgate runs and the change is in force within the reload interval.
table=$SC_DIR/client_access.cidr
cat >"$table" <<'CIDR'
192.0.2.0/24        REJECT 5.7.1 no mail from this network
192.0.2.77          OK
198.51.100.0/24     DEFER try again later
2001:db8::/32       REJECT no mail from this IPv6 network
2001:db8:1::/48     OK
CIDR
conf=$(mxgate_dns_conf client-access <<TOML
[checks.client_access]
map = "$table"
reload_interval = "200ms"

[checks.helo]
TOML
)
mxgate_restart "$conf"

tok=$(token client-rejected)
smtp_from 192.0.2.5 '[UNAVAILABLE]' --helo mail.example.test --from alice@example.test \
    --to bob@example.test,postmaster@example.test --header "Subject: $tok"
expect_reply mail 250
expect_reply rcpt#1 "550 5.7.1 <unknown[192.0.2.5]>: Client host rejected: no mail from this network"
expect_reply rcpt#2 250
expect_reply eom 250
expect_delivered "$tok" postmaster@example.test

tok=$(token client-ok)
smtp_from 192.0.2.77 '[UNAVAILABLE]' --helo localhost --from alice@example.test \
    --to bob@example.test --header "Subject: $tok"
expect_reply rcpt 250
expect_reply eom 250
expect_delivered "$tok" bob@example.test

tok=$(token client-defer)
smtp_from 198.51.100.9 '[UNAVAILABLE]' --helo mail.example.test --from alice@example.test \
    --to bob@example.test --header "Subject: $tok"
expect_reply rcpt "450 4.7.1"
expect_no_stage eom
expect_not_delivered "$tok"

tok=$(token client-v6-rejected)
smtp_from IPV6:2001:db8::5 '[UNAVAILABLE]' --helo mail.example.test --from alice@example.test \
    --to bob@example.test --header "Subject: $tok"
expect_reply rcpt "550 5.7.1 <unknown[2001:db8::5]>: Client host rejected: no mail from this IPv6 network"
expect_not_delivered "$tok"

tok=$(token client-v6-ok)
smtp_from IPV6:2001:db8:1::5 '[UNAVAILABLE]' --helo localhost --from alice@example.test \
    --to bob@example.test --header "Subject: $tok"
expect_reply eom 250
expect_delivered "$tok" bob@example.test

# Live reload: the /24 becomes OK; a broken line first must leave the old table in force.
mark=$(log_mark "$MXGATE_LOG")
printf '192.0.2.0/24 OK\n192.0.2.0/33 REJECT broken\n' >"$table"
expect_log "$MXGATE_LOG" "previous table stays in force.*client_access\.cidr:2:|client_access\.cidr:2:.*previous table stays in force" 5 "$mark"
tok=$(token client-broken-reload)
smtp_from 192.0.2.5 '[UNAVAILABLE]' --helo mail.example.test --from alice@example.test \
    --to bob@example.test --header "Subject: $tok"
expect_reply rcpt "550 5.7.1"

printf '192.0.2.0/24 OK\n' >"$table"
expect_log "$MXGATE_LOG" "map reloaded" 5 "$mark"
tok=$(token client-reloaded)
smtp_from 192.0.2.5 '[UNAVAILABLE]' --helo mail.example.test --from alice@example.test \
    --to bob@example.test --header "Subject: $tok"
expect_reply rcpt 250
expect_reply eom 250
expect_delivered "$tok" bob@example.test
