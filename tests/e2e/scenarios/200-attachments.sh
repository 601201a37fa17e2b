# shellcheck shell=bash disable=SC2154  # sourced by run.sh; globals from lib.sh
# checks.attachments through real Postfix, defaults: a swaks attachment named invoice.pdf.exe is
# refused at end of data with 550 5.7.1 naming the file, and never reaches smtp-sink; encoded
# names (RFC 2231 continuations, RFC 2047 B, base64-wrapped message/rfc822, zip member, a name
# hidden behind a multipart without boundary) are refused the same way; harmless attachments
# (report.exe.pdf, a zip of images, an RFC 2231 UTF-8 .docx) are delivered with their names intact.
conf=$({ without_checks attachments <"$MXGATE_CONF"; cat; } <<'TOML' | mxgate_conf attachments
[checks.attachments]
TOML
)
mxgate_restart "$conf"

# corpus_msg FILE TOKEN: a corpus message with TOKEN as its (first) Subject, for --data.
corpus_msg() {
    local out=$SC_DIR/$2.eml
    sed "0,/^Subject: .*/s//Subject: $2/" "$REPO/tests/fixtures/mime/$1" >"$out"
    echo "$out"
}

printf 'MZ not really a program\n' >"$SC_DIR/payload.bin"
printf '%%PDF-1.4 not really a pdf\n' >"$SC_DIR/report.pdf"

tok=$(token att-double-ext)
smtp --helo mail.example.org --from alice@example.org --to bob@example.test --header "Subject: $tok" \
    --body 'see attached' --attach-name invoice.pdf.exe --attach "@$SC_DIR/payload.bin"
expect_reply rcpt 250
expect_reply data 354
expect_reply eom '550 5.7.1 Attachment "invoice.pdf.exe" blocked: .exe files are not accepted'
rejected_at_eom "$tok"

tok=$(token att-harmless)
smtp --helo mail.example.org --from alice@example.org --to bob@example.test --header "Subject: $tok" \
    --body 'see attached' --attach-name report.exe.pdf --attach-type application/pdf \
    --attach "@$SC_DIR/report.pdf"
expect_reply eom 250
expect_delivered "$tok" bob@example.test
grep -q 'report.exe.pdf' "$(sink_file "$tok")" || { log "FAIL: attachment name missing at the sink"; exit 1; }

# Encoded names that Postfix's mime_header_checks regexes would not see.
for case in "rfc2231-continuations.eml|invoice.vbs" "rfc2047-b.eml|invoice.pdf.exe" \
    "nested-rfc822-base64.eml|tool.cmd" "rfc2231-percent-dot.eml|evil.exe" \
    "missing-boundary.eml|script.ps1" "bidi-override.eml|invoicefdp.exe"; do
    file=${case%%|*} name=${case#*|}
    tok=$(token "att-${file%.eml}")
    smtp --helo mail.example.org --from alice@example.org --to bob@example.test \
        --data "@$(corpus_msg "$file" "$tok")"
    expect_reply eom "550 5.7.1 Attachment \"$name\" blocked"
    rejected_at_eom "$tok"
done

tok=$(token att-zip-exe)
smtp --helo mail.example.org --from alice@example.org --to bob@example.test \
    --data "@$(corpus_msg zip-with-exe.eml "$tok")"
expect_reply eom '550 5.7.1 Attachment "docs.zip" contains "update.exe": .exe files are not accepted'
rejected_at_eom "$tok"

for file in harmless.eml zip-harmless.eml exe-then-pdf.eml; do
    tok=$(token "att-${file%.eml}")
    smtp --helo mail.example.org --from alice@example.org --to bob@example.test \
        --data "@$(corpus_msg "$file" "$tok")"
    expect_reply eom 250
    expect_delivered "$tok" bob@example.test
done
