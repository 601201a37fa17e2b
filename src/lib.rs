//! mxgate: a milter for Postfix MX relays.
//!
//! Data flows one way: milter callback → session facts → checks → verdict.

pub mod replay;
