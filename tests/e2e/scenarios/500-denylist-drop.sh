# shellcheck shell=bash disable=SC2154  # sourced by run.sh; globals from lib.sh
# Recipient denylist (map-file backend; PostgreSQL is covered by tests/denylist.rs): a
# denylisted recipient next to an ordinary one is dropped at end of message and the other still
# receives it (smtp-sink's envelope has only bob@); a message whose every recipient is dropped is
# discarded; `reject` entries answer 550 5.1.1 at RCPT; `discard` drops the whole message.
cat >"$SC_DIR/denylist" <<'MAP'
# address action [reason]
bounced@example.test    drop     SES permanent bounce
complained@example.test drop     SES complaint
rejected@example.test   reject   mailbox closed
trap@example.test       discard  spam trap
MAP
conf=$(mxgate_conf denylist <<TOML
[daemon]
listen = ["unix:@MXGATE_SOCK@", "inet:127.0.0.1:@MILTER_PORT@"]
socket_mode = "0666"
[checks.denylist]
backend = "file"
map = "$SC_DIR/denylist"
recipient_delimiter = "+"
TOML
)
mxgate_restart "$conf"

# Postfix logs a milter DISCARD as "QID: milter-discard: …" and never "QID: removed", which is
# what expect_not_delivered waits for; so wait for that line, then look at the sink.
expect_discarded() {
    local qid
    qid=$(qid_of "$1")
    [[ -n $qid ]] || { log "FAIL: $1 was never queued"; return 1; }
    expect_log "$MAILLOG" " $qid: milter-discard: END-OF-MESSAGE" 15
    sleep 0.5
    if [[ -n $(sink_file "$1") ]]; then
        log "FAIL: $1 reached smtp-sink: $(sink_file "$1")"
        return 1
    fi
    log "ok: $1 discarded (queue ID $qid), not at smtp-sink"
}

tok=$(token dl-mixed)
smtp --from alice@example.org --to Bounced+News@example.test,bob@example.test --header "Subject: $tok"
expect_reply rcpt#1 250
expect_reply rcpt#2 250
expect_reply eom 250
expect_delivered "$tok" bob@example.test
expect_log "$MXGATE_LOG" 'check="?denylist.*verdict="?drop-recipient'

tok=$(token dl-all-dropped)
smtp --from alice@example.org --to bounced@example.test,complained@example.test --header "Subject: $tok"
expect_reply eom 250
expect_discarded "$tok"

tok=$(token dl-reject)
smtp --from alice@example.org --to rejected@example.test,bob@example.test --header "Subject: $tok"
expect_reply rcpt#1 "550 5.1.1 Recipient address rejected"
expect_reply rcpt#2 250
expect_delivered "$tok" bob@example.test

tok=$(token dl-discard)
mark=$(log_mark "$MAILLOG")
smtp --from alice@example.org --to bob@example.test,trap@example.test --header "Subject: $tok"
expect_reply eom 250
# Discarded at RCPT: smtpd throws the message away itself (no queue ID from cleanup).
expect_log "$MAILLOG" "milter-discard: RCPT from .*to=<trap@example.test>" 15 "$mark"
sleep 0.5
[[ -z $(sink_file "$tok") ]] || { log "FAIL: $tok reached smtp-sink"; exit 1; }
