//! The mxgate command: the milter daemon, config checking and the replay harness.

use clap::{Parser, Subcommand};
use mxgate::config::{self, Config, LogFormat, RuntimeKind};
use std::path::PathBuf;
use std::process::ExitCode;

/// A milter for Postfix MX relays.
#[derive(Parser, Debug)]
#[command(name = "mxgate", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Run the milter daemon in the foreground.
    Run {
        /// Config file.
        #[arg(long, short, default_value = "/etc/mxgate/mxgate.toml")]
        config: PathBuf,
    },
    /// Validate a config file and print the effective configuration.
    CheckConfig {
        /// Config file.
        config: PathBuf,
    },
    /// Replay session files against a milter (see tests/sessions/README.md).
    Replay(mxgate::replay::ReplayArgs),
    /// Manage the recipient denylist.
    Denylist(mxgate::cli::denylist::Args),
    /// Inspect and manage the greylist.
    Greylist(mxgate::cli::greylist::Args),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Run { config } => run(config),
        Command::CheckConfig { config } => match config::load(&config)
            .map_err(|e| e.to_string())
            .and_then(|c| {
                // Building the checks catches what only they can judge (e.g. a DNS list
                // section without lists, an unreadable resolv.conf).
                mxgate::policy::Policy::new(
                    std::sync::Arc::new(c.clone()),
                    &mxgate::checks::Services::default(),
                )?;
                Ok(c)
            }) {
            Ok(c) => {
                for w in &c.warnings {
                    eprintln!("mxgate: warning: {w}");
                }
                print!("{}", c.to_toml());
                eprintln!("{}: OK", config.display());
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("mxgate: {e}");
                ExitCode::from(2)
            }
        },
        Command::Denylist(args) => subcommand("denylist", mxgate::cli::denylist::run(args)),
        Command::Greylist(args) => subcommand("greylist", mxgate::cli::greylist::run(args)),
        Command::Replay(args) => match mxgate::replay::run(args) {
            Ok(code) => code,
            Err(e) => {
                eprintln!("mxgate replay: {e:#}");
                ExitCode::from(2)
            }
        },
    }
}

fn subcommand(name: &str, result: anyhow::Result<ExitCode>) -> ExitCode {
    result.unwrap_or_else(|e| {
        eprintln!("mxgate {name}: {e:#}");
        ExitCode::from(2)
    })
}

fn init_logging(config: &Config) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("MXGATE_LOG")
        .or_else(|_| tracing_subscriber::EnvFilter::try_new(&config.daemon.log_level))
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    use std::io::IsTerminal;
    // Colour only on a terminal: the journal and log files get plain text.
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(std::io::stderr);
    match config.daemon.log_format {
        LogFormat::Json => builder.json().init(),
        // Wire-derived values escaped and quoted one way (mxgate::logfmt).
        LogFormat::Text => builder.fmt_fields(mxgate::logfmt::EscapedFields).init(),
    }
}

fn run(path: PathBuf) -> ExitCode {
    let config = match config::load(&path) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("mxgate: {e}");
            return ExitCode::from(2);
        }
    };
    init_logging(&config);
    let runtime = match config.daemon.runtime {
        RuntimeKind::CurrentThread => tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build(),
        RuntimeKind::MultiThread => tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build(),
    };
    let runtime = match runtime {
        Ok(r) => r,
        Err(e) => {
            eprintln!("mxgate: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    tracing::info!(config = %path.display(), version = env!("CARGO_PKG_VERSION"), "mxgate starting");
    for w in &config.warnings {
        tracing::warn!(config = %path.display(), "{w}");
    }
    let result = runtime.block_on(mxgate::daemon::serve(
        config,
        Some(path),
        mxgate::daemon::termination_signal(),
    ));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!("{e:#}");
            eprintln!("mxgate: {e:#}");
            ExitCode::FAILURE
        }
    }
}
