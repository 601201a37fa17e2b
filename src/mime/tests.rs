//! Unit tests of the MIME scan, its decoders and name handling.

use super::decode::{base64_lenient, qp_lenient};
use super::names::percent_decode;
use super::*;

fn names(raw: &str) -> Vec<String> {
    scan(raw.as_bytes(), false, &Limits::default())
        .names
        .into_iter()
        .map(|f| f.name)
        .collect()
}

#[test]
fn normalisation() {
    assert_eq!(normalize("a.exe. . "), "a.exe");
    assert_eq!(normalize("C:\\x\\a.EXE"), "a.EXE");
    assert_eq!(normalize("in\u{202E}fdp.exe"), "infdp.exe");
    assert_eq!(normalize("a.e\u{200B}xe"), "a.exe");
    assert_eq!(extension("a.pdf.exe").as_deref(), Some("exe"));
    assert_eq!(extension("a.exe.pdf").as_deref(), Some("pdf"));
    assert_eq!(extension("noext"), None);
    assert_eq!(extension(".exe").as_deref(), Some("exe"));
    assert_eq!(extension("a.").as_deref(), None);
}

#[test]
fn params_all_interpretations() {
    let n = names(
        "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n\
         Content-Disposition: attachment; filename=\"a.exe\"; filename=\"b.pdf\"\r\n\r\nx\r\n--b--\r\n",
    );
    assert!(n.contains(&"a.exe".to_string()), "{n:?}");
    assert!(n.contains(&"b.pdf".to_string()), "{n:?}");
}

#[test]
fn unknown_charset_2231() {
    let n = names(
        "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n\
         Content-Disposition: attachment; filename*=x-nonsense''evil%2Eexe\r\n\r\nx\r\n--b--\r\n",
    );
    assert_eq!(n, vec!["evil.exe".to_string()]);
    let n = names(
        "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n\
         Content-Disposition: attachment; filename*0*=x-nonsense''ev; filename*1=il.e;\r\n filename*2*=%78e\r\n\r\nx\r\n--b--\r\n",
    );
    assert_eq!(n, vec!["evil.exe".to_string()]);
}

/// The decoder written by hand before the base64 crate was used.
fn reference_base64(data: &[u8]) -> (Vec<u8>, bool) {
    let (mut out, mut acc, mut bits, mut clean) = (Vec::new(), 0u32, 0, true);
    for &c in data {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            b'=' | b' ' | b'\t' | b'\r' | b'\n' => continue,
            _ => {
                clean = false;
                continue;
            }
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    (out, clean)
}

#[test]
fn base64_lenient_matches_the_former_decoder() {
    const PIECES: &[&[u8]] = &[
        b"aGVs", b"bG8", b"Z", b"=", b"==", b"\r\n", b" ", b"*", b"/+", b"\xff", b"-", b"\t",
    ];
    let mut x: u64 = 0x2545_F491_4F6C_DD1D;
    let mut next = || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    for _ in 0..5000 {
        let n = next() % 9;
        let input: Vec<u8> = (0..n)
            .flat_map(|_| {
                PIECES[(next() % PIECES.len() as u64) as usize]
                    .iter()
                    .copied()
            })
            .collect();
        assert_eq!(
            base64_lenient(&input),
            reference_base64(&input),
            "{input:?}"
        );
    }
}

#[test]
fn lenient_decoders() {
    assert_eq!(base64_lenient(b"aGVs\r\nbG8=").0, b"hello");
    assert!(!base64_lenient(b"aGVs*bG8=").1);
    assert_eq!(qp_lenient(b"a=3Db=\r\nc"), b"a=bc");
    assert_eq!(percent_decode("a%2Eb%"), b"a.b%");
}

#[test]
fn names_only_where_a_name_parameter_or_encoded_word_can_be() {
    // The shortcut for values without "name" or "=?" must not hide upper-case or
    // RFC 2231 forms, nor names only an RFC 2047 word reveals.
    let n = names(
        "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n\
         Content-Type: application/octet-stream; NAME=\"a.exe\"\r\n\r\nx\r\n--b\r\n\
         Content-Disposition: attachment; FileName*=utf-8''b%2Eexe\r\n\r\nx\r\n--b\r\n\
         Content-Disposition: =?utf-8?q?attachment=3B_filename=3Dc=2Eexe?=\r\n\r\nx\r\n--b--\r\n",
    );
    for want in ["a.exe", "b.exe", "c.exe"] {
        assert!(n.contains(&want.to_string()), "{want} not in {n:?}");
    }
    let plain = scan(
        b"Content-Type: text/plain; charset=us-ascii\r\n\r\nhello\r\n",
        false,
        &Limits::default(),
    );
    assert!(plain.names.is_empty() && plain.malformed.is_empty() && plain.limited.is_empty());
}

#[test]
fn raw_rebuild_folds_with_crlf() {
    let raw = build_raw(&[("Subject".into(), "a\n\tb".into())], b"x");
    assert_eq!(raw, b"Subject: a\r\n\tb\r\n\r\nx");
    let raw = build_raw(
        &[
            ("X".into(), "\n a\r\n b\n\n".into()),
            ("Y".into(), "y".into()),
        ],
        b"",
    );
    assert_eq!(raw, b"X: \r\n a\r\n b\r\n\r\n\r\nY: y\r\n\r\n");
}
