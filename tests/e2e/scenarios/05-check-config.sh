# shellcheck shell=bash disable=SC2154  # sourced by run.sh; globals from lib.sh
# mxgate check-config accepts the test config and rejects an unknown key, naming it.
"$MXGATE" check-config "$MXGATE_CONF" >"$SC_DIR/ok.out" 2>&1 || {
    log "FAIL: check-config rejected the test config:"; sed 's/^/  | /' "$SC_DIR/ok.out"; exit 1
}
log "ok: check-config accepts $MXGATE_CONF"

bad=$(mxgate_conf bad <<'TOML'
[daemon]
listen = ["unix:@MXGATE_SOCK@"]
no_such_knob = 1
TOML
)
if "$MXGATE" check-config "$bad" >"$SC_DIR/bad.out" 2>&1; then
    log "FAIL: check-config accepted an unknown key"; exit 1
fi
sed 's/^/  | /' "$SC_DIR/bad.out"
grep -q no_such_knob "$SC_DIR/bad.out" || { log "FAIL: the error does not name the key"; exit 1; }
log "ok: check-config rejects the unknown key and names it"
