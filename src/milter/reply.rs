//! Verdicts into milter statuses and SMTP replies.

use crate::verdict::{Reply, Verdict};
use indymilter::{SetErrorReply, SmtpReply, Status};

/// Translates a verdict into a milter status and reply.
pub(super) fn respond(reply: &mut SmtpReply, verdict: Verdict) -> Status {
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

fn set_reply(reply: &mut SmtpReply, r: &Reply) {
    if let Err(e) = reply.set_error_reply(&r.code.to_string(), Some(&r.xcode), [r.text.as_str()]) {
        // Replies are validated at config load; this only happens for texts built at
        // run time, and then the MTA's generic reply of the same class goes out.
        tracing::warn!(reply = %r, error = %e, "reply not usable");
    }
}

/// A callback without its connection state means the MTA skipped connect; answer
/// temporarily rather than judge mail we know nothing about.
pub(super) fn missing_state() -> Status {
    tracing::warn!("milter callback without connection state; tempfail");
    Status::Tempfail
}
