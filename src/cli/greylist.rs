//! `mxgate greylist …` (placeholder, being written now).

use std::path::PathBuf;
use std::process::ExitCode;

/// Arguments of `mxgate greylist`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Config file.
    #[arg(long, short, default_value = "/etc/mxgate/mxgate.toml")]
    pub config: PathBuf,
}

/// Runs the subcommand.
pub fn run(_args: Args) -> anyhow::Result<ExitCode> {
    anyhow::bail!("mxgate greylist is not available in this build yet")
}
