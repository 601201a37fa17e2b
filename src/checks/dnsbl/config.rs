//! The `[checks.dnsbl]` section: its keys, the list tables and their value types.

use super::answer::AnswerSpec;
use super::template::ReplyTemplate;
use crate::checks::common::OnError;
use crate::values::TimeSpan;
use crate::verdict::Action;
use serde::{Deserialize, Serialize};

crate::check_config! {
    /// `[checks.dnsbl]`: the lists, the threshold and the self-test.
    pub struct DnsblConfig {
        action: Action::Reject,
        on_error: OnError::Continue;
        /// The lists, as `[[checks.dnsbl.lists]]` tables.
        pub lists: Vec<ListConfig> = Vec::new(),
        /// A summed weight at or above this is a hit (postscreen's
        /// postscreen_dnsbl_threshold), 1 to 1000.
        pub threshold: Threshold = Threshold(1),
        /// Look up the TXT record of the list that caused a hit, when its reply
        /// template shows it (`{txt}`); one more query, only for listed clients.
        pub query_txt: bool = true,
        /// Query each list's RFC 5782 test points at start and every
        /// `self_test_interval`; disable lists that answer wrongly.
        pub self_test: bool = false,
        /// Time between self-tests, 1s to 1d (a bare number counts seconds:
        /// deprecated).
        pub self_test_interval: TimeSpan = TimeSpan::from_secs(300),
    }
}

crate::documented! {
/// One `[[checks.dnsbl.lists]]` table.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ListConfig {
    /// The list's DNS zone, e.g. `zen.spamhaus.org`.
    pub zone: Zone,
    /// Name for logs, facts and `{name}`; the zone when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<ListName>,
    /// Added to the score when the client is listed; negative for allowlists
    /// (-1000 to 1000).
    #[serde(default = "default_weight")]
    pub weight: i32,
    /// Answers that count as listed; empty: any 127.0.0.0/8 answer that is not an
    /// error code.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub answers: Vec<AnswerSpec>,
    /// Reply text template for hits caused by this list (see [`template`]); else the
    /// check's `reply.text`, else [`DEFAULT_TEMPLATE`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply: Option<ReplyTemplate>,
    /// Query the list for IPv4 clients (and IPv4-mapped IPv6 ones).
    #[serde(default = "yes")]
    pub ipv4: bool,
    /// Query the list for IPv6 clients.
    #[serde(default = "yes")]
    pub ipv6: bool,
}
}

fn default_weight() -> i32 {
    1
}

fn yes() -> bool {
    true
}

/// A DNS zone name: letters, digits, `-`, `_`; no empty labels; stored lower-case
/// without the trailing dot.
#[derive(Clone, Debug, Eq, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Zone(pub(super) String);

impl TryFrom<String> for Zone {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        let z = s.trim().trim_end_matches('.').to_ascii_lowercase();
        let ok_label = |l: &str| {
            !l.is_empty()
                && l.len() <= 63
                && l.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        };
        if z.is_empty() || z.len() > 200 || !z.split('.').all(ok_label) {
            return Err(format!(
                "zone {s:?} is not a DNS name such as \"zen.spamhaus.org\""
            ));
        }
        Ok(Zone(z))
    }
}

impl From<Zone> for String {
    fn from(z: Zone) -> String {
        z.0
    }
}

/// A list's name: 1–64 of letters, digits, `.`, `-`, `_` (it appears in logs and
/// may appear in replies).
#[derive(Clone, Debug, Eq, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ListName(pub(super) String);

impl TryFrom<String> for ListName {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        if s.is_empty()
            || s.len() > 64
            || !s
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_'))
        {
            return Err(format!(
                "list name {s:?}: use 1-64 letters, digits, '.', '-' or '_'"
            ));
        }
        Ok(ListName(s))
    }
}

impl From<ListName> for String {
    fn from(n: ListName) -> String {
        n.0
    }
}

/// The score threshold, 1 to 1000: 0 or less would hit every client.
#[derive(Clone, Copy, Debug, Eq, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "i64", into = "i64")]
pub struct Threshold(pub i32);

impl TryFrom<i64> for Threshold {
    type Error = String;
    fn try_from(v: i64) -> Result<Self, String> {
        i32::try_from(v)
            .ok()
            .filter(|v| (1..=1000).contains(v))
            .map(Threshold)
            .ok_or_else(|| {
                format!("threshold {v}: must be between 1 and 1000 (0 would hit every client)")
            })
    }
}

impl From<Threshold> for i64 {
    fn from(t: Threshold) -> i64 {
        i64::from(t.0)
    }
}
