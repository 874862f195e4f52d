//! The command-line surface (stable: tests and documentation rely on it) and the choice of
//! front end. No logic beyond parsing and dispatch.
//!
//! ```text
//! moxi-setup [--demo [SCENARIO]] [--screen-share] [--plain] [--resume | --open FILE.age]
//! moxi-setup check --answers FILE.toml [--json]
//! moxi-setup check --bundle FILE.age [--json]
//! moxi-setup bundle open FILE.age [--reveal]
//! moxi-setup sim serve [--scenario NAME] [--listen ADDR] [--latency MS]
//! moxi-setup scripts --platform microsoft-365|exchange-server [--answers FILE]
//! ```

use crate::net::{NetConfig, parse_resolve};
use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

/// Exit code: every check passed (warnings allowed).
pub const EXIT_OK: u8 = 0;
/// Exit code: at least one check failed.
pub const EXIT_FAIL: u8 = 1;
/// Exit code: usage or input error; nothing was sent over the network.
pub const EXIT_USAGE: u8 = 2;

#[derive(Debug, Parser)]
#[command(
    name = "moxi-setup",
    version,
    about = "Connect your office's Microsoft 365 or Exchange Server mailboxes to MoxiEngage, step by step, checking every answer live.",
    long_about = "Walks you through the MoxiEngage setup guide for Microsoft 365 or Exchange Server, \
checks each value against your own tenant as you type it, tells you exactly which guide step to \
redo when something is wrong, and ends with an encrypted bundle to send to MoxiWorks.\n\n\
Run without a command to start the wizard."
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalOpts,

    /// Run the wizard against the built-in simulated tenant (optionally a named scenario).
    #[arg(long, num_args = 0..=1, default_missing_value = "", value_name = "SCENARIO")]
    pub demo: Option<String>,

    /// Numbered line prompts instead of the full-screen wizard (screen readers, pipes).
    /// Also chosen by ACCESSIBLE=1 or when stdin/stdout is not a terminal.
    #[arg(long)]
    pub plain: bool,

    /// Continue the saved draft without asking.
    #[arg(long, conflicts_with = "open")]
    pub resume: bool,

    /// Open a saved bundle in the wizard, to resume or fix it.
    ///
    /// Asks for the bundle's passphrase (taken from MOXI_SETUP_PASSPHRASE when input is piped),
    /// loads every answer and the check results recorded in it, and starts on the review.
    /// Exporting again proposes the same folder and file name.
    #[arg(long, value_name = "FILE.age")]
    pub open: Option<PathBuf>,

    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Options every command accepts, before or after the subcommand.
#[derive(Debug, Args, Clone, Default)]
pub struct GlobalOpts {
    /// Connect to ADDR (IP or IP:port) whenever HOST is asked for (split DNS, test servers).
    #[arg(long, global = true, value_name = "HOST=ADDR", value_parser = parse_resolve)]
    pub resolve: Vec<(String, std::net::SocketAddr)>,

    /// Also trust the CA certificate(s) in this PEM file (an internal certificate authority).
    #[arg(long = "ca-file", global = true, value_name = "FILE")]
    pub ca_file: Vec<PathBuf>,

    /// Entra ID sign-in host (national clouds: login.microsoftonline.us, …).
    #[arg(long, global = true, value_name = "HOST")]
    pub authority_host: Option<String>,

    /// Exchange Online EWS address to use instead of https://outlook.office365.com/EWS/Exchange.asmx.
    #[arg(long, global = true, value_name = "URL")]
    pub ews_url: Option<String>,

    /// Screen-share mode: secrets can never be revealed, and a banner says so.
    #[arg(long, global = true)]
    pub screen_share: bool,

    /// Log level for the log file (error, warn, info, debug, trace).
    #[arg(long, global = true, default_value = "info", value_name = "LEVEL")]
    pub log_level: String,
}

impl GlobalOpts {
    /// The network settings these options describe.
    pub fn net_config(&self) -> NetConfig {
        let mut c = NetConfig {
            ca_files: self.ca_file.clone(),
            resolve: self.resolve.clone(),
            ews_url: self.ews_url.clone(),
            ..NetConfig::default()
        };
        if let Some(h) = &self.authority_host {
            c.authority_host = h.clone();
        }
        c
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check answers live without the wizard (exit 0 pass, 1 a check failed, 2 bad input).
    Check(CheckArgs),
    /// Inspect a saved bundle.
    #[command(subcommand)]
    Bundle(BundleCommand),
    /// The simulated tenant used by --demo and the tests.
    #[command(subcommand)]
    Sim(SimCommand),
    /// Print the PowerShell commands of a guide, filled with your answers.
    Scripts(ScriptsArgs),
}

#[derive(Debug, Args)]
#[group(required = true, multiple = false)]
pub struct CheckSource {
    /// Answers file (TOML); the password comes from MOXI_SETUP_PASSWORD or a no-echo prompt.
    #[arg(long, value_name = "FILE.toml")]
    pub answers: Option<PathBuf>,
    /// A saved bundle to re-verify (asks for its passphrase, or MOXI_SETUP_PASSPHRASE).
    #[arg(long, value_name = "FILE.age")]
    pub bundle: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    #[command(flatten)]
    pub source: CheckSource,
    /// Print one JSON object on stdout and nothing else there.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Subcommand)]
pub enum BundleCommand {
    /// Print a summary of a bundle (secrets hidden unless --reveal, and only to a terminal).
    Open {
        file: PathBuf,
        /// Show the secrets too (refused when stdout is not a terminal or in screen-share mode).
        #[arg(long)]
        reveal: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum SimCommand {
    /// Run the simulated tenant and print the options a client needs to reach it.
    Serve {
        /// Scenario name (see `moxi-setup sim list`).
        #[arg(long)]
        scenario: Option<String>,
        /// Address to listen on (loopback only).
        #[arg(long, default_value = "127.0.0.1:0")]
        listen: String,
        /// Added delay for every request, in milliseconds.
        #[arg(long, default_value_t = 0)]
        latency: u64,
    },
    /// List the scenarios.
    List,
}

#[derive(Debug, Args)]
pub struct ScriptsArgs {
    /// Which guide's commands.
    #[arg(long, value_name = "microsoft-365|exchange-server")]
    pub platform: String,
    /// Fill the commands with the values of this answers file.
    #[arg(long, value_name = "FILE")]
    pub answers: Option<PathBuf>,
}

/// Options the wizard front ends need.
#[derive(Debug, Clone)]
pub struct WizardOptions {
    pub global: GlobalOpts,
    pub demo: Option<String>,
    pub plain: bool,
    pub resume: bool,
    /// `--open`: the bundle to open first.
    pub open: Option<PathBuf>,
}

/// Parses the command line and runs it.
pub fn main() -> ExitCode {
    crate::net::install_crypto_provider();
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() { EXIT_USAGE } else { EXIT_OK };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    let dirs = crate::paths::Dirs::resolve();
    let _log_guard = crate::logging::init(&dirs, &cli.global.log_level);
    tracing::info!(version = env!("CARGO_PKG_VERSION"), "start");
    match cli.command {
        None => {
            let opts = WizardOptions {
                global: cli.global,
                demo: cli.demo,
                plain: cli.plain,
                resume: cli.resume,
                open: cli.open,
            };
            crate::tui::run_wizard(opts, dirs)
        }
        Some(Command::Check(args)) => crate::headless::check(&cli.global, args),
        Some(Command::Bundle(BundleCommand::Open { file, reveal })) => {
            crate::headless::bundle_open(&cli.global, &file, reveal)
        }
        Some(Command::Sim(cmd)) => crate::sim::cli(cmd),
        Some(Command::Scripts(args)) => crate::guide::scripts::cli(args),
    }
}
