//! Session files: parsing and writing.
//!
//! The format is documented for users in `tests/sessions/README.md`; keep the
//! two in step. In short: one line per SMTP phase, `session NAME` starts a
//! session, `expect …` at the end of a phase line states what the milter
//! should answer, message bodies are inline and dot-stuffed like SMTP DATA.
//!
//! `model.rs` holds the data, `parse.rs` reads text into it (with the line
//! grammar in `syntax.rs`) and `write.rs` turns it back into text.

mod model;
mod parse;
mod syntax;
mod write;

pub use model::*;
pub use parse::{parse, parse_file, parse_named, ParseError};
pub use write::{base64_encode, write};

#[cfg(test)]
mod tests;
