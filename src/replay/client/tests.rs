//! Unit tests of socket specs, reply parsing and queue ids.

use super::session::fake_queue_id;
use super::*;

#[test]
fn socket_specs() {
    assert_eq!(
        "unix:/run/m.sock".parse::<SocketSpec>().unwrap(),
        SocketSpec::Unix("/run/m.sock".into())
    );
    assert_eq!(
        "/run/m.sock".parse::<SocketSpec>().unwrap(),
        SocketSpec::Unix("/run/m.sock".into())
    );
    assert_eq!(
        "inet:127.0.0.1:8891".parse::<SocketSpec>().unwrap(),
        SocketSpec::Inet("127.0.0.1:8891".into())
    );
    assert_eq!(
        "inet:[::1]:8891".parse::<SocketSpec>().unwrap(),
        SocketSpec::Inet("[::1]:8891".into())
    );
    for bad in [
        "inet:::1:8891",
        "inet:host",
        "inet:host:99999",
        "unix:",
        "",
        "tcp:x:1",
    ] {
        assert!(bad.parse::<SocketSpec>().is_err(), "{bad}");
    }
}

#[test]
fn reply_parsing() {
    let r = SmtpReply::parse("550 5.7.1 go away");
    assert_eq!(
        (r.code.as_str(), r.xcode.as_deref(), r.text.as_str()),
        ("550", Some("5.7.1"), "go away")
    );
    let r = SmtpReply::parse("451-4.7.1 first\r\n451 4.7.1 second");
    assert_eq!(
        (r.code.as_str(), r.xcode.as_deref(), r.text.as_str()),
        ("451", Some("4.7.1"), "first second")
    );
    let r = SmtpReply::parse("550 no enhanced code");
    assert_eq!((r.xcode, r.text.as_str()), (None, "no enhanced code"));
    let _ = SmtpReply::parse("5");
    let _ = SmtpReply::parse("");
}

#[test]
fn queue_ids_look_like_postfix_and_differ() {
    let a = fake_queue_id(1, 1);
    assert_eq!(a.len(), 10);
    assert!(a.bytes().all(|b| b.is_ascii_hexdigit()));
    assert_ne!(a, fake_queue_id(1, 2));
    assert_ne!(a, fake_queue_id(2, 1));
}
