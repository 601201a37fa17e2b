//! HELO name equal to the MAIL FROM domain while that domain publishes no SPF record.
//!
//! Spam software often announces itself with the domain it forges in MAIL FROM. A real
//! mail server names itself (`mail.example.com`), not the bare domain of its senders,
//! and a domain whose own servers say HELO with its name nearly always publishes SPF.
//! The combination — HELO = sender domain and SPF `none` — is a cheap, specific sign of
//! forgery. Off by default; start it with `mode = "log"`.

use super::{BuildEnv, Check, CheckFuture, CheckSpec, Finding, Hit, SetupError};
use crate::address::Address;
use crate::session::{Session, SpfResult, Stage};
use crate::verdict::Action;

crate::check_config! {
    /// `[checks.helo_sender]`.
    pub struct HeloSenderConfig {
        action: Action::Reject,
        on_error: crate::checks::common::OnError::Continue;
        /// SPF results that, with a HELO name equal to the sender domain, count as a hit
        /// ("none": the domain publishes no SPF record). Add "neutral" to be stricter.
        pub spf_results: Vec<String> = vec!["none".into()],
    }
}

/// The check as a plugin.
pub struct HeloSender;

impl CheckSpec for HeloSender {
    const NAME: &'static str = "helo_sender";
    const STAGES: &'static [Stage] = &[Stage::Mail];
    // It reads the SPF result of the transaction, found at the same stage.
    const AFTER: &'static [&'static str] = &["spf"];
    const SUMMARY: &'static str =
        "HELO name equal to the MAIL FROM domain while the domain has no SPF record (off by default; needs `spf`)";
    const DESCRIPTION: &'static str = "Without [checks.spf] enabled there is no SPF result and nothing is judged. The null sender and senders without a domain are never judged.";
    type Config = HeloSenderConfig;

    fn validate(cfg: &HeloSenderConfig) -> Result<(), SetupError> {
        results(cfg).map(|_| ())
    }

    fn build(cfg: &HeloSenderConfig, _env: &BuildEnv<'_>) -> Result<Box<dyn Check>, SetupError> {
        Ok(Box::new(HeloSenderCheck {
            results: results(cfg)?,
        }))
    }
}

fn results(cfg: &HeloSenderConfig) -> Result<Vec<SpfResult>, SetupError> {
    const ALL: [SpfResult; 7] = [
        SpfResult::None,
        SpfResult::Neutral,
        SpfResult::Pass,
        SpfResult::Fail,
        SpfResult::Softfail,
        SpfResult::Temperror,
        SpfResult::Permerror,
    ];
    cfg.spf_results
        .iter()
        .enumerate()
        .map(|(i, name)| {
            ALL.into_iter()
                .find(|r| r.as_str().eq_ignore_ascii_case(name))
                .ok_or_else(|| {
                    SetupError::key(
                        format!("spf_results[{i}]"),
                        format!("{name:?} is not an SPF result (none, neutral, pass, fail, softfail, temperror, permerror)"),
                    )
                })
        })
        .collect()
}

/// The built check.
pub struct HeloSenderCheck {
    results: Vec<SpfResult>,
}

impl HeloSenderCheck {
    /// The reason for a hit, if the session is one.
    fn judge(&self, session: &Session) -> Option<String> {
        let sender = Address::parse(&session.tx.sender)?;
        let helo = session.helo.as_deref()?.trim();
        let spf = session.tx.spf.as_ref()?;
        let same = sender.domain_is(helo) && sender.domain_is(&spf.domain);
        (same && self.results.contains(&spf.result)).then(|| {
            format!(
                "HELO name {helo:?} is the sender's domain and SPF is {}",
                spf.result
            )
        })
    }
}

impl Check for HeloSenderCheck {
    fn name(&self) -> &'static str {
        HeloSender::NAME
    }

    fn stages(&self) -> &'static [Stage] {
        HeloSender::STAGES
    }

    fn check<'a>(&'a self, _stage: Stage, session: &'a Session) -> CheckFuture<'a> {
        let finding = match self.judge(session) {
            Some(reason) => Finding::Hit(Hit::new(reason)),
            None => Finding::Pass,
        };
        Box::pin(std::future::ready(Ok(finding.into())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::Services;
    use crate::policy::Policy;
    use crate::session::SpfFact;
    use crate::verdict::Verdict;
    use std::sync::Arc;

    fn session(helo: &str, sender: &str, spf: Option<(SpfResult, &str)>) -> Session {
        let mut s = Session::new(Some("192.0.2.1".parse().unwrap()), 1, "unknown".into());
        s.helo = Some(helo.into());
        s.tx.started = true;
        s.tx.sender = sender.into();
        s.tx.spf = spf.map(|(result, domain)| SpfFact {
            result,
            domain: domain.into(),
        });
        s
    }

    fn check(results: &[&str]) -> HeloSenderCheck {
        let cfg = HeloSenderConfig {
            spf_results: results.iter().map(|r| r.to_string()).collect(),
            ..Default::default()
        };
        HeloSenderCheck {
            results: results_of(&cfg),
        }
    }

    fn results_of(cfg: &HeloSenderConfig) -> Vec<SpfResult> {
        results(cfg).unwrap()
    }

    #[test]
    fn hits_only_helo_equal_to_sender_domain_with_spf_none() {
        let c = check(&["none"]);
        let none = Some((SpfResult::None, "example.com"));
        assert!(c
            .judge(&session("Example.COM.", "a@example.com", none))
            .is_some());
        assert!(c.judge(&session("mail.example.com", "a@example.com", none)).is_none());
        let pass = Some((SpfResult::Pass, "example.com"));
        assert!(c.judge(&session("example.com", "a@example.com", pass)).is_none());
        assert!(c.judge(&session("example.com", "a@example.com", None)).is_none(), "no SPF fact");
        assert!(c.judge(&session("example.com", "", none)).is_none(), "null sender");
        assert!(c.judge(&session("example.com", "postmaster", none)).is_none());
        let neutral = Some((SpfResult::Neutral, "example.com"));
        assert!(check(&["none", "neutral"])
            .judge(&session("example.com", "a@example.com", neutral))
            .is_some());
    }

    fn policy(toml: &str) -> Policy {
        let c = crate::config::parse(toml, std::path::Path::new("t.toml")).unwrap();
        Policy::new(Arc::new(c), &Services::default()).unwrap()
    }

    #[test]
    fn rejects_through_the_policy_and_log_mode_only_logs() {
        let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
        let p = policy("[policy]\ndelay_reject = false\n[checks.helo_sender]\n");
        let mut s = session("example.com", "a@example.com", Some((SpfResult::None, "example.com")));
        let mut l = crate::policy::Ledger::default();
        assert!(matches!(rt.block_on(p.run(Stage::Mail, &mut s, &mut l)), Verdict::Reject(_)));
        let p = policy("[policy]\ndelay_reject = false\n[checks.helo_sender]\nmode = \"log\"\n");
        let mut l = crate::policy::Ledger::default();
        assert_eq!(rt.block_on(p.run(Stage::Mail, &mut s, &mut l)), Verdict::Continue);
    }

    #[test]
    fn runs_after_spf_whatever_the_file_order() {
        let c = crate::config::parse(
            "[checks.helo_sender]\n[checks.helo]\n[checks.spf]\n",
            std::path::Path::new("t.toml"),
        )
        .unwrap();
        let order: Vec<&str> = c.check_sections().map(|(r, _)| r.name).collect();
        assert_eq!(order, ["helo", "spf", "helo_sender"]);
        assert_eq!(
            c.warnings,
            ["t.toml:1: checks.helo_sender: listed before checks.spf, which it reads; it runs after it"]
        );
        // With SPF disabled there is nothing to wait for: file order, no warning.
        let c = crate::config::parse(
            "[checks.helo_sender]\n[checks.spf]\nenabled = false\n",
            std::path::Path::new("t.toml"),
        )
        .unwrap();
        let order: Vec<&str> = c.check_sections().map(|(r, _)| r.name).collect();
        assert_eq!(order, ["helo_sender", "spf"]);
        assert!(c.warnings.is_empty(), "{:?}", c.warnings);
    }

    #[test]
    fn unknown_result_is_refused_at_load_with_its_line() {
        let e = crate::config::parse(
            "[checks.helo_sender]\nspf_results = [\"none\", \"nope\"]\n",
            std::path::Path::new("t.toml"),
        )
        .unwrap_err();
        assert_eq!(e.line, Some(2), "{e}");
        assert!(e.to_string().contains("checks.helo_sender.spf_results[1]"), "{e}");
    }
}
