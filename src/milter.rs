//! indymilter glue: callbacks translate milter events into session facts, ask the
//! policy, and translate its verdict back. No check logic lives here.

use crate::policy::Policy;
use crate::session::{bare_address, Recipient, Session, Stage};
use crate::verdict::Verdict;
use indymilter::{
    Actions, Callbacks, ContextActions, EomContext, MacroStage, Macros, NegotiateContext,
    ProtoOpts, SetErrorReply, SmtpReply, SocketInfo, Status,
};
use std::ffi::CStr;
use std::sync::{Arc, RwLock};

/// Per-connection state: the policy pinned at negotiation (the NOREPLY options were
/// chosen for it) and, from connect on, the session facts.
pub struct Conn {
    /// The NOREPLY options negotiated: the callbacks of those stages answer
    /// `Status::Noreply` and the MTA does not wait for them.
    noreply: ProtoOpts,
    policy: Arc<Policy>,
    session: Option<Session>,
}

/// A connection past connect.
struct Live<'a> {
    policy: &'a Arc<Policy>,
    session: &'a mut Session,
}

impl Conn {
    fn live(data: &mut Option<Conn>) -> Option<Live<'_>> {
        let c = data.as_mut()?;
        Some(Live {
            policy: &c.policy,
            session: c.session.as_mut()?,
        })
    }

    fn noreply(data: &Option<Conn>) -> ProtoOpts {
        data.as_ref().map_or(ProtoOpts::empty(), |c| c.noreply)
    }
}

/// Answers `status`, or Noreply where the stage was negotiated without replies. Those
/// are only stages where nothing can decide (see [`noreply_opts`]), so `status` is
/// Continue there; anything else is a bug worth a log line, not a protocol error.
fn answer(noreply: ProtoOpts, stage_flag: ProtoOpts, status: Status) -> Status {
    if !noreply.contains(stage_flag) {
        return status;
    }
    if status != Status::Continue {
        tracing::warn!(
            ?status,
            "verdict at a stage negotiated without reply; not sent"
        );
    }
    Status::Noreply
}

/// The NOREPLY options for a connection whose registered stages are `registered`
/// (what indymilter negotiates off is not there) under `policy`: a stage whose
/// callback can only say Continue need not be waited for. Headers and body chunks only
/// fill buffers; connect, HELO, MAIL and end of headers decide nothing when no check
/// runs there. RCPT always can (held verdicts), end of message is not optional.
fn noreply_opts(policy: &Policy, registered: &Registered) -> ProtoOpts {
    let mut nr = ProtoOpts::empty();
    let quiet = |s: Stage| !policy.uses_stage(s);
    if quiet(Stage::Connect) {
        nr |= ProtoOpts::NOREPLY_CONNECT;
    }
    if registered.helo && quiet(Stage::Helo) {
        nr |= ProtoOpts::NOREPLY_HELO;
    }
    if quiet(Stage::Mail) {
        nr |= ProtoOpts::NOREPLY_MAIL;
    }
    if registered.headers {
        nr |= ProtoOpts::NOREPLY_HEADER;
        if quiet(Stage::Eoh) {
            nr |= ProtoOpts::NOREPLY_EOH;
        }
    }
    if registered.body {
        nr |= ProtoOpts::NOREPLY_BODY;
    }
    nr
}

/// Which optional callbacks were registered (fixed at start, like indymilter's
/// negotiation of the others off).
#[derive(Clone, Copy)]
struct Registered {
    helo: bool,
    headers: bool,
    body: bool,
}

/// What the callbacks share: the current policy (swapped on reload) and capture.
pub struct Shared {
    policy: RwLock<Arc<Policy>>,
    capture: Option<crate::capture::Capture>,
}

impl Shared {
    /// Shared state for a policy.
    pub fn new(policy: Policy) -> Self {
        let capture = policy
            .config()
            .daemon
            .capture_dir
            .clone()
            .map(crate::capture::Capture::new);
        Shared {
            policy: RwLock::new(Arc::new(policy)),
            capture,
        }
    }

    /// The policy new connections get.
    pub fn current(&self) -> Arc<Policy> {
        match self.policy.read() {
            Ok(p) => Arc::clone(&p),
            Err(poisoned) => Arc::clone(&poisoned.into_inner()),
        }
    }

    /// Replaces the policy for new connections; sessions in flight keep theirs.
    pub fn replace(&self, policy: Policy) {
        let new = Arc::new(policy);
        match self.policy.write() {
            Ok(mut p) => *p = new,
            Err(poisoned) => *poisoned.into_inner() = new,
        }
    }

    fn capturing(&self) -> bool {
        self.capture.is_some()
    }
}

/// Macros mxgate reads, per stage. Few on purpose: every macro costs Postfix work.
const MACROS_CONNECT: &CStr = c"j {daemon_name} {client_ptr}";
const MACROS_MAIL: &CStr = c"i {auth_authen} {auth_type}";
const MACROS_RCPT: &CStr = c"i";
const MACROS_EOM: &CStr = c"i";
/// The macros each callback copies into the session, by name for the session and as C
/// strings for the lookup (no allocation per callback). Only the ones requested for that
/// stage: Postfix sends a stage the macros the milter asked for (its defaults for the
/// stages we ask nothing for carry none of these), and every `Macros::get` walks all
/// seven stage tables, so looking all six up at every callback cost ~2,000 instructions
/// per name. HELO copies none.
type MacroNames = &'static [(&'static str, &'static CStr)];
const ABSORB_CONNECT: MacroNames = &[
    ("j", c"j"),
    ("{daemon_name}", c"{daemon_name}"),
    ("{client_ptr}", c"{client_ptr}"),
];
const ABSORB_MAIL: MacroNames = &[
    ("i", c"i"),
    ("{auth_authen}", c"{auth_authen}"),
    ("{auth_type}", c"{auth_type}"),
];
const ABSORB_QUEUE_ID: MacroNames = &[("i", c"i")];

/// Builds the callbacks: only the stages the policy (or capture) needs are registered,
/// because indymilter negotiates the others off and Postfix then skips them.
pub fn callbacks(shared: Arc<Shared>) -> Callbacks<Conn> {
    let policy = shared.current();
    let capture = shared.capturing();
    let want = |s: Stage| capture || policy.uses_stage(s);
    let want_headers = capture || want(Stage::Eoh) || want(Stage::Eom);
    let capture_body = shared.capture.as_ref().map_or(0, |c| c.body_limit());
    // Pinned at start like the stage set: a reload that raises a check's limit applies
    // to the buffer after a restart.
    let body_limit = policy.body_limit().max(capture_body);
    let registered = Registered {
        helo: want(Stage::Helo),
        headers: want_headers,
        body: body_limit > 0,
    };
    let mut cb = Callbacks::new();

    let sh = Arc::clone(&shared);
    cb = cb.on_negotiate(move |cx: &mut NegotiateContext<Conn>, _actions, mta_opts| {
        // Decided per connection with the policy of the moment: a reload that adds a
        // check at a stage makes new connections wait for its replies again.
        let policy = sh.current();
        let noreply = noreply_opts(&policy, &registered) & mta_opts;
        Box::pin(async move {
            cx.requested_opts |= noreply;
            cx.data = Some(Conn {
                noreply,
                policy,
                session: None,
            });
            cx.requested_actions =
                Actions::DELETE_RCPT | Actions::ADD_HEADER | Actions::CHANGE_HEADER;
            cx.requested_macros
                .insert(MacroStage::Connect, MACROS_CONNECT.into());
            cx.requested_macros
                .insert(MacroStage::Mail, MACROS_MAIL.into());
            cx.requested_macros
                .insert(MacroStage::Rcpt, MACROS_RCPT.into());
            cx.requested_macros
                .insert(MacroStage::Eom, MACROS_EOM.into());
            Status::Continue
        })
    });

    let sh = Arc::clone(&shared);
    cb = cb.on_connect(move |cx, hostname, info| {
        let (noreply, policy) = match cx.data.take() {
            Some(c) => (c.noreply, c.policy),
            None => (ProtoOpts::empty(), sh.current()),
        };
        Box::pin(async move {
            let (addr, port) = match info {
                SocketInfo::Inet(a) => (Some(a.ip()), a.port()),
                _ => (None, 0),
            };
            let mut session = Session::new(addr, port, lossy(&hostname));
            absorb(&mut session, &cx.macros, ABSORB_CONNECT);
            policy.classify_client(&mut session);
            let verdict = policy.run(Stage::Connect, &mut session).await;
            cx.data = Some(Conn {
                noreply,
                policy,
                session: Some(session),
            });
            answer(
                noreply,
                ProtoOpts::NOREPLY_CONNECT,
                respond(&mut cx.reply, verdict),
            )
        })
    });

    if registered.helo {
        cb = cb.on_helo(|cx, helo| {
            Box::pin(async move {
                let noreply = Conn::noreply(&cx.data);
                let Some(conn) = Conn::live(&mut cx.data) else {
                    return missing_state();
                };
                conn.session.helo = Some(lossy(&helo));
                let verdict = conn.policy.run(Stage::Helo, &mut *conn.session).await;
                answer(
                    noreply,
                    ProtoOpts::NOREPLY_HELO,
                    respond(&mut cx.reply, verdict),
                )
            })
        });
    }

    let sh = Arc::clone(&shared);
    cb = cb.on_mail(move |cx, args| {
        let capture = sh.capturing();
        Box::pin(async move {
            let noreply = Conn::noreply(&cx.data);
            let Some(conn) = Conn::live(&mut cx.data) else {
                return missing_state();
            };
            let s = &mut *conn.session;
            let old = std::mem::take(&mut s.tx);
            if capture && old.started {
                s.done.push(old);
            }
            let mut args = args.iter().map(|a| lossy(a));
            s.tx.started = true;
            s.tx.sender = bare_address(&args.next().unwrap_or_default());
            s.tx.mail_args = args.collect();
            absorb(s, &cx.macros, ABSORB_MAIL);
            conn.policy.note_auth(s);
            let verdict = conn.policy.run(Stage::Mail, s).await;
            answer(
                noreply,
                ProtoOpts::NOREPLY_MAIL,
                respond(&mut cx.reply, verdict),
            )
        })
    });

    cb = cb.on_rcpt(|cx, args| {
        Box::pin(async move {
            let Some(conn) = Conn::live(&mut cx.data) else {
                return missing_state();
            };
            let s = &mut *conn.session;
            let mut args = args.iter().map(|a| lossy(a));
            let addr = bare_address(&args.next().unwrap_or_default());
            s.tx.rcpts.push(Recipient {
                addr,
                args: args.collect(),
                accepted: false,
                dropped: false,
            });
            absorb(s, &cx.macros, ABSORB_QUEUE_ID);
            let verdict = conn.policy.run(Stage::Rcpt, s).await;
            if matches!(verdict, Verdict::Continue | Verdict::Accept) {
                if let Some(r) = s.tx.rcpts.last_mut() {
                    r.accepted = true;
                }
            }
            respond(&mut cx.reply, verdict)
        })
    });

    if registered.headers {
        cb = cb.on_header(move |cx, name, value| {
            let limit = crate::capture::MAX_HEADERS;
            Box::pin(async move {
                let noreply = Conn::noreply(&cx.data);
                if let Some(conn) = Conn::live(&mut cx.data) {
                    if conn.session.tx.headers.len() < limit {
                        conn.session.tx.headers.push((lossy(&name), lossy(&value)));
                    }
                }
                answer(noreply, ProtoOpts::NOREPLY_HEADER, Status::Continue)
            })
        });
    }
    if registered.body {
        cb = cb.on_body(move |cx, chunk| {
            Box::pin(async move {
                let noreply = Conn::noreply(&cx.data);
                if let Some(conn) = Conn::live(&mut cx.data) {
                    let tx = &mut conn.session.tx;
                    tx.body_len += chunk.len() as u64;
                    let room = body_limit.saturating_sub(tx.body.len());
                    if chunk.len() > room {
                        tx.body_truncated = true;
                    }
                    tx.body.extend_from_slice(&chunk[..chunk.len().min(room)]);
                }
                answer(noreply, ProtoOpts::NOREPLY_BODY, Status::Continue)
            })
        });
    }

    // indymilter's state machine only goes from a header to the body or end of message
    // through eoh, so eoh must be negotiated whenever headers are.
    if want(Stage::Eoh) || registered.headers {
        cb = cb.on_eoh(|cx| {
            Box::pin(async move {
                let noreply = Conn::noreply(&cx.data);
                let Some(conn) = Conn::live(&mut cx.data) else {
                    return missing_state();
                };
                let verdict = conn.policy.run(Stage::Eoh, &mut *conn.session).await;
                answer(
                    noreply,
                    ProtoOpts::NOREPLY_EOH,
                    respond(&mut cx.reply, verdict),
                )
            })
        });
    }

    cb = cb.on_eom(|cx: &mut EomContext<Conn>| {
        Box::pin(async move {
            let Some(conn) = Conn::live(&mut cx.data) else {
                return missing_state();
            };
            absorb(&mut *conn.session, &cx.macros, ABSORB_QUEUE_ID);
            let out = conn.policy.end_of_message(&mut *conn.session).await;
            let tx = &conn.session.tx;
            // Deletions first: their indexes count the headers as received, before our
            // own are inserted (an inserted Authentication-Results would shift them).
            for (name, index) in &tx.delete_headers {
                let index = i32::try_from(*index).unwrap_or(i32::MAX);
                if let Err(e) = cx.actions.change_header(name.as_str(), index, None::<&str>).await {
                    tracing::warn!(session = %conn.session.id, header = %name, error = %e, "delete header failed");
                }
            }
            // Trace headers (Received-SPF, Authentication-Results) belong on top, in the
            // order the checks produced them.
            for (name, value) in tx.add_headers.iter().rev() {
                if let Err(e) = cx.actions.insert_header(0, name.as_str(), value.as_str()).await {
                    tracing::warn!(session = %conn.session.id, header = %name, error = %e, "add_header failed");
                }
            }
            for rcpt in &out.delete_rcpts {
                // The MTA knows recipients in angle brackets, as it passed them.
                if let Err(e) = cx.actions.delete_recipient(format!("<{rcpt}>")).await {
                    tracing::warn!(session = %conn.session.id, rcpt = %rcpt, error = %e, "delete_recipient failed");
                    cx.reply.set_error_reply("451", Some("4.3.0"), ["Temporary local problem, try again later"]).ok();
                    return Status::Tempfail;
                }
            }
            match out.verdict {
                Some(v) => respond(&mut cx.reply, v),
                None => Status::Continue,
            }
        })
    });

    let sh = Arc::clone(&shared);
    cb = cb.on_abort(move |cx| {
        let capture = sh.capturing();
        Box::pin(async move {
            if let Some(conn) = Conn::live(&mut cx.data) {
                let old = std::mem::take(&mut conn.session.tx);
                if capture && old.started {
                    conn.session.done.push(old);
                }
            }
            Status::Continue
        })
    });

    let sh = Arc::clone(&shared);
    cb = cb.on_close(move |cx| {
        let sh = Arc::clone(&sh);
        Box::pin(async move {
            let session = cx.data.take().and_then(|c| c.session);
            if let (Some(capture), Some(mut s)) = (sh.capture.as_ref(), session) {
                let last = std::mem::take(&mut s.tx);
                if last.started {
                    s.done.push(last);
                }
                capture.write(&s);
            }
            Status::Continue
        })
    });

    cb
}

/// Copies the macros mxgate reads into the session.
fn absorb(session: &mut Session, macros: &Macros, names: MacroNames) {
    for &(name, cname) in names {
        let Some(v) = macros.get(cname) else {
            continue;
        };
        let v = v.to_string_lossy();
        if name == "i" && !v.is_empty() && session.tx.queue_id.as_deref() != Some(&*v) {
            session.tx.queue_id = Some(v.clone().into_owned());
        }
        // Macros repeat at every stage; store only what changed.
        if session.macros.get(name).map(String::as_str) != Some(&*v) {
            session.macros.insert(name.to_owned(), v.into_owned());
        }
    }
}

/// Translates a verdict into a milter status and reply.
fn respond(reply: &mut SmtpReply, verdict: Verdict) -> Status {
    match verdict {
        Verdict::Continue | Verdict::DropRecipient => Status::Continue,
        Verdict::Accept => Status::Accept,
        Verdict::Discard => Status::Discard,
        Verdict::Reject(r) => {
            set_reply(reply, &r);
            Status::Reject
        }
        Verdict::Tempfail(r) => {
            set_reply(reply, &r);
            Status::Tempfail
        }
    }
}

fn set_reply(reply: &mut SmtpReply, r: &crate::verdict::Reply) {
    if let Err(e) = reply.set_error_reply(&r.code.to_string(), Some(&r.xcode), [r.text.as_str()]) {
        // Replies are validated at config load; this only happens for texts built at
        // run time, and then the MTA's generic reply of the same class goes out.
        tracing::warn!(reply = %r, error = %e, "reply not usable");
    }
}

/// A callback without its connection state means the MTA skipped connect; answer
/// temporarily rather than judge mail we know nothing about.
fn missing_state() -> Status {
    tracing::warn!("milter callback without connection state; tempfail");
    Status::Tempfail
}

fn lossy(s: &CStr) -> String {
    s.to_string_lossy().into_owned()
}
