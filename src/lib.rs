//! mxgate: a milter for Postfix MX relays.
//!
//! Data flows one way: milter callback → session facts → checks → verdict.
//!
//! # Glossary
//! One word per concept, in the code, the log and the docs.
//!
//! The daemon:
//! - **session** ([`session::Session`]): the facts about one SMTP connection, filled by
//!   the milter callbacks and by checks (through facts); nothing else writes it.
//! - **transaction** ([`session::Transaction`]): MAIL FROM to end of message or abort.
//! - **stage** ([`session::Stage`]): a point where checks run (connect, HELO, MAIL,
//!   RCPT, end of headers, end of message).
//! - **fact** ([`session::Fact`]): something a check learnt for later checks and the log
//!   (PTR names, DNSBL score, SPF result).
//! - **check** ([`checks::Check`]): judges a session at its stages; read-only. Its
//!   plugin side is a **spec** ([`checks::CheckSpec`]) and its **section**
//!   (`[checks.NAME]`, [`checks::Section`]); the **registry** lists every spec.
//! - **finding** ([`checks::Finding`]): what one check concludes: pass, or a **hit**
//!   ([`checks::Hit`]: it matched, with a reason). An **outcome** ([`checks::Outcome`]) is
//!   a finding with the facts and header edits learnt on the way.
//! - **action** ([`verdict::Action`]): what a hit does, as configured (reject, tempfail,
//!   discard, drop-recipient, accept). Tables have their own sets of actions for their
//!   entries: an SPF result's (`ResultAction`), a denylist entry's (`DenyAction`), an
//!   access-table entry's (`AccessAction`).
//! - **verdict** ([`verdict::Verdict`]): what the policy answers the MTA at a stage.
//! - **reply** ([`verdict::Reply`]): an SMTP reply (code, RFC 3463 enhanced code, text).
//! - **header edit** ([`verdict::HeaderEdit`]): a header to add or delete at end of message.
//! - **policy** ([`policy::Policy`]): runs the checks of a stage in order and turns
//!   findings into a verdict (mode, on_error, held verdicts); its per-connection
//!   bookkeeping is the **ledger** ([`policy::Ledger`]).
//! - **held** ([`policy::Held`]): an early verdict kept until the first RCPT.
//! - **decision**: the log line the policy writes for a verdict (`"decision"` events).
//! - **time span** ([`values::TimeSpan`]): every duration in the config, written
//!   `"300ms"`, `"30s"`, `"5m"`, `"2h"`, `"1d"` or `"1w"`.
//!
//! The replay harness (the MTA side, [`replay`]):
//! - **script**: one SMTP connection to replay (a `session` block of a session file).
//! - **phase**: a milter command the MTA sends (the daemon's stages plus header, body).
//! - **response**: the milter's answer to a command as the MTA sees it.
//! - **expectation**: what a session file demands of a phase (`expect …`).
//! - **step result**: what happened at one phase of a replay.

pub mod address;
pub mod auth_results;
pub mod bounded;
pub mod capture;
pub mod checks;
pub mod cli;
pub mod config;
pub mod daemon;
pub mod dns;
pub mod docs;
pub mod logfmt;
pub mod maps;
pub mod metrics;
pub mod milter;
pub mod mime;
pub mod net;
pub mod org_domain;
pub mod policy;
pub mod replay;
pub mod session;
pub mod spf_lookup;
pub mod store;
pub mod task;
pub mod text;
pub mod values;
pub mod verdict;
