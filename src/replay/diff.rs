//! Diff mode: the same sessions against two configurations.

use std::fmt::Write as _;

use super::client::{Phase, ScriptResult};
use super::run::step_signature;

/// One phase whose response differs between the two runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepDiff {
    /// `rcpt <x@y>` etc.
    pub phase: String,
    /// What run A saw.
    pub a: String,
    /// What run B saw.
    pub b: String,
}

/// A session with differences.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScriptDiff {
    /// Session name (from its `session` line).
    pub name: String,
    /// The differing phases.
    pub steps: Vec<StepDiff>,
}

/// Compares results of the same sessions replayed twice. Header and body
/// commands are compared through their per-message summary rows.
pub fn compare(a: &[ScriptResult], b: &[ScriptResult]) -> Vec<ScriptDiff> {
    let mut out = Vec::new();
    for (ra, rb) in a.iter().zip(b) {
        let rows = |r: &ScriptResult| {
            r.steps
                .iter()
                .filter(|s| s.summary || !matches!(s.phase, Phase::Header | Phase::Body))
                .map(|s| (s.label(), step_signature(s)))
                .collect::<Vec<_>>()
        };
        let (xa, xb) = (rows(ra), rows(rb));
        let mut steps = Vec::new();
        for i in 0..xa.len().max(xb.len()) {
            let none = || ("-".to_string(), "missing".to_string());
            let (wa, sa) = xa.get(i).cloned().unwrap_or_else(none);
            let (wb, sb) = xb.get(i).cloned().unwrap_or_else(none);
            if sa != sb || wa != wb {
                let phase = if wa == wb { wa } else { format!("{wa} / {wb}") };
                steps.push(StepDiff {
                    phase,
                    a: sa,
                    b: sb,
                });
            }
        }
        if ra.error != rb.error {
            steps.push(StepDiff {
                phase: "error".into(),
                a: ra.error.clone().unwrap_or_else(|| "none".into()),
                b: rb.error.clone().unwrap_or_else(|| "none".into()),
            });
        }
        if !steps.is_empty() {
            out.push(ScriptDiff {
                name: ra.name.clone(),
                steps,
            });
        }
    }
    out
}

/// The diff report: one line per differing phase, then a summary.
pub fn render(diffs: &[ScriptDiff], total: usize) -> String {
    let mut out = String::new();
    for d in diffs {
        for s in &d.steps {
            let _ = writeln!(out, "DIFF {}  {}: A {} | B {}", d.name, s.phase, s.a, s.b);
        }
    }
    let _ = writeln!(out, "{total} sessions, {} differ", diffs.len());
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::replay::client::{Outcome, SmtpReply, StepResult};
    use crate::replay::format::Response;
    use std::time::Duration;

    fn phase(phase: Phase, arg: &str, outcome: Outcome, reply: Option<&str>) -> StepResult {
        StepResult {
            phase,
            summary: false,
            arg: arg.into(),
            line: 0,
            outcome,
            reply: reply.map(SmtpReply::parse),
            actions: Vec::new(),
            elapsed: Duration::ZERO,
            expect: None,
            eom_checks: Vec::new(),
        }
    }

    fn session(name: &str, steps: Vec<StepResult>) -> ScriptResult {
        ScriptResult {
            name: name.into(),
            file: "x".into(),
            line: 1,
            steps,
            error: None,
            elapsed: Duration::ZERO,
        }
    }

    #[test]
    fn finds_differing_stages_only() {
        let cont = Outcome::Response(Response::Continue);
        let a = vec![
            session(
                "same",
                vec![phase(Phase::Connect, "1.2.3.4", cont.clone(), None)],
            ),
            session(
                "changed",
                vec![
                    phase(Phase::Connect, "1.2.3.4", cont.clone(), None),
                    phase(
                        Phase::Rcpt,
                        "<x@y>",
                        Outcome::Response(Response::Reject),
                        Some("550 5.7.1 no"),
                    ),
                ],
            ),
        ];
        let mut b = a.clone();
        b[1].steps[1] = phase(Phase::Rcpt, "<x@y>", cont.clone(), None);
        // A negotiated-off phase is the same as continue.
        b[0].steps[0].outcome = Outcome::Off;
        let d = compare(&a, &b);
        assert_eq!(
            d,
            vec![ScriptDiff {
                name: "changed".into(),
                steps: vec![StepDiff {
                    phase: "rcpt <x@y>".into(),
                    a: "reject 550 5.7.1 no".into(),
                    b: "continue".into()
                }]
            }]
        );
        let text = render(&d, 2);
        assert!(
            text.contains("DIFF changed  rcpt <x@y>: A reject 550 5.7.1 no | B continue"),
            "{text}"
        );
        assert!(text.ends_with("2 sessions, 1 differ\n"), "{text}");
        assert!(compare(&a, &a).is_empty());
    }
}
