//! Diff mode: the same sessions against two configurations.

use std::fmt::Write as _;

use super::client::{SessionResult, Stage};
use super::run::stage_signature;

/// One stage whose verdict differs between the two runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StageDiff {
    /// `rcpt <x@y>` etc.
    pub stage: String,
    /// What run A saw.
    pub a: String,
    /// What run B saw.
    pub b: String,
}

/// A session with differences.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionDiff {
    /// Session name.
    pub name: String,
    /// The differing stages.
    pub stages: Vec<StageDiff>,
}

/// Compares results of the same sessions replayed twice. Header and body
/// commands are compared through their per-message summary rows.
pub fn compare(a: &[SessionResult], b: &[SessionResult]) -> Vec<SessionDiff> {
    let mut out = Vec::new();
    for (ra, rb) in a.iter().zip(b) {
        let rows = |r: &SessionResult| {
            r.stages
                .iter()
                .filter(|s| s.summary || !matches!(s.stage, Stage::Header | Stage::Body))
                .map(|s| (s.label(), stage_signature(s)))
                .collect::<Vec<_>>()
        };
        let (xa, xb) = (rows(ra), rows(rb));
        let mut stages = Vec::new();
        for i in 0..xa.len().max(xb.len()) {
            let none = || ("-".to_string(), "missing".to_string());
            let (wa, sa) = xa.get(i).cloned().unwrap_or_else(none);
            let (wb, sb) = xb.get(i).cloned().unwrap_or_else(none);
            if sa != sb || wa != wb {
                let stage = if wa == wb { wa } else { format!("{wa} / {wb}") };
                stages.push(StageDiff {
                    stage,
                    a: sa,
                    b: sb,
                });
            }
        }
        if ra.error != rb.error {
            stages.push(StageDiff {
                stage: "error".into(),
                a: ra.error.clone().unwrap_or_else(|| "none".into()),
                b: rb.error.clone().unwrap_or_else(|| "none".into()),
            });
        }
        if !stages.is_empty() {
            out.push(SessionDiff {
                name: ra.name.clone(),
                stages,
            });
        }
    }
    out
}

/// The diff report: one line per differing stage, then a summary.
pub fn render(diffs: &[SessionDiff], total: usize) -> String {
    let mut out = String::new();
    for d in diffs {
        for s in &d.stages {
            let _ = writeln!(out, "DIFF {}  {}: A {} | B {}", d.name, s.stage, s.a, s.b);
        }
    }
    let _ = writeln!(out, "{total} sessions, {} differ", diffs.len());
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::replay::client::{Outcome, Reply, StageResult};
    use crate::replay::format::Verdict;
    use std::time::Duration;

    fn stage(stage: Stage, arg: &str, outcome: Outcome, reply: Option<&str>) -> StageResult {
        StageResult {
            stage,
            summary: false,
            arg: arg.into(),
            line: 0,
            outcome,
            reply: reply.map(Reply::parse),
            actions: Vec::new(),
            elapsed: Duration::ZERO,
            expect: None,
            eom_checks: Vec::new(),
        }
    }

    fn session(name: &str, stages: Vec<StageResult>) -> SessionResult {
        SessionResult {
            name: name.into(),
            file: "x".into(),
            line: 1,
            stages,
            error: None,
            elapsed: Duration::ZERO,
        }
    }

    #[test]
    fn finds_differing_stages_only() {
        let cont = Outcome::Verdict(Verdict::Continue);
        let a = vec![
            session(
                "same",
                vec![stage(Stage::Connect, "1.2.3.4", cont.clone(), None)],
            ),
            session(
                "changed",
                vec![
                    stage(Stage::Connect, "1.2.3.4", cont.clone(), None),
                    stage(
                        Stage::Rcpt,
                        "<x@y>",
                        Outcome::Verdict(Verdict::Reject),
                        Some("550 5.7.1 no"),
                    ),
                ],
            ),
        ];
        let mut b = a.clone();
        b[1].stages[1] = stage(Stage::Rcpt, "<x@y>", cont.clone(), None);
        // A negotiated-off stage is the same as continue.
        b[0].stages[0].outcome = Outcome::Off;
        let d = compare(&a, &b);
        assert_eq!(
            d,
            vec![SessionDiff {
                name: "changed".into(),
                stages: vec![StageDiff {
                    stage: "rcpt <x@y>".into(),
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
