//! The attachments check (`[checks.attachments]`): the corpus in tests/fixtures/mime/
//! through the name extractor and through the real daemon and milter protocol, the
//! scan limit (oversize), malformed MIME, the check's settings, config errors, and a
//! randomized no-panic run over mutations of the corpus.
//!
//! Each corpus message says what it expects in its first `X-Corpus-Expect:` header:
//! `block NAME` (NAME as decoded), `pass`, `malformed` (passes by default), or
//! `malformed-block NAME` (malformed, and NAME is still found and blocked).

mod support;

use mxgate::checks::attachments::{reply_name, AttachmentsCheck, AttachmentsConfig};
use mxgate::checks::{Check, Finding};
use mxgate::mime::{self, Limits, Source};
use mxgate::session::{Session, Stage};
use std::path::{Path, PathBuf};
use support::corpus::{files, split_message};
use support::daemon::{replay, session_file};
use support::rng::Rng;

#[derive(Clone, Debug, PartialEq)]
enum Expect {
    Block(String),
    Pass,
    Malformed,
    MalformedBlock(String),
}

struct Case {
    path: PathBuf,
    raw: Vec<u8>,
    expect: Expect,
}

fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/mime")
}

fn corpus() -> Vec<Case> {
    let files = files("tests/fixtures/mime", "eml");
    assert!(files.len() >= 30, "corpus too small: {}", files.len());
    files
        .into_iter()
        .map(|path| {
            let raw = std::fs::read(&path).expect("read corpus file");
            let text = String::from_utf8_lossy(&raw);
            let line = text
                .lines()
                .find_map(|l| l.strip_prefix("X-Corpus-Expect: "))
                .unwrap_or_else(|| panic!("{}: no X-Corpus-Expect header", path.display()))
                .to_owned();
            let expect = match line.split_once(' ') {
                Some(("block", n)) => Expect::Block(n.to_owned()),
                Some(("malformed-block", n)) => Expect::MalformedBlock(n.to_owned()),
                None if line == "pass" => Expect::Pass,
                None if line == "malformed" => Expect::Malformed,
                _ => panic!("{}: bad X-Corpus-Expect {line:?}", path.display()),
            };
            Case { path, raw, expect }
        })
        .collect()
}

fn check_with(toml_text: &str) -> AttachmentsCheck {
    let cfg: AttachmentsConfig = toml::from_str(toml_text).expect("attachments config");
    AttachmentsCheck::new(&cfg)
}

async fn run_check(check: &AttachmentsCheck, raw: &[u8], truncate_at: Option<usize>) -> Finding {
    let (headers, mut body) = split_message(raw);
    let mut s = Session::new(Some("192.0.2.10".parse().expect("ip")), 1, "unknown".into());
    s.tx.headers = headers;
    s.tx.body_len = body.len() as u64;
    if let Some(n) = truncate_at {
        if body.len() > n {
            body.truncate(n);
            s.tx.body_truncated = true;
        }
    }
    s.tx.body = body;
    check
        .check(Stage::Eom, &s)
        .await
        .expect("the attachments check never fails temporarily")
        .finding
}

fn is_blocked(name: &str) -> bool {
    let n = mime::normalize(name);
    let blocked = [
        "bat", "cmd", "com", "cpl", "exe", "hta", "jar", "js", "jse", "lnk", "msi", "pif", "ps1",
        "scr", "swf", "vbe", "vbs", "wsf",
    ];
    mime::extension(&n).is_some_and(|e| blocked.contains(&e.as_str()))
}

#[test]
fn corpus_names_are_decoded_and_malformed_parts_flagged() {
    for case in corpus() {
        let scan = mime::scan(&case.raw, false, &Limits::default());
        let names: Vec<&str> = scan.names.iter().map(|f| f.name.as_str()).collect();
        let file = case.path.display();
        match &case.expect {
            Expect::Block(n) => {
                assert!(
                    names.contains(&n.as_str()),
                    "{file}: {n:?} not in {names:?}"
                );
                assert!(
                    scan.malformed.is_empty(),
                    "{file}: flagged malformed: {:?}",
                    scan.malformed
                );
            }
            Expect::MalformedBlock(n) => {
                assert!(
                    names.contains(&n.as_str()),
                    "{file}: {n:?} not in {names:?}"
                );
                assert!(!scan.malformed.is_empty(), "{file}: not flagged malformed");
            }
            Expect::Malformed => {
                assert!(!scan.malformed.is_empty(), "{file}: not flagged malformed");
                assert!(
                    !names.iter().any(|n| is_blocked(n)),
                    "{file}: blocked name in {names:?}"
                );
            }
            Expect::Pass => {
                assert!(
                    scan.malformed.is_empty(),
                    "{file}: flagged malformed: {:?}",
                    scan.malformed
                );
                assert!(
                    !names.iter().any(|n| is_blocked(n)),
                    "{file}: blocked name in {names:?}"
                );
            }
        }
    }
}

#[test]
fn sources_and_depths_are_reported() {
    let read = |f: &str| std::fs::read(corpus_dir().join(f)).expect("corpus file");
    let scan = mime::scan(&read("zip-with-exe.eml"), false, &Limits::default());
    let exe = scan
        .names
        .iter()
        .find(|f| f.name == "docs/update.exe")
        .expect("zip member listed");
    assert_eq!(exe.source, Source::Zip("docs.zip".into()));
    let scan = mime::scan(&read("deep-multipart.eml"), false, &Limits::default());
    let hta = scan
        .names
        .iter()
        .find(|f| f.name == "deep.hta")
        .expect("deep name");
    assert_eq!((hta.depth, &hta.source), (10, &Source::Header));
    // Below the configured depth the structure counts as malformed; the name is
    // still found by the salvage scan.
    let shallow = Limits {
        max_depth: 4,
        ..Limits::default()
    };
    let scan = mime::scan(&read("deep-multipart.eml"), false, &shallow);
    assert!(scan.malformed.iter().any(|m| m.contains("deeper than 4")));
    assert!(scan
        .names
        .iter()
        .any(|f| f.name == "deep.hta" && f.source == Source::Salvaged));
    // Zip listing off: the member is not seen.
    let nozip = Limits {
        zip: false,
        ..Limits::default()
    };
    let scan = mime::scan(&read("zip-with-exe.eml"), false, &nozip);
    assert!(!scan.names.iter().any(|f| f.name.contains("update")));
}

#[tokio::test]
async fn corpus_verdicts_from_the_check() {
    let default = check_with("");
    let strict = check_with("malformed = \"reject\"");
    for case in corpus() {
        let file = case.path.display();
        let got = run_check(&default, &case.raw, None).await;
        let strict_got = run_check(&strict, &case.raw, None).await;
        match &case.expect {
            Expect::Block(n) | Expect::MalformedBlock(n) => {
                for g in [&got, &strict_got] {
                    let Finding::Hit(hit) = g else {
                        panic!("{file}: {n:?} passed")
                    };
                    let reply = hit.reply.as_ref().expect("reply");
                    assert_eq!((reply.code, reply.xcode.as_str()), (550, "5.7.1"), "{file}");
                    let shown = reply_name(&mime::normalize(n));
                    assert!(
                        reply.text.contains(&format!("\"{shown}\"")),
                        "{file}: {:?} lacks {shown:?}",
                        reply.text
                    );
                    assert!(reply.validate().is_ok(), "{file}: {reply}");
                }
            }
            Expect::Pass => {
                assert_eq!(got, Finding::Pass, "{file}");
                assert_eq!(strict_got, Finding::Pass, "{file}");
            }
            Expect::Malformed => {
                assert_eq!(got, Finding::Pass, "{file}: malformed = continue");
                let Finding::Hit(hit) = strict_got else {
                    panic!("{file}: malformed = reject passed")
                };
                let reply = hit.reply.expect("reply");
                assert_eq!(reply.to_string(), "550 5.6.0 Malformed MIME structure");
                assert!(hit.reason.contains("malformed MIME"), "{}", hit.reason);
            }
        }
    }
}

/// Writes a session file per corpus message, with the reply a client sees.
fn corpus_session(dir: &Path, strict: bool) -> PathBuf {
    let mut text = String::new();
    for case in corpus() {
        let name = case
            .path
            .file_name()
            .and_then(|n| n.to_str())
            .expect("name");
        let expect = match &case.expect {
            Expect::Block(n) | Expect::MalformedBlock(n) => {
                format!("reject 550 5.7.1 ~ \"{}\"", reply_name(&mime::normalize(n)))
            }
            Expect::Malformed if strict => "reject 550 5.6.0".to_string(),
            Expect::Malformed | Expect::Pass => "continue".to_string(),
        };
        text.push_str(&format!(
            "session {name}\nconnect 192.0.2.10 port 1 name mail.example.org\nhelo mail.example.org\n\
             mail <sender@example.org>\nrcpt <rcpt@example.net>\nmessage @{}\neom expect {expect}\n\n",
            case.path.display()
        ));
    }
    let path = dir.join(if strict {
        "strict.session"
    } else {
        "corpus.session"
    });
    std::fs::write(&path, text).expect("write session");
    path
}

#[tokio::test]
async fn corpus_through_the_daemon() {
    let dir = tempfile::tempdir().expect("tempdir");
    let files = [corpus_session(dir.path(), false)];
    replay("[checks.attachments]\n", &files)
        .await
        .assert_all_passed();
    let files = [corpus_session(dir.path(), true)];
    replay("[checks.attachments]\nmalformed = \"reject\"\n", &files)
        .await
        .assert_all_passed();
}

#[tokio::test]
async fn settings_through_the_daemon() {
    let file = |f: &str| session_file(&format!("attachments/{f}"));
    replay("[checks.attachments]\n", &[file("basic.session")])
        .await
        .assert_all_passed();
    replay(
        "[checks.attachments]\nmode = \"log\"\n",
        &[file("log-mode.session")],
    )
    .await
    .assert_all_passed();
    replay(
        "[checks.attachments]\naction = \"discard\"\n",
        &[file("discard.session")],
    )
    .await
    .assert_all_passed();
    replay(
        "[checks.attachments]\nblocked_extensions = [\"PDF\", \".docm\"]\n\
         reply = { code = 554, xcode = \"5.7.1\", text = \"We do not take {name}\" }\n",
        &[file("custom-list.session")],
    )
    .await
    .assert_all_passed();
    replay(
        "[checks.attachments]\naction = \"tempfail\"\n",
        &[file("tempfail.session")],
    )
    .await
    .assert_all_passed();
}

/// A multipart message: a harmless text part of `filler` bytes, then `tail_part`.
fn big_message(filler: usize, tail_part: &str) -> Vec<u8> {
    let mut m = String::from(
        "From: a@example.org\r\nSubject: big\r\nMIME-Version: 1.0\r\n\
         Content-Type: multipart/mixed; boundary=\"B\"\r\n\r\n--B\r\nContent-Type: text/plain\r\n\r\n",
    );
    let line = "x".repeat(998) + "\r\n";
    let mut n = 0;
    while n + line.len() <= filler {
        m.push_str(&line);
        n += line.len();
    }
    m.push_str(&"y".repeat(filler - n));
    m.push_str("\r\n--B\r\n");
    m.push_str(tail_part);
    m.push_str("\r\n--B--\r\n");
    m.into_bytes()
}

#[tokio::test]
async fn oversize_messages() {
    const LIMIT: usize = 65536;
    let exe_part = "Content-Disposition: attachment; filename=\"late.exe\"\r\n\r\nMZ";
    let cfg = |extra: &str| check_with(&format!("max_scan_bytes = {LIMIT}\n{extra}"));
    // The blocked part lies beyond the limit: by default the message passes (the
    // log says it was not scanned whole); oversize = reject/tempfail refuse it.
    let late = big_message(200_000, exe_part);
    assert_eq!(run_check(&cfg(""), &late, Some(LIMIT)).await, Finding::Pass);
    let Finding::Hit(hit) = run_check(&cfg("oversize = \"reject\""), &late, Some(LIMIT)).await
    else {
        panic!("oversize = reject passed")
    };
    assert_eq!(
        hit.reply.expect("reply").to_string(),
        "552 5.3.4 Message too large to scan for attachments"
    );
    let Finding::Hit(hit) = run_check(&cfg("oversize = \"tempfail\""), &late, Some(LIMIT)).await
    else {
        panic!("oversize = tempfail passed")
    };
    assert_eq!(hit.reply.expect("reply").code, 452);

    // A blocked name inside the scanned prefix is judged even when the rest is cut.
    let early = format!(
        "From: a@example.org\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"B\"\r\n\r\n\
         --B\r\n{exe_part}\r\n--B\r\nContent-Type: text/plain\r\n\r\n{}\r\n--B--\r\n",
        "z".repeat(300_000)
    );
    let Finding::Hit(hit) = run_check(
        &cfg("oversize = \"continue\""),
        early.as_bytes(),
        Some(LIMIT),
    )
    .await
    else {
        panic!("blocked name in the prefix passed")
    };
    assert!(hit.reason.contains("late.exe"), "{}", hit.reason);

    // The cut falls inside a header block: `x.exe.txt` cut after `x.exe` is not
    // judged as x.exe (the part's header block is incomplete).
    let lead = "--B\r\nContent-Type: text/plain\r\n\r\n";
    let part_prefix = "\r\n--B\r\nContent-Disposition: attachment; filename=\"x.exe";
    let filler = "f".repeat(LIMIT - lead.len() - part_prefix.len());
    let body = format!("{lead}{filler}{part_prefix}.txt\"\r\n\r\nhello\r\n--B--\r\n");
    assert!(body[..LIMIT].ends_with("filename=\"x.exe"), "test setup");
    let cut = format!(
        "From: a@example.org\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"B\"\r\n\r\n{body}"
    )
    .into_bytes();
    assert_eq!(run_check(&cfg(""), &cut, Some(LIMIT)).await, Finding::Pass);
    let (headers, _) = split_message(&cut);
    let scan = mime::scan(
        &mime::build_raw(&headers, &body.as_bytes()[..LIMIT]),
        true,
        &Limits::default(),
    );
    assert!(
        !scan.names.iter().any(|f| f.name.starts_with("x.exe")),
        "{:?}",
        scan.names
    );
    // The same prefix judged as if it were the whole message does see `x.exe`:
    // the test would catch a scan that ignored the truncation flag.
    let whole = mime::scan(
        &mime::build_raw(&headers, &body.as_bytes()[..LIMIT]),
        false,
        &Limits::default(),
    );
    assert!(
        whole.names.iter().any(|f| f.name == "x.exe"),
        "{:?}",
        whole.names
    );
    // Not cut: the same message passes on its own merits (x.exe.txt is harmless).
    assert_eq!(run_check(&cfg(""), &cut, None).await, Finding::Pass);
}

#[tokio::test]
async fn oversize_through_the_daemon() {
    let dir = tempfile::tempdir().expect("tempdir");
    let late = big_message(
        150_000,
        "Content-Disposition: attachment; filename=\"late.exe\"\r\n\r\nMZ",
    );
    std::fs::write(dir.path().join("late.eml"), &late).expect("write");
    let mut early = late.clone();
    // Same size, the blocked part first.
    let pos = early
        .windows(4)
        .position(|w| w == b"--B\r")
        .expect("first boundary");
    early.splice(
        pos..pos,
        b"--B\r\nContent-Disposition: attachment; filename=\"early.scr\"\r\n\r\nMZ\r\n"
            .iter()
            .copied(),
    );
    std::fs::write(dir.path().join("early.eml"), &early).expect("write");
    let session = |name: &str, expect: &str| {
        format!(
            "session {name}\nconnect 192.0.2.10 name mail.example.org\nhelo mail.example.org\n\
             mail <a@example.org>\nrcpt <b@example.net>\nmessage @{name}.eml\neom expect {expect}\n\n"
        )
    };
    let path = dir.path().join("oversize.session");
    std::fs::write(
        &path,
        session("late", "continue") + &session("early", "reject 550 5.7.1 ~ early.scr"),
    )
    .expect("write");
    replay(
        "[checks.attachments]\nmax_scan_bytes = 65536\n",
        std::slice::from_ref(&path),
    )
    .await
    .assert_all_passed();
    std::fs::write(
        &path,
        session("late", "reject 552 5.3.4") + &session("early", "reject 550 5.7.1 ~ early.scr"),
    )
    .expect("write");
    replay(
        "[checks.attachments]\nmax_scan_bytes = 65536\noversize = \"reject\"\n",
        std::slice::from_ref(&path),
    )
    .await
    .assert_all_passed();
}

/// Above 256 KiB the scan runs on the blocking pool: the verdict is the same.
#[tokio::test]
async fn large_messages_are_scanned_off_the_runtime_thread() {
    let dir = tempfile::tempdir().expect("tempdir");
    let late = big_message(
        1_000_000,
        "Content-Disposition: attachment; filename=\"late.exe\"\r\n\r\nMZ",
    );
    std::fs::write(dir.path().join("late.eml"), &late).expect("write");
    let clean = big_message(1_000_000, "Content-Type: text/plain\r\n\r\nbye");
    std::fs::write(dir.path().join("clean.eml"), &clean).expect("write");
    let path = dir.path().join("large.session");
    std::fs::write(
        &path,
        "session late\nconnect 192.0.2.10\nmail <a@example.org>\nrcpt <b@example.net>\n\
         message @late.eml\neom expect reject 550 5.7.1 ~ \"late.exe\"\n\n\
         session clean\nconnect 192.0.2.10\nmail <a@example.org>\nrcpt <b@example.net>\n\
         message @clean.eml\neom expect continue\n",
    )
    .expect("write");
    replay("[checks.attachments]\n", std::slice::from_ref(&path))
        .await
        .assert_all_passed();
}

#[test]
fn config_errors_name_the_line_and_key() {
    let bad = [
        (
            "[checks.attachments]\nblocked_extensions = [\"exe\", \"tar.gz\"]\n",
            "tar.gz",
        ),
        (
            "[checks.attachments]\nblocked_extensions = [\"\"]\n",
            "1 to 32",
        ),
        (
            "[checks.attachments]\nmax_scan_bytes = 10\n",
            "max_scan_bytes must be between",
        ),
        (
            "[checks.attachments]\nmax_depth = 0\n",
            "max_depth must be between",
        ),
        (
            "[checks.attachments]\nzip_max_entries = 70000\n",
            "zip_max_entries",
        ),
        ("[checks.attachments]\nmalformed = \"maybe\"\n", "maybe"),
        ("[checks.attachments]\noversize = \"discard\"\n", "discard"),
        ("[checks.attachments]\nscan_zips = true\n", "scan_zips"),
    ];
    for (text, needle) in bad {
        let err = mxgate::config::parse(text, Path::new("t.toml"))
            .expect_err(text)
            .to_string();
        assert!(err.contains("t.toml:2"), "{text}: {err}");
        assert!(err.contains(needle), "{text}: {err}");
    }
    assert!(mxgate::config::parse(
        "[checks.attachments]\nblocked_extensions = [\".EXE\", \"js\"]\nmax_scan_bytes = 1048576\n",
        Path::new("t.toml"),
    )
    .is_ok());
}

#[test]
fn body_limit_follows_the_scan_limit() {
    assert_eq!(check_with("").body_limit(), 10 * 1024 * 1024);
    assert_eq!(check_with("max_scan_bytes = 65536").body_limit(), 65536);
    assert_eq!(check_with("").stages(), &[Stage::Eom]);
}

/// Mutates `data` with byte flips, insertions of MIME-significant tokens, deletions,
/// duplications and splices of other corpus messages.
fn mutate(rng: &mut Rng, data: &mut Vec<u8>, others: &[Case]) {
    const TOKENS: &[&[u8]] = &[
        b"\r\n",
        b"\n",
        b"--",
        b"=?",
        b"?=",
        b"=?UTF-8?B?",
        b"=?x?Q?=2E",
        b"*0*=",
        b"*=",
        b"''",
        b"%2E",
        b"%",
        b"\"",
        b"\\",
        b";",
        b"filename*1=",
        b"name=",
        b"boundary=",
        b"Content-Type: multipart/mixed; boundary=b1\r\n",
        b"Content-Type: message/rfc822\r\n",
        b"Content-Transfer-Encoding: base64\r\n",
        b"\r\n--b1\r\n",
        b"--b1--",
        b"PK\x05\x06",
        b"PK\x01\x02",
        b"\xff\xfe",
        b"\xe2\x80\xae",
        b" \t",
    ];
    for _ in 0..1 + rng.below(8) {
        let len = data.len();
        match rng.below(6) {
            0 if len > 0 => {
                let i = rng.below(len);
                data[i] ^= 1 << rng.below(8);
            }
            1 => {
                let t = TOKENS[rng.below(TOKENS.len())];
                let i = rng.below(len + 1);
                data.splice(i..i, t.iter().copied());
            }
            2 if len > 1 => {
                let i = rng.below(len);
                let n = rng.below((len - i).min(64)) + 1;
                data.drain(i..i + n);
            }
            3 if len > 1 => {
                let i = rng.below(len);
                let n = rng.below((len - i).min(256)) + 1;
                let chunk: Vec<u8> = data[i..i + n].to_vec();
                let j = rng.below(len + 1);
                data.splice(j..j, chunk);
            }
            4 => {
                let o = &others[rng.below(others.len())].raw;
                if !o.is_empty() {
                    let i = rng.below(o.len());
                    let n = rng.below(o.len() - i) + 1;
                    let j = rng.below(len + 1);
                    data.splice(j..j, o[i..i + n].iter().copied());
                }
            }
            _ => {
                let i = rng.below(len + 1);
                data.truncate(i);
            }
        }
    }
    data.truncate(256 * 1024);
}

#[test]
fn randomized_mutations_never_panic() {
    let cases = corpus();
    let iterations: usize = support::rng::env_or("MXGATE_MUTATIONS", 3000);
    let seed: u64 = support::rng::env_or("MXGATE_MUTATION_SEED", 0x5EED_1234_ABCD);
    let mut rng = Rng::new(seed);
    let limits = [
        Limits::default(),
        Limits {
            max_depth: 2,
            decode_budget: 4096,
            zip: true,
            zip_max_entries: 2,
        },
    ];
    let started = std::time::Instant::now();
    for i in 0..iterations {
        let mut data = cases[i % cases.len()].raw.clone();
        mutate(&mut rng, &mut data, &cases);
        let truncated = rng.below(4) == 0;
        let scan = mime::scan(&data, truncated, &limits[i % 2]);
        for f in &scan.names {
            // The extension logic and the reply text must cope with every name.
            let n = mime::normalize(&f.name);
            let _ = mime::extension(&n);
            let r = reply_name(&n);
            assert!(r.chars().all(|c| c.is_ascii_graphic() || c == ' '), "{r:?}");
        }
    }
    eprintln!(
        "randomized: {iterations} mutated messages scanned without panic in {:?} (seed {seed})",
        started.elapsed()
    );
}

/// mailparse's RFC 2047 tokenizer is quadratic in a line's length (a 400 KB
/// Content-Type line of `=?` took 47 s before the work budget): the scan stays fast,
/// flags the message, and still finds the plain name next to the junk.
#[tokio::test]
async fn pathological_header_lines_are_bounded_and_do_not_hide_names() {
    let junk = format!(
        "Content-Type: application/x; name=\"{}\"",
        "=?".repeat(200_000)
    );
    let raw = format!(
        "From: a@example.org\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n\
         --b\r\n{junk}\r\n\r\nx\r\n--b\r\nContent-Disposition: attachment; filename=\"x.exe\"\r\n\r\nx\r\n--b--\r\n"
    );
    let started = std::time::Instant::now();
    let scan = mime::scan(raw.as_bytes(), false, &Limits::default());
    assert!(
        started.elapsed() < std::time::Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    assert!(scan.malformed.iter().any(|m| m.contains("too long")));
    assert!(scan.names.iter().any(|f| f.name == "x.exe"));
    let Finding::Hit(hit) = run_check(&check_with(""), raw.as_bytes(), None).await else {
        panic!("x.exe passed")
    };
    assert!(hit.reason.contains("x.exe"), "{}", hit.reason);
}

/// A zip archive of empty stored members named `names`: local headers, central
/// directory, end record (what the scan reads is the directory).
fn zip_of(names: &[String]) -> Vec<u8> {
    let mut data = Vec::new();
    let mut central = Vec::new();
    for n in names {
        let offset = data.len() as u32;
        data.extend_from_slice(&0x0403_4b50u32.to_le_bytes());
        data.extend_from_slice(&[20, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        data.extend_from_slice(&[0; 12]); // crc, sizes
        data.extend_from_slice(&(n.len() as u16).to_le_bytes());
        data.extend_from_slice(&[0, 0]);
        data.extend_from_slice(n.as_bytes());
        central.extend_from_slice(&0x0201_4b50u32.to_le_bytes());
        central.extend_from_slice(&[20, 0, 20, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        central.extend_from_slice(&[0; 12]); // crc, sizes
        central.extend_from_slice(&(n.len() as u16).to_le_bytes());
        central.extend_from_slice(&[0; 12]); // extra, comment, disk, attributes
        central.extend_from_slice(&offset.to_le_bytes());
        central.extend_from_slice(n.as_bytes());
    }
    let dir_offset = data.len() as u32;
    data.extend_from_slice(&central);
    data.extend_from_slice(&0x0605_4b50u32.to_le_bytes());
    data.extend_from_slice(&[0, 0, 0, 0]);
    data.extend_from_slice(&(names.len() as u16).to_le_bytes());
    data.extend_from_slice(&(names.len() as u16).to_le_bytes());
    data.extend_from_slice(&(central.len() as u32).to_le_bytes());
    data.extend_from_slice(&dir_offset.to_le_bytes());
    data.extend_from_slice(&[0, 0]);
    data
}

fn message_with_zip(zip: &[u8]) -> Vec<u8> {
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::STANDARD.encode(zip);
    let lines: Vec<&str> = b64
        .as_bytes()
        .chunks(76)
        .map(|c| std::str::from_utf8(c).expect("base64 is ASCII"))
        .collect();
    format!(
        "From: a@example.org\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n\
         --b\r\nContent-Type: text/plain\r\n\r\nsee attached\r\n--b\r\n\
         Content-Type: application/zip; name=\"photos.zip\"\r\nContent-Transfer-Encoding: base64\r\n\r\n\
         {}\r\n--b--\r\n",
        lines.join("\r\n")
    )
    .into_bytes()
}

/// A thousand dummy members in front of a program: the listing stops at
/// zip_max_entries, so the program is never seen; by default such an archive is
/// refused for what it may hide, and the operator can choose otherwise.
#[tokio::test]
async fn an_archive_that_hides_its_tail_is_refused() {
    let mut names: Vec<String> = (0..1000).map(|i| format!("img{i:04}.jpg")).collect();
    names.push("evil.exe".into());
    let hidden = message_with_zip(&zip_of(&names));
    let Finding::Hit(hit) = run_check(&check_with(""), &hidden, None).await else {
        panic!("an archive listed only in part passed by default")
    };
    assert!(
        hit.reason.contains("more than 1000 entries"),
        "{}",
        hit.reason
    );
    let reply = hit.reply.expect("a reply");
    assert_eq!((reply.code, reply.xcode.as_str()), (550, "5.7.1"));
    assert!(reply.text.contains("too many files"), "{}", reply.text);
    // Counted in the metrics, whatever the verdict.
    let metrics = mxgate::metrics::global().render();
    assert!(
        metrics.contains("mxgate_attachment_scans_incomplete_total{why=\"names_unlisted\"} "),
        "{metrics}"
    );

    assert_eq!(
        run_check(&check_with("incomplete = \"continue\""), &hidden, None).await,
        Finding::Pass
    );
    let Finding::Hit(hit) =
        run_check(&check_with("incomplete = \"tempfail\""), &hidden, None).await
    else {
        panic!("tempfail passed")
    };
    assert_eq!(hit.reply.map(|r| r.code), Some(451));
    // Listing the whole archive finds the program itself.
    let Finding::Hit(hit) = run_check(&check_with("zip_max_entries = 2000"), &hidden, None).await
    else {
        panic!("evil.exe passed with the whole archive listed")
    };
    assert!(hit.reason.contains("evil.exe"), "{}", hit.reason);
    // An archive within the limit is listed whole: harmless names pass.
    names.truncate(1000);
    let harmless = message_with_zip(&zip_of(&names));
    assert_eq!(
        run_check(&check_with(""), &harmless, None).await,
        Finding::Pass
    );
}
