//! The replay harness from the outside: every committed session file parses
//! and round-trips through the writer, and `replay::run` with `--config`
//! starts mxgate in-process and turns mismatches into exit code 1.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Parser;
use mxgate::replay::{self, format, ReplayArgs};

#[derive(Parser)]
struct Cli {
    #[command(flatten)]
    args: ReplayArgs,
}

fn args(argv: &[&str]) -> ReplayArgs {
    let mut full = vec!["replay"];
    full.extend_from_slice(argv);
    Cli::try_parse_from(full).unwrap().args
}

fn sessions_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/sessions")
}

#[test]
fn committed_session_files_parse_and_round_trip() {
    let sessions = replay::load_sessions(&[sessions_dir()]).unwrap();
    for s in &sessions {
        let text = format::write(std::slice::from_ref(s));
        let back = format::parse(&text, Path::new("."))
            .unwrap_or_else(|e| panic!("{}: written form does not parse: {e}\n{text}", s.name));
        assert_eq!(back.len(), 1);
        // Writing again gives the same text: nothing is lost on the way.
        assert_eq!(format::write(&back), text, "session {}", s.name);
    }
}

#[test]
fn cli_flags() {
    let a = args(&[
        "--socket",
        "inet:127.0.0.1:8891",
        "--load",
        "--connections",
        "5",
        "x.session",
    ]);
    assert_eq!(a.socket.as_deref(), Some("inet:127.0.0.1:8891"));
    assert!(a.load);
    assert_eq!((a.connections, a.sessions, a.threads), (5, 1000, 1));
    let a = args(&["--diff", "a.toml", "b.toml", "dir"]);
    assert_eq!(
        a.diff,
        Some(vec![PathBuf::from("a.toml"), PathBuf::from("b.toml")])
    );
    assert_eq!(a.files, vec![PathBuf::from("dir")]);
    let mut full = vec!["replay", "--socket", "x", "--config", "y", "f"];
    assert!(
        Cli::try_parse_from(&full).is_err(),
        "--socket and --config conflict"
    );
    full.truncate(1);
    assert!(Cli::try_parse_from(&full).is_err(), "files are required");
}

#[test]
fn parse_errors_are_errors_not_panics() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("bad.session");
    std::fs::write(&f, "session a\nconnect 1.2.3.4\nrcpt <a@b>\n").unwrap();
    let e = replay::run(args(&[
        "--socket",
        "unix:/nonexistent",
        f.to_str().unwrap(),
    ]))
    .unwrap_err();
    assert_eq!(
        e.to_string(),
        format!(
            "{}:3: 'rcpt' must follow 'mail' (or another 'rcpt') before the message starts",
            f.display()
        )
    );
}

#[test]
fn config_mode_exit_codes() {
    let dir = tempfile::tempdir().unwrap();
    let config = Path::new(env!("CARGO_MANIFEST_DIR")).join("conf/mxgate.toml");
    let good = dir.path().join("good.session");
    std::fs::write(
        &good,
        "session plain\nconnect 192.0.2.10 name mail.example.org expect continue\nhelo mail.example.org expect continue\nmail <a@example.org> expect continue\n",
    )
    .unwrap();
    let code = replay::run(args(&[
        "--timeout",
        "10",
        "--config",
        config.to_str().unwrap(),
        good.to_str().unwrap(),
    ]))
    .unwrap();
    assert_eq!(code, ExitCode::SUCCESS);

    let bad = dir.path().join("bad.session");
    std::fs::write(
        &bad,
        "session wrong\nconnect 192.0.2.10 name mail.example.org expect reject\n",
    )
    .unwrap();
    let code = replay::run(args(&[
        "--config",
        config.to_str().unwrap(),
        bad.to_str().unwrap(),
    ]))
    .unwrap();
    assert_eq!(code, ExitCode::from(1));

    // Same config twice: nothing differs.
    let code = replay::run(args(&[
        "--diff",
        config.to_str().unwrap(),
        config.to_str().unwrap(),
        good.to_str().unwrap(),
    ]))
    .unwrap();
    assert_eq!(code, ExitCode::SUCCESS);
}
