//! The macros mxgate asks the MTA for, and their copy into the session.

use crate::session::Session;
use indymilter::{MacroStage, Macros};
use std::collections::HashMap;
use std::ffi::{CStr, CString};

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
pub(super) type MacroNames = &'static [(&'static str, &'static CStr)];
pub(super) const ABSORB_CONNECT: MacroNames = &[
    ("j", c"j"),
    ("{daemon_name}", c"{daemon_name}"),
    ("{client_ptr}", c"{client_ptr}"),
];
pub(super) const ABSORB_MAIL: MacroNames = &[
    ("i", c"i"),
    ("{auth_authen}", c"{auth_authen}"),
    ("{auth_type}", c"{auth_type}"),
];
pub(super) const ABSORB_QUEUE_ID: MacroNames = &[("i", c"i")];

/// Asks for the macros above at negotiation.
pub(super) fn request(requested: &mut HashMap<MacroStage, CString>) {
    requested.insert(MacroStage::Connect, MACROS_CONNECT.into());
    requested.insert(MacroStage::Mail, MACROS_MAIL.into());
    requested.insert(MacroStage::Rcpt, MACROS_RCPT.into());
    requested.insert(MacroStage::Eom, MACROS_EOM.into());
}

/// Copies the macros mxgate reads into the session.
pub(super) fn absorb(session: &mut Session, macros: &Macros, names: MacroNames) {
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
