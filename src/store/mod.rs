//! Stores shared by checks: PostgreSQL (shared between MX hosts) and SQLite (embedded).

pub mod pg;
