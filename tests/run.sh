#!/usr/bin/env bash
# The whole test suite: prerequisites, unit and integration tests (real daemon,
# real sockets, in-process DNS, throwaway PostgreSQL), and real Postfix end to end.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tests/prereqs.sh
cargo build --release --locked --bin mxgate --example fixture_dns --example dkim_sign
cargo test --locked --all-targets
MXGATE_BIN="${CARGO_TARGET_DIR:-$PWD/target}/release/mxgate" bash tests/e2e/run.sh
