//! A per-check memory of recent passes, so mail that keeps passing skips the store.
//!
//! Only positive outcomes are remembered: a triplet the store found passed (known or
//! just retried) and a client key the store found allowlisted (auto or manual). A
//! greylisted, new or too-early triplet is never remembered, nor is an error: each of
//! those goes to the store every time, so the greylisting state machine is untouched.
//!
//! A pass never turns back into greylisting except by expiry (`max_age` unused, days)
//! or an explicit `mxgate greylist purge` / `allow --remove`. The price of the memory
//! is therefore bounded and small: after a purge, a host may still let a triplet (or an
//! allowlisted client) it saw pass through for up to [`PASS_TTL`] seconds.
//!
//! The store's `last_seen` is then refreshed at most once per [`PASS_TTL`] per triplet
//! per host. That cannot expire an active entry: a `Known`/`ClientAllowed` answer at
//! `t` means `last_seen > t - refresh` (the store refreshes anything older), so the
//! entry lives in the store until at least `t - refresh + max_age`, and the TTL is
//! capped at `max_age / 10` (while `refresh` is at most `max_age / 100`, or 1 s).

use super::logic::{Key, Params, Status};
use std::collections::HashMap;
use std::hash::Hash;
use std::sync::Mutex;

/// How long (seconds) a pass is remembered. One minute: long enough that a busy
/// sender's burst of RCPTs costs one store round trip instead of one per RCPT, short
/// enough that a purge or a removed manual allow takes effect on every host within a
/// minute (passes never turn back into greylisting any other way before `max_age`,
/// which is days).
pub const PASS_TTL: i64 = 60;

/// Entries per map before a sweep. Keys are chosen by senders (addresses), so the
/// memory must not grow without end: when full, expired entries go, and if that is
/// not enough, everything goes (the store still has it all).
pub const MAX_ENTRIES: usize = 10_000;

/// Remembered passes of one check instance.
pub struct PassCache {
    ttl: i64,
    max: usize,
    maps: Mutex<Maps>,
}

#[derive(Default)]
struct Maps {
    /// Passed triplets → time they were seen passing.
    triplets: HashMap<Key, i64>,
    /// Allowlisted client keys → time they were seen allowlisted.
    clients: HashMap<String, i64>,
}

impl PassCache {
    /// A cache for these parameters: TTL `min(PASS_TTL, max_age / 10)`; off (TTL 0)
    /// when `max_age` is under 10 s.
    pub fn new(p: &Params) -> Self {
        Self::with_limits(PASS_TTL.min(p.max_age / 10).max(0), MAX_ENTRIES)
    }

    fn with_limits(ttl: i64, max: usize) -> Self {
        PassCache {
            ttl,
            max,
            maps: Mutex::new(Maps::default()),
        }
    }

    /// The TTL in seconds (0: off).
    pub fn ttl(&self) -> i64 {
        self.ttl
    }

    fn fresh(&self, at: i64, now: i64) -> bool {
        // A clock stepped backwards must not stretch an entry's life.
        (0..self.ttl).contains(&(now - at))
    }

    /// The remembered pass for `key` at `now`, in the order the stores decide (client
    /// allowlist first), as the status the store would report now.
    pub fn get(&self, key: &Key, now: i64) -> Option<Status> {
        if self.ttl == 0 {
            return None;
        }
        let mut maps = self.maps.lock().unwrap_or_else(|e| e.into_inner());
        if self.take_fresh(&mut maps.clients, &key.client, now) {
            return Some(Status::ClientAllowed);
        }
        if self.take_fresh(&mut maps.triplets, key, now) {
            return Some(Status::Known);
        }
        None
    }

    /// True if `k` is remembered and fresh; drops it if it is stale.
    fn take_fresh<K, Q>(&self, map: &mut HashMap<K, i64>, k: &Q, now: i64) -> bool
    where
        K: std::borrow::Borrow<Q> + Hash + Eq,
        Q: Hash + Eq + ?Sized,
    {
        match map.get(k) {
            Some(&at) if self.fresh(at, now) => true,
            Some(_) => {
                map.remove(k);
                false
            }
            None => false,
        }
    }

    /// Remembers the store's answer for `key` at `now` if it is a pass; anything
    /// else (greylisted, new, too early) is ignored.
    pub fn record(&self, key: &Key, status: &Status, now: i64) {
        if self.ttl == 0 {
            return;
        }
        let mut maps = self.maps.lock().unwrap_or_else(|e| e.into_inner());
        match status {
            Status::ClientAllowed => {
                insert(
                    &mut maps.clients,
                    key.client.clone(),
                    now,
                    self.ttl,
                    self.max,
                );
            }
            Status::Known | Status::Retried { .. } => {
                insert(&mut maps.triplets, key.clone(), now, self.ttl, self.max);
            }
            Status::New | Status::Restarted | Status::TooEarly { .. } => {}
        }
    }

    /// Entries held (both maps).
    pub fn len(&self) -> usize {
        let maps = self.maps.lock().unwrap_or_else(|e| e.into_inner());
        maps.triplets.len() + maps.clients.len()
    }

    /// True if nothing is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

fn insert<K: Hash + Eq>(map: &mut HashMap<K, i64>, k: K, now: i64, ttl: i64, max: usize) {
    crate::bounded::insert(map, k, now, max, |at| (0..ttl).contains(&(now - *at)));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(n: usize) -> Key {
        Key {
            client: "192.0.2.0/24".into(),
            sender: format!("s{n}@example.org"),
            rcpt: "r@example.net".into(),
        }
    }

    #[test]
    fn only_passes_are_remembered_for_the_ttl() {
        let c = PassCache::with_limits(60, 100);
        for s in [
            Status::New,
            Status::Restarted,
            Status::TooEarly { wait: 10 },
        ] {
            c.record(&key(1), &s, 1000);
            assert_eq!(c.get(&key(1), 1000), None, "{s:?} remembered");
        }
        c.record(&key(1), &Status::Retried { after: 300 }, 1000);
        assert_eq!(c.get(&key(1), 1000), Some(Status::Known));
        assert_eq!(c.get(&key(1), 1059), Some(Status::Known));
        assert_eq!(c.get(&key(1), 1060), None, "expired after 60 s");
        assert!(c.is_empty(), "the stale entry was dropped");
        c.record(&key(2), &Status::Known, 1000);
        assert_eq!(c.get(&key(2), 999), None, "clock stepped back");
        c.record(&key(3), &Status::ClientAllowed, 1000);
        assert_eq!(
            c.get(&key(99), 1001),
            Some(Status::ClientAllowed),
            "any triplet of an allowlisted client key"
        );
    }

    #[test]
    fn ttl_follows_max_age_and_size_is_bounded() {
        let p = |max_age| Params {
            max_age,
            ..Params::default()
        };
        assert_eq!(PassCache::new(&Params::default()).ttl(), PASS_TTL);
        assert_eq!(PassCache::new(&p(200)).ttl(), 20);
        assert_eq!(PassCache::new(&p(9)).ttl(), 0);
        let off = PassCache::new(&p(9));
        off.record(&key(1), &Status::Known, 0);
        assert_eq!(off.get(&key(1), 0), None);

        let c = PassCache::with_limits(60, 10);
        for n in 0..10 {
            c.record(&key(n), &Status::Known, 0);
        }
        // Full of expired entries: they go, the new one stays.
        c.record(&key(10), &Status::Known, 100);
        assert_eq!(c.len(), 1);
        for n in 11..20 {
            c.record(&key(n), &Status::Known, 100);
        }
        assert_eq!(c.len(), 10);
        // Full of fresh entries: cleared.
        c.record(&key(20), &Status::Known, 100);
        assert_eq!(c.len(), 1);
        assert_eq!(c.get(&key(20), 100), Some(Status::Known));
    }
}
