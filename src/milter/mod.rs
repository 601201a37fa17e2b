//! indymilter glue: callbacks translate milter events into session facts, ask the
//! policy, and translate its verdict back. No check logic lives here.
//!
//! [`callbacks`] only wires; the handlers are in `handlers`, negotiation and NOREPLY in
//! `negotiate`, end-of-message actions in `eom`, capture in `capture`.

mod capture;
mod eom;
mod handlers;
mod macros;
mod negotiate;
mod reply;

use crate::policy::{Ledger, Policy};
use crate::session::Session;
use handlers::{
    handle_abort, handle_body, handle_close, handle_connect, handle_eoh, handle_eom, handle_header,
    handle_helo, handle_mail, handle_rcpt,
};
use indymilter::{Callbacks, ProtoOpts};
use negotiate::{handle_negotiate, Stages};
use std::sync::{Arc, RwLock};

/// Builds the callbacks: only the stages the policy (or capture) needs are registered,
/// because indymilter negotiates the others off and Postfix then skips them.
pub fn callbacks(shared: Arc<Shared>) -> Callbacks<Conn> {
    let stages = Stages::choose(&shared);
    let capture = shared.capturing();
    let (sh_connect, sh_close) = (Arc::clone(&shared), Arc::clone(&shared));
    let mut cb = Callbacks::new()
        .on_negotiate(move |cx, _, mta| {
            Box::pin(handle_negotiate(cx, shared.current(), stages, mta))
        })
        .on_connect(move |cx, host, info| {
            Box::pin(handle_connect(cx, host, info, Arc::clone(&sh_connect)))
        })
        .on_mail(move |cx, args| Box::pin(handle_mail(cx, args, capture)))
        .on_rcpt(|cx, args| Box::pin(handle_rcpt(cx, args)))
        .on_eom(|cx| Box::pin(handle_eom(cx)))
        .on_abort(move |cx| Box::pin(handle_abort(cx, capture)))
        .on_close(move |cx| Box::pin(handle_close(cx, Arc::clone(&sh_close))));
    if stages.helo {
        cb = cb.on_helo(|cx, helo| Box::pin(handle_helo(cx, helo)));
    }
    if stages.headers {
        cb = cb.on_header(|cx, name, value| Box::pin(handle_header(cx, name, value)));
    }
    if stages.eoh {
        cb = cb.on_eoh(|cx| Box::pin(handle_eoh(cx)));
    }
    if stages.body_limit > 0 {
        let limit = stages.body_limit;
        cb = cb.on_body(move |cx, chunk| Box::pin(handle_body(cx, chunk, limit)));
    }
    cb
}

/// Per-connection state: the policy pinned at negotiation (the NOREPLY options were
/// chosen for it) and, from connect on, the session facts.
pub struct Conn {
    /// The NOREPLY options negotiated: the callbacks of those stages answer
    /// `Status::Noreply` and the MTA does not wait for them; and LEADING_SPACE when
    /// header values come with their leading space.
    noreply: ProtoOpts,
    policy: Arc<Policy>,
    session: Option<Session>,
    /// The policy's bookkeeping for this connection.
    ledger: Ledger,
}

/// A connection past connect.
struct Live<'a> {
    policy: &'a Arc<Policy>,
    session: &'a mut Session,
    ledger: &'a mut Ledger,
}

impl Conn {
    fn live(data: &mut Option<Conn>) -> Option<Live<'_>> {
        let c = data.as_mut()?;
        Some(Live {
            policy: &c.policy,
            session: c.session.as_mut()?,
            ledger: &mut c.ledger,
        })
    }

    fn noreply(data: &Option<Conn>) -> ProtoOpts {
        data.as_ref().map_or(ProtoOpts::empty(), |c| c.noreply)
    }
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

    /// Body bytes capture keeps per message; 0 without capture.
    fn capture_body_limit(&self) -> usize {
        self.capture.as_ref().map_or(0, |c| c.body_limit())
    }
}
