#!/usr/bin/env bash
# Install what the mxgate test suite needs on a fresh Debian 12.
#
#   sudo tests/prereqs.sh          # installs missing packages, non-interactively
#   tests/prereqs.sh --check       # only reports; exit 1 if something is missing
#
# Needs: postfix (postfix, postconf, postsuper, smtp-sink), swaks (SMTP client),
# script (bsdutils, to see postfix(1) fatal errors), PostgreSQL 15 server binaries
# (/usr/lib/postgresql/15/bin/initdb, for the store tests).
#
# The system Postfix is installed with debconf "No configuration": no main.cf is
# written and the service is not started. Nothing else in /etc is touched.
# apt-get update is run only if an install failed without it (CI runs it once before).
set -euo pipefail

PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
check_only=0
[[ ${1:-} == --check ]] && check_only=1

missing=()
need_cmd() { # need_cmd PATH PACKAGE
    [[ -x $1 ]] || missing+=("$2")
}
need_cmd /usr/sbin/postfix   postfix
need_cmd /usr/sbin/postconf  postfix
need_cmd /usr/sbin/smtp-sink postfix
need_cmd /usr/bin/swaks      swaks
need_cmd /usr/bin/script     bsdutils
need_cmd "$PG_BIN/initdb"    postgresql-15
need_cmd "$PG_BIN/postgres"  postgresql-15
# de-duplicate, keep order
mapfile -t missing < <(printf '%s\n' "${missing[@]}" | awk 'NF && !seen[$0]++')

if ((${#missing[@]} == 0)); then
    echo "prereqs: all present"
    exit 0
fi
if ((check_only)); then
    echo "prereqs: missing packages: ${missing[*]}" >&2
    exit 1
fi
if ((EUID != 0)); then
    echo "prereqs: missing packages: ${missing[*]}" >&2
    echo "prereqs: run as root, or: sudo apt-get install -y --no-install-recommends ${missing[*]}" >&2
    exit 1
fi

export DEBIAN_FRONTEND=noninteractive
# Keep the system Postfix unconfigured and stopped.
if command -v debconf-set-selections >/dev/null; then
    printf '%s\n' \
        'postfix postfix/main_mailer_type select No configuration' \
        'postfix postfix/mailname string localhost.localdomain' |
        debconf-set-selections
fi
# Do not let package scripts start services (containers without init, CI runners).
policy_rc=/usr/sbin/policy-rc.d
created_policy=0
if [[ ! -e $policy_rc ]]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy_rc"
    chmod 755 "$policy_rc"
    created_policy=1
fi
cleanup() { ((created_policy)) && rm -f "$policy_rc"; return 0; }
trap cleanup EXIT

install() {
    apt-get install -y --no-install-recommends \
        -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold "${missing[@]}"
}
echo "prereqs: installing ${missing[*]}"
if ! install; then
    echo "prereqs: install failed; retrying after apt-get update" >&2
    apt-get update
    install
fi
echo "prereqs: done"
