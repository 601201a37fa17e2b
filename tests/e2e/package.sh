#!/usr/bin/env bash
# The Debian package end to end, behind a real, chrooted Postfix.
#
#   tests/e2e/package.sh [FILTER...]     as root; FILTER = part of a scenario file name
#
# 1. builds the .deb (packaging/build-deb.sh; or tests $MXGATE_DEB) and a copy with the version
#    bumped (the upgrade), refuses to run if mxgate is installed or a system Postfix runs;
# 2. `dpkg -i`: checks the user (in group postfix), the directories, the conffile, the unit;
# 3. starts exactly the unit's ExecStart as its User/Group/SupplementaryGroups (no systemd in CI;
#    where systemd-analyze exists the unit is verified too), and a private Postfix whose master.cf
#    is Debian's (smtpd `chroot = y`), chroot prepared by Debian's configure-instance.sh, whose
#    queue_directory is the system's /var/spool/postfix and whose smtpd_milters is
#    `unix:mxgate/mxgate.sock` relative to the chroot: the socket the package creates;
# 4. runs the scenarios of tests/e2e/scenarios/ (all but 15-inet-listener: the packaged config
#    has no TCP listener) with lib.sh, as tests/e2e/run.sh does;
# 5. upgrade: a changed conffile and a state file survive `dpkg -i` of the newer version, and
#    the upgraded daemon serves; `dpkg --remove` keeps config and state;
# 6. `dpkg --purge`, then checks that nothing the package created is left: no user, group or
#    group membership, no files named *mxgate* anywhere, no file owned by the old uid/gid.
# Then it puts /var/spool/postfix back as it found it (files Postfix and configure-instance.sh
# added there are removed). Needs: postfix, swaks, setpriv (tests/prereqs.sh).
#
# Environment: MXGATE_DEB (a built .deb; skips the build), FIXTURE_DNS_BIN, E2E_KEEP=1,
# E2E_VERBOSE=1 (as for run.sh).
set -euo pipefail

E2E=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$E2E/../.." && pwd)
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$E2E/lib.sh"

SPOOL=/var/spool/postfix
SOCK_DIR=$SPOOL/mxgate

((EUID == 0)) || die "must run as root (dpkg, Postfix)"
for c in postfix postconf smtp-sink swaks setpriv dpkg dpkg-deb; do
    command -v "$c" >/dev/null || die "$c not found; run tests/prereqs.sh (as root)"
done
[[ -x /usr/lib/postfix/configure-instance.sh ]] || die "/usr/lib/postfix/configure-instance.sh missing (Debian's postfix package)"
[[ -r /usr/share/postfix/master.cf.dist ]] || die "/usr/share/postfix/master.cf.dist missing (Debian's postfix package)"
pf_detect_script

# ---- a clean starting point --------------------------------------------------------------
if dpkg-query -W -f '${Status}' mxgate 2>/dev/null | grep -qv 'not-installed'; then
    die "the mxgate package is installed (or its config is left); run: dpkg --purge mxgate"
fi
getent passwd mxgate >/dev/null && die "a user mxgate exists; this test needs a machine without it (userdel mxgate)"
getent group mxgate >/dev/null && die "a group mxgate exists; this test needs a machine without it (groupdel mxgate)"
for p in /etc/mxgate /var/lib/mxgate "$SOCK_DIR"; do
    [[ ! -e $p ]] || die "$p exists; this test needs a machine without it"
done
if [[ -r $SPOOL/pid/master.pid ]] && read -r _pid <"$SPOOL/pid/master.pid" 2>/dev/null &&
    [[ -n ${_pid// /} ]] && kill -0 "${_pid// /}" 2>/dev/null; then
    die "a Postfix master (pid ${_pid// /}) uses $SPOOL; stop the system Postfix first"
fi

# ---- the packages ------------------------------------------------------------------------
if [[ -n ${MXGATE_DEB:-} ]]; then
    DEB=$(realpath "$MXGATE_DEB")
else
    log "package: building the .deb (packaging/build-deb.sh)"
    DEB=$(bash "$REPO/packaging/build-deb.sh" | tail -n 1)
fi
[[ -f $DEB ]] || die "no package at '$DEB'"
[[ $(basename "$DEB") =~ ^mxgate_([^_]+)_([^_]+)\.deb$ ]] || die "unexpected package name $(basename "$DEB")"
VERSION=$(dpkg-deb -f "$DEB" Version)
ARCH=$(dpkg-deb -f "$DEB" Architecture)
[[ $(basename "$DEB") == "mxgate_${VERSION}_${ARCH}.deb" ]] || die "$(basename "$DEB") is not named mxgate_${VERSION}_${ARCH}.deb"

find_fixture_dns --locked

# ---- temp dir, snapshot, teardown --------------------------------------------------------
make_run_dir mxgate-pkg # user mxgate reads the scenarios' configs here
if ! setpriv --reuid=nobody --regid=nogroup --clear-groups test -x "$T"; then
    rmdir "$T"
    die "other users cannot reach $T (a parent directory is not searchable); set TMPDIR"
fi
MXGATE_SOCK=$SOCK_DIR/mxgate.sock
# lib.sh looks for the queue under $T/queue: the system spool is the chroot.
ln -s "$SPOOL" "$T/queue"
find "$SPOOL" -xdev -print | sort >"$T/spool.before"

# What the package might leave behind, seen before it was installed.
roots() { awk '!seen[$0]++' < <(printf '%s\n' / /run /tmp /var/tmp /dev/shm /var /var/lib /var/spool /etc /usr); }
# Temp dirs are left out (other test runs create mxgate-* there); files the daemon wrote
# there would be owned by its uid, which the purge check looks for everywhere.
# /var/cache/man is man-db's cache of formatted pages: `man mxgate.toml` (anyone reading the
# page while the package is installed) writes one there, and man-db, not the package, owns
# and expires it. Cargo build directories (*/target) are left out too: a build of another
# checkout on the same machine writes mxgate-* objects there while this runs.
named_mxgate() {
    local r
    for r in $(roots); do
        [[ -d $r ]] && find "$r" -xdev \( -path /proc -o -path /sys -o -path /tmp -o -path /var/tmp \
            -o -path /dev/shm -o -path /var/cache/man -o -path "$REPO" -o -path '*/target' \) -prune \
            -o -iname '*mxgate*' -print 2>/dev/null
    done | sort -u
}
named_mxgate >"$T/named.before"

spool_restore() {
    # Paths Postfix (queue files, pid) and configure-instance.sh (etc/, lib/ copies) added.
    find "$SPOOL" -xdev -print | sort >"$T/spool.after"
    comm -13 "$T/spool.before" "$T/spool.after" | sort -r | while IFS= read -r p; do
        if [[ -d $p && ! -L $p ]]; then rmdir "$p" 2>/dev/null || true; else rm -f "$p"; fi
    done
}

package_installed() { dpkg-query -W -f '${Status}' mxgate 2>/dev/null | grep -qv 'not-installed'; }

cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    set +e
    stop_all
    # Never leave the package behind, even after a failure.
    if package_installed; then
        log "package: purging mxgate (cleanup)"
        dpkg --purge mxgate </dev/null >>"$T/dpkg.log" 2>&1
    fi
    spool_restore
    remove_run_dir "${E2E_KEEP:-}"
    exit "$rc"
}
on_exit cleanup

dump_logs() {
    dump_daemon_logs
    log "---- dpkg output"
    tail -n 40 "$T/dpkg.log" 2>/dev/null | sed 's/^/  | /'
}
checks_failed=0
fail() { log "FAIL: $*"; checks_failed=$((checks_failed + 1)); }
ok() { log "ok: $*"; }
fatal() { log "package: $*"; dump_logs; log "package test FAILED"; exit 1; }

# stat_is PATH "TYPE OWNER GROUP MODE": e.g. "directory mxgate postfix 750".
stat_is() {
    local got
    got=$(stat -c '%F %U %G %a' "$1" 2>/dev/null) || { fail "$1 does not exist"; return; }
    if [[ $got == "$2" ]]; then ok "$1: $got"; else fail "$1: '$got', expected '$2'"; fi
}

# ---- 1. install --------------------------------------------------------------------------
# The upgrade target: the same files, a higher version (repacked, so the two differ only there).
DEB2=$T/mxgate_${VERSION}+upgrade1_${ARCH}.deb
dpkg-deb -R "$DEB" "$T/deb2"
sed -i "s/^Version: .*/Version: ${VERSION}+upgrade1/" "$T/deb2/DEBIAN/control"
dpkg-deb --root-owner-group -b "$T/deb2" "$DEB2" >>"$T/dpkg.log" || fatal "cannot repack $DEB as $DEB2"
rm -rf "$T/deb2"
log "package: $DEB (version $VERSION)"
dpkg -i "$DEB" </dev/null >>"$T/dpkg.log" 2>&1 || fatal "dpkg -i $DEB failed"
ok "dpkg -i $(basename "$DEB")"

uid=$(id -u mxgate 2>/dev/null) || fatal "postinst did not create the user mxgate"
gid=$(getent group mxgate | cut -d: -f3)
[[ -n $gid ]] || fail "no group mxgate"
ok "user mxgate ($uid), group mxgate ($gid)"
id -nG mxgate | tr ' ' '\n' | grep -qx postfix && ok "mxgate is in group postfix" || fail "mxgate is not in group postfix: $(id -nG mxgate)"
[[ $(getent passwd mxgate | cut -d: -f7) == */nologin || $(getent passwd mxgate | cut -d: -f7) == /bin/false ]] ||
    fail "mxgate has a login shell: $(getent passwd mxgate | cut -d: -f7)"
stat_is /var/lib/mxgate "directory mxgate mxgate 750"
stat_is "$SOCK_DIR" "directory mxgate postfix 750"
stat_is /etc/mxgate/mxgate.toml "regular file root root 644"
dpkg-query -W -f '${Conffiles}\n' mxgate | grep -q '^ /etc/mxgate/mxgate.toml ' &&
    ok "/etc/mxgate/mxgate.toml is a conffile" || fail "/etc/mxgate/mxgate.toml is not a conffile"
for f in /usr/bin/mxgate /usr/share/man/man8/mxgate.8.gz /usr/share/man/man5/mxgate.toml.5.gz \
    /usr/share/doc/mxgate/main.cf.snippet; do
    [[ -f $f ]] && ok "$f" || fail "$f is missing"
done
grep -qx 'listen = \["unix:/var/spool/postfix/mxgate/mxgate.sock"\]' /etc/mxgate/mxgate.toml &&
    grep -qx 'socket_group = "postfix"' /etc/mxgate/mxgate.toml &&
    ok "the packaged config listens on $MXGATE_SOCK, group postfix" ||
    fail "the packaged config does not listen on $MXGATE_SOCK with socket_group postfix"
/usr/bin/mxgate check-config /etc/mxgate/mxgate.toml >/dev/null 2>"$T/check-config.err" &&
    ok "mxgate check-config /etc/mxgate/mxgate.toml" || fail "check-config: $(cat "$T/check-config.err")"

# ---- 2. the unit, as systemd would run it ------------------------------------------------
UNIT=
for u in /usr/lib/systemd/system/mxgate.service /lib/systemd/system/mxgate.service; do
    [[ -f $u ]] && { UNIT=$u; break; }
done
[[ -n $UNIT ]] || fatal "the package installs no mxgate.service"
ok "unit $UNIT"
unit_value() { sed -n "s/^$1=//p" "$UNIT" | tail -n 1; }
for k in NoNewPrivileges ProtectSystem ProtectHome PrivateTmp ReadWritePaths RestartSec; do
    [[ -n $(unit_value "$k") ]] && ok "unit: $k=$(unit_value "$k")" || fail "unit: no $k="
done
for d in /var/lib/mxgate "$SOCK_DIR"; do
    [[ " $(unit_value ReadWritePaths) " == *" $d "* ]] || fail "unit: ReadWritePaths lacks $d"
done
if command -v systemd-analyze >/dev/null; then
    if systemd-analyze verify "$UNIT" >"$T/verify.out" 2>&1; then
        ok "systemd-analyze verify $UNIT"
    else
        # Without a running systemd, verify also complains about the host (no /run/systemd,
        # missing targets); only lines naming our unit count.
        if grep -i 'mxgate.service' "$T/verify.out" | grep -vq 'Failed to .*connect'; then
            fail "systemd-analyze verify: $(cat "$T/verify.out")"
        else
            ok "systemd-analyze verify: nothing about the unit ($(wc -l <"$T/verify.out") host lines)"
        fi
    fi
fi
U_USER=$(unit_value User)
U_GROUP=$(unit_value Group)
U_SUPP=$(unit_value SupplementaryGroups)
[[ $U_USER == mxgate ]] || fail "unit: User=$U_USER, expected mxgate"
read -r -a EXEC <<<"$(unit_value ExecStart)"
((${#EXEC[@]} >= 4)) && [[ ${EXEC[1]} == run && ${EXEC[2]} == --config ]] ||
    fatal "unit: ExecStart=${EXEC[*]} is not 'BIN run --config FILE' (update $0)"
MXGATE_CONF=${EXEC[3]}
((${#EXEC[@]} == 4)) || fatal "unit: ExecStart has more arguments than this test knows: ${EXEC[*]}"
# lib.sh runs "$MXGATE run --config CONF": with this wrapper and the default config, that is the
# unit's ExecStart, with the unit's credentials, umask, working directory and a bare environment.
MXGATE=$T/mxgate-as-unit
{
    echo '#!/bin/sh'
    echo 'cd / || exit 1'
    echo "umask $(unit_value UMask | grep . || echo 0022)"
    printf 'exec env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 setpriv --reuid=%s --regid=%s %s --no-new-privs -- %s "$@"\n' \
        "$U_USER" "${U_GROUP:-$U_USER}" \
        "$([[ -n $U_SUPP ]] && echo "--groups=${U_SUPP// /,}" || echo --clear-groups)" "${EXEC[0]}"
} >"$MXGATE"
chmod 755 "$MXGATE"
log "package: mxgate runs as: $(tail -n 1 "$MXGATE" | sed 's/"\$@"/run --config '"${MXGATE_CONF//\//\\/}"'/')"

# ---- 3. smtp-sink, fixture DNS, mxgate, chrooted Postfix ---------------------------------
SMTP_PORT=$(free_port)
SMTP_INET_PORT=$(free_port)
SINK_PORT=$(free_port)
MILTER_PORT=$(free_port) # only the DNS scenarios' own configs listen on it
MILTERS=unix:mxgate/mxgate.sock
export MILTERS

start_sink || fatal "smtp-sink did not start"
start_fixture_dns || fatal "fixture_dns did not start"

: >"$MXGATE_LOG"
mxgate_start || fatal "mxgate (the unit's ExecStart as $U_USER) did not start"
stat_is "$MXGATE_SOCK" "socket mxgate postfix 660"
ok "mxgate runs as $(ps -o user= -p "$(mxgate_pid)") with groups: $(ps -o supgrp= -p "$(mxgate_pid)")"

# Postfix: the e2e main.cf with the system spool as queue (and chroot), Debian's master.cf
# with its chroot column as shipped, only the smtp listener moved to loopback ports.
mkdir -p "$PF_CONF" "$T/data"
chown postfix "$T/data"
render "$E2E/conf/main.cf.in" "$PF_CONF/main.cf"
postconf -c "$PF_CONF" -e "queue_directory = $SPOOL" "smtpd_milters = $MILTERS"
awk -v p1="$SMTP_PORT" -v p2="$SMTP_INET_PORT" -v m="$MILTER_PORT" '
    /^smtp[ \t]+inet[ \t]/ {
        line = $0
        sub(/^smtp[ \t]+inet/, "127.0.0.1:" p1 " inet", line); print line
        line = $0
        sub(/^smtp[ \t]+inet/, "127.0.0.1:" p2 " inet", line); print line
        print "  -o smtpd_milters=inet:127.0.0.1:" m
        next
    }
    { print }' /usr/share/postfix/master.cf.dist >"$PF_CONF/master.cf"
grep -Eq "^127\.0\.0\.1:$SMTP_PORT +inet +n +- +y +" "$PF_CONF/master.cf" ||
    fatal "master.cf: smtpd on $SMTP_PORT is not chrooted as in Debian's master.cf.dist"
echo '/^Subject: .*e2e-/ WARN' >"$PF_CONF/header_checks"
# Debian's own chroot preparation (what the postfix service runs before starting).
MAIL_CONFIG=$PF_CONF /usr/lib/postfix/configure-instance.sh - >"$T/configure-instance.log" 2>&1 ||
    fatal "configure-instance.sh: $(cat "$T/configure-instance.log")"
postfix_up fatal
# Proof of the chroot: the smtpd process's root is the spool.
smtpd_pid=$(pgrep -f -- '^smtpd -n 127\.0\.0\.1:'"$SMTP_PORT" | head -n 1 || true)
if [[ -n $smtpd_pid && $(readlink "/proc/$smtpd_pid/root") == "$SPOOL" ]]; then
    ok "smtpd (pid $smtpd_pid) runs chrooted in $SPOOL"
else
    # smtpd starts on the first connection; the banner above made one.
    smtpd_pid=$(pgrep -f -- 'smtpd -n 127\.0\.0\.1:'"$SMTP_PORT" | head -n 1 || true)
    [[ -n $smtpd_pid && $(readlink "/proc/$smtpd_pid/root") == "$SPOOL" ]] &&
        ok "smtpd (pid $smtpd_pid) runs chrooted in $SPOOL" ||
        fail "no smtpd chrooted in $SPOOL found (pid '${smtpd_pid}', root '$(readlink "/proc/${smtpd_pid:-0}/root" 2>/dev/null)')"
fi
ok "Postfix: smtpd_milters = $(postconf -c "$PF_CONF" -h smtpd_milters), queue_directory = $(postconf -c "$PF_CONF" -h queue_directory)"

# ---- 4. the scenarios --------------------------------------------------------------------
passed=0 failed=0
mkdir -p "$T/scenarios"
# The daemon runs as the unit's user: scenarios keep its state (greylist store) in SC_DIR;
# handed back after each, so the purge check finds nothing of the mxgate uid.
SCENARIO_USER=$U_USER
mapfile -t scenario_files < <(printf '%s\n' "$E2E"/scenarios/*.sh | sort -V)
for file in "${scenario_files[@]}"; do
    name=$(basename "$file" .sh)
    # The packaged config has only the unix socket; run.sh covers the TCP listener.
    [[ $name == 15-inet-listener ]] && continue
    scenario_selected "$name" "$@" || continue
    run_scenario fatal "$file"
done
((passed + failed > 0)) || { log "no scenario matched: $*"; failed=1; }

# ---- 5. upgrade keeps config and state; remove keeps them too ----------------------------
if mxgate_running; then mxgate_stop >/dev/null || true; fi
echo '# changed by the package test' >>/etc/mxgate/mxgate.toml
conf_sum=$(md5sum </etc/mxgate/mxgate.toml)
setpriv --reuid=mxgate --regid=mxgate --clear-groups sh -c 'echo state >/var/lib/mxgate/package-test.state' ||
    fail "user mxgate cannot write its state directory"
log "package: upgrading to $(dpkg-deb -f "$DEB2" Version)"
if dpkg -i "$DEB2" </dev/null >>"$T/dpkg.log" 2>&1; then
    ok "dpkg -i $(basename "$DEB2") (upgrade)"
else
    fail "the upgrade failed"
fi
[[ $(dpkg-query -W -f '${Version}' mxgate) == "$(dpkg-deb -f "$DEB2" Version)" ]] || fail "not upgraded: $(dpkg-query -W -f '${Version}' mxgate)"
[[ $(md5sum </etc/mxgate/mxgate.toml) == "$conf_sum" ]] && ok "upgrade kept the changed /etc/mxgate/mxgate.toml" ||
    fail "upgrade replaced the changed /etc/mxgate/mxgate.toml"
[[ -f /var/lib/mxgate/package-test.state ]] && ok "upgrade kept /var/lib/mxgate" || fail "upgrade lost /var/lib/mxgate's contents"
[[ $(id -u mxgate 2>/dev/null) == "$uid" ]] && ok "upgrade kept user mxgate ($uid)" || fail "upgrade changed the user mxgate"
stat_is "$SOCK_DIR" "directory mxgate postfix 750"
for file in "${scenario_files[@]}"; do
    case $(basename "$file") in 10-* | 20-*) run_scenario fatal "$file" after-upgrade ;; esac
done
if mxgate_running; then mxgate_stop >/dev/null || true; fi

dpkg --remove mxgate </dev/null >>"$T/dpkg.log" 2>&1 || fail "dpkg --remove failed"
[[ ! -e /usr/bin/mxgate ]] && ok "remove: /usr/bin/mxgate gone" || fail "remove left /usr/bin/mxgate"
[[ -f /etc/mxgate/mxgate.toml && -f /var/lib/mxgate/package-test.state ]] && getent passwd mxgate >/dev/null &&
    ok "remove kept the config, the state and the user" || fail "remove lost the config, state or user"

# ---- 6. purge leaves nothing behind ------------------------------------------------------
pf_cmd stop >/dev/null 2>&1 || true
wait_for 10 "Postfix master to exit" pf_master_gone || true
dpkg --purge mxgate </dev/null >>"$T/dpkg.log" 2>&1 || fail "dpkg --purge failed"
package_installed && fail "dpkg still knows mxgate: $(dpkg-query -W -f '${Status}' mxgate)"
getent passwd mxgate >/dev/null && fail "purge left the user mxgate"
getent group mxgate >/dev/null && fail "purge left the group mxgate"
grep -E '(^|[:,])mxgate(,|$)' /etc/group /etc/gshadow 2>/dev/null | sed 's/^/  | /' | grep -q . &&
    fail "purge left mxgate in a group's member list: $(grep -E '(^|[:,])mxgate(,|$)' /etc/group)"
for p in /etc/mxgate /var/lib/mxgate "$SOCK_DIR" "$UNIT" /usr/bin/mxgate /usr/share/doc/mxgate; do
    [[ ! -e $p && ! -L $p ]] || fail "purge left $p"
done
named_mxgate >"$T/named.after"
left=$(comm -13 "$T/named.before" "$T/named.after")
[[ -z $left ]] || fail "purge left files named *mxgate*: $left"
owned=$(for r in $(roots); do
    [[ -d $r ]] && find "$r" -xdev \( -path /proc -o -path /sys \) -prune -o \( -uid "$uid" -o -gid "${gid:-$uid}" \) -print 2>/dev/null
done | sort -u)
[[ -z $owned ]] || fail "purge left files owned by the old mxgate uid $uid / gid $gid: $owned"
((checks_failed > 0)) || ok "purge: no user, group, membership, file or directory of the package left"

((failed == 0 && checks_failed == 0)) || dump_logs
log "package: scenarios $passed passed, $failed failed; package checks failed: $checks_failed"
((failed == 0 && checks_failed == 0))
