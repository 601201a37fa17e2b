//! The stage runner: runs a stage's checks in config order, holds early hits until
//! the first RCPT, applies shadow mode and error policy, and logs one line per decision.
//! Its bookkeeping for a connection lives in a [`Ledger`], apart from the session facts.

pub mod ledger;

use crate::address::Address;
use crate::checks::{Check, CheckError, Finding, Outcome, Services};
use crate::config::{CheckCommon, Config, Mode, OnError};
use crate::session::{Session, Stage};
use crate::verdict::{HeaderEdit, Reply, Verdict};
pub use ledger::{Held, Ledger};
use std::sync::Arc;
use std::time::Instant;

struct Bound {
    check: Box<dyn Check>,
    common: CheckCommon,
    /// Its latency histogram, looked up once here rather than per run.
    timer: crate::metrics::CheckTimer,
}

/// What the milter does at end of message.
#[derive(Debug, Default, Eq, PartialEq)]
pub struct EomOutcome {
    /// Final verdict for the message.
    pub verdict: Option<Verdict>,
    /// Recipients to remove with delete_recipient.
    pub delete_rcpts: Vec<String>,
    /// Header changes to make (none when the message is refused).
    pub edits: Vec<HeaderEdit>,
}

/// The configured checks, ready to run. Built once per config; shared by sessions.
pub struct Policy {
    config: Arc<Config>,
    checks: Vec<Bound>,
    by_stage: [Vec<usize>; Stage::ALL.len()],
}

impl Policy {
    /// Builds every enabled check, in the config's run order. Fails, naming the file,
    /// line and key, when a check cannot be set up (a map that does not parse, a store
    /// that cannot be opened).
    pub fn new(config: Arc<Config>, services: &Services) -> Result<Self, String> {
        let env = config.build_env(services);
        // A configured list is read now, whichever checks use it, so that a broken or
        // missing file stops a start or reload with its line rather than going unnoticed.
        if let Some(path) = env.public_suffix_list {
            services.org_domains(Some(path)).map_err(|m| {
                config
                    .source
                    .error_at("policy.public_suffix_list", m)
                    .to_string()
            })?;
        }
        let mut checks = Vec::new();
        for (reg, section) in config.check_sections() {
            let common = section.common();
            if !common.enabled {
                continue;
            }
            let check = section
                .build(&env)
                .map_err(|e| config.source.setup_error(reg.name, &e).to_string())?;
            let timer = crate::metrics::global().check_timer(check.name());
            checks.push(Bound {
                check,
                common,
                timer,
            });
        }
        let mut by_stage: [Vec<usize>; Stage::ALL.len()] = Default::default();
        for (i, b) in checks.iter().enumerate() {
            for stage in b.check.stages() {
                by_stage[stage.index()].push(i);
            }
        }
        Ok(Policy {
            config,
            checks,
            by_stage,
        })
    }

    /// The config this policy was built from.
    pub fn config(&self) -> &Arc<Config> {
        &self.config
    }

    /// The most body bytes any check wants buffered (0: no check reads the body).
    pub fn body_limit(&self) -> usize {
        self.checks
            .iter()
            .map(|b| b.check.body_limit())
            .max()
            .unwrap_or(0)
    }

    /// True if any check needs the header fields exactly as received
    /// ([`crate::session::Transaction::raw_headers`]).
    pub fn raw_headers(&self) -> bool {
        self.checks.iter().any(|b| b.check.raw_headers())
    }

    /// True if any check runs at `stage` (so the milter negotiates it).
    pub fn uses_stage(&self, stage: Stage) -> bool {
        !self.by_stage[stage.index()].is_empty()
    }

    /// Marks trusted and authenticated clients, which skip all checks.
    pub fn classify_client(&self, session: &Session, ledger: &mut Ledger) {
        let trusted = session
            .client_addr
            .is_some_and(|ip| self.config.trusted.iter().any(|n| n.contains(ip)));
        if trusted && !ledger.trusted {
            ledger.trusted = true;
            log_skip(session, "trusted network");
        }
    }

    /// Notes an authenticated client (from `{auth_authen}`, known at MAIL).
    pub fn note_auth(&self, session: &Session, ledger: &mut Ledger) {
        let authenticated = session
            .macros
            .get("{auth_authen}")
            .is_some_and(|u| !u.is_empty());
        if authenticated && self.config.policy.skip_authenticated && !ledger.trusted {
            ledger.trusted = true;
            log_skip(session, "authenticated client");
        }
    }

    /// Runs the checks of `stage` and decides what the milter answers. At MAIL a new
    /// transaction begins in the ledger; at RCPT the recipient is marked accepted when
    /// the answer lets it through.
    pub async fn run(&self, stage: Stage, session: &mut Session, ledger: &mut Ledger) -> Verdict {
        match stage {
            Stage::Mail => ledger.begin_transaction(),
            Stage::Rcpt => ledger.tx.rcpts.push(Default::default()),
            _ => {}
        }
        let verdict = self.decide(stage, session, ledger).await;
        if stage == Stage::Rcpt && matches!(verdict, Verdict::Continue | Verdict::Accept) {
            if let Some(mark) = ledger.current_rcpt() {
                mark.accepted = true;
            }
        }
        verdict
    }

    async fn decide(&self, stage: Stage, session: &mut Session, ledger: &mut Ledger) -> Verdict {
        if ledger.trusted || ledger.accepted {
            return Verdict::Continue;
        }
        if stage == Stage::Rcpt {
            if let Some(v) = self.enforce_held(session, ledger) {
                return v;
            }
        }
        if ledger.tx.accepted {
            return Verdict::Continue;
        }
        for &i in &self.by_stage[stage.index()] {
            let bound = &self.checks[i];
            let started = Instant::now();
            let result = bound.check.check(stage, session).await;
            let elapsed_us = started.elapsed().as_micros() as u64;
            bound.timer.observe(elapsed_us);
            let finding = match result {
                Ok(Outcome {
                    finding,
                    facts,
                    edits,
                }) => {
                    for f in facts {
                        session.record(f);
                    }
                    ledger.tx.edits.extend(edits);
                    Ok(finding)
                }
                Err(CheckError::Temporary {
                    reason,
                    reply,
                    facts,
                    edits,
                }) => {
                    crate::metrics::global().count_check_error(bound.check.name());
                    for f in facts {
                        session.record(f);
                    }
                    ledger.tx.edits.extend(edits);
                    Err((reason, reply))
                }
            };
            let (verdict, reason) = match finding {
                Ok(Finding::Pass) => {
                    tracing::debug!(
                        session = %session.id, stage = %stage, check = bound.check.name(),
                        elapsed_us, "pass"
                    );
                    continue;
                }
                Ok(Finding::Hit(hit)) => {
                    let action = hit.action.unwrap_or(bound.common.action);
                    let reply = hit.reply.as_ref().or(bound.common.reply.as_ref());
                    (Verdict::from_action(action, reply), hit.reason)
                }
                Err((reason, reply)) => match bound.common.on_error {
                    OnError::Continue => {
                        log_decision(
                            session,
                            stage,
                            bound.check.name(),
                            &Verdict::Continue,
                            &format!("{reason} (on_error=continue)"),
                            bound.common.mode,
                            elapsed_us,
                        );
                        continue;
                    }
                    OnError::Tempfail => (
                        Verdict::Tempfail(reply.unwrap_or_else(Reply::internal_error)),
                        reason,
                    ),
                },
            };
            log_decision(
                session,
                stage,
                bound.check.name(),
                &verdict,
                &reason,
                bound.common.mode,
                elapsed_us,
            );
            if bound.common.mode == Mode::Log {
                continue;
            }
            return self.apply(stage, ledger, bound.check.name(), reason, verdict);
        }
        Verdict::Continue
    }

    /// Turns an enforced verdict into what the milter answers now, holding early hits.
    fn apply(
        &self,
        stage: Stage,
        ledger: &mut Ledger,
        check: &'static str,
        reason: String,
        verdict: Verdict,
    ) -> Verdict {
        let early = matches!(stage, Stage::Connect | Stage::Helo | Stage::Mail);
        // Dropping one recipient only means something at RCPT; elsewhere the whole
        // message goes.
        let verdict = match verdict {
            Verdict::DropRecipient if stage != Stage::Rcpt => Verdict::Discard,
            v => v,
        };
        let holdable = matches!(
            verdict,
            Verdict::Reject(_) | Verdict::Tempfail(_) | Verdict::Discard
        );
        // Discard cannot be answered before a transaction exists, so it is always held.
        let hold = early
            && holdable
            && (self.config.policy.delay_reject
                || (verdict == Verdict::Discard && stage != Stage::Mail));
        if hold {
            let held = Held {
                stage,
                check,
                reason,
                verdict,
            };
            if stage == Stage::Mail {
                ledger.tx.held = Some(held);
            } else if ledger.held.is_none() {
                ledger.held = Some(held);
            }
            return Verdict::Continue;
        }
        match verdict {
            Verdict::Accept => {
                if early && stage != Stage::Mail {
                    ledger.accepted = true;
                    return Verdict::Accept;
                }
                ledger.tx.accepted = true;
                // A message-level allow (sender OK) does not cancel a client-level hit
                // held from connect/HELO — as in Postfix, where an OK in the sender
                // restrictions does not undo a client restriction's reject. Keep the
                // milter in the loop so the held hit is enforced at RCPT.
                if ledger.held.is_some() {
                    Verdict::Continue
                } else {
                    Verdict::Accept
                }
            }
            Verdict::DropRecipient => {
                if let Some(mark) = ledger.current_rcpt() {
                    mark.dropped = true;
                }
                Verdict::Continue
            }
            v => v,
        }
    }

    /// At RCPT: a held hit rejects every recipient except the exempt ones.
    fn enforce_held(&self, session: &Session, ledger: &Ledger) -> Option<Verdict> {
        let held = ledger.held.as_ref().or(ledger.tx.held.as_ref())?;
        let rcpt = session.current_rcpt()?;
        if is_exempt(&self.config.policy.exempt_recipients, &rcpt.addr) {
            tracing::info!(
                session = %session.id, queue_id = session.queue_id(), client = %session.client_display(),
                stage = "rcpt", check = held.check, verdict = "continue", rcpt = %rcpt.addr,
                reason = "exempt recipient", "decision"
            );
            return None;
        }
        tracing::info!(
            session = %session.id, queue_id = session.queue_id(), client = %session.client_display(),
            stage = "rcpt", check = held.check, verdict = held.verdict.name(),
            held_from = %held.stage, sender = %session.tx.sender, rcpt = %rcpt.addr,
            reason = %held.reason, "decision"
        );
        Some(held.verdict.clone())
    }

    /// Decides end of message: dropped recipients are removed, or the message is
    /// discarded when none would be left; the header edits the checks asked for go with
    /// the answer.
    pub async fn end_of_message(&self, session: &mut Session, ledger: &mut Ledger) -> EomOutcome {
        let mut out = EomOutcome::default();
        if self.uses_stage(Stage::Eom) {
            let v = self.run(Stage::Eom, session, ledger).await;
            if v != Verdict::Continue {
                out.verdict = Some(v);
                return out;
            }
        }
        out.edits = crate::auth_results::merge(std::mem::take(&mut ledger.tx.edits));
        let accepted: Vec<(&crate::session::Recipient, &ledger::RecipientMark)> = session
            .tx
            .rcpts
            .iter()
            .zip(&ledger.tx.rcpts)
            .filter(|(_, m)| m.accepted)
            .collect();
        let dropped: Vec<String> = accepted
            .iter()
            .filter(|(_, m)| m.dropped)
            .map(|(r, _)| r.addr.clone())
            .collect();
        if !dropped.is_empty() && dropped.len() == accepted.len() {
            tracing::info!(
                session = %session.id, queue_id = session.queue_id(), client = %session.client_display(),
                stage = "eom", check = "policy", verdict = "discard",
                reason = "every recipient was dropped", "decision"
            );
            crate::metrics::global().count_decision("eom", "policy", "discard", "enforce");
            out.verdict = Some(Verdict::Discard);
        } else {
            out.delete_rcpts = dropped;
        }
        out
    }
}

/// `postmaster@` matches that local part in any domain, `@example.com` a domain,
/// anything else a whole address; case-insensitive.
pub fn is_exempt(list: &[String], addr: &str) -> bool {
    list.iter().any(|e| {
        if let Some(local) = e.strip_suffix('@') {
            matches!(Address::split(addr), (l, Some(_)) if l.eq_ignore_ascii_case(local))
                || addr.eq_ignore_ascii_case(local)
        } else if let Some(domain) = e.strip_prefix('@') {
            Address::split(addr)
                .1
                .is_some_and(|d| d.eq_ignore_ascii_case(domain))
        } else {
            addr.eq_ignore_ascii_case(e)
        }
    })
}

fn log_skip(session: &Session, why: &str) {
    tracing::info!(
        session = %session.id, client = %session.client_display(), check = "policy",
        verdict = "skip", reason = why, "decision"
    );
}

fn log_decision(
    session: &Session,
    stage: Stage,
    check: &str,
    verdict: &Verdict,
    reason: &str,
    mode: Mode,
    elapsed_us: u64,
) {
    let mode = match mode {
        Mode::Enforce => "enforce",
        Mode::Log => "log",
    };
    let reply = verdict.reply().map(|r| r.to_string()).unwrap_or_default();
    crate::metrics::global().count_decision(stage.as_str(), check, verdict.name(), mode);
    tracing::info!(
        session = %session.id,
        queue_id = session.queue_id(),
        client = %session.client_display(),
        helo = session.helo.as_deref().unwrap_or(""),
        sender = %session.tx.sender,
        rcpt = session.current_rcpt().map(|r| r.addr.as_str()).filter(|_| stage == Stage::Rcpt).unwrap_or(""),
        stage = %stage,
        check,
        verdict = verdict.name(),
        reply = %reply,
        reason,
        mode,
        elapsed_us,
        "decision"
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exemptions() {
        let l = vec![
            "postmaster@".to_string(),
            "@abuse.example".into(),
            "x@y.z".into(),
        ];
        assert!(is_exempt(&l, "Postmaster@example.com"));
        assert!(is_exempt(&l, "postmaster"));
        assert!(is_exempt(&l, "anyone@ABUSE.example"));
        assert!(is_exempt(&l, "X@y.z"));
        assert!(!is_exempt(&l, "bob@example.com"));
        assert!(!is_exempt(&l, "postmaster.x@example.com"));
    }

    fn policy(toml: &str) -> Policy {
        let c = crate::config::parse(toml, std::path::Path::new("t.toml")).unwrap();
        Policy::new(Arc::new(c), &Services::default()).unwrap()
    }

    fn session_with(helo: &str) -> Session {
        let mut s = Session::new(Some("192.0.2.1".parse().unwrap()), 1, "unknown".into());
        s.helo = Some(helo.into());
        s
    }

    fn block_on<F: std::future::Future>(f: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
            .block_on(f)
    }

    /// Runs one stage to its verdict.
    fn at(p: &Policy, stage: Stage, s: &mut Session, l: &mut Ledger) -> Verdict {
        block_on(p.run(stage, s, l))
    }

    fn add_rcpt(s: &mut Session, a: &str) {
        s.tx.rcpts.push(crate::session::Recipient {
            addr: a.into(),
            ..Default::default()
        });
    }

    #[test]
    fn held_until_rcpt_with_exemption() {
        let p = policy("[checks.helo]\n");
        let mut s = session_with("localhost");
        let mut l = Ledger::default();
        assert_eq!(at(&p, Stage::Helo, &mut s, &mut l), Verdict::Continue);
        assert!(l.held.is_some());
        add_rcpt(&mut s, "postmaster@example.com");
        assert_eq!(at(&p, Stage::Rcpt, &mut s, &mut l), Verdict::Continue);
        add_rcpt(&mut s, "bob@example.com");
        assert!(
            matches!(at(&p, Stage::Rcpt, &mut s, &mut l), Verdict::Reject(r) if r.xcode == "5.7.1")
        );
    }

    #[test]
    fn immediate_without_delay_and_log_mode() {
        let p = policy("[policy]\ndelay_reject = false\n[checks.helo]\n");
        let mut s = session_with("localhost");
        let mut l = Ledger::default();
        assert!(matches!(
            at(&p, Stage::Helo, &mut s, &mut l),
            Verdict::Reject(_)
        ));
        let p = policy("[policy]\ndelay_reject = false\n[checks.helo]\nmode = \"log\"\n");
        let mut s = session_with("localhost");
        let mut l = Ledger::default();
        assert_eq!(at(&p, Stage::Helo, &mut s, &mut l), Verdict::Continue);
        assert!(l.held.is_none());
    }

    #[test]
    fn message_allow_does_not_cancel_a_held_client_hit() {
        let p = policy("[checks.helo]\n");
        let mut s = session_with("localhost");
        let mut l = Ledger::default();
        assert_eq!(at(&p, Stage::Helo, &mut s, &mut l), Verdict::Continue);
        // A MAIL-stage allowlist hit (as sender_access OK gives).
        let v = p.apply(
            Stage::Mail,
            &mut l,
            "sender_access",
            "OK".into(),
            Verdict::Accept,
        );
        assert_eq!(v, Verdict::Continue, "the milter must still see RCPT");
        add_rcpt(&mut s, "bob@example.com");
        assert!(matches!(
            at(&p, Stage::Rcpt, &mut s, &mut l),
            Verdict::Reject(_)
        ));
        add_rcpt(&mut s, "postmaster@example.com");
        assert_eq!(at(&p, Stage::Rcpt, &mut s, &mut l), Verdict::Continue);
        // Without a held hit the allow ends filtering for the message at once.
        let mut l = Ledger::default();
        let v = p.apply(
            Stage::Mail,
            &mut l,
            "sender_access",
            "OK".into(),
            Verdict::Accept,
        );
        assert_eq!(v, Verdict::Accept);
    }

    #[test]
    fn trusted_clients_skip() {
        let p = policy("[policy]\ntrusted_networks = [\"192.0.2.0/24\"]\ndelay_reject = false\n[checks.helo]\n");
        let mut s = session_with("localhost");
        let mut l = Ledger::default();
        p.classify_client(&s, &mut l);
        assert_eq!(at(&p, Stage::Helo, &mut s, &mut l), Verdict::Continue);
    }

    #[test]
    fn drop_recipient_and_discard_when_none_left() {
        let p = policy("[policy]\ndelay_reject = false\n[checks.helo]\naction = \"discard\"\n");
        let mut s = session_with("localhost");
        let mut l = Ledger::default();
        // Discard before a transaction is held even without delay_reject.
        assert_eq!(at(&p, Stage::Helo, &mut s, &mut l), Verdict::Continue);
        add_rcpt(&mut s, "a@example.com");
        assert_eq!(at(&p, Stage::Rcpt, &mut s, &mut l), Verdict::Discard);

        // drop-recipient outside RCPT drops the whole message, never at connect/HELO.
        let p = policy("[checks.helo]\naction = \"drop-recipient\"\n");
        let mut s = session_with("localhost");
        let mut l = Ledger::default();
        assert_eq!(at(&p, Stage::Helo, &mut s, &mut l), Verdict::Continue);
        add_rcpt(&mut s, "a@example.com");
        assert_eq!(at(&p, Stage::Rcpt, &mut s, &mut l), Verdict::Discard);

        let p = policy("");
        let mut s = session_with("mail.example.com");
        let mut l = Ledger::default();
        add_rcpt(&mut s, "a@example.com");
        add_rcpt(&mut s, "b@example.com");
        l.tx.rcpts = vec![
            ledger::RecipientMark {
                accepted: true,
                dropped: false
            };
            2
        ];
        l.tx.rcpts[0].dropped = true;
        let out = block_on(p.end_of_message(&mut s, &mut l));
        assert_eq!(out.delete_rcpts, vec!["a@example.com".to_string()]);
        assert_eq!(out.verdict, None);
        l.tx.rcpts[1].dropped = true;
        let out = block_on(p.end_of_message(&mut s, &mut l));
        assert_eq!(out.verdict, Some(Verdict::Discard));
    }
}
