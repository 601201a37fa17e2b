//! Operator subcommands beside the daemon: `mxgate denylist …`, `mxgate greylist …`.

pub mod denylist;
pub mod greylist;
