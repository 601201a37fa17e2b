# shellcheck shell=bash disable=SC2154  # sourced by run.sh; globals from lib.sh
# mxgate stops on SIGTERM (exit 0, unix socket removed, TCP port closed); Postfix
# (milter_default_action = tempfail) then answers 4xx on both smtpd services and accepts nothing.
# The runner restarts mxgate for the next scenario.
rc=$(mxgate_stop TERM)
[[ $rc == 0 ]] || { log "FAIL: mxgate exited with status $rc after SIGTERM, expected 0"; exit 1; }
log "ok: mxgate exited 0 after SIGTERM"
if [[ -e $MXGATE_SOCK ]]; then log "FAIL: mxgate left its socket $MXGATE_SOCK behind"; exit 1; fi
log "ok: socket removed"
if tcp_listening "$MILTER_PORT"; then log "FAIL: something still listens on $MILTER_PORT"; exit 1; fi
log "ok: TCP port $MILTER_PORT closed"

tok=$(token down)
smtp --helo mail.example.test --from alice@example.org --to bob@example.test --header "Subject: $tok"
expect_first_failure 4 mail rcpt
expect_no_stage eom
expect_not_delivered "$tok"
# MILTERS: smtpd_milters as Postfix logs it (run.sh: unix:$MXGATE_SOCK; package.sh: unix:mxgate/mxgate.sock in the chroot)
expect_log "$MAILLOG" "warning: connect to Milter service $MILTERS: "

# the TCP listener is gone too
tok=$(token down-inet)
SMTP_PORT=$SMTP_INET_PORT smtp --helo mail.example.test --from alice@example.org \
    --to bob@example.test --header "Subject: $tok"
expect_first_failure 4 mail rcpt
expect_not_delivered "$tok"
expect_log "$MAILLOG" "warning: connect to Milter service inet:127.0.0.1:$MILTER_PORT: "
