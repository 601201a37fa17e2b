//! Shared test support, included by each integration test crate with `mod support;`.
//!
//! - [`dns`]: an in-process authoritative DNS server with fault injection.
//! - [`pg`]: a private, throwaway PostgreSQL cluster.
//!
//! Each test crate compiles this module separately and most use only part of it, so unused
//! items are expected there.
#![allow(dead_code)]

pub mod daemon;
pub mod dns;
pub mod pg;
