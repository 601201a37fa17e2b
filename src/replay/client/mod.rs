//! The MTA side: replays one [`Script`] against a milter the way Postfix's
//! smtpd would, on top of `indymilter-test`.
//!
//! What Postfix does and we copy (see DESIGN.md §5 and Postfix's milter8.c):
//! phases the milter negotiated off are not sent; only requested macros are
//! sent, and only those with a value; NOREPLY phases count as continue;
//! Reject/Tempfail/Accept at connect or HELO end the milter's part in the
//! connection; at MAIL they end the transaction; at RCPT they drop that
//! recipient; with no recipient left there is no DATA; Accept or Discard at a
//! message phase ends the message; a transaction that did not reach
//! end-of-message is followed by an abort.

mod command;
mod macros;
mod phase;
mod result;
mod session;
mod socket;
#[cfg(test)]
mod tests;

pub use phase::Phase;
pub use result::{Action, Outcome, ScriptResult, SmtpReply, StepResult};
pub use socket::{ClientOptions, SocketSpec, SocketSpecError};

use std::collections::HashMap;
use std::time::Instant;

use indymilter_test::{MacroStage, ProtoOpts, TestConnection};

use super::format::Script;

/// Replays one session against the milter at `spec`. Never panics and never
/// fails: connection trouble ends up in [`ScriptResult::error`]. `seq`
/// makes the generated queue ids differ between sessions.
pub async fn replay(
    spec: &SocketSpec,
    script: &Script,
    opts: &ClientOptions,
    seq: u64,
) -> ScriptResult {
    let start = Instant::now();
    let builder = TestConnection::configure()
        .protocol_version(6)
        .read_timeout(opts.timeout)
        .write_timeout(opts.timeout)
        // We strip or keep the leading space ourselves, as Postfix does.
        .exact_leading_space(true);
    let conn = match spec {
        SocketSpec::Unix(p) => builder.open_unix(p).await,
        SocketSpec::Inet(a) => builder.open_tcp(a.as_str()).await,
    };
    let mut r = Replayer {
        conn: None,
        opts: ProtoOpts::empty(),
        requested: HashMap::new(),
        overrides: HashMap::new(),
        script,
        conn_stop: None,
        msg_stop: None,
        msg_rejected: false,
        error: None,
        broken: false,
        steps: Vec::new(),
        mail_addr: None,
        rcpt_addr: None,
        queue_id: None,
        seq,
        tx_index: 0,
    };
    match conn {
        Ok(c) => {
            r.opts = c.negotiated_opts();
            r.requested = c
                .requested_macros()
                .iter()
                .map(|(phase, names)| {
                    let names = names
                        .to_string_lossy()
                        .split([' ', ',', '\t', '\r', '\n'])
                        .filter(|n| !n.is_empty())
                        .map(str::to_string)
                        .collect();
                    (*phase, names)
                })
                .collect();
            r.conn = Some(c);
        }
        Err(e) => {
            let msg = format!("cannot connect to {spec}: {e}");
            r.error = Some(msg.clone());
            r.conn_stop = Some("connection failed".into());
        }
    }
    r.run().await;
    // After an I/O error the stream is in an unknown state: just drop it.
    if !r.broken {
        if let Some(c) = r.conn.take() {
            if let Err(e) = c.close().await {
                r.error.get_or_insert(format!("closing: {e}"));
            }
        }
    }
    ScriptResult {
        name: script.name.clone(),
        file: script.file.clone(),
        line: script.line,
        steps: r.steps,
        error: r.error,
        elapsed: start.elapsed(),
    }
}

struct Replayer<'a> {
    conn: Option<TestConnection>,
    opts: ProtoOpts,
    requested: HashMap<MacroStage, Vec<String>>,
    /// Values from `macro` lines, keyed by name without braces.
    overrides: HashMap<String, String>,
    script: &'a Script,
    /// Why nothing more goes to the milter on this connection.
    conn_stop: Option<String>,
    /// Why nothing more goes to the milter for this message.
    msg_stop: Option<String>,
    /// The transaction was rejected (at MAIL, DATA or later): Postfix
    /// accepts no recipient and no message for it.
    msg_rejected: bool,
    error: Option<String>,
    /// An I/O or protocol error happened: do not even send QUIT.
    broken: bool,
    steps: Vec<StepResult>,
    mail_addr: Option<String>,
    rcpt_addr: Option<String>,
    queue_id: Option<String>,
    seq: u64,
    tx_index: u64,
}
