//! Checks: one file per check, each bound to one SMTP stage.
//!
//! A check only judges: it reads session facts and returns a [`Finding`]. What a hit
//! does (reject, tempfail, …), shadow mode and error policy belong to the policy.

pub mod common;
pub mod spec;

/// Declares every check: its module and its spec, one line each. The line's place in
/// the list is the check's place in the README table within its stage; the run order is
/// the config file's.
macro_rules! checks {
    ($( $module:ident :: $spec:ident ),* $(,)?) => {
        $( pub mod $module; )*
        static REGISTRY: &[Registration] = &[ $( spec::register::<$module::$spec>() ),* ];
    };
}

checks! {
    client_access::ClientAccess,
    helo::Helo,
    helo_sender::HeloSender,
    rdns::Rdns,
    dnsbl::Dnsbl,
    spf::Spf,
    sender_access::SenderAccess,
    sender_domain::SenderDomain,
    recipient_domain::RecipientDomain,
    relay::Relay,
    denylist::Denylist,
    attachments::Attachments,
    dkim::Dkim,
    dmarc::Dmarc,
    greylist::Greylist,
}

pub use spec::{BuildEnv, CheckSpec, Registration, Section, SetupError};

use crate::dns::Dns;
use crate::org_domain::OrgDomains;
use crate::session::{Fact, Session, Stage};
use crate::verdict::{Action, HeaderEdit, Reply};
use std::future::Future;
use std::pin::Pin;

/// A boxed future borrowed from the check and the session.
pub type CheckFuture<'a> = Pin<Box<dyn Future<Output = Result<Outcome, CheckError>> + Send + 'a>>;

/// A finding plus the facts the check learnt on the way (recorded even in log mode).
#[derive(Clone, Debug, Eq, PartialEq)]
pub struct Outcome {
    /// The judgement.
    pub finding: Finding,
    /// Facts for later checks and the log.
    pub facts: Vec<Fact>,
    /// Header changes for end of message.
    pub edits: Vec<HeaderEdit>,
}

impl From<Finding> for Outcome {
    fn from(finding: Finding) -> Self {
        Outcome {
            finding,
            facts: Vec::new(),
            edits: Vec::new(),
        }
    }
}

/// What a check found.
#[derive(Clone, Debug, Eq, PartialEq)]
pub enum Finding {
    /// Nothing to say.
    Pass,
    /// The check's condition matched.
    Hit(Hit),
}

/// A match, with the reason for the log and optional overrides of the configured
/// action and reply (for checks with several outcomes, such as a map's value).
#[derive(Clone, Debug, Eq, PartialEq)]
pub struct Hit {
    /// Why, for the log line (never sent to the client unless it is the reply text).
    pub reason: String,
    /// Overrides the check's configured action.
    pub action: Option<Action>,
    /// Overrides the check's configured reply.
    pub reply: Option<Reply>,
}

impl Hit {
    /// A hit that takes the configured action and reply.
    pub fn new(reason: impl Into<String>) -> Self {
        Hit {
            reason: reason.into(),
            action: None,
            reply: None,
        }
    }
}

/// A check could not decide.
#[derive(Clone, Debug, thiserror::Error)]
pub enum CheckError {
    /// DNS or database failure that may go away (SERVFAIL, timeout, connection refused).
    #[error("temporary failure: {reason}")]
    Temporary {
        /// What failed, for the log.
        reason: String,
        /// The 4xx reply to use when on_error = tempfail (the check's own, e.g. 450 4.7.25).
        reply: Option<Reply>,
        /// Facts learnt before the failure.
        facts: Vec<Fact>,
        /// Header changes still wanted (e.g. the SPF trace headers of a temperror).
        edits: Vec<HeaderEdit>,
    },
}

impl CheckError {
    /// A temporary failure with the check's own 4xx reply.
    pub fn temporary(reason: impl Into<String>, reply: Option<Reply>) -> Self {
        CheckError::Temporary {
            reason: reason.into(),
            reply,
            facts: Vec::new(),
            edits: Vec::new(),
        }
    }
}

/// Shared services checks are built with; created on first use, once per process.
#[derive(Default)]
pub struct Services {
    dns: std::sync::OnceLock<std::sync::Arc<Dns>>,
    pg: std::sync::OnceLock<deadpool_postgres::Pool>,
    org_domains: std::sync::Mutex<Option<(ListKey, std::sync::Arc<OrgDomains>)>>,
}

/// Which Public Suffix List a shared [`OrgDomains`] was read from: none (the built-in
/// one), or a file as it was then (path, modification time, size), so that a reload
/// after the file changed reads it again and one that did not keeps the parsed copy.
type ListKey = Option<(std::path::PathBuf, Option<std::time::SystemTime>, u64)>;

impl Services {
    /// The shared resolver, built from `[dns]` on first use.
    pub fn dns(&self, config: &crate::dns::DnsConfig) -> Result<std::sync::Arc<Dns>, String> {
        if let Some(d) = self.dns.get() {
            return Ok(std::sync::Arc::clone(d));
        }
        let dns = std::sync::Arc::new(Dns::new(config)?);
        Ok(std::sync::Arc::clone(self.dns.get_or_init(|| dns)))
    }

    /// The organisational-domain finder over `[policy] public_suffix_list` (None: the
    /// built-in list), shared by every check built from one config and re-read when the
    /// file changed since the last build.
    pub fn org_domains(
        &self,
        list: Option<&std::path::Path>,
    ) -> Result<std::sync::Arc<OrgDomains>, String> {
        let key: ListKey = match list {
            None => None,
            Some(p) => {
                let meta = std::fs::metadata(p)
                    .map_err(|e| format!("{}: cannot read: {e}", p.display()))?;
                Some((p.to_owned(), meta.modified().ok(), meta.len()))
            }
        };
        // A poisoned lock (a panic while holding it, which the code under it cannot
        // do) only costs sharing: the list is read again.
        let mut slot = self.org_domains.lock().ok();
        if let Some((k, o)) = slot.as_ref().and_then(|s| s.as_ref()) {
            if *k == key {
                return Ok(std::sync::Arc::clone(o));
            }
        }
        let fresh = std::sync::Arc::new(match list {
            None => OrgDomains::builtin(),
            Some(p) => OrgDomains::load(p)?,
        });
        if let Some(s) = slot.as_mut() {
            **s = Some((key, std::sync::Arc::clone(&fresh)));
        }
        Ok(fresh)
    }

    /// The shared PostgreSQL pool, built from `[database]` on first use (connections
    /// are opened lazily, so a database that is down does not stop mxgate starting).
    pub fn pg(
        &self,
        config: &crate::store::pg::DbConfig,
    ) -> Result<deadpool_postgres::Pool, String> {
        if let Some(p) = self.pg.get() {
            return Ok(p.clone());
        }
        let pool = config.pool().map_err(|e| e.to_string())?;
        Ok(self.pg.get_or_init(|| pool).clone())
    }
}

/// A check bound to a stage.
pub trait Check: Send + Sync {
    /// Name as in the config section `[checks.NAME]` and the log.
    fn name(&self) -> &'static str;
    /// The stages it runs at (most checks have one).
    fn stages(&self) -> &'static [Stage];
    /// Judges the session at `stage`.
    fn check<'a>(&'a self, stage: Stage, session: &'a Session) -> CheckFuture<'a>;
    /// Body bytes this check needs buffered for end of message (0: none). The milter
    /// negotiates the body stage only when some check (or capture) asks for it.
    fn body_limit(&self) -> usize {
        0
    }
    /// True if it reads [`crate::session::Transaction::raw_headers`] (the milter then asks
    /// the MTA for header values with their leading space and keeps the exact fields).
    fn raw_headers(&self) -> bool {
        false
    }
}

/// Every check mxgate knows.
pub fn registry() -> &'static [Registration] {
    REGISTRY
}

/// The registration of the check named `name`.
pub fn registration(name: &str) -> Option<&'static Registration> {
    REGISTRY.iter().find(|r| r.name == name)
}
