//! Attachment-name extraction from a MIME message, for the attachments check.
//!
//! The structure is parsed with mailparse 0.18; what it does not do, or does in a way a
//! mail client would not, is handled here (each place says why):
//!
//! * it does not descend into `message/rfc822` bodies: we decode and parse them;
//! * RFC 2231 values with a charset it does not know stay raw under `name*` /
//!   `name*0*` keys: we percent-decode and join them ourselves;
//! * it decodes RFC 2047 words over the whole header *before* splitting parameters
//!   and keeps only the last of duplicate parameters: we also split the raw value
//!   first and decode each value, and judge every interpretation;
//! * it matches header names exactly (`Content-Type :` is not its Content-Type) and
//!   does not trim `Content-Transfer-Encoding`: a part whose structure we read
//!   differently, a multipart without a usable boundary, or a parse error is
//!   "malformed", and then every `Content-Type:`/`Content-Disposition:` line in it is
//!   read on its own ("salvage"), so a name cannot hide behind a broken structure;
//! * it fails the whole parse beyond 100 nested multiparts: the salvage scan covers it.
//!
//! Nothing here panics on any input (see the fuzz target and the randomized test);
//! work is bounded by the input size, [`Limits::max_depth`] and [`Limits::decode_budget`].

mod decode;
mod fast_path;
mod lines;
mod names;
mod normalize;
mod raw;
mod scan;
#[cfg(test)]
mod tests;
pub mod zip;

pub use fast_path::nameless_single_part;
pub(crate) use names::bytes_to_string;
pub use normalize::{extension, normalize};
pub use raw::build_raw;
pub use scan::scan;

/// Bounds for one scan.
#[derive(Clone, Debug)]
pub struct Limits {
    /// MIME levels descended (multipart children and message/rfc822 bodies each count one).
    pub max_depth: usize,
    /// Bytes decoded from base64/quoted-printable in all (rfc822 bodies, zip archives).
    pub decode_budget: usize,
    /// List zip archive members (central directory only).
    pub zip: bool,
    /// Central-directory entries read per archive.
    pub zip_max_entries: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_depth: 16,
            decode_budget: 10 * 1024 * 1024,
            zip: true,
            zip_max_entries: 1000,
        }
    }
}

/// Where a name was found.
#[derive(Clone, Debug, Eq, PartialEq)]
pub enum Source {
    /// A `Content-Disposition` `filename` or `Content-Type` `name` parameter.
    Header,
    /// A member of a zip archive attached under this name.
    Zip(String),
    /// A MIME header line read outside a well-formed structure (malformed part).
    Salvaged,
}

/// One attachment name, decoded.
#[derive(Clone, Debug, Eq, PartialEq)]
pub struct Found {
    /// The decoded name, as a mail client would show it (not yet normalised).
    pub name: String,
    /// Where it came from.
    pub source: Source,
    /// MIME depth of the part (0: the message itself).
    pub depth: usize,
}

/// What a scan found.
#[derive(Clone, Debug, Default)]
pub struct Scan {
    /// Every name found, in message order, without duplicates per part.
    pub names: Vec<Found>,
    /// Why the structure is malformed (empty: well-formed as far as we read).
    pub malformed: Vec<String>,
    /// What was left unread because of a size limit (depth is "malformed"; this is
    /// the decode budget and an archive cut off with the body).
    pub limited: Vec<String>,
    /// Names that exist but were not listed: an archive with more entries than
    /// `zip_max_entries`, names past the cap of one message. Unlike a size limit this
    /// is what a sender controls for free (a thousand dummy files in front of one
    /// executable), so the check judges it on its own (`incomplete`).
    pub unlisted: Vec<String>,
}
