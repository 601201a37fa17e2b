# shellcheck shell=bash disable=SC2154  # sourced by run.sh; globals from lib.sh
# checks.greylist with the SQLite store (delay 3 s) behind real Postfix: a first attempt gets
# "450 4.2.0 Greylisted, try again later" at RCPT and nothing reaches the sink, while postmaster@
# in the same transaction is delivered; an early retry is still 450; a retry after the delay from
# another address of the same /24, with another +ext, is delivered; a sender whose hosts have
# verified names under one domain retries from another network and is delivered; the CLI reads
# the store while the daemon runs.
db=$SC_DIR/greylist.sqlite
conf=$(mxgate_conf greylist <<TOML
[daemon]
listen = ["unix:@MXGATE_SOCK@", "inet:127.0.0.1:@MILTER_PORT@"]
socket_mode = "0666"

[checks.greylist]
path = "$db"
delay = "3s"
TOML
)
mxgate_restart "$conf"

tok=$(token grey-first)
smtp_from 192.0.2.10 "[UNAVAILABLE]" --helo mail.example.org --from alice@example.org \
    --to bob@example.test,postmaster@example.test --header "Subject: $tok"
expect_reply rcpt#1 "450 4.2.0 Greylisted, try again later"
expect_reply rcpt#2 250
expect_reply eom 250
expect_delivered "$tok" postmaster@example.test

tok=$(token grey-early)
smtp_from 192.0.2.10 "[UNAVAILABLE]" --helo mail.example.org --from alice@example.org \
    --to bob@example.test --header "Subject: $tok"
expect_reply rcpt "450 4.2.0 Greylisted"
expect_no_stage eom
expect_not_delivered "$tok"

sleep 3
tok=$(token grey-retry)
smtp_from 192.0.2.99 "[UNAVAILABLE]" --helo mail2.example.org --from alice+retry@example.org \
    --to bob@example.test --header "Subject: $tok"
expect_reply rcpt 250
expect_reply eom 250
expect_delivered "$tok" bob@example.test

# Key by the organisational domain of Postfix's verified client name: another network retries.
tok=$(token grey-name-first)
smtp_from 198.51.100.20 mail-a1.bigsender.test --helo mail-a1.bigsender.test \
    --from news@bigsender.test --to carol@example.test --header "Subject: $tok"
expect_reply rcpt "450 4.2.0"
sleep 3
tok=$(token grey-name-retry)
smtp_from 203.0.113.5 mail-b7.bigsender.test --helo mail-b7.bigsender.test \
    --from news@bigsender.test --to carol@example.test --header "Subject: $tok"
expect_reply rcpt 250
expect_delivered "$tok" carol@example.test

list=$("$MXGATE" greylist --config "$conf" list)
log "$list"
grep -qP '^passed\t.*\t192\.0\.2\.0/24\talice@example\.org\tbob@example\.test$' <<<"$list" \
    || { log "FAIL: passed triplet for 192.0.2.0/24 not listed"; exit 1; }
grep -qP '^passed\t.*\tname:bigsender\.test\tnews@bigsender\.test\tcarol@example\.test$' <<<"$list" \
    || { log "FAIL: passed triplet for name:bigsender.test not listed"; exit 1; }
