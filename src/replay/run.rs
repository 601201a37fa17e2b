//! Checking results against expectations, and the report.

use std::fmt::Write as _;
use std::path::Path;

use super::client::{Action, Outcome, Phase, ScriptResult, StepResult};
use super::format::{EomCheck, Expectation};

/// Whether one expectation was met.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckOutcome {
    /// Line of the expectation.
    pub line: usize,
    /// `None` if met, else what went wrong ("expected …, got …").
    pub failure: Option<String>,
    /// For end-of-message action checks, the check itself (for the report).
    pub check: Option<String>,
}

/// Checks a response expectation against a phase result.
pub fn check_expect(e: &Expectation, r: &StepResult) -> Option<String> {
    let got = || match &r.reply {
        Some(reply) => format!("{} {reply}", r.outcome),
        None => r.outcome.to_string(),
    };
    let Some(v) = r.outcome.effective_response() else {
        return Some(format!("expected {e}, got {}", r.outcome));
    };
    if v != e.response {
        return Some(format!("expected {e}, got {}", got()));
    }
    let reply = r.reply.as_ref();
    if let Some(code) = &e.code {
        if reply.map(|r| &r.code) != Some(code) {
            return Some(format!("expected {e}, got {}", got_or_default(r)));
        }
    }
    if let Some(x) = &e.xcode {
        if reply.and_then(|r| r.xcode.as_ref()) != Some(x) {
            return Some(format!("expected {e}, got {}", got_or_default(r)));
        }
    }
    if let Some(t) = &e.text {
        if !reply.is_some_and(|r| contains_ci(&r.text, t)) {
            return Some(format!("expected {e}, got {}", got_or_default(r)));
        }
    }
    None
}

/// A reject without a custom reply: say what Postfix would answer, since
/// indymilter silently drops a reply whose class does not match the status.
fn got_or_default(r: &StepResult) -> String {
    match (&r.reply, &r.outcome) {
        (Some(reply), o) => format!("{o} {reply}"),
        (None, o) => format!("{o} without a custom reply"),
    }
}

fn contains_ci(hay: &str, needle: &str) -> bool {
    hay.to_lowercase().contains(&needle.to_lowercase())
}

fn same_addr(a: &str, b: &str) -> bool {
    let strip = |s: &str| {
        s.trim()
            .trim_start_matches('<')
            .trim_end_matches('>')
            .to_ascii_lowercase()
    };
    strip(a) == strip(b)
}

/// Checks one `eom expect …` line against the end-of-message result.
pub fn check_eom(c: &EomCheck, r: &StepResult) -> Option<String> {
    if let EomCheck::Response(e) = c {
        return check_expect(e, r);
    }
    if r.outcome.effective_response().is_none() {
        return Some(format!("expected {c}, got eom {}", r.outcome));
    }
    let headers = || r.actions.iter().filter_map(Action::header_set);
    let ok = match c {
        EomCheck::Response(_) => true,
        EomCheck::Header { name, text, .. } => headers().any(|(n, v)| {
            n.eq_ignore_ascii_case(name) && text.as_ref().is_none_or(|t| contains_ci(v, t))
        }),
        EomCheck::NoHeader { name, .. } => !headers().any(|(n, _)| n.eq_ignore_ascii_case(name)),
        EomCheck::DeleteHeader { name, index, .. } => r.actions.iter().any(|a| {
            matches!(a, Action::DeleteHeader { name: n, index: i } if n.eq_ignore_ascii_case(name) && i == index)
        }),
        EomCheck::DeleteRcpt { addr, .. } => r
            .actions
            .iter()
            .any(|a| matches!(a, Action::DeleteRcpt { rcpt } if same_addr(rcpt, addr))),
        EomCheck::AddRcpt { addr, .. } => r
            .actions
            .iter()
            .any(|a| matches!(a, Action::AddRcpt { rcpt } if same_addr(rcpt, addr))),
        EomCheck::NoActions { .. } => r.actions.iter().all(|a| *a == Action::Progress),
    };
    if ok {
        None
    } else {
        Some(format!(
            "expected {c}, got {}",
            describe_actions(&r.actions)
        ))
    }
}

fn describe_actions(actions: &[Action]) -> String {
    if actions.is_empty() {
        "no actions".to_string()
    } else {
        actions
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("; ")
    }
}

/// All checks of a phase result, in order.
pub fn checks(r: &StepResult) -> Vec<CheckOutcome> {
    let mut out = Vec::new();
    if let Some(e) = &r.expect {
        out.push(CheckOutcome {
            line: e.line,
            failure: check_expect(e, r),
            check: None,
        });
    }
    for c in &r.eom_checks {
        out.push(CheckOutcome {
            line: c.line(),
            failure: check_eom(c, r),
            check: (!matches!(c, EomCheck::Response(_))).then(|| c.to_string()),
        });
    }
    out
}

/// True if the session met every expectation and had no error.
pub fn passed(s: &ScriptResult) -> bool {
    s.error.is_none()
        && s.steps
            .iter()
            .all(|r| checks(r).iter().all(|c| c.failure.is_none()))
}

fn seen(r: &StepResult) -> String {
    let mut s = r.outcome.to_string();
    if let Some(reply) = &r.reply {
        let _ = write!(s, " {reply}");
    }
    if !r.actions.is_empty() {
        let _ = write!(s, "; {}", describe_actions(&r.actions));
    }
    s
}

fn location(file: &Path, line: usize) -> String {
    if file.as_os_str().is_empty() || line == 0 {
        String::new()
    } else {
        format!("  ({}:{line})", file.display())
    }
}

/// Writes the report of one session: one line per phase, `ok`/`FAIL` where
/// an expectation was checked, blank where the result is only shown. Header
/// and body commands are folded into one line each unless `verbose`.
/// `name_w` is the width of the name column.
pub fn report_session(out: &mut String, s: &ScriptResult, verbose: bool, name_w: usize) {
    for r in &s.steps {
        let per_command = !r.summary && matches!(r.phase, Phase::Header | Phase::Body);
        if per_command && !verbose {
            continue;
        }
        let what = r.label();
        let cs = checks(r);
        if cs.is_empty() {
            let _ = writeln!(out, "     {:name_w$}  {what:<40} {}", s.name, seen(r));
            continue;
        }
        for c in cs {
            let what = match &c.check {
                Some(check) => format!("{what} [{check}]"),
                None => what.clone(),
            };
            match c.failure {
                None => {
                    let _ = writeln!(out, "ok   {:name_w$}  {what:<40} {}", s.name, seen(r));
                }
                Some(f) => {
                    let _ = writeln!(
                        out,
                        "FAIL {:name_w$}  {what:<40} {f}{}",
                        s.name,
                        location(&s.file, c.line)
                    );
                }
            }
        }
    }
    if let Some(e) = &s.error {
        let _ = writeln!(
            out,
            "ERR  {:name_w$}  {e}{}",
            s.name,
            location(&s.file, s.line)
        );
    }
}

/// Writes the whole report and returns (passed, failed) session counts.
pub fn report(results: &[ScriptResult], verbose: bool) -> (String, usize, usize) {
    let mut out = String::new();
    let mut passed_n = 0;
    // Align names across sessions, within reason.
    let name_w = results
        .iter()
        .map(|s| s.name.chars().count())
        .max()
        .unwrap_or(0)
        .clamp(12, 40);
    for s in results {
        report_session(&mut out, s, verbose, name_w);
        if passed(s) {
            passed_n += 1;
        }
    }
    let failed = results.len() - passed_n;
    let _ = writeln!(out, "{passed_n} passed, {failed} failed");
    (out, passed_n, failed)
}

/// The response a phase amounts to, for diff mode: outcome plus reply.
pub fn step_signature(r: &StepResult) -> String {
    let mut s = match &r.outcome {
        Outcome::Off => "continue".to_string(),
        o => o.to_string(),
    };
    if let Some(reply) = &r.reply {
        let _ = write!(s, " {reply}");
    }
    if r.phase == Phase::Eom && !r.actions.is_empty() {
        let _ = write!(s, "; {}", describe_actions(&r.actions));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::replay::client::SmtpReply;
    use crate::replay::format::Response;
    use std::time::Duration;

    fn result(outcome: Outcome, reply: Option<&str>) -> StepResult {
        StepResult {
            phase: Phase::Rcpt,
            summary: false,
            arg: "<x@y>".into(),
            line: 3,
            outcome,
            reply: reply.map(SmtpReply::parse),
            actions: Vec::new(),
            elapsed: Duration::ZERO,
            expect: None,
            eom_checks: Vec::new(),
        }
    }

    fn expect(
        v: Response,
        code: Option<&str>,
        xcode: Option<&str>,
        text: Option<&str>,
    ) -> Expectation {
        Expectation {
            response: v,
            code: code.map(Into::into),
            xcode: xcode.map(Into::into),
            text: text.map(Into::into),
            line: 3,
        }
    }

    #[test]
    fn verdict_matching() {
        let rej = result(
            Outcome::Response(Response::Reject),
            Some("550 5.7.1 Go away"),
        );
        assert!(check_expect(&expect(Response::Reject, None, None, None), &rej).is_none());
        assert!(check_expect(
            &expect(
                Response::Reject,
                Some("550"),
                Some("5.7.1"),
                Some("go AWAY")
            ),
            &rej
        )
        .is_none());
        assert!(check_expect(&expect(Response::Reject, None, Some("5.1.1"), None), &rej).is_some());
        assert!(check_expect(&expect(Response::Reject, Some("554"), None, None), &rej).is_some());
        assert!(
            check_expect(&expect(Response::Reject, None, None, Some("welcome")), &rej).is_some()
        );
        let f = check_expect(&expect(Response::Continue, None, None, None), &rej).unwrap();
        assert_eq!(f, "expected continue, got reject 550 5.7.1 Go away");

        let bare = result(Outcome::Response(Response::Reject), None);
        let f = check_expect(&expect(Response::Reject, None, Some("5.7.1"), None), &bare).unwrap();
        assert!(f.contains("without a custom reply"), "{f}");

        // Negotiated off and skip count as continue; not sent never matches.
        assert!(check_expect(
            &expect(Response::Continue, None, None, None),
            &result(Outcome::Off, None)
        )
        .is_none());
        assert!(check_expect(
            &expect(Response::Continue, None, None, None),
            &result(Outcome::Skip, None)
        )
        .is_none());
        let f = check_expect(
            &expect(Response::Continue, None, None, None),
            &result(Outcome::NotSent("rejected at MAIL".into()), None),
        )
        .unwrap();
        assert_eq!(f, "expected continue, got not sent (rejected at MAIL)");
    }

    #[test]
    fn eom_checks() {
        let mut r = result(Outcome::Response(Response::Continue), None);
        r.phase = Phase::Eom;
        r.actions = vec![
            Action::AddHeader {
                name: "X-Spam".into(),
                value: " yes, score=7".into(),
            },
            Action::DeleteRcpt {
                rcpt: "<Bob@Example.net>".into(),
            },
        ];
        let h = |name: &str, text: Option<&str>| EomCheck::Header {
            name: name.into(),
            text: text.map(Into::into),
            line: 1,
        };
        assert!(check_eom(&h("x-spam", Some("score=7")), &r).is_none());
        assert!(check_eom(&h("X-Spam", Some("score=9")), &r).is_some());
        assert!(check_eom(&h("X-Other", None), &r).is_some());
        assert!(check_eom(
            &EomCheck::NoHeader {
                name: "X-Other".into(),
                line: 1
            },
            &r
        )
        .is_none());
        assert!(check_eom(
            &EomCheck::NoHeader {
                name: "X-SPAM".into(),
                line: 1
            },
            &r
        )
        .is_some());
        assert!(check_eom(
            &EomCheck::DeleteRcpt {
                addr: "bob@example.net".into(),
                line: 1
            },
            &r
        )
        .is_none());
        assert!(check_eom(
            &EomCheck::DeleteRcpt {
                addr: "eve@example.net".into(),
                line: 1
            },
            &r
        )
        .is_some());
        assert!(check_eom(
            &EomCheck::AddRcpt {
                addr: "bob@example.net".into(),
                line: 1
            },
            &r
        )
        .is_some());
        assert!(check_eom(&EomCheck::NoActions { line: 1 }, &r).is_some());
        let del = |name: &str, index: i32| EomCheck::DeleteHeader {
            name: name.into(),
            index,
            line: 1,
        };
        assert!(check_eom(&del("X-Old", 2), &r).is_some());
        r.actions.push(Action::DeleteHeader {
            name: "X-Old".into(),
            index: 2,
        });
        assert!(check_eom(&del("x-old", 2), &r).is_none());
        assert!(check_eom(&del("X-Old", 1), &r).is_some());
        r.actions.clear();
        assert!(check_eom(&EomCheck::NoActions { line: 1 }, &r).is_none());
        r.outcome = Outcome::NotSent("rejected at RCPT".into());
        assert!(check_eom(&EomCheck::NoActions { line: 1 }, &r).is_some());
    }

    #[test]
    fn report_counts_sessions() {
        let mut ok = result(
            Outcome::Response(Response::Reject),
            Some("550 5.1.1 no such user"),
        );
        ok.expect = Some(expect(Response::Reject, None, Some("5.1.1"), None));
        let mut bad = ok.clone();
        bad.expect = Some(expect(Response::Continue, None, None, None));
        let mk = |name: &str, steps: Vec<StepResult>, error: Option<String>| ScriptResult {
            name: name.into(),
            file: "t.session".into(),
            line: 1,
            steps,
            error,
            elapsed: Duration::ZERO,
        };
        let results = vec![
            mk("good", vec![ok.clone()], None),
            mk("bad", vec![bad], None),
            mk("broken", vec![ok], Some("connection refused".into())),
        ];
        let (text, p, f) = report(&results, false);
        assert_eq!((p, f), (1, 2), "{text}");
        assert!(text.contains("ok   good"), "{text}");
        assert!(
            text.contains(&format!("FAIL {:12}  rcpt <x@y>", "bad")),
            "{text}"
        );
        assert!(
            text.contains("expected continue, got reject 550 5.1.1 no such user  (t.session:3)"),
            "{text}"
        );
        assert!(text.contains("ERR  broken"), "{text}");
        assert!(text.ends_with("1 passed, 2 failed\n"), "{text}");
    }
}
