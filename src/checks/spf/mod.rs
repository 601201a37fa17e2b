//! SPF (RFC 7208) for the HELO and MAIL FROM identities, with viaspf over the shared
//! resolver ([`crate::spf_lookup`]).
//!
//! At MAIL both identities are evaluated (concurrently); the MAIL FROM result decides,
//! a HELO fail decides when MAIL FROM did not fail. With `delay_reject` the verdict is
//! enforced at RCPT, so postmaster@ and abuse@ still get through. The result is reported
//! as [`Fact::Spf`] (greylisting uses a pass domain) and as Received-SPF and
//! Authentication-Results headers; at end of headers, incoming Authentication-Results
//! headers that carry our authserv-id are forgeries and are removed.

pub mod eval;
pub mod headers;
pub mod memory;

use super::{Check, CheckError, CheckFuture, Finding, Hit, Outcome, BuildEnv, CheckSpec, SetupError};
use crate::auth_results::{system_host_name, AuthservId};
use crate::dns::Dns;
use crate::net::Cidr;
use crate::session::{Fact, Session, SpfFact, Stage};
use crate::spf_lookup::SpfLookup;
use crate::verdict::{Action, HeaderEdit, Reply};
use eval::{Evaluation, Identity};
use memory::{Key, Memory};
use serde::{Deserialize, Serialize};
use std::net::IpAddr;
use std::sync::Arc;
use crate::values::TimeSpanMs;
use tokio::time::Instant;
use viaspf::SpfResult;

/// Longest explanation (`exp=` text) put into a reply.
const MAX_EXPLANATION: usize = 200;

/// What a result other than `fail` does (`fail` uses the common `action`).
#[derive(Clone, Copy, Debug, Default, Deserialize, Serialize, Eq, PartialEq)]
#[serde(rename_all = "kebab-case")]
pub enum ResultAction {
    /// Nothing: go on with the next check.
    #[default]
    Continue,
    /// 550 5.7.23 (5.7.24 for permerror).
    Reject,
    /// 451 4.7.23 (4.7.24 for permerror).
    Tempfail,
    /// Accept and throw away the whole message.
    Discard,
}

impl ResultAction {
    fn action(self) -> Option<Action> {
        match self {
            ResultAction::Continue => None,
            ResultAction::Reject => Some(Action::Reject),
            ResultAction::Tempfail => Some(Action::Tempfail),
            ResultAction::Discard => Some(Action::Discard),
        }
    }
}

/// A client network in `skip_clients`, refused at load when it is not a CIDR.
#[derive(Clone, Debug, Deserialize, Serialize, Eq, PartialEq)]
#[serde(try_from = "String", into = "String")]
pub struct ClientNet(pub Cidr);

impl TryFrom<String> for ClientNet {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        s.parse().map(ClientNet)
    }
}

impl From<ClientNet> for String {
    fn from(n: ClientNet) -> String {
        n.0.to_string()
    }
}

crate::check_config! {
    /// `[checks.spf]`. `action`/`reply` are what a MAIL FROM `fail` does.
    pub struct SpfConfig {
        action: Action::Reject,
        on_error: crate::checks::common::OnError::Tempfail;
        /// Also check the HELO identity (RFC 7208 §2.3).
        pub check_helo: bool = true,
        /// What a HELO fail does when the MAIL FROM result is not fail.
        pub helo_fail: ResultAction = ResultAction::Reject,
        /// What a MAIL FROM softfail does.
        pub softfail: ResultAction = ResultAction::Continue,
        /// What a MAIL FROM neutral does.
        pub neutral: ResultAction = ResultAction::Continue,
        /// What a MAIL FROM none (no SPF record) does.
        pub none: ResultAction = ResultAction::Continue,
        /// What a MAIL FROM permerror (broken record) does.
        pub permerror: ResultAction = ResultAction::Continue,
        /// Time one SPF evaluation may take, 10ms to 5m (RFC 7208 §4.6.4 asks for at
        /// least 20s); the session's `[dns] session_budget` bounds it too. Formerly
        /// `timeout_ms`, a number of milliseconds.
        #[serde(alias = "timeout_ms")]
        pub timeout: TimeSpanMs = TimeSpanMs::from_secs(20),
        /// Add a Received-SPF header (RFC 7208 §9.1).
        pub add_received_spf: bool = true,
        /// Add an Authentication-Results header (RFC 8601).
        pub add_authentication_results: bool = true,
        /// Remove incoming Authentication-Results headers that carry our authserv-id.
        pub remove_forged_authentication_results: bool = true,
        /// Our authserv-id; default: Postfix's `$myhostname` (macro `j`), else this
        /// host's name, else "mxgate".
        #[serde(skip_serializing_if = "Option::is_none")]
        pub authserv_id: Option<AuthservId> = None,
        /// Clients not checked (known forwarders), as CIDR ranges or addresses.
        pub skip_clients: Vec<ClientNet> = Vec::new(),
    }
}

/// The SPF check as a plugin.
pub struct Spf;

impl CheckSpec for Spf {
    const NAME: &'static str = "spf";
    const STAGES: &'static [Stage] = &[Stage::Mail];
    const SUMMARY: &'static str = "SPF (RFC 7208) on MAIL FROM and HELO, per-result actions, `Received-SPF` / `Authentication-Results`, forged A-R removed";
    type Config = SpfConfig;

    fn validate(cfg: &SpfConfig) -> Result<(), SetupError> {
        cfg.timeout
            .check("timeout", TimeSpanMs::from_millis(10), TimeSpanMs::from_secs(300))
    }

    fn build(cfg: &SpfConfig, env: &BuildEnv<'_>) -> Result<Box<dyn Check>, SetupError> {
        // With the DNS cache off (someone debugging DNS) every session must query:
        // the evaluation memory goes off with it.
        let remember = env.dns.cache_size > 0;
        Ok(Box::new(SpfCheck::new(cfg.clone(), env.resolver()?, remember)))
    }
}

/// The SPF check.
pub struct SpfCheck {
    cfg: SpfConfig,
    dns: Arc<Dns>,
    lookup: SpfLookup,
    viaspf: viaspf::Config,
    host_name: Option<String>,
    /// Recent evaluations ([`memory`]); None when the DNS cache is off.
    memory: Option<Memory>,
}

impl SpfCheck {
    /// The check over the shared resolver; `remember`: keep recent evaluations for
    /// [`memory::TTL`] (the registry turns it off with `[dns] cache_size = 0`).
    pub fn new(cfg: SpfConfig, dns: Arc<Dns>, remember: bool) -> Self {
        let host_name = system_host_name();
        let timeout = cfg.timeout.get();
        let mut builder = viaspf::Config::builder().timeout(timeout);
        // %{r} in explanations names the receiving host.
        if let Some(r) = cfg
            .authserv_id
            .as_ref()
            .map(|a| a.0.clone())
            .or_else(|| host_name.clone())
        {
            builder = builder.hostname(r);
        }
        SpfCheck {
            lookup: SpfLookup::new(Arc::clone(&dns)),
            dns,
            viaspf: builder.build(),
            host_name,
            cfg,
            memory: remember.then(Memory::new),
        }
    }

    /// The MAIL FROM identity's evaluation, remembered or fresh.
    async fn mail_from(
        &self,
        ip: IpAddr,
        helo: Option<&str>,
        sender: &str,
        deadline: Instant,
    ) -> Evaluation {
        let key = self
            .memory
            .as_ref()
            .map(|_| Key::mail_from(ip, helo, sender));
        self.remembered(key, || {
            eval::evaluate_mail_from(&self.lookup, &self.viaspf, ip, helo, sender, deadline)
        })
        .await
    }

    /// The HELO identity's evaluation, remembered or fresh.
    async fn helo(&self, ip: IpAddr, helo: Option<&str>, deadline: Instant) -> Evaluation {
        let key = self.memory.as_ref().map(|_| Key::helo(ip, helo));
        self.remembered(key, || {
            eval::evaluate_helo(&self.lookup, &self.viaspf, ip, helo, deadline)
        })
        .await
    }

    async fn remembered<F: std::future::Future<Output = Evaluation>>(
        &self,
        key: Option<Key>,
        evaluate: impl FnOnce() -> F,
    ) -> Evaluation {
        let (Some(memory), Some(key)) = (self.memory.as_ref(), key) else {
            return evaluate().await;
        };
        if let Some(e) = memory.get(&key, Instant::now()) {
            tracing::debug!(evaluation = %e, "spf: result remembered from a recent session");
            return e;
        }
        let e = evaluate().await;
        memory.put(key, &e, Instant::now());
        e
    }

    /// Our authserv-id for this session (see [`SpfConfig::authserv_id`]).
    fn authserv_id(&self, session: &Session) -> String {
        crate::auth_results::authserv_id(
            self.cfg.authserv_id.as_ref(),
            session,
            self.host_name.as_deref(),
        )
    }

    async fn at_mail(&self, session: &Session) -> Result<Outcome, CheckError> {
        let Some(ip) = session.client_addr else {
            return Ok(Finding::Pass.into());
        };
        if self.cfg.skip_clients.iter().any(|n| n.0.contains(ip)) {
            tracing::debug!(session = %session.id, client = %ip, "spf: client in skip_clients");
            return Ok(Finding::Pass.into());
        }
        let started = Instant::now();
        let deadline = self
            .dns
            .deadline(session.started)
            .min(started + self.cfg.timeout.get());
        let helo = session.helo.as_deref();
        let sender = session.tx.sender.as_str();
        let (mail, helo_eval) = if sender.is_empty() || !self.cfg.check_helo {
            (self.mail_from(ip, helo, sender, deadline).await, None)
        } else {
            let (m, h) = tokio::join!(
                self.mail_from(ip, helo, sender, deadline),
                self.helo(ip, helo, deadline),
            );
            (m, Some(h))
        };

        let facts = vec![Fact::Spf(SpfFact {
            result: eval::fact_result(&mail.result),
            domain: mail.domain.clone(),
        })];
        let mut edits = Vec::new();
        let receiver = self.authserv_id(session);
        if self.cfg.add_received_spf {
            edits.push(HeaderEdit::Add(
                "Received-SPF".into(),
                headers::received_spf(&mail, ip, sender, helo.unwrap_or(""), &receiver),
            ));
        }
        if self.cfg.add_authentication_results {
            let mut evals = vec![&mail];
            evals.extend(helo_eval.as_ref());
            edits.push(HeaderEdit::AuthResult {
                authserv_id: receiver.clone(),
                resinfo: headers::resinfo(&evals),
            });
        }

        match decide(&self.cfg, ip, &mail, helo_eval.as_ref()) {
            Ok(Finding::Pass) => Ok(Outcome {
                finding: Finding::Pass,
                facts,
                edits,
            }),
            Ok(Finding::Hit(hit)) => Ok(Outcome {
                finding: Finding::Hit(hit),
                facts,
                edits,
            }),
            Err(reason) => Err(CheckError::Temporary {
                reason,
                reply: Some(Reply::new(
                    451,
                    "4.7.24",
                    &format!(
                        "SPF: temporary error evaluating {}, try again later",
                        subject_text(&mail)
                    ),
                )),
                facts,
                edits,
            }),
        }
    }

    fn at_eoh(&self, session: &Session) -> Outcome {
        if !self.cfg.remove_forged_authentication_results {
            return Finding::Pass.into();
        }
        let edits = crate::auth_results::remove_forged(session, &self.authserv_id(session), "spf");
        Outcome {
            finding: Finding::Pass,
            facts: Vec::new(),
            edits,
        }
    }
}

impl Check for SpfCheck {
    fn name(&self) -> &'static str {
        "spf"
    }

    fn stages(&self) -> &'static [Stage] {
        // HELO only so that the milter negotiates it and records the name (nothing
        // is judged there). Header callbacks cost round trips: only when used.
        if self.cfg.remove_forged_authentication_results {
            &[Stage::Helo, Stage::Mail, Stage::Eoh]
        } else {
            &[Stage::Helo, Stage::Mail]
        }
    }

    fn check<'a>(&'a self, stage: Stage, session: &'a Session) -> CheckFuture<'a> {
        Box::pin(async move {
            match stage {
                Stage::Mail => self.at_mail(session).await,
                Stage::Eoh => Ok(self.at_eoh(session)),
                _ => Ok(Finding::Pass.into()),
            }
        })
    }
}

/// The finding from the MAIL FROM result and, when checked, the HELO result; Err is a
/// MAIL FROM temperror (the reason), for on_error to decide. A definite MAIL FROM fail
/// comes first, then a HELO fail, then a MAIL FROM temperror; the other results take
/// their configured action (a hit's action/reply override the common ones).
pub fn decide(
    cfg: &SpfConfig,
    ip: IpAddr,
    mail: &Evaluation,
    helo: Option<&Evaluation>,
) -> Result<Finding, String> {
    let reason = |e: &Evaluation| format!("SPF {e}");
    if matches!(mail.result, SpfResult::Fail(_)) {
        // A configured reply applies as it is; otherwise ours, with the explanation.
        let reply = if cfg.reply.is_some() {
            None
        } else {
            fail_reply(cfg.action, ip, mail)
        };
        return Ok(Finding::Hit(Hit {
            reason: reason(mail),
            action: None,
            reply,
        }));
    }
    if let Some(h) = helo.filter(|h| matches!(h.result, SpfResult::Fail(_))) {
        if let Some(action) = cfg.helo_fail.action() {
            return Ok(Finding::Hit(Hit {
                reason: reason(h),
                action: Some(action),
                reply: fail_reply(action, ip, h),
            }));
        }
    }
    let (setting, xcode) = match mail.result {
        SpfResult::Temperror => return Err(reason(mail)),
        SpfResult::Softfail => (cfg.softfail, "7.23"),
        SpfResult::Neutral => (cfg.neutral, "7.23"),
        SpfResult::None => (cfg.none, "7.23"),
        SpfResult::Permerror => (cfg.permerror, "7.24"),
        SpfResult::Pass | SpfResult::Fail(_) => return Ok(Finding::Pass),
    };
    let Some(action) = setting.action() else {
        return Ok(Finding::Pass);
    };
    let text = match mail.result {
        SpfResult::Permerror => format!(
            "SPF: permanent error in the SPF record of {}",
            subject_text(mail)
        ),
        SpfResult::None => format!("SPF: no SPF record for {}", subject_text(mail)),
        _ => format!(
            "SPF {}: {ip} is not allowed to send mail for {}",
            mail.result_name(),
            subject_text(mail)
        ),
    };
    Ok(Finding::Hit(Hit {
        reason: reason(mail),
        action: Some(action),
        reply: reply_for(action, xcode, &text),
    }))
}

/// The reply for a fail: the domain's explanation when it gave one (RFC 7208 §8.4),
/// made safe for SMTP, else a default text.
fn fail_reply(action: Action, ip: IpAddr, e: &Evaluation) -> Option<Reply> {
    let what = match e.identity {
        Identity::MailFrom => format!("mail from {}", subject_text(e)),
        Identity::Helo => format!("HELO {}", subject_text(e)),
    };
    let text = match e.explanation().map(sanitize_explanation) {
        Some(exp) if !exp.is_empty() => format!("SPF fail for {what}: {exp}"),
        _ => format!("SPF fail: {ip} is not allowed to send {what}"),
    };
    reply_for(action, "7.23", &text)
}

fn reply_for(action: Action, xcode: &str, text: &str) -> Option<Reply> {
    match action {
        Action::Reject => Some(Reply::new(550, &format!("5.{xcode}"), text)),
        Action::Tempfail => Some(Reply::new(451, &format!("4.{xcode}"), text)),
        _ => None,
    }
}

/// The identity for a reply text: the checked domain, or the client's text made safe.
fn subject_text(e: &Evaluation) -> String {
    if !e.domain.is_empty() {
        return e.domain.clone();
    }
    let s = sanitize_explanation(&e.subject);
    if s.is_empty() {
        "unknown".into()
    } else {
        s
    }
}

/// Third-party text for an SMTP reply: printable ASCII only (no `%`, which Postfix
/// would take for a format escape), runs of white space collapsed, length-limited.
pub fn sanitize_explanation(s: &str) -> String {
    let mut out = String::new();
    for word in s.split(|c: char| c.is_whitespace() || c.is_control()) {
        let w: String = word
            .chars()
            .filter(|c| c.is_ascii_graphic() && *c != '%')
            .collect();
        if w.is_empty() {
            continue;
        }
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(&w);
        if out.len() >= MAX_EXPLANATION {
            break;
        }
    }
    if out.len() > MAX_EXPLANATION {
        crate::text::truncate_string(&mut out, MAX_EXPLANATION);
    }
    out
}

/// This host's name, for the default authserv-id and `%{r}`.
#[cfg(test)]
mod tests {
    use super::*;
    use viaspf::ExplanationString;

    fn ev(identity: Identity, domain: &str, result: SpfResult) -> Evaluation {
        Evaluation {
            identity,
            subject: match identity {
                Identity::MailFrom => format!("a@{domain}"),
                Identity::Helo => domain.into(),
            },
            domain: domain.into(),
            result,
            cause: None,
        }
    }

    fn ip() -> IpAddr {
        "192.0.2.1".parse().unwrap()
    }

    fn hit(d: Result<Finding, String>) -> Hit {
        match d {
            Ok(Finding::Hit(h)) => h,
            other => panic!("expected a hit, got {other:?}"),
        }
    }

    #[test]
    fn fail_rejects_with_explanation() {
        let cfg = SpfConfig::default();
        let exp = ExplanationString::External("Not\tallowed:\r\n see %{x} \u{7}here".into());
        let h = hit(decide(
            &cfg,
            ip(),
            &ev(Identity::MailFrom, "example.test", SpfResult::Fail(exp)),
            None,
        ));
        assert_eq!(h.action, None);
        let r = h.reply.unwrap();
        assert_eq!((r.code, r.xcode.as_str()), (550, "5.7.23"));
        assert_eq!(
            r.text,
            "SPF fail for mail from example.test: Not allowed: see {x} here"
        );
        assert!(r.validate().is_ok());
        let plain = hit(decide(
            &cfg,
            ip(),
            &ev(
                Identity::MailFrom,
                "example.test",
                SpfResult::Fail(ExplanationString::Default),
            ),
            None,
        ));
        assert!(plain
            .reply
            .unwrap()
            .text
            .contains("192.0.2.1 is not allowed"));
    }

    #[test]
    fn configured_reply_wins_for_fail() {
        let cfg: SpfConfig =
            toml::from_str("reply = { code = 554, xcode = \"5.7.1\", text = \"no\" }\n").unwrap();
        let h = hit(decide(
            &cfg,
            ip(),
            &ev(
                Identity::MailFrom,
                "example.test",
                SpfResult::Fail(ExplanationString::Default),
            ),
            None,
        ));
        assert_eq!(h.reply, None);
    }

    #[test]
    fn other_results_follow_settings() {
        let mut cfg = SpfConfig::default();
        let m = |r| ev(Identity::MailFrom, "example.test", r);
        for r in [
            SpfResult::Softfail,
            SpfResult::Neutral,
            SpfResult::None,
            SpfResult::Permerror,
            SpfResult::Pass,
        ] {
            assert_eq!(decide(&cfg, ip(), &m(r), None), Ok(Finding::Pass));
        }
        assert!(decide(&cfg, ip(), &m(SpfResult::Temperror), None).is_err());
        cfg.softfail = ResultAction::Tempfail;
        cfg.permerror = ResultAction::Reject;
        let h = hit(decide(&cfg, ip(), &m(SpfResult::Softfail), None));
        assert_eq!(h.action, Some(Action::Tempfail));
        assert_eq!(h.reply.unwrap().xcode, "4.7.23");
        let h = hit(decide(&cfg, ip(), &m(SpfResult::Permerror), None));
        assert_eq!(h.action, Some(Action::Reject));
        assert_eq!(h.reply.unwrap().xcode, "5.7.24");
    }

    #[test]
    fn helo_fail_when_mail_from_does_not_fail() {
        let mut cfg = SpfConfig::default();
        let helo = ev(
            Identity::Helo,
            "mail.example.test",
            SpfResult::Fail(ExplanationString::Default),
        );
        let mail = ev(Identity::MailFrom, "example.test", SpfResult::Pass);
        let h = hit(decide(&cfg, ip(), &mail, Some(&helo)));
        assert_eq!(h.action, Some(Action::Reject));
        assert!(h.reply.unwrap().text.contains("HELO mail.example.test"));
        // A definite HELO fail is not hidden by a MAIL FROM temperror.
        let temp = ev(Identity::MailFrom, "example.test", SpfResult::Temperror);
        assert!(matches!(
            decide(&cfg, ip(), &temp, Some(&helo)),
            Ok(Finding::Hit(_))
        ));
        cfg.helo_fail = ResultAction::Continue;
        assert_eq!(decide(&cfg, ip(), &mail, Some(&helo)), Ok(Finding::Pass));
    }

    #[test]
    fn config_refuses_bad_values() {
        let bad = crate::config::parse(
            "[checks.spf]\nskip_clients = [\"192.0.2.0/24\", \"10.0.0.0/40\"]\n",
            std::path::Path::new("t.toml"),
        )
        .unwrap_err();
        assert_eq!(bad.line, Some(2), "{bad}");
        assert!(bad.to_string().contains("prefix"), "{bad}");
        let bad = crate::config::parse(
            "[checks.spf]\n\nauthserv_id = \"mx example\"\n",
            std::path::Path::new("t.toml"),
        )
        .unwrap_err();
        assert_eq!(bad.line, Some(3), "{bad}");
        let bad = crate::config::parse(
            "[checks.spf]\nsoftfail = \"maybe\"\n",
            std::path::Path::new("t.toml"),
        )
        .unwrap_err();
        assert_eq!(bad.key.as_deref(), Some("checks.spf.softfail"), "{bad}");
        let good = crate::config::parse(
            "[checks.spf]\nskip_clients = [\"192.0.2.0/24\", \"2001:db8::/32\"]\nauthserv_id = \"mx.test\"\npermerror = \"reject\"\n",
            std::path::Path::new("t.toml"),
        )
        .unwrap();
        let again = crate::config::parse(&good.to_toml(), std::path::Path::new("t.toml")).unwrap();
        let spf = again.section::<SpfConfig>().unwrap().clone();
        assert_eq!(spf.skip_clients.len(), 2);
        assert_eq!(spf.permerror, ResultAction::Reject);
        assert_eq!(spf.authserv_id, Some(AuthservId("mx.test".into())));
    }

    #[test]
    fn explanations_are_sanitised() {
        assert_eq!(sanitize_explanation("  a\u{e9}b  c\r\nd  "), "ab c d");
        assert_eq!(
            sanitize_explanation(&"x".repeat(500)).len(),
            MAX_EXPLANATION
        );
    }
}
