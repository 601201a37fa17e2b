//! Attachment-name extraction (src/mime.rs) on realistic messages: a plain text mail,
//! a business mail with HTML alternative and two attachments named with RFC 2231 and
//! RFC 2047, the same forwarded as message/rfc822, and a small zip attachment (the
//! fixture tests/fixtures/mime/zip-harmless.eml, archive members listed).
//!
//! Run: `cargo bench --bench mime`. `cargo test --benches` runs each once as a test;
//! every message is first checked to give exactly the names it carries.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use mxgate::mime::{build_raw, scan, Limits, Source};
use mxgate::replay::format::base64_encode;
use std::hint::black_box;

/// A message and the names a scan must find in it (in order).
struct Message {
    id: &'static str,
    raw: Vec<u8>,
    names: Vec<&'static str>,
}

const HEADERS: &str = "Received: from mail.example.test (mail.example.test [192.0.2.10])\r\n\
\tby mx.example.net (Postfix) with ESMTPS id 4Xy1z2AbCd\r\n\
\tfor <bob@example.net>; Mon,  1 Jan 2024 10:00:00 +0000 (UTC)\r\n\
Received: from internal.example.test (internal.example.test [198.51.100.7])\r\n\
\tby mail.example.test (Postfix) with ESMTP id 9QwErTy\r\n\
\tfor <bob@example.net>; Mon,  1 Jan 2024 09:59:59 +0000 (UTC)\r\n\
DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=example.test; s=mail;\r\n\
\tt=1704103200; bh=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=;\r\n\
\th=From:To:Subject:Date:Message-ID;\r\n\
\tb=dGhpcyBpcyBub3QgYSByZWFsIHNpZ25hdHVyZSBidXQgaXQgaGFzIHRoZSByaWdodCBsZW5ndGggZm9yIGEg\r\n\
\t cmVhbGlzdGljIGhlYWRlciBzaXplIGluIGEgYmVuY2htYXJrIG1lc3NhZ2UgZm9yIG14Z2F0ZQ==\r\n\
From: Alice Example <alice@example.test>\r\n\
To: Bob Example <bob@example.net>\r\n\
Date: Mon, 1 Jan 2024 10:00:00 +0000\r\n\
Message-ID: <20240101100000.12345@mail.example.test>\r\n";

fn plain() -> Message {
    let mut raw = String::from(HEADERS);
    raw.push_str("Subject: Lunch on Friday\r\nContent-Type: text/plain; charset=utf-8\r\n");
    raw.push_str("Content-Transfer-Encoding: 8bit\r\n\r\n");
    for i in 0..24 {
        raw.push_str(&format!(
            "Line {i} of a plain message: nothing attached, just words about lunch.\r\n"
        ));
    }
    Message {
        id: "plain",
        raw: raw.into_bytes(),
        names: vec![],
    }
}

/// The inner structure shared by `multipart` and `nested`: text and HTML alternative,
/// a PDF named with RFC 2231 continuations and a charset, an image named with an RFC
/// 2047 encoded word.
fn business_body(boundary: &str, pdf_bytes: usize, png_bytes: usize) -> String {
    let mut b = String::from("This is a multi-part message in MIME format.\r\n");
    b.push_str(&format!(
        "--{boundary}\r\nContent-Type: multipart/alternative; boundary=\"alt-{boundary}\"\r\n\r\n"
    ));
    b.push_str(&format!(
        "--alt-{boundary}\r\nContent-Type: text/plain; charset=utf-8\r\n\
         Content-Transfer-Encoding: quoted-printable\r\n\r\n"
    ));
    for _ in 0..20 {
        b.push_str("Dear Bob, please find the invoice for March attached. Regards, Alice=\r\n");
    }
    b.push_str(&format!(
        "\r\n--alt-{boundary}\r\nContent-Type: text/html; charset=utf-8\r\n\
         Content-Transfer-Encoding: quoted-printable\r\n\r\n<html><body>"
    ));
    for _ in 0..20 {
        b.push_str("<p>Dear Bob, please find the invoice for March attached.</p>=\r\n");
    }
    b.push_str(&format!("</body></html>\r\n--alt-{boundary}--\r\n\r\n"));
    b.push_str(&format!(
        "--{boundary}\r\nContent-Type: application/pdf;\r\n\
         \tname*0*=UTF-8''Rechnung%20M%C3%A4rz;\r\n\tname*1*=%202024.pdf\r\n\
         Content-Disposition: attachment;\r\n\
         \tfilename*0*=UTF-8''Rechnung%20M%C3%A4rz;\r\n\tfilename*1*=%202024.pdf\r\n\
         Content-Transfer-Encoding: base64\r\n\r\n"
    ));
    b.push_str(&base64_lines(pdf_bytes));
    b.push_str(&format!(
        "\r\n--{boundary}\r\nContent-Type: image/png; name=\"=?UTF-8?B?{}?=\"\r\n\
         Content-Disposition: inline\r\nContent-ID: <img1@example.test>\r\n\
         Content-Transfer-Encoding: base64\r\n\r\n",
        base64_encode(FOTO.as_bytes())
    ));
    b.push_str(&base64_lines(png_bytes));
    b.push_str(&format!("\r\n--{boundary}--\r\n"));
    b
}

const FOTO: &str = "Ferienfoto Übersicht.png";
const RECHNUNG: &str = "Rechnung März 2024.pdf";

fn multipart() -> Message {
    let mut raw = String::from(HEADERS);
    raw.push_str("Subject: Invoice March\r\nMIME-Version: 1.0\r\n");
    raw.push_str("Content-Type: multipart/mixed; boundary=\"b-outer-1704103200\"\r\n\r\n");
    raw.push_str(&business_body("b-outer-1704103200", 100_000, 20_000));
    Message {
        id: "multipart_2231_2047",
        raw: raw.into_bytes(),
        names: vec![RECHNUNG, FOTO],
    }
}

fn nested() -> Message {
    let mut raw = String::from(HEADERS);
    raw.push_str("Subject: Fwd: Invoice March\r\nMIME-Version: 1.0\r\n");
    raw.push_str("Content-Type: multipart/mixed; boundary=\"fwd-1\"\r\n\r\n");
    raw.push_str("--fwd-1\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nSee below.\r\n\r\n");
    raw.push_str(
        "--fwd-1\r\nContent-Type: message/rfc822\r\n\
         Content-Disposition: attachment; filename=\"Invoice March.eml\"\r\n\r\n",
    );
    raw.push_str(HEADERS);
    raw.push_str("Subject: Invoice March\r\nMIME-Version: 1.0\r\n");
    raw.push_str("Content-Type: multipart/mixed; boundary=\"inner-2\"\r\n\r\n");
    raw.push_str(&business_body("inner-2", 30_000, 5_000));
    raw.push_str("\r\n--fwd-1--\r\n");
    Message {
        id: "nested_rfc822",
        raw: raw.into_bytes(),
        names: vec!["Invoice March.eml", RECHNUNG, FOTO],
    }
}

fn zip() -> Message {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/mime/zip-harmless.eml"
    );
    let raw = std::fs::read(path).unwrap_or_else(|e| panic!("read {path}: {e}"));
    // The fixture's expectation is in its own header; the names are checked below.
    Message {
        id: "zip_fixture",
        raw,
        names: vec![],
    }
}

/// `len` pseudo-random bytes as base64 in 76-character lines (what mail clients send).
fn base64_lines(len: usize) -> String {
    let mut x: u32 = 0x1234_5678;
    let data: Vec<u8> = (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x as u8
        })
        .collect();
    let encoded = base64_encode(&data);
    let mut out = String::with_capacity(encoded.len() + encoded.len() / 38);
    for line in encoded.as_bytes().chunks(76) {
        out.push_str(std::str::from_utf8(line).unwrap_or_default());
        out.push_str("\r\n");
    }
    out
}

fn messages() -> Vec<Message> {
    let limits = Limits::default();
    let mut all = vec![plain(), multipart(), nested(), zip()];
    for m in &mut all {
        let s = scan(&m.raw, false, &limits);
        assert!(
            s.malformed.is_empty(),
            "{}: malformed {:?}",
            m.id,
            s.malformed
        );
        assert!(s.limited.is_empty(), "{}: limited {:?}", m.id, s.limited);
        let found: Vec<&str> = s.names.iter().map(|f| f.name.as_str()).collect();
        if m.id == "zip_fixture" {
            assert!(
                s.names.iter().any(|f| matches!(f.source, Source::Zip(_))),
                "{}: no zip member listed: {found:?}",
                m.id
            );
        } else {
            assert_eq!(found, m.names, "{}: names", m.id);
        }
    }
    all
}

fn bench_scan(c: &mut Criterion) {
    let limits = Limits::default();
    let mut group = c.benchmark_group("mime_scan");
    for m in messages() {
        group.throughput(Throughput::Bytes(m.raw.len() as u64));
        group.bench_function(m.id, |b| b.iter(|| scan(black_box(&m.raw), false, &limits)));
    }
    group.finish();
}

/// What the attachments check does per message: rebuild the raw message from the
/// milter's headers and body, then scan it.
fn bench_check_path(c: &mut Criterion) {
    let limits = Limits::default();
    let m = multipart();
    let text = String::from_utf8(m.raw.clone()).expect("ASCII message");
    let (head, body) = text.split_once("\r\n\r\n").expect("header/body split");
    // Headers as the milter gets them: name, value with folded lines joined by LF.
    let mut headers: Vec<(String, String)> = Vec::new();
    for line in head.split("\r\n") {
        if line.starts_with(['\t', ' ']) {
            if let Some((_, v)) = headers.last_mut() {
                v.push('\n');
                v.push_str(line);
            }
        } else if let Some((n, v)) = line.split_once(':') {
            headers.push((n.to_owned(), v.trim_start().to_owned()));
        }
    }
    let body = body.as_bytes();
    let rebuilt = build_raw(&headers, body);
    let names: Vec<String> = scan(&rebuilt, false, &limits)
        .names
        .into_iter()
        .map(|f| f.name)
        .collect();
    assert_eq!(names, m.names, "rebuilt message: names");
    let mut group = c.benchmark_group("mime_check_path");
    group.throughput(Throughput::Bytes(rebuilt.len() as u64));
    group.bench_function("build_raw", |b| {
        b.iter(|| build_raw(black_box(&headers), black_box(body)))
    });
    group.bench_function("build_raw_and_scan", |b| {
        b.iter(|| {
            scan(
                &build_raw(black_box(&headers), black_box(body)),
                false,
                &limits,
            )
        })
    });
    group.finish();
}

criterion_group!(benches, bench_scan, bench_check_path);
criterion_main!(benches);
