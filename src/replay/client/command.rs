//! One milter command on the wire: sent with its requested macros unless the
//! replay is stopped or the milter negotiated the phase off, and its answer recorded.

use std::time::Instant;

use bytes::Bytes;
use indymilter_test::{EomAction, SocketInfo, Status, TestConnection};

use super::{Action, Outcome, Phase, Replayer, SmtpReply, StepResult};
use crate::replay::format::{Expectation, Response};

/// One command to the milter.
pub(super) enum Cmd {
    Connect(String, SocketInfo),
    Helo(String),
    Mail(Vec<String>),
    Rcpt(Vec<String>),
    Data,
    Header(String, String),
    Eoh,
    Body(Bytes),
    Eom,
}

async fn exec(conn: &mut TestConnection, cmd: Cmd) -> Result<(Status, Vec<EomAction>), String> {
    let status = match cmd {
        Cmd::Connect(name, info) => conn.connect(name, info).await,
        Cmd::Helo(h) => conn.helo(h).await,
        Cmd::Mail(args) => conn.mail(args).await,
        Cmd::Rcpt(args) => conn.rcpt(args).await,
        Cmd::Data => conn.data().await,
        Cmd::Header(n, v) => conn.header(n, v).await,
        Cmd::Eoh => conn.eoh().await,
        Cmd::Body(b) => conn.body(b).await,
        Cmd::Eom => {
            return conn
                .eom()
                .await
                .map(|(a, s)| (s, a.actions))
                .map_err(|e| e.to_string())
        }
    };
    status.map(|s| (s, Vec::new())).map_err(|e| e.to_string())
}

impl Replayer<'_> {
    pub(super) fn stop_reason(&self) -> Option<String> {
        self.conn_stop.clone().or_else(|| self.msg_stop.clone())
    }

    /// The milter switched `phase` off at negotiation (end-of-message cannot be).
    pub(super) fn negotiated_off(&self, phase: Phase) -> bool {
        !phase.off_flag().is_empty() && self.opts.contains(phase.off_flag())
    }

    /// Sends one command (with its macros) unless stopped or negotiated off;
    /// records and returns the result index.
    pub(super) async fn command(
        &mut self,
        phase: Phase,
        arg: String,
        line: usize,
        expect: Option<Expectation>,
        cmd: Cmd,
    ) -> usize {
        let mut res = StepResult::new(phase, arg, line, expect);
        let idx = self.steps.len();
        if let Some(why) = self.stop_reason() {
            res.outcome = Outcome::NotSent(why);
            self.steps.push(res);
            return idx;
        }
        if self.negotiated_off(phase) {
            res.outcome = Outcome::Off;
            self.steps.push(res);
            return idx;
        }
        let macros: Vec<(String, String)> = phase
            .macro_stage()
            .and_then(|ms| self.requested.get(&ms))
            .map(|names| {
                names
                    .iter()
                    .filter_map(|n| self.macro_value(n).map(|v| (n.clone(), v)))
                    .collect()
            })
            .unwrap_or_default();
        let Some(conn) = self.conn.as_mut() else {
            res.outcome = Outcome::NotSent("no connection".into());
            self.steps.push(res);
            return idx;
        };
        let t0 = Instant::now();
        let mut result = Ok(());
        if let (false, Some(ms)) = (macros.is_empty(), phase.macro_stage()) {
            result = conn.macros(ms, macros).await.map_err(|e| e.to_string());
        }
        let result = match result {
            Ok(()) => exec(conn, cmd).await,
            Err(e) => Err(e),
        };
        res.elapsed = t0.elapsed();
        match result {
            Ok((status, actions)) => {
                let (outcome, reply) = match status {
                    Status::Continue | Status::Noreply => {
                        (Outcome::Response(Response::Continue), None)
                    }
                    Status::Accept => (Outcome::Response(Response::Accept), None),
                    Status::Discard => (Outcome::Response(Response::Discard), None),
                    Status::Skip => (Outcome::Skip, None),
                    Status::Reject { message } => (
                        Outcome::Response(Response::Reject),
                        message.map(|m| SmtpReply::parse(&m.to_string_lossy())),
                    ),
                    Status::Tempfail { message } => (
                        Outcome::Response(Response::Tempfail),
                        message.map(|m| SmtpReply::parse(&m.to_string_lossy())),
                    ),
                };
                res.outcome = outcome;
                res.reply = reply;
                res.actions = actions.into_iter().map(Action::from_eom).collect();
            }
            Err(e) => {
                let what = if res.arg.is_empty() {
                    phase.to_string()
                } else {
                    format!("{phase} {}", res.arg)
                };
                self.error.get_or_insert_with(|| format!("{what}: {e}"));
                res.outcome = Outcome::NotSent("connection error".into());
                self.conn_stop = Some("connection error".into());
                self.broken = true;
            }
        }
        self.steps.push(res);
        idx
    }

    pub(super) fn response(&self, idx: usize) -> Option<Response> {
        match &self.steps[idx].outcome {
            Outcome::Response(v) => Some(*v),
            _ => None,
        }
    }
}
