# shellcheck shell=bash disable=SC2154  # sourced by run.sh; globals from lib.sh
# checks.attachments limits through real Postfix: max_scan_bytes = 65536 with oversize = "reject"
# refuses a 300 KB message whose blocked part lies beyond the limit with 552 5.3.4, while a blocked
# name inside the scanned prefix still gets 550 5.7.1 naming it; malformed = "reject" refuses a
# message/rfc822 part with bad base64 with 550 5.6.0; mode = "log" delivers a blocked attachment.
conf=$({ without_checks attachments <"$MXGATE_CONF"; cat; } <<'TOML' | mxgate_conf attachments-limits
[checks.attachments]
max_scan_bytes = 65536
oversize = "reject"
malformed = "reject"
TOML
)
mxgate_restart "$conf"

big_msg() { # big_msg TOKEN FIRST_NAME LAST_NAME: ~300 KB, a named part before and after the filler
    local out=$SC_DIR/$1.eml
    {
        printf 'From: alice@example.org\r\nTo: bob@example.test\r\nSubject: %s\r\nMIME-Version: 1.0\r\n' "$1"
        printf 'Content-Type: multipart/mixed; boundary="B"\r\n\r\n'
        printf -- '--B\r\nContent-Type: application/octet-stream; name="%s"\r\n\r\nMZ\r\n' "$2"
        printf -- '--B\r\nContent-Type: text/plain\r\n\r\n'
        for _ in $(seq 1 3000); do printf '%0100d\r\n' 0; done
        printf -- '--B\r\nContent-Type: application/octet-stream; name="%s"\r\n\r\nMZ\r\n--B--\r\n' "$3"
    } >"$out"
    echo "$out"
}

tok=$(token att-oversize)
smtp --helo mail.example.org --from alice@example.org --to bob@example.test \
    --data "@$(big_msg "$tok" notes.txt late.exe)"
expect_reply eom '552 5.3.4 Message too large to scan for attachments'
rejected_at_eom "$tok"

tok=$(token att-oversize-early)
smtp --helo mail.example.org --from alice@example.org --to bob@example.test \
    --data "@$(big_msg "$tok" early.scr notes.txt)"
expect_reply eom '550 5.7.1 Attachment "early.scr" blocked'
rejected_at_eom "$tok"

tok=$(token att-malformed)
sed "0,/^Subject: .*/s//Subject: $tok/" "$REPO/tests/fixtures/mime/bad-base64.eml" >"$SC_DIR/$tok.eml"
smtp --helo mail.example.org --from alice@example.org --to bob@example.test --data "@$SC_DIR/$tok.eml"
expect_reply eom '550 5.6.0 Malformed MIME structure'
rejected_at_eom "$tok"

conf=$({ without_checks attachments <"$MXGATE_CONF"; cat; } <<'TOML' | mxgate_conf attachments-log
[checks.attachments]
mode = "log"
TOML
)
mxgate_restart "$conf"
mark=$(log_mark "$MXGATE_LOG")
tok=$(token att-log)
printf 'MZ\n' >"$SC_DIR/payload.bin"
smtp --helo mail.example.org --from alice@example.org --to bob@example.test --header "Subject: $tok" \
    --body 'see attached' --attach-name setup.exe --attach "@$SC_DIR/payload.bin"
expect_reply eom 250
expect_delivered "$tok" bob@example.test
expect_log "$MXGATE_LOG" 'check.*attachments.*setup\.exe' 5 "$mark"
