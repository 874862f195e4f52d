//! The simulated tenant: Entra ID, Exchange Online and Exchange Server on loopback HTTPS,
//! built from real Microsoft captures, for `--demo` and the tests. Never used by production
//! code paths other than `--demo` and `sim serve`, and never listens beyond loopback.
//!
//! One port serves HTTPS and plain HTTP (the first byte 0x16 is a TLS handshake), so one
//! `--resolve HOST=127.0.0.1:PORT` per simulated host covers both schemes. A CA made at
//! start signs a leaf per host; scenarios with a bad certificate present it by SNI.

mod autodiscover;
mod entra;
mod ews;
mod pki;
pub mod scenario;
mod server;
pub mod xml;

use crate::answers::Platform;
use crate::cli::SimCommand;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::atomic::AtomicU32;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// How to start the simulator.
#[derive(Debug, Clone)]
pub struct SimOptions {
    /// Scenario name from `assets/sim/scenarios.toml`.
    pub scenario: String,
    /// Added delay before every response.
    pub latency: Duration,
    /// Where to listen; must be a loopback address.
    pub listen: SocketAddr,
    /// Host names to answer for (default: every simulated host).
    pub hosts: Vec<String>,
}

impl Default for SimOptions {
    fn default() -> Self {
        SimOptions {
            scenario: "m365-guide-2021".into(),
            latency: Duration::ZERO,
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            hosts: scenario::HOSTS.iter().map(|h| h.to_string()).collect(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SimError {
    #[error("there is no scenario called \"{0}\" (see `moxi-setup sim list`)")]
    UnknownScenario(String),
    #[error("the simulator only listens on this computer (loopback), not on {0}")]
    NotLoopback(SocketAddr),
    #[error("the simulator could not start: {0}")]
    Io(#[from] std::io::Error),
    #[error("the simulator could not start: {0}")]
    Setup(String),
}

/// Which scheme a request came in on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scheme {
    Http,
    Https,
}

impl Scheme {
    pub fn as_str(self) -> &'static str {
        match self {
            Scheme::Http => "http",
            Scheme::Https => "https",
        }
    }
}

impl PartialEq<str> for Scheme {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for Scheme {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

/// One request the simulator received (for security and behaviour tests).
#[derive(Debug, Clone)]
pub struct RecordedRequest {
    pub scheme: Scheme,
    /// Host header (lowercase, port removed), else the TLS SNI.
    pub host: String,
    /// TLS server name the client sent (None on plain HTTP).
    pub sni: Option<String>,
    pub method: String,
    pub path: String,
    pub query: Option<String>,
    /// A Basic/Bearer (any) Authorization header, or a password/secret form field.
    pub credentials: bool,
    /// "Basic", "Bearer", "form-password"… when `credentials`.
    pub auth_scheme: Option<String>,
    /// The ExchangeImpersonation ConnectingSID value, when the request carried one.
    pub impersonation: Option<String>,
    pub anchor_mailbox: Option<String>,
    /// HTTP status sent back (0 when the request was held open and never answered).
    pub status: u16,
    pub response_content_type: Option<String>,
    pub response_body: String,
}

/// A scenario as the picker and `sim list` show it.
#[derive(Debug, Clone)]
pub struct ScenarioInfo {
    pub name: String,
    pub platform: Platform,
    pub description: String,
    answers: BTreeMap<String, String>,
}

impl ScenarioInfo {
    /// The values an admin would type for this scenario (field id as in
    /// `answers::FieldId::as_str` → value), never the password (always `demo_password()`).
    pub fn answers(&self) -> &BTreeMap<String, String> {
        &self.answers
    }
}

/// The password of every simulated account (for `--demo` and tests only).
pub fn demo_password() -> secrecy::SecretString {
    secrecy::SecretString::from(scenario::PASSWORD.to_string())
}

/// The scenario catalogue.
pub fn scenarios() -> Vec<ScenarioInfo> {
    scenario::all()
        .unwrap_or_default()
        .into_iter()
        .map(|s| ScenarioInfo {
            name: s.name,
            platform: s.platform,
            description: s.description,
            answers: s.answers,
        })
        .collect()
}

/// A running simulator. Dropping it without `shutdown` also stops it (the cancel token
/// is fired by `Drop`).
pub struct SimHandle {
    addr: SocketAddr,
    ca_pem: String,
    ca_file: Arc<tempfile::NamedTempFile>,
    hosts: Vec<String>,
    state: Arc<server::State>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl std::fmt::Debug for SimHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SimHandle")
            .field("addr", &self.addr)
            .field("scenario", &self.state.scenario.name)
            .finish()
    }
}

/// Starts the simulator for one scenario.
pub async fn start(opts: SimOptions) -> Result<SimHandle, SimError> {
    crate::net::install_crypto_provider();
    if !opts.listen.ip().is_loopback() {
        return Err(SimError::NotLoopback(opts.listen));
    }
    let sc = scenario::find(&opts.scenario)
        .map_err(SimError::Setup)?
        .ok_or_else(|| SimError::UnknownScenario(opts.scenario.clone()))?;
    let bad = (sc.cert != scenario::CertKind::Good).then_some((sc.cert_host.as_str(), sc.cert));
    let pki = pki::Pki::generate(&opts.hosts, bad).map_err(SimError::Setup)?;
    let ca_pem = pki.ca_pem.clone();
    let mut ca_file = tempfile::Builder::new()
        .prefix("moxi-sim-ca-")
        .suffix(".pem")
        .tempfile()?;
    std::io::Write::write_all(&mut ca_file, ca_pem.as_bytes())?;
    let listener = tokio::net::TcpListener::bind(opts.listen).await?;
    let addr = listener.local_addr()?;
    let state = Arc::new(server::State {
        throttle_left: AtomicU32::new(sc.throttle),
        unavailable_left: AtomicU32::new(sc.unavailable_first),
        scenario: sc,
        latency: opts.latency,
        records: Mutex::new(Vec::new()),
        tokens: Mutex::new(Default::default()),
        refresh_tokens: Mutex::new(Default::default()),
        cancel: CancellationToken::new(),
    });
    let task = server::serve(listener, Arc::new(pki), state.clone()).await;
    Ok(SimHandle {
        addr,
        ca_pem,
        ca_file: Arc::new(ca_file),
        hosts: opts.hosts,
        state,
        task: Some(task),
    })
}

impl SimHandle {
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The generated CA certificate (PEM).
    pub fn ca_pem(&self) -> &str {
        &self.ca_pem
    }

    /// Path of the CA file (kept alive as long as the handle).
    pub fn ca_path(&self) -> &std::path::Path {
        self.ca_file.path()
    }

    pub fn hosts(&self) -> &[String] {
        &self.hosts
    }

    /// The scenario's name.
    pub fn scenario(&self) -> &str {
        &self.state.scenario.name
    }

    /// Network settings that reach the simulator: `--resolve` for every host, the CA.
    pub fn net_config(&self) -> crate::net::NetConfig {
        crate::net::NetConfig {
            ca_files: vec![self.ca_file.path().to_path_buf()],
            resolve: self.hosts.iter().map(|h| (h.clone(), self.addr)).collect(),
            ..Default::default()
        }
    }

    /// Every request received so far, in arrival order.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.state
            .records
            .lock()
            .map(|r| r.clone())
            .unwrap_or_default()
    }

    /// Stops the listener and every open connection.
    pub async fn shutdown(mut self) {
        self.state.cancel.cancel();
        if let Some(t) = self.task.take() {
            let _ = t.await;
        }
    }
}

impl Drop for SimHandle {
    fn drop(&mut self) {
        self.state.cancel.cancel();
    }
}

/// `moxi-setup sim serve|list`.
pub fn cli(cmd: SimCommand) -> ExitCode {
    match cmd {
        SimCommand::List => {
            for s in scenarios() {
                println!("{:<32} {}", s.name, s.platform.as_str());
                println!("    {}", s.description);
            }
            ExitCode::SUCCESS
        }
        SimCommand::Serve {
            scenario,
            listen,
            latency,
        } => {
            let listen: SocketAddr = match listen.parse() {
                Ok(a) => a,
                Err(_) => {
                    eprintln!("moxi-setup sim serve: --listen expects IP:PORT, got \"{listen}\"");
                    return ExitCode::from(crate::cli::EXIT_USAGE);
                }
            };
            if !listen.ip().is_loopback() {
                eprintln!("moxi-setup sim serve: {}", SimError::NotLoopback(listen));
                return ExitCode::from(crate::cli::EXIT_USAGE);
            }
            let rt = match tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()
            {
                Ok(rt) => rt,
                Err(e) => {
                    eprintln!("moxi-setup sim serve: {e}");
                    return ExitCode::FAILURE;
                }
            };
            rt.block_on(serve_cli(
                scenario.unwrap_or_else(|| SimOptions::default().scenario),
                listen,
                Duration::from_millis(latency),
            ))
        }
    }
}

async fn serve_cli(scenario: String, listen: SocketAddr, latency: Duration) -> ExitCode {
    let handle = match start(SimOptions {
        scenario,
        latency,
        listen,
        ..Default::default()
    })
    .await
    {
        Ok(h) => h,
        Err(e) => {
            eprintln!("moxi-setup sim serve: {e}");
            return match e {
                SimError::UnknownScenario(_) | SimError::NotLoopback(_) => {
                    ExitCode::from(crate::cli::EXIT_USAGE)
                }
                _ => ExitCode::FAILURE,
            };
        }
    };
    // A CA file outside the temp dir's cleanup, so the path stays valid while serving.
    let ca_path = std::env::temp_dir().join(format!("moxi-sim-ca-{}.pem", handle.addr().port()));
    if let Err(e) = crate::bundle::atomic::write(
        &ca_path,
        handle.ca_pem().as_bytes(),
        crate::bundle::atomic::Overwrite::Replace,
    ) {
        eprintln!("moxi-setup sim serve: cannot write the CA file: {e}");
        return ExitCode::FAILURE;
    }
    println!("scenario: {}", handle.scenario());
    println!("listening: {}", handle.addr());
    println!("ca-file: {}", ca_path.display());
    let mut args = vec![format!("--ca-file {}", ca_path.display())];
    for h in handle.hosts() {
        args.push(format!("--resolve {h}={}", handle.addr()));
    }
    println!("client-args: {}", args.join(" "));
    println!("Press Ctrl-C to stop.");
    let _ = tokio::signal::ctrl_c().await;
    handle.shutdown().await;
    let _ = std::fs::remove_file(&ca_path);
    ExitCode::SUCCESS
}
