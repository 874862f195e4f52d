//! The one shared HTTPS client: rustls (ring provider) with the OS trust store plus any
//! `--ca-file`, `--resolve HOST=ADDR` overrides for split DNS and the simulated tenant,
//! timeouts on every call, a user agent with the tool version, and the per-host "ignore
//! certificate trust" the on-premises guide allows (recorded by the caller in the bundle).
//!
//! Credentials never cross plain HTTP: callers use [`Net::client`] only with `https://` URLs
//! when they attach credentials (enforced by the checks, tested there).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

/// Endpoint and trust settings, from the global command-line options.
#[derive(Debug, Clone)]
pub struct NetConfig {
    /// Extra PEM CA certificates to trust (internal CA, simulated tenant).
    pub ca_files: Vec<PathBuf>,
    /// `HOST=ADDR` overrides; ADDR is an IP or IP:port.
    pub resolve: Vec<(String, SocketAddr)>,
    /// Entra ID authority host (`login.microsoftonline.com` unless a national cloud).
    pub authority_host: String,
    /// Exchange Online EWS URL override (`https://outlook.office365.com/EWS/Exchange.asmx`).
    pub ews_url: Option<String>,
    /// The single host whose certificate the admin chose not to verify (on-premises only).
    pub ignore_trust_host: Option<String>,
    /// Per-request timeout.
    pub timeout: Duration,
    /// Connect timeout.
    pub connect_timeout: Duration,
}

impl Default for NetConfig {
    fn default() -> Self {
        NetConfig {
            ca_files: Vec::new(),
            resolve: Vec::new(),
            authority_host: "login.microsoftonline.com".to_string(),
            ews_url: None,
            ignore_trust_host: None,
            timeout: Duration::from_secs(15),
            connect_timeout: Duration::from_secs(5),
        }
    }
}

/// Parses one `--resolve HOST=ADDR` value (ADDR is `IP` or `IP:port`; port 443 by default).
pub fn parse_resolve(s: &str) -> Result<(String, SocketAddr), String> {
    let (host, addr) = s
        .split_once('=')
        .ok_or_else(|| format!("--resolve expects HOST=ADDR, got \"{s}\""))?;
    let host = host.trim().to_ascii_lowercase();
    if host.is_empty() {
        return Err("--resolve: the host name is empty".into());
    }
    let addr = addr.trim();
    let sa = addr
        .parse::<SocketAddr>()
        .or_else(|_| {
            addr.parse::<std::net::IpAddr>()
                .map(|ip| SocketAddr::new(ip, 443))
        })
        .map_err(|_| format!("--resolve: \"{addr}\" is not an IP address or IP:port"))?;
    Ok((host, sa))
}

/// Errors building the client.
#[derive(Debug, thiserror::Error)]
pub enum NetError {
    #[error("cannot read CA file {path}: {source}")]
    CaFile {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("CA file {0} holds no PEM certificate")]
    CaEmpty(PathBuf),
    #[error("cannot set up HTTPS: {0}")]
    Tls(String),
}

/// The shared client and its settings. Cheap to clone.
#[derive(Clone)]
pub struct Net {
    pub config: NetConfig,
    client: reqwest::Client,
}

impl Net {
    /// Builds the one client. (Skeleton: the live-check work adds CA files, trust choices.)
    pub fn new(config: NetConfig) -> Result<Net, NetError> {
        install_crypto_provider();
        let mut b = reqwest::Client::builder()
            .timeout(config.timeout)
            .connect_timeout(config.connect_timeout)
            .user_agent(concat!("moxi-setup/", env!("CARGO_PKG_VERSION")))
            .redirect(reqwest::redirect::Policy::none());
        for (host, addr) in &config.resolve {
            b = b.resolve(host, *addr);
        }
        let client = b.build().map_err(|e| NetError::Tls(e.to_string()))?;
        Ok(Net { config, client })
    }

    pub fn client(&self) -> &reqwest::Client {
        &self.client
    }
}

/// Installs rustls' ring provider once (reqwest is built without a default provider).
pub fn install_crypto_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}
