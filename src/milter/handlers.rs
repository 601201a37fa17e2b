//! One handler per milter callback: each copies what the MTA sent into the session,
//! asks the policy, and answers with its verdict. None of them knows which checks exist.

use super::macros::{absorb, ABSORB_CONNECT, ABSORB_MAIL, ABSORB_QUEUE_ID};
use super::negotiate::answer;
use super::reply::{missing_state, respond};
use super::{capture, eom, Conn, Shared};
use crate::policy::Ledger;
use crate::session::{bare_address, Recipient, Session, Stage};
use bytes::Bytes;
use indymilter::{Context, EomContext, ProtoOpts, SocketInfo, Status};
use std::ffi::{CStr, CString};
use std::sync::Arc;

pub(super) async fn handle_connect(
    cx: &mut Context<Conn>,
    hostname: CString,
    info: SocketInfo,
    shared: Arc<Shared>,
) -> Status {
    let (noreply, policy) = match cx.data.take() {
        Some(c) => (c.noreply, c.policy),
        None => (ProtoOpts::empty(), shared.current()),
    };
    let (addr, port) = match info {
        SocketInfo::Inet(a) => (Some(a.ip()), a.port()),
        _ => (None, 0),
    };
    let mut session = Session::new(addr, port, lossy(&hostname));
    let mut ledger = Ledger::default();
    absorb(&mut session, &cx.macros, ABSORB_CONNECT);
    policy.classify_client(&session, &mut ledger);
    let verdict = policy.run(Stage::Connect, &mut session, &mut ledger).await;
    cx.data = Some(Conn {
        noreply,
        policy,
        session: Some(session),
        ledger,
    });
    answer(
        noreply,
        ProtoOpts::NOREPLY_CONNECT,
        respond(&mut cx.reply, verdict),
    )
}

pub(super) async fn handle_helo(cx: &mut Context<Conn>, helo: CString) -> Status {
    let noreply = Conn::noreply(&cx.data);
    let Some(conn) = Conn::live(&mut cx.data) else {
        return missing_state();
    };
    conn.session.helo = Some(lossy(&helo));
    let verdict = conn
        .policy
        .run(Stage::Helo, &mut *conn.session, conn.ledger)
        .await;
    answer(
        noreply,
        ProtoOpts::NOREPLY_HELO,
        respond(&mut cx.reply, verdict),
    )
}

pub(super) async fn handle_mail(
    cx: &mut Context<Conn>,
    args: Vec<CString>,
    capture: bool,
) -> Status {
    let noreply = Conn::noreply(&cx.data);
    let Some(conn) = Conn::live(&mut cx.data) else {
        return missing_state();
    };
    let s = &mut *conn.session;
    capture::end_transaction(s, capture);
    let mut args = args.iter().map(|a| lossy(a));
    s.tx.started = true;
    s.tx.sender = bare_address(&args.next().unwrap_or_default());
    s.tx.mail_args = args.collect();
    absorb(s, &cx.macros, ABSORB_MAIL);
    conn.policy.note_auth(s, conn.ledger);
    let verdict = conn.policy.run(Stage::Mail, s, conn.ledger).await;
    answer(
        noreply,
        ProtoOpts::NOREPLY_MAIL,
        respond(&mut cx.reply, verdict),
    )
}

/// Always answered: a verdict held since connect, HELO or MAIL comes out here.
pub(super) async fn handle_rcpt(cx: &mut Context<Conn>, args: Vec<CString>) -> Status {
    let Some(conn) = Conn::live(&mut cx.data) else {
        return missing_state();
    };
    let s = &mut *conn.session;
    let mut args = args.iter().map(|a| lossy(a));
    let addr = bare_address(&args.next().unwrap_or_default());
    s.tx.rcpts.push(Recipient {
        addr,
        args: args.collect(),
    });
    absorb(s, &cx.macros, ABSORB_QUEUE_ID);
    let verdict = conn.policy.run(Stage::Rcpt, s, conn.ledger).await;
    respond(&mut cx.reply, verdict)
}

/// Buffers the header for the end-of-message checks (and capture), up to a bound.
pub(super) async fn handle_header(cx: &mut Context<Conn>, name: CString, value: CString) -> Status {
    let noreply = Conn::noreply(&cx.data);
    if let Some(conn) = Conn::live(&mut cx.data) {
        let tx = &mut conn.session.tx;
        let size = name.as_bytes().len() + value.as_bytes().len();
        // Once a field is dropped no later one is kept: the header stays a prefix of
        // the real one, in order.
        let fits = !tx.headers_truncated
            && tx.headers.len() < crate::capture::MAX_HEADERS
            && tx.header_bytes + size <= crate::capture::MAX_HEADER_BYTES;
        if !fits {
            if !tx.headers_truncated {
                let (fields, bytes) = (tx.headers.len(), tx.header_bytes);
                tracing::info!(
                    session = %conn.session.id, queue_id = conn.session.queue_id(), fields, bytes,
                    "header larger than kept: later fields are not kept"
                );
            }
            let tx = &mut conn.session.tx;
            tx.headers_truncated = true;
            // DKIM must not verify a header with fields missing from the middle.
            tx.raw_headers_truncated = true;
        } else {
            tx.header_bytes += size;
            let leading_space = noreply.contains(ProtoOpts::LEADING_SPACE);
            if conn.policy.raw_headers() {
                keep_raw_header(tx, name.as_bytes(), value.as_bytes(), leading_space);
            }
            let value = lossy(&value);
            // Checks read the value as Postfix passes it by default: without the space
            // after the colon.
            let value = match leading_space {
                true => value.trim_start_matches([' ', '\t']).to_owned(),
                false => value,
            };
            tx.headers.push((lossy(&name), value));
        }
    }
    answer(noreply, ProtoOpts::NOREPLY_HEADER, Status::Continue)
}

/// Most bytes of exact header fields kept per message; past it the fields are not kept
/// and `raw_headers_truncated` says so (DKIM then cannot verify, which is not a fail).
pub const MAX_RAW_HEADER_BYTES: usize = 1024 * 1024;

/// Keeps the field as the client sent it, its value with the space after the colon: Postfix
/// passes a folded value with bare LF line ends where the signer hashed CRLF (RFC 5322
/// §2.2.3), and strips the leading space unless LEADING_SPACE was negotiated (then the
/// usual single space is put back).
fn keep_raw_header(
    tx: &mut crate::session::Transaction,
    name: &[u8],
    value: &[u8],
    leading_space: bool,
) {
    let used: usize = tx.raw_headers.iter().map(|(n, v)| n.len() + v.len()).sum();
    if tx.raw_headers_truncated || used + name.len() + value.len() * 2 + 1 > MAX_RAW_HEADER_BYTES {
        tx.raw_headers_truncated = true;
        return;
    }
    let mut raw = Vec::with_capacity(value.len() + 8);
    if !leading_space {
        raw.push(b' ');
    }
    let mut prev = 0u8;
    for &b in value {
        if b == b'\n' && prev != b'\r' {
            raw.push(b'\r');
        }
        raw.push(b);
        prev = b;
    }
    tx.raw_headers
        .push((String::from_utf8_lossy(name).into_owned(), raw));
}

pub(super) async fn handle_eoh(cx: &mut Context<Conn>) -> Status {
    let noreply = Conn::noreply(&cx.data);
    let Some(conn) = Conn::live(&mut cx.data) else {
        return missing_state();
    };
    let verdict = conn
        .policy
        .run(Stage::Eoh, &mut *conn.session, conn.ledger)
        .await;
    answer(
        noreply,
        ProtoOpts::NOREPLY_EOH,
        respond(&mut cx.reply, verdict),
    )
}

/// Buffers up to `limit` bytes of body; the length counts all of it.
pub(super) async fn handle_body(cx: &mut Context<Conn>, chunk: Bytes, limit: usize) -> Status {
    let noreply = Conn::noreply(&cx.data);
    if let Some(conn) = Conn::live(&mut cx.data) {
        let tx = &mut conn.session.tx;
        tx.body_len += chunk.len() as u64;
        let room = limit.saturating_sub(tx.body.len());
        if chunk.len() > room {
            tx.body_truncated = true;
        }
        tx.body.extend_from_slice(&chunk[..chunk.len().min(room)]);
    }
    answer(noreply, ProtoOpts::NOREPLY_BODY, Status::Continue)
}

pub(super) async fn handle_eom(cx: &mut EomContext<Conn>) -> Status {
    let leading_space = Conn::noreply(&cx.data).contains(ProtoOpts::LEADING_SPACE);
    let Some(conn) = Conn::live(&mut cx.data) else {
        return missing_state();
    };
    absorb(&mut *conn.session, &cx.macros, ABSORB_QUEUE_ID);
    let out = conn
        .policy
        .end_of_message(&mut *conn.session, conn.ledger)
        .await;
    if let Some(status) = eom::apply(
        &mut cx.actions,
        &mut cx.reply,
        conn.session,
        &out,
        leading_space,
    )
    .await
    {
        return status;
    }
    match out.verdict {
        Some(v) => respond(&mut cx.reply, v),
        None => Status::Continue,
    }
}

/// The transaction ends; the connection and its session go on.
pub(super) async fn handle_abort(cx: &mut Context<Conn>, capture: bool) -> Status {
    if let Some(conn) = Conn::live(&mut cx.data) {
        capture::end_transaction(conn.session, capture);
    }
    Status::Continue
}

pub(super) async fn handle_close(cx: &mut Context<Conn>, shared: Arc<Shared>) -> Status {
    let session = cx.data.take().and_then(|c| c.session);
    if let (Some(c), Some(s)) = (shared.capture.as_ref(), session) {
        capture::write(c, s);
    }
    Status::Continue
}

fn lossy(s: &CStr) -> String {
    s.to_string_lossy().into_owned()
}
