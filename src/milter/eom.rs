//! End-of-message actions: the header edits the checks asked for and the recipients
//! the policy dropped.

use crate::policy::EomOutcome;
use crate::session::Session;
use crate::verdict::HeaderEdit;
use indymilter::{ContextActions, EomActions, SetErrorReply, SmtpReply, Status};

/// Applies the header edits and recipient deletions. A failed deletion answers
/// Tempfail (the returned status): delivering to a recipient the policy dropped is
/// worse than a retry. Failed header edits are only logged. With `leading_space`
/// (LEADING_SPACE negotiated) the MTA writes `Name:value` as given, so added values
/// get the customary space themselves.
pub(super) async fn apply(
    actions: &mut EomActions,
    reply: &mut SmtpReply,
    session: &Session,
    out: &EomOutcome,
    leading_space: bool,
) -> Option<Status> {
    // Deletions first: their indexes count the headers as received, before our own are
    // inserted (an inserted Authentication-Results would shift them).
    let deletions = out.edits.iter().filter_map(|e| match e {
        HeaderEdit::Delete(name, index) => Some((name, index)),
        HeaderEdit::Add(..) | HeaderEdit::AuthResult { .. } => None,
    });
    let additions: Vec<(&String, &String)> = out
        .edits
        .iter()
        .filter_map(|e| match e {
            HeaderEdit::Add(name, value) => Some((name, value)),
            // The policy has merged these into one Add already.
            HeaderEdit::Delete(..) | HeaderEdit::AuthResult { .. } => None,
        })
        .collect();
    for (name, index) in deletions {
        let index = i32::try_from(*index).unwrap_or(i32::MAX);
        if let Err(e) = actions
            .change_header(name.as_str(), index, None::<&str>)
            .await
        {
            tracing::warn!(session = %session.id, header = %name, error = %e, "delete header failed");
        }
    }
    // Trace headers (Received-SPF, Authentication-Results) belong on top, in the order
    // the checks produced them.
    for (name, value) in additions.into_iter().rev() {
        let value = match leading_space {
            true => format!(" {value}"),
            false => value.clone(),
        };
        if let Err(e) = actions
            .insert_header(0, name.as_str(), value.as_str())
            .await
        {
            tracing::warn!(session = %session.id, header = %name, error = %e, "add_header failed");
        }
    }
    for rcpt in &out.delete_rcpts {
        // The MTA knows recipients in angle brackets, as it passed them.
        if let Err(e) = actions.delete_recipient(format!("<{rcpt}>")).await {
            tracing::warn!(session = %session.id, rcpt = %rcpt, error = %e, "delete_recipient failed");
            reply
                .set_error_reply(
                    "451",
                    Some("4.3.0"),
                    ["Temporary local problem, try again later"],
                )
                .ok();
            return Some(Status::Tempfail);
        }
    }
    None
}
