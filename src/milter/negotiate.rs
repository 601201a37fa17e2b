//! What is negotiated: the stages registered at start, and per connection the NOREPLY
//! options, actions and macros.

use super::{macros, Conn, Shared};
use crate::policy::Policy;
use crate::session::Stage;
use indymilter::{Actions, NegotiateContext, ProtoOpts, Status};
use std::sync::Arc;

/// Which optional callbacks are registered. Fixed at start: indymilter negotiates the
/// stages without a callback off, and Postfix then skips them.
#[derive(Clone, Copy)]
pub(super) struct Stages {
    pub helo: bool,
    pub headers: bool,
    pub eoh: bool,
    /// Bytes of body buffered per message; 0 registers no body callback.
    pub body_limit: usize,
}

impl Stages {
    /// Only the stages the policy (or capture) needs.
    pub fn choose(shared: &Shared) -> Stages {
        let policy = shared.current();
        let capture = shared.capturing();
        let want = |s: Stage| capture || policy.uses_stage(s);
        let headers = capture || want(Stage::Eoh) || want(Stage::Eom);
        let capture_body = shared.capture_body_limit();
        Stages {
            helo: want(Stage::Helo),
            headers,
            // indymilter's state machine only goes from a header to the body or end of
            // message through eoh, so eoh must be negotiated whenever headers are.
            eoh: want(Stage::Eoh) || headers,
            // Pinned at start like the stage set: a reload that raises a check's limit
            // applies to the buffer after a restart.
            body_limit: policy.body_limit().max(capture_body),
        }
    }
}

/// Pins the policy for the connection and asks for the NOREPLY options, actions and
/// macros it needs.
pub(super) async fn handle_negotiate(
    cx: &mut NegotiateContext<Conn>,
    policy: Arc<Policy>,
    stages: Stages,
    mta_opts: ProtoOpts,
) -> Status {
    // Decided per connection with the policy of the moment: a reload that adds a check
    // at a stage makes new connections wait for its replies again.
    let mut noreply = noreply_opts(&policy, &stages) & mta_opts;
    // DKIM's `simple` header canonicalisation needs the value as sent, leading space
    // included; Postfix strips it unless asked (SMFIP_HDR_LEADSPC).
    if stages.headers && policy.raw_headers() {
        noreply |= ProtoOpts::LEADING_SPACE & mta_opts;
    }
    cx.requested_opts |= noreply;
    cx.data = Some(Conn {
        noreply,
        policy,
        session: None,
        ledger: Default::default(),
    });
    // Assigned, not added to: it starts as everything the MTA offers.
    cx.requested_actions = Actions::DELETE_RCPT | Actions::ADD_HEADER | Actions::CHANGE_HEADER;
    macros::request(&mut cx.requested_macros);
    Status::Continue
}

/// Answers `status`, or Noreply where the stage was negotiated without replies. Those
/// are only stages where nothing can decide (see [`noreply_opts`]), so `status` is
/// Continue there; anything else is a bug worth a log line, not a protocol error.
pub(super) fn answer(noreply: ProtoOpts, stage_flag: ProtoOpts, status: Status) -> Status {
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

/// The NOREPLY options for a connection whose registered stages are `stages` under
/// `policy`: a stage whose callback can only say Continue need not be waited for.
/// Headers and body chunks only fill buffers; connect, HELO, MAIL and end of headers
/// decide nothing when no check runs there. RCPT always can (held verdicts), end of
/// message is not optional.
fn noreply_opts(policy: &Policy, stages: &Stages) -> ProtoOpts {
    let mut nr = ProtoOpts::empty();
    let quiet = |s: Stage| !policy.uses_stage(s);
    if quiet(Stage::Connect) {
        nr |= ProtoOpts::NOREPLY_CONNECT;
    }
    if stages.helo && quiet(Stage::Helo) {
        nr |= ProtoOpts::NOREPLY_HELO;
    }
    if quiet(Stage::Mail) {
        nr |= ProtoOpts::NOREPLY_MAIL;
    }
    if stages.headers {
        nr |= ProtoOpts::NOREPLY_HEADER;
        if quiet(Stage::Eoh) {
            nr |= ProtoOpts::NOREPLY_EOH;
        }
    }
    if stages.body_limit > 0 {
        nr |= ProtoOpts::NOREPLY_BODY;
    }
    nr
}
