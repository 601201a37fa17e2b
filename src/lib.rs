//! mxgate: a milter for Postfix MX relays.
//!
//! Data flows one way: milter callback → session facts → checks → verdict.

pub mod address;
pub mod bounded;
pub mod capture;
pub mod checks;
pub mod cli;
pub mod config;
pub mod daemon;
pub mod dns;
pub mod docs;
pub mod maps;
pub mod metrics;
pub mod milter;
pub mod mime;
pub mod net;
pub mod policy;
pub mod replay;
pub mod session;
pub mod spf_lookup;
pub mod store;
pub mod task;
pub mod text;
pub mod verdict;
