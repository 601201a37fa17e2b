//! The greylisting state machine and the store interface both backends implement.
//!
//! The decision is a pure function of the stored row, the time and the parameters, so
//! both stores (and the tests) share it; a store only reads the row, and when something
//! has to change, re-reads it under a write lock (SQLite `BEGIN IMMEDIATE`, PostgreSQL
//! `SELECT … FOR UPDATE`) and decides again before writing. That is what keeps two MX
//! hosts from both greylisting one retry.

use crate::store::pg::StoreError;
use std::future::Future;
use std::pin::Pin;

/// A boxed store future.
pub type StoreFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, StoreError>> + Send + 'a>>;

/// The normalised triplet.
#[derive(Clone, Debug, Eq, PartialEq, Hash)]
pub struct Key {
    /// Client part: `spf:DOMAIN`, `name:ORG-DOMAIN` or a masked address `192.0.2.0/24`.
    pub client: String,
    /// Normalised envelope sender (`<>` for the null sender).
    pub sender: String,
    /// Lower-cased recipient.
    pub rcpt: String,
}

/// Timing and allowlist parameters, in seconds.
#[derive(Clone, Debug, Eq, PartialEq)]
pub struct Params {
    /// A retry is accepted this long after the first attempt.
    pub delay: i64,
    /// … and at most this long after it (else greylisting starts over).
    pub retry_window: i64,
    /// A passed triplet (and an auto-allowlisted client) is forgotten after this long unused.
    pub max_age: i64,
    /// Passes after which a client key skips greylisting (0: never).
    pub auto_allowlist: i64,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            delay: 300,
            retry_window: 2 * 86400,
            max_age: 35 * 86400,
            auto_allowlist: 5,
        }
    }
}

impl Params {
    /// How stale `last_seen` of a passed entry may get before a use refreshes it. Not
    /// writing on every pass keeps the common case (known triplets) read-only, which is
    /// what makes it cheap; the error is at most an hour on a 35-day lifetime.
    pub fn refresh(&self) -> i64 {
        (self.max_age / 100).clamp(1, 3600)
    }
}

/// One stored triplet.
#[derive(Clone, Debug, Eq, PartialEq)]
pub struct Triplet {
    /// Unix time of the first attempt (of the current greylisting round).
    pub first_seen: i64,
    /// Unix time of the last attempt or use (refreshed at most every [`Params::refresh`]).
    pub last_seen: i64,
    /// A retry was accepted: later attempts pass.
    pub passed: bool,
    /// Attempts counted while greylisted, plus the one that passed.
    pub attempts: i64,
}

/// One stored client key (auto or manual allowlist).
#[derive(Clone, Debug, Eq, PartialEq)]
pub struct ClientEntry {
    /// Triplets of this client that passed greylisting.
    pub passes: i64,
    /// Unix time of the last pass or use.
    pub last_seen: i64,
    /// Added by `mxgate greylist allow`: never expires.
    pub manual: bool,
}

impl ClientEntry {
    /// True if this client skips greylisting at `now`.
    pub fn allowlisted(&self, now: i64, p: &Params) -> bool {
        self.manual
            || (p.auto_allowlist > 0
                && self.passes >= p.auto_allowlist
                && now - self.last_seen <= p.max_age)
    }
}

/// What the store decided for one RCPT.
#[derive(Clone, Debug, Eq, PartialEq)]
pub enum Status {
    /// Seen for the first time: greylisted.
    New,
    /// Known, but the retry window was missed or the entry expired: greylisted again.
    Restarted,
    /// Retried before `delay`: still greylisted, `wait` seconds to go.
    TooEarly {
        /// Seconds until a retry passes.
        wait: i64,
    },
    /// A retry after `delay`: passes from now on.
    Retried {
        /// Seconds since the first attempt.
        after: i64,
    },
    /// A triplet that passed before.
    Known,
    /// The client key is allowlisted (auto or manual).
    ClientAllowed,
}

impl Status {
    /// True if the recipient gets the greylisting reply.
    pub fn greylisted(&self) -> bool {
        matches!(
            self,
            Status::New | Status::Restarted | Status::TooEarly { .. }
        )
    }

    /// For the log.
    pub fn describe(&self) -> String {
        match self {
            Status::New => "new triplet".into(),
            Status::Restarted => "triplet expired or retry window missed, greylisting again".into(),
            Status::TooEarly { wait } => format!("retry too early ({wait} s to go)"),
            Status::Retried { after } => format!("retried after {after} s"),
            Status::Known => "known triplet".into(),
            Status::ClientAllowed => "client auto-allowlisted".into(),
        }
    }
}

/// The decision for a triplet row: the status and the row to write, if any
/// (None: leave the row as it is).
pub fn decide(old: Option<&Triplet>, now: i64, p: &Params) -> (Status, Option<Triplet>) {
    let fresh = Triplet {
        first_seen: now,
        last_seen: now,
        passed: false,
        attempts: 1,
    };
    let Some(old) = old else {
        return (Status::New, Some(fresh));
    };
    if old.passed {
        if now - old.last_seen > p.max_age {
            return (Status::Restarted, Some(fresh));
        }
        let write = (now - old.last_seen >= p.refresh()).then(|| Triplet {
            last_seen: now,
            ..old.clone()
        });
        return (Status::Known, write);
    }
    let age = now - old.first_seen;
    if age > p.retry_window {
        return (Status::Restarted, Some(fresh));
    }
    if age < p.delay {
        return (
            Status::TooEarly {
                wait: p.delay - age,
            },
            Some(Triplet {
                last_seen: now,
                attempts: old.attempts.saturating_add(1),
                ..old.clone()
            }),
        );
    }
    (
        Status::Retried { after: age },
        Some(Triplet {
            last_seen: now,
            passed: true,
            attempts: old.attempts.saturating_add(1),
            first_seen: old.first_seen,
        }),
    )
}

/// What to list.
#[derive(Clone, Debug, Default)]
pub struct ListFilter {
    /// Only rows whose client, sender or recipient contains this (case-insensitive).
    pub contains: Option<String>,
    /// Only greylisted (true) or only passed (false) triplets.
    pub passed: Option<bool>,
    /// At most this many rows (newest `last_seen` first).
    pub limit: usize,
}

/// A listed triplet.
#[derive(Clone, Debug, Eq, PartialEq)]
pub struct Listed {
    /// The key.
    pub key: Key,
    /// Its state.
    pub triplet: Triplet,
}

/// A listed client key.
#[derive(Clone, Debug, Eq, PartialEq)]
pub struct ListedClient {
    /// Client key.
    pub client: String,
    /// Its state.
    pub entry: ClientEntry,
}

/// Counts for `mxgate greylist stats`.
#[derive(Clone, Debug, Default, Eq, PartialEq)]
pub struct Stats {
    /// Triplets still greylisted.
    pub greylisted: i64,
    /// Triplets that passed.
    pub passed: i64,
    /// Client keys with passes recorded.
    pub clients: i64,
    /// Of those, auto-allowlisted now.
    pub auto_allowlisted: i64,
    /// Manually allowlisted client keys.
    pub manual: i64,
    /// Oldest `first_seen` of any triplet.
    pub oldest: Option<i64>,
    /// Backend-specific size in bytes (SQLite file + WAL), if known.
    pub size_bytes: Option<u64>,
}

/// Rows deleted by an expiry run.
#[derive(Clone, Copy, Debug, Default, Eq, PartialEq)]
pub struct Expired {
    /// Triplets deleted.
    pub triplets: u64,
    /// Client keys deleted.
    pub clients: u64,
}

/// A greylist store: SQLite (embedded) or PostgreSQL (shared between MX hosts).
pub trait GreylistStore: Send + Sync {
    /// Backend name for logs (`sqlite`, `postgres`).
    fn backend(&self) -> &'static str;
    /// Decides for one RCPT and records the attempt.
    fn check<'a>(&'a self, key: &'a Key, now: i64, p: &'a Params) -> StoreFuture<'a, Status>;
    /// Deletes unused entries (passed triplets and auto-allowlisted clients older than
    /// `max_age`, greylisted triplets not retried within `retry_window`).
    fn expire<'a>(&'a self, now: i64, p: &'a Params) -> StoreFuture<'a, Expired>;
    /// Triplets, newest first.
    fn list(&self, filter: ListFilter) -> StoreFuture<'_, Vec<Listed>>;
    /// Client keys with passes or a manual entry, newest first.
    fn list_clients(&self, limit: usize) -> StoreFuture<'_, Vec<ListedClient>>;
    /// Counts.
    fn stats<'a>(&'a self, now: i64, p: &'a Params) -> StoreFuture<'a, Stats>;
    /// Adds (true) or removes (false) a manual allowlist entry; returns whether anything changed.
    fn set_manual<'a>(&'a self, client: &'a str, allow: bool, now: i64) -> StoreFuture<'a, bool>;
    /// Writes triplets as they are (bulk load for benchmarks and test set-up); existing
    /// keys are overwritten.
    fn put(&self, rows: Vec<Listed>) -> StoreFuture<'_, u64>;
    /// Deletes every triplet and client entry; returns the number of triplets.
    fn clear(&self) -> StoreFuture<'_, u64>;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p() -> Params {
        Params::default()
    }

    #[test]
    fn first_attempt_early_retry_and_late_retry() {
        let (s, row) = decide(None, 1000, &p());
        assert_eq!(s, Status::New);
        let row = row.unwrap();
        assert!(!row.passed);
        let (s, early) = decide(Some(&row), 1100, &p());
        assert_eq!(s, Status::TooEarly { wait: 200 });
        let early = early.unwrap();
        assert_eq!((early.first_seen, early.attempts), (1000, 2));
        let (s, ok) = decide(Some(&early), 1300, &p());
        assert_eq!(s, Status::Retried { after: 300 });
        assert!(ok.unwrap().passed);
    }

    #[test]
    fn missed_window_and_expiry_start_over() {
        let row = decide(None, 0, &p()).1.unwrap();
        let (s, w) = decide(Some(&row), 2 * 86400 + 1, &p());
        assert_eq!(s, Status::Restarted);
        assert_eq!(w.unwrap().first_seen, 2 * 86400 + 1);
        let passed = Triplet {
            first_seen: 0,
            last_seen: 10,
            passed: true,
            attempts: 2,
        };
        assert_eq!(
            decide(Some(&passed), 10 + 35 * 86400, &p()).0,
            Status::Known
        );
        assert_eq!(
            decide(Some(&passed), 11 + 35 * 86400, &p()).0,
            Status::Restarted
        );
    }

    #[test]
    fn known_triplets_refresh_only_when_stale() {
        let passed = Triplet {
            first_seen: 0,
            last_seen: 1000,
            passed: true,
            attempts: 2,
        };
        assert_eq!(decide(Some(&passed), 1000 + 3599, &p()).1, None);
        assert_eq!(
            decide(Some(&passed), 1000 + 3600, &p())
                .1
                .unwrap()
                .last_seen,
            4600
        );
    }

    #[test]
    fn client_allowlist() {
        let e = ClientEntry {
            passes: 5,
            last_seen: 0,
            manual: false,
        };
        assert!(e.allowlisted(35 * 86400, &p()));
        assert!(!e.allowlisted(35 * 86400 + 1, &p()));
        assert!(!ClientEntry {
            passes: 4,
            ..e.clone()
        }
        .allowlisted(0, &p()));
        let off = Params {
            auto_allowlist: 0,
            ..p()
        };
        assert!(!e.allowlisted(0, &off));
        assert!(ClientEntry {
            passes: 0,
            last_seen: 0,
            manual: true
        }
        .allowlisted(i64::MAX / 2, &off));
    }
}
