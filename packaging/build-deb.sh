#!/usr/bin/env bash
# Builds the Debian package: target/debian/mxgate_<version>_<arch>.deb
#
#   bash packaging/build-deb.sh            # from anywhere; prints the .deb's path last
#
# Installs cargo-deb (cargo install cargo-deb --locked) if it is missing, builds the release
# binary, and generates into target/packaging/:
#   mxgate.toml         conf/mxgate.toml with the package's socket: the unix socket inside
#                       Postfix's chroot, group postfix, mode 0660 (the repo's default stays
#                       inet:127.0.0.1:8891 so it runs without root)
#   mxgate.8.gz, mxgate.toml.5.gz   from packaging/man/
# Environment: DEB_VERSION overrides the package version (default: Cargo.toml's, "-1").
set -euo pipefail
cd "$(dirname "$0")/.."

die() { printf 'build-deb: %s\n' "$*" >&2; exit 1; }

if ! cargo deb --version >/dev/null 2>&1; then
    echo "build-deb: installing cargo-deb (cargo install cargo-deb --locked)"
    cargo install cargo-deb --locked --version '^3.8' || die "cannot install cargo-deb"
fi

out=target/packaging
mkdir -p "$out"

# The packaged config: the same commented file, with the package's socket.
conf=$out/mxgate.toml
sed -e 's|^listen = \["inet:127\.0\.0\.1:8891"\]$|listen = ["unix:/var/spool/postfix/mxgate/mxgate.sock"]|' \
    -e 's|^# socket_group = "postfix" .*$|socket_group = "postfix"|' \
    -e 's|^socket_mode = .*$|socket_mode = "0660"|' \
    conf/mxgate.toml >"$conf.tmp"
# The edits must all have happened: conf/mxgate.toml may change under us.
grep -qx 'listen = \["unix:/var/spool/postfix/mxgate/mxgate.sock"\]' "$conf.tmp" ||
    die "conf/mxgate.toml: no line 'listen = [\"inet:127.0.0.1:8891\"]' to replace; update $0"
grep -qx 'socket_group = "postfix"' "$conf.tmp" ||
    die "conf/mxgate.toml: no line '# socket_group = \"postfix\" ...' to uncomment; update $0"
grep -qx 'socket_mode = "0660"' "$conf.tmp" ||
    die "conf/mxgate.toml: no 'socket_mode = ' line; update $0"
mv "$conf.tmp" "$conf"

for page in packaging/man/mxgate.8 packaging/man/mxgate.toml.5; do
    [[ -f $page ]] || die "$page is missing"
    gzip -9 -n -c "$page" >"$out/$(basename "$page").gz"
done

cargo build --release --locked --bin mxgate
# The packaged config must validate with the binary that ships with it.
target/release/mxgate check-config "$conf" >/dev/null ||
    die "the packaged config $conf does not validate"

args=(--no-build --locked --strip)
[[ -n ${DEB_VERSION:-} ]] && args+=(--deb-version "$DEB_VERSION")
deb=$(cargo deb "${args[@]}" | tail -n 1)
[[ -f $deb ]] || die "cargo deb did not report a .deb (got: $deb)"
echo "$deb"
