//! The session-replay harness: MTA side of the milter protocol.

pub mod format;
