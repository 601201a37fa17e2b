//! Shared test support, included by each integration test crate with `mod support;`.
//!
//! - [`corpus`]: message fixture files, and messages split as the milter gets them.
//! - [`dns`]: an in-process authoritative DNS server with fault injection.
//! - [`pg`]: a private, throwaway PostgreSQL cluster.
//! - [`rng`]: a deterministic generator for the randomised tests.
//!
//! Each test crate compiles this module separately and most use only part of it, so unused
//! items are expected there.
#![allow(dead_code)]

pub mod corpus;
pub mod daemon;
pub mod dns;
pub mod pg;
pub mod rng;
