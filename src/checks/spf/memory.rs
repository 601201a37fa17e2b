//! A per-check memory of recent SPF evaluations, so the same sender from the same
//! client within half a minute is not evaluated again (record parsing, macro
//! expansion and the DNS cache lookups cost more than the rest of the check).
//!
//! The key is everything check_host() reads from the session: the client address,
//! the HELO name as given and, for the MAIL FROM identity, the whole address (macros
//! can use the local part, `%{l}`). The viaspf configuration is fixed per check. The
//! value is the [`Evaluation`] itself; verdict, facts and headers are made from it
//! each time, so a different authserv-id or configuration never sees stale text.
//!
//! A temperror is never remembered: a temporary DNS failure (or a session that ran
//! out of DNS time) must be retried by the next session. Everything else (pass, fail,
//! softfail, neutral, none, permerror) is the answer the DNS data gives.

use super::eval::Evaluation;
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::Duration;
use tokio::time::Instant;
use viaspf::SpfResult;

/// How long an evaluation is remembered. DNS answers are cached for their own TTL
/// anyway; this memory only skips re-evaluating the same sender from the same client
/// within half a minute (a burst of messages, a retry), so a changed SPF record
/// takes effect at most 30 s later than the DNS cache alone would allow, and results
/// are never kept longer than that.
pub const TTL: Duration = Duration::from_secs(30);

/// Entries before a sweep. Keys are chosen by clients (addresses, HELO names), so the
/// memory must not grow without end: when full, expired entries go, and if that is
/// not enough, everything goes.
pub const MAX_ENTRIES: usize = 10_000;

/// What an evaluation depends on besides the DNS data.
#[derive(Clone, Debug, Eq, Hash, PartialEq)]
pub struct Key {
    ip: IpAddr,
    /// The HELO name as the client gave it (None: no HELO at all).
    helo: Option<Box<str>>,
    /// The MAIL FROM address; None for the HELO identity.
    sender: Option<Box<str>>,
}

impl Key {
    /// The key of the HELO identity.
    pub fn helo(ip: IpAddr, helo: Option<&str>) -> Key {
        Key {
            ip,
            helo: helo.map(Box::from),
            sender: None,
        }
    }

    /// The key of the MAIL FROM identity. The null sender is evaluated as the HELO
    /// identity (RFC 7208 §2.4), so it shares that key.
    pub fn mail_from(ip: IpAddr, helo: Option<&str>, sender: &str) -> Key {
        Key {
            ip,
            helo: helo.map(Box::from),
            sender: (!sender.is_empty()).then(|| Box::from(sender)),
        }
    }
}

/// Remembered evaluations of one check instance.
pub struct Memory {
    ttl: Duration,
    max: usize,
    map: Mutex<HashMap<Key, (Instant, Evaluation)>>,
}

impl Memory {
    /// An empty memory with [`TTL`] and [`MAX_ENTRIES`].
    pub fn new() -> Self {
        Self::with_limits(TTL, MAX_ENTRIES)
    }

    fn with_limits(ttl: Duration, max: usize) -> Self {
        Memory {
            ttl,
            max,
            map: Mutex::new(HashMap::new()),
        }
    }

    /// The evaluation remembered for `key`, if it is younger than the TTL at `now`.
    pub fn get(&self, key: &Key, now: Instant) -> Option<Evaluation> {
        let map = self.map.lock().ok()?;
        let (at, e) = map.get(key)?;
        // Instant is monotonic, so an entry never lives longer than the TTL.
        (now.saturating_duration_since(*at) < self.ttl).then(|| e.clone())
    }

    /// Remembers `e` for `key` at `now`, unless it is a temperror.
    pub fn put(&self, key: Key, e: &Evaluation, now: Instant) {
        if matches!(e.result, SpfResult::Temperror) {
            return;
        }
        let Ok(mut map) = self.map.lock() else {
            return;
        };
        let ttl = self.ttl;
        crate::bounded::insert(&mut map, key, (now, e.clone()), self.max, |(at, _)| {
            now.saturating_duration_since(*at) < ttl
        });
    }

    /// Entries held (expired ones included until a sweep).
    pub fn len(&self) -> usize {
        self.map.lock().map_or(0, |m| m.len())
    }

    /// True when nothing is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl Default for Memory {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::spf::eval::Identity;
    use viaspf::ExplanationString;

    fn ev(result: SpfResult) -> Evaluation {
        Evaluation {
            identity: Identity::MailFrom,
            subject: "a@example.test".into(),
            domain: "example.test".into(),
            result,
            cause: None,
        }
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn remembers_within_the_ttl_only() {
        let m = Memory::with_limits(Duration::from_secs(30), 10);
        let t0 = Instant::now();
        let k = Key::mail_from(ip("192.0.2.1"), Some("mail.example.test"), "a@example.test");
        let e = ev(SpfResult::Fail(ExplanationString::External("why".into())));
        m.put(k.clone(), &e, t0);
        assert_eq!(m.get(&k, t0 + Duration::from_secs(29)), Some(e));
        assert_eq!(m.get(&k, t0 + Duration::from_secs(30)), None);
    }

    #[test]
    fn temperror_is_never_remembered_the_rest_is() {
        let m = Memory::new();
        let t0 = Instant::now();
        let k = Key::helo(ip("192.0.2.1"), Some("mail.example.test"));
        m.put(k.clone(), &ev(SpfResult::Temperror), t0);
        assert_eq!(m.get(&k, t0), None);
        assert!(m.is_empty());
        for r in [
            SpfResult::Permerror,
            SpfResult::None,
            SpfResult::Neutral,
            SpfResult::Pass,
            SpfResult::Softfail,
            SpfResult::Fail(ExplanationString::Default),
        ] {
            m.put(k.clone(), &ev(r.clone()), t0);
            assert_eq!(m.get(&k, t0).map(|e| e.result), Some(r));
        }
    }

    #[test]
    fn keys_tell_identities_clients_and_senders_apart() {
        let a = ip("192.0.2.1");
        let helo = Some("mail.example.test");
        assert_ne!(
            Key::helo(a, helo),
            Key::mail_from(a, helo, "a@example.test")
        );
        assert_eq!(Key::helo(a, helo), Key::mail_from(a, helo, ""));
        assert_ne!(
            Key::mail_from(a, helo, "a@example.test"),
            Key::mail_from(a, helo, "b@example.test")
        );
        assert_ne!(
            Key::mail_from(a, helo, "a@example.test"),
            Key::mail_from(ip("192.0.2.2"), helo, "a@example.test")
        );
        assert_ne!(
            Key::mail_from(a, helo, "a@example.test"),
            Key::mail_from(a, Some("other.example.test"), "a@example.test")
        );
        assert_ne!(Key::helo(a, None), Key::helo(a, Some("")));
    }

    #[test]
    fn bounded_expired_first_then_everything() {
        let m = Memory::with_limits(Duration::from_secs(30), 3);
        let t0 = Instant::now();
        let k = |i: u8| Key::helo(IpAddr::from([192, 0, 2, i]), Some("h.test"));
        m.put(k(1), &ev(SpfResult::Pass), t0);
        m.put(k(2), &ev(SpfResult::Pass), t0 + Duration::from_secs(20));
        m.put(k(3), &ev(SpfResult::Pass), t0 + Duration::from_secs(20));
        // Full: k(1) has expired and goes; the fresh ones stay.
        let t1 = t0 + Duration::from_secs(31);
        m.put(k(4), &ev(SpfResult::Pass), t1);
        assert_eq!(m.len(), 3);
        assert!(m.get(&k(1), t1).is_none());
        assert!(m.get(&k(2), t1).is_some());
        // Full of fresh entries: everything goes, then the new one is kept.
        m.put(k(5), &ev(SpfResult::Pass), t1);
        assert_eq!(m.len(), 1);
        assert!(m.get(&k(5), t1).is_some());
        // Replacing an existing key never sweeps.
        m.put(k(5), &ev(SpfResult::None), t1);
        assert_eq!(m.len(), 1);
    }
}
