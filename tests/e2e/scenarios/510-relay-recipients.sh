# shellcheck shell=bash disable=SC2154  # sourced by run.sh; globals from lib.sh
# Relay-recipient validation: Postfix relays example.test; mxgate knows its valid recipients.
# An unknown user gets 550 5.1.1 "User unknown in relay recipient table" at RCPT and the valid
# recipient of the same transaction (with a +extension) still receives the message; a change
# to the map file is picked up without a restart.
cat >"$SC_DIR/relay" <<'MAP'
bob@example.test     OK
carol@example.test   OK
MAP
conf=$(mxgate_conf relay <<TOML
[daemon]
listen = ["unix:@MXGATE_SOCK@", "inet:127.0.0.1:@MILTER_PORT@"]
socket_mode = "0666"
[checks.relay]
map = "$SC_DIR/relay"
reload_interval = "100ms"
recipient_delimiter = "+"
TOML
)
mxgate_restart "$conf"

tok=$(token relay)
smtp --from alice@example.org --to mallory@example.test,bob+lists@example.test --header "Subject: $tok"
expect_reply rcpt#1 "550 5.1.1 Recipient address rejected: User unknown in relay recipient table"
expect_reply rcpt#2 250
expect_delivered "$tok" bob+lists@example.test

# mallory is added: accepted within the reload interval, no restart.
printf 'mallory@example.test OK\n' >>"$SC_DIR/relay"
sleep 1
tok=$(token relay-reload)
smtp --from alice@example.org --to mallory@example.test --header "Subject: $tok"
expect_reply rcpt 250
expect_delivered "$tok" mallory@example.test
