//! Bytes nobody planned for, over the real socket: thousands of milter connections with
//! random bytes, absurd lengths, truncated packets, commands out of order, broken option
//! negotiation and macros, against the daemon with checks on. None may panic (a panic
//! hook counts them, in any task), and a well-formed session must still be served after.
//!
//! `MXGATE_GARBAGE_SESSIONS` sets how many (default 2000), `MXGATE_GARBAGE_SEED` the seed.

mod support;

use indymilter_test::TestConnection;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;
use support::rng::Rng;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::UnixStream;

/// One milter packet: length, command, payload.
fn packet(cmd: u8, payload: &[u8]) -> Vec<u8> {
    let mut p = ((payload.len() + 1) as u32).to_be_bytes().to_vec();
    p.push(cmd);
    p.extend_from_slice(payload);
    p
}

/// A valid option negotiation (version 6, every action and protocol option offered).
fn optneg() -> Vec<u8> {
    let mut payload = 6u32.to_be_bytes().to_vec();
    payload.extend_from_slice(&0x1FFu32.to_be_bytes());
    payload.extend_from_slice(&0x1F_FFFFu32.to_be_bytes());
    packet(b'O', &payload)
}

const COMMANDS: &[u8] = b"OCHMRLNEBADQTUKX\0\xff";

/// Some plausible pieces, to get past the first checks of the decoder.
fn piece(rng: &mut Rng) -> Vec<u8> {
    match rng.below(10) {
        0 => optneg(),
        // Connect: hostname, family, port, address.
        1 => packet(b'C', b"mail.example.org\x004\x9c\x40192.0.2.10\0"),
        2 => packet(b'H', b"mail.example.org\0"),
        3 => packet(b'M', b"<a@example.org>\0SIZE=1\0"),
        4 => packet(b'R', b"<b@example.net>\0"),
        5 => packet(b'L', b"Content-Type\0multipart/mixed; boundary=x\0"),
        // Macros: stage, then name/value pairs, often unterminated.
        6 => {
            let n = rng.below(40);
            let mut payload = vec![b'C'];
            payload.extend(rng.bytes(n));
            packet(b'D', &payload)
        }
        7 => {
            let n = rng.below(3000);
            packet(b'B', &rng.bytes(n))
        }
        8 => {
            let cmd = COMMANDS[rng.below(COMMANDS.len())];
            let n = rng.below(200);
            packet(cmd, &rng.bytes(n))
        }
        _ => packet(b'E', b""),
    }
}

fn garbage(rng: &mut Rng) -> Vec<u8> {
    match rng.below(8) {
        // Pure noise.
        0 => {
            let n = rng.below(4096);
            rng.bytes(n)
        }
        // An absurd length (up to 4 GiB announced), then a little.
        1 => {
            let mut p = (rng.next() as u32 | 0x8000_0000).to_be_bytes().to_vec();
            let n = rng.below(64);
            p.extend(rng.bytes(n));
            p
        }
        // Zero length: a packet with no command byte.
        2 => vec![0, 0, 0, 0],
        // A broken negotiation: short, wrong version, or options nobody has.
        3 => {
            let n = rng.below(12);
            packet(b'O', &rng.bytes(n))
        }
        // A session of plausible pieces in random order, cut at a random byte.
        _ => {
            let mut s = Vec::new();
            if rng.below(4) != 0 {
                s.extend(optneg());
            }
            for _ in 0..rng.below(12) {
                s.extend(piece(rng));
            }
            let cut = rng.below(s.len() + 1);
            if rng.below(3) == 0 {
                s.truncate(cut);
            }
            s
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn garbage_never_panics_and_real_sessions_go_on() {
    let panics = Arc::new(AtomicUsize::new(0));
    let seen = Arc::clone(&panics);
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        seen.fetch_add(1, Ordering::SeqCst);
        default_hook(info);
    }));

    let n: usize = support::rng::env_or("MXGATE_GARBAGE_SESSIONS", 2000);
    let seed: u64 = support::rng::env_or("MXGATE_GARBAGE_SEED", 0x6A7B_A6E5);
    let text = "[daemon]\nmax_connections = 100\n\n[checks.helo]\n\n[checks.attachments]\n";
    let cfg = mxgate::config::parse(text, Path::new("t.toml")).expect("config");
    let milter = mxgate::daemon::Embedded::start(cfg).await.expect("start");
    let socket = milter.socket_path().to_owned();

    let mut rng = Rng::new(seed);
    let inputs: Vec<(Vec<u8>, bool)> = (0..n)
        .map(|_| (garbage(&mut rng), rng.below(2) == 0))
        .collect();
    for chunk in inputs.chunks(50) {
        let mut tasks = Vec::new();
        for (bytes, read) in chunk.iter().cloned() {
            let socket = socket.clone();
            tasks.push(tokio::spawn(async move {
                let Ok(mut s) = UnixStream::connect(&socket).await else {
                    return;
                };
                let _ = s.write_all(&bytes).await;
                if read {
                    // Take what the milter answers, briefly; then hang up.
                    let mut buf = vec![0u8; 4096];
                    let _ = tokio::time::timeout(Duration::from_millis(20), async {
                        while let Ok(k) = s.read(&mut buf).await {
                            if k == 0 {
                                break;
                            }
                        }
                    })
                    .await;
                }
            }));
        }
        for t in tasks {
            t.await.expect("client task");
        }
    }

    // A real session, served as usual.
    let mut conn = TestConnection::configure()
        .read_timeout(Duration::from_secs(10))
        .open_unix(&socket)
        .await
        .expect("open after the garbage");
    conn.connect("mail.example.org", ([192, 0, 2, 10], 40001))
        .await
        .expect("connect");
    // The HELO check's hit is held until RCPT (delay_reject), as with Postfix.
    conn.helo("localhost").await.expect("helo");
    conn.mail(["<a@example.org>"]).await.expect("mail");
    let status = conn.rcpt(["<b@example.net>"]).await.expect("rcpt");
    assert!(
        matches!(status, indymilter_test::Status::Reject { .. }),
        "the HELO check stopped judging after the garbage: {status:?}"
    );
    milter.stop().await;
    let _ = std::panic::take_hook();
    assert_eq!(
        panics.load(Ordering::SeqCst),
        0,
        "{n} garbage sessions (seed {seed}) caused panics"
    );
}
