//! Glue to session capture: finished transactions are kept on the session and the
//! whole session is written when the connection closes.

use crate::capture::Capture;
use crate::session::Session;

/// Ends the current transaction (a new MAIL, or an abort). With capture on, a started
/// one is kept for the session file.
pub(super) fn end_transaction(session: &mut Session, capture: bool) {
    let old = std::mem::take(&mut session.tx);
    if capture && old.started {
        session.done.push(old);
    }
}

/// Writes the session file at close, the last transaction included.
pub(super) fn write(capture: &Capture, mut session: Session) {
    end_transaction(&mut session, true);
    capture.write(&session);
}
