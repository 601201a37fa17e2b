//! The dialogue phase by phase: connect, HELO, then each transaction (MAIL, RCPT,
//! DATA, headers, body, end-of-message), with Postfix's reaction to each response.

use std::net::SocketAddr;

use bytes::Bytes;
use indymilter_test::{ProtoOpts, SocketInfo};

use super::command::Cmd;
use super::{Outcome, Phase, Replayer, StepResult};
use crate::replay::format::{ClientAddr, EomCheck, Expectation, MailTransaction, Response};

/// Postfix's body chunk size for milters is at most 65535 bytes.
const CHUNK: usize = 65535;

impl Replayer<'_> {
    pub(super) async fn run(&mut self) {
        let s = self.script;
        self.set_macros(&s.macros);
        let c = &s.connect;
        let info = match c.addr {
            ClientAddr::Ip(ip) => SocketInfo::Inet(SocketAddr::new(ip, c.port)),
            ClientAddr::Unknown => SocketInfo::Unknown,
        };
        let arg = format!("{} {}", c.addr, c.name);
        let i = self
            .command(
                Phase::Connect,
                arg,
                c.line,
                c.expect.clone(),
                Cmd::Connect(c.name.clone(), info),
            )
            .await;
        match self.response(i) {
            Some(Response::Reject | Response::Tempfail) => {
                self.conn_stop = Some("connection rejected at connect".into())
            }
            Some(Response::Accept) => self.conn_stop = Some("milter accepted connection".into()),
            Some(Response::Discard) => {
                self.conn_stop = Some("discard at connect (not allowed by Postfix)".into())
            }
            _ => {}
        }

        if let Some(h) = &s.helo {
            self.set_macros(&h.macros);
            let i = self
                .command(
                    Phase::Helo,
                    h.name.clone(),
                    h.line,
                    h.expect.clone(),
                    Cmd::Helo(h.name.clone()),
                )
                .await;
            match self.response(i) {
                Some(Response::Reject | Response::Tempfail) => {
                    self.conn_stop.get_or_insert("rejected at HELO".into());
                }
                Some(Response::Accept) => {
                    self.conn_stop
                        .get_or_insert("milter accepted connection".into());
                }
                Some(Response::Discard) => {
                    self.conn_stop
                        .get_or_insert("discard at HELO (not allowed by Postfix)".into());
                }
                _ => {}
            }
        }

        for t in &s.transactions {
            self.transaction(t).await;
        }
    }

    async fn transaction(&mut self, t: &MailTransaction) {
        self.msg_stop = None;
        self.msg_rejected = false;
        self.tx_index += 1;
        self.mail_addr = Some(t.mail.addr.clone());
        self.rcpt_addr = None;
        self.queue_id = None;
        self.set_macros(&t.mail.macros);
        let mut args = vec![format!("<{}>", t.mail.addr)];
        args.extend(t.mail.args.iter().cloned());
        let i = self
            .command(
                Phase::Mail,
                args.join(" "),
                t.mail.line,
                t.mail.expect.clone(),
                Cmd::Mail(args),
            )
            .await;
        self.after_message_response(i, "MAIL");

        let mut accepted = 0usize;
        for r in &t.rcpts {
            self.set_macros(&r.macros);
            // Postfix's {rcpt_addr} stays the last RCPT, even a rejected one.
            self.rcpt_addr = Some(r.addr.clone());
            let mut args = vec![format!("<{}>", r.addr)];
            args.extend(r.args.iter().cloned());
            let i = self
                .command(
                    Phase::Rcpt,
                    args.join(" "),
                    r.line,
                    r.expect.clone(),
                    Cmd::Rcpt(args),
                )
                .await;
            match self.steps[i].outcome.effective_response() {
                Some(Response::Continue) => accepted += 1,
                Some(Response::Accept | Response::Discard) => {
                    accepted += 1;
                    self.after_message_response(i, "RCPT");
                }
                // A rejected recipient is just not added.
                Some(Response::Reject | Response::Tempfail) => {}
                // Not sent because the milter is done with this message or
                // connection: Postfix still accepts the recipient.
                None if !self.msg_rejected
                    && self.msg_stop.is_some()
                    && self.conn_stop.is_none() =>
                {
                    accepted += 1
                }
                None => {}
            }
            if accepted == 1 && self.queue_id.is_none() {
                self.queue_id = Some(
                    self.overrides
                        .get("i")
                        .cloned()
                        .unwrap_or_else(|| fake_queue_id(self.seq, self.tx_index)),
                );
            }
        }

        let mut reached_eom = false;
        if let Some(m) = &t.message {
            if accepted == 0 && self.msg_stop.is_none() {
                self.msg_stop = Some("no accepted recipient".into());
            }
            self.set_macros(&m.macros);
            let i = self
                .command(
                    Phase::Data,
                    String::new(),
                    m.line,
                    m.data_expect.clone(),
                    Cmd::Data,
                )
                .await;
            self.after_message_response(i, "DATA");

            // Headers: one result per header, plus a summary for `headers expect`.
            let first = self.steps.len();
            for h in &m.headers {
                let value = if self.opts.contains(ProtoOpts::LEADING_SPACE) {
                    h.value.clone()
                } else {
                    // Postfix strips leading white space unless asked not to.
                    h.value.trim_start().to_string()
                };
                let i = self
                    .command(
                        Phase::Header,
                        h.name.clone(),
                        h.line,
                        None,
                        Cmd::Header(h.name.clone(), value),
                    )
                    .await;
                self.after_message_response(i, "header");
            }
            self.summary(
                Phase::Header,
                first,
                format!("({})", m.headers.len()),
                m.line,
                m.headers_expect.clone(),
            );

            let i = self
                .command(
                    Phase::Eoh,
                    String::new(),
                    m.line,
                    m.eoh_expect.clone(),
                    Cmd::Eoh,
                )
                .await;
            self.after_message_response(i, "end of headers");

            let first = self.steps.len();
            let mut skipped = false;
            for chunk in m.body.chunks(CHUNK) {
                if skipped {
                    break;
                }
                let i = self
                    .command(
                        Phase::Body,
                        format!("{} bytes", chunk.len()),
                        m.line,
                        None,
                        Cmd::Body(Bytes::copy_from_slice(chunk)),
                    )
                    .await;
                skipped = self.steps[i].outcome == Outcome::Skip;
                self.after_message_response(i, "body");
            }
            self.summary(
                Phase::Body,
                first,
                format!("({} bytes)", m.body.len()),
                m.line,
                m.body_expect.clone(),
            );

            let res_idx = self
                .command(Phase::Eom, String::new(), m.line, None, Cmd::Eom)
                .await;
            if matches!(self.steps[res_idx].outcome, Outcome::Response(_)) {
                reached_eom = true;
            }
            // The response expectation and action checks all live on eom.
            let eom_line = m.eom.first().map_or(m.line, EomCheck::line);
            let r = &mut self.steps[res_idx];
            r.line = eom_line;
            r.eom_checks = m.eom.clone();
        }
        if !reached_eom && self.conn_stop.is_none() {
            if let Some(c) = self.conn.as_mut() {
                if let Err(e) = c.abort().await {
                    self.error.get_or_insert(format!("abort: {e}"));
                    self.conn_stop = Some("connection error".into());
                    self.broken = true;
                }
            }
        }
        self.msg_stop = None;
    }

    /// Applies Postfix's reaction to a message-phase response.
    fn after_message_response(&mut self, idx: usize, what: &str) {
        let why = match self.response(idx) {
            Some(Response::Reject) => format!("rejected at {what}"),
            Some(Response::Tempfail) => format!("tempfailed at {what}"),
            Some(Response::Accept) => format!("milter accepted the message at {what}"),
            Some(Response::Discard) => format!("message discarded at {what}"),
            _ => return,
        };
        let rejected = matches!(
            self.response(idx),
            Some(Response::Reject | Response::Tempfail)
        );
        // RCPT reject/tempfail only drops that recipient.
        if what == "RCPT" && rejected {
            return;
        }
        self.msg_rejected |= rejected;
        self.msg_stop.get_or_insert(why);
    }

    /// Adds the summary row over the per-command rows from `first` on.
    fn summary(
        &mut self,
        phase: Phase,
        first: usize,
        arg: String,
        line: usize,
        expect: Option<Expectation>,
    ) {
        let rows = &self.steps[first..];
        let outcome = if let Some(r) = rows
            .iter()
            .find(|r| !matches!(r.outcome.effective_response(), Some(Response::Continue)))
        {
            r.outcome.clone()
        } else if rows.is_empty() {
            // Nothing to send (no headers, empty body): what the milter
            // would have said is continue, unless the message was stopped.
            match self.stop_reason() {
                Some(why) => Outcome::NotSent(why),
                None if self.negotiated_off(phase) => Outcome::Off,
                None => Outcome::Response(Response::Continue),
            }
        } else if rows.iter().all(|r| r.outcome == Outcome::Off) {
            Outcome::Off
        } else {
            Outcome::Response(Response::Continue)
        };
        let reply = rows.iter().find_map(|r| r.reply.clone());
        let elapsed = rows.iter().map(|r| r.elapsed).sum();
        let line = expect.as_ref().map_or(line, |e| e.line);
        let mut res = StepResult::new(phase, arg, line, expect);
        res.summary = true;
        res.outcome = outcome;
        res.reply = reply;
        res.elapsed = elapsed;
        self.steps.push(res);
    }
}

/// A queue id in the style of Postfix's short ids (hex), stable for a
/// given session number and transaction so that reports are reproducible.
pub(super) fn fake_queue_id(seq: u64, tx: u64) -> String {
    // SplitMix64: cheap, well spread.
    let mut z = seq.wrapping_mul(0x9E37_79B9_7F4A_7C15).wrapping_add(tx);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^= z >> 31;
    format!("{:010X}", z & 0xFF_FFFF_FFFF)
}
