//! The one shared HTTPS client: rustls (ring provider) with the OS trust store plus any
//! `--ca-file`, `--resolve HOST=ADDR` overrides for split DNS and the simulated tenant,
//! timeouts on every call, a user agent with the tool version, and the per-host "ignore
//! certificate trust" the on-premises guide allows (recorded by the caller in the bundle).
//!
//! Credentials never cross plain HTTP: callers check [`require_https`] before attaching a
//! password or token (enforced by the checks, tested there). Must not decide what a failure
//! means for the admin, and must never widen the "ignore trust" choice beyond its one host.

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::{ClientConfig, DigitallySignedStruct, SignatureScheme};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, ServerName, UnixTime};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
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

/// Errors building the client or refusing a request.
#[derive(Debug, thiserror::Error)]
pub enum NetError {
    #[error("cannot read CA file {path}: {source}")]
    CaFile {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("CA file {0} holds no PEM certificate")]
    CaEmpty(PathBuf),
    #[error("CA file {path} holds a certificate that cannot be used: {reason}")]
    CaBad { path: PathBuf, reason: String },
    #[error("cannot set up HTTPS: {0}")]
    Tls(String),
    #[error("refusing to send credentials to {0}: only https:// addresses may carry them")]
    NotHttps(String),
}

/// Reads every PEM certificate of every `--ca-file`.
pub fn load_ca_files(paths: &[PathBuf]) -> Result<Vec<CertificateDer<'static>>, NetError> {
    let mut out = Vec::new();
    for path in paths {
        let bytes = std::fs::read(path).map_err(|source| NetError::CaFile {
            path: path.clone(),
            source,
        })?;
        let mut n = 0;
        for c in CertificateDer::pem_slice_iter(&bytes) {
            let c = c.map_err(|e| NetError::CaBad {
                path: path.clone(),
                reason: e.to_string(),
            })?;
            out.push(c);
            n += 1;
        }
        if n == 0 {
            return Err(NetError::CaEmpty(path.clone()));
        }
    }
    Ok(out)
}

/// The real certificate verifier: the operating system's trust store plus the `--ca-file`
/// certificates. Where the OS store cannot be read (a bare container), the extra CAs alone.
///
/// Built once per set of extra CAs and shared: reading the OS store costs milliseconds (more on
/// a loaded machine), and the client, the verifying client and the `ex.tls` probe all need it.
pub fn root_verifier(config: &NetConfig) -> Result<Arc<dyn ServerCertVerifier>, NetError> {
    type Cache = Vec<(Vec<CertificateDer<'static>>, Arc<dyn ServerCertVerifier>)>;
    static CACHE: std::sync::Mutex<Cache> = std::sync::Mutex::new(Vec::new());
    let extra = load_ca_files(&config.ca_files)?;
    let mut cache = CACHE
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if let Some((_, v)) = cache.iter().find(|(k, _)| *k == extra) {
        return Ok(v.clone());
    }
    let v = build_root_verifier(extra.clone())?;
    cache.push((extra, v.clone()));
    Ok(v)
}

fn build_root_verifier(
    extra: Vec<CertificateDer<'static>>,
) -> Result<Arc<dyn ServerCertVerifier>, NetError> {
    install_crypto_provider();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    match rustls_platform_verifier::Verifier::new_with_extra_roots(
        extra.iter().cloned(),
        provider.clone(),
    ) {
        Ok(v) => Ok(Arc::new(v)),
        Err(platform_err) => {
            let mut roots = rustls::RootCertStore::empty();
            for c in extra {
                roots
                    .add(c)
                    .map_err(|e| NetError::Tls(format!("CA certificate refused: {e}")))?;
            }
            if roots.is_empty() {
                return Err(NetError::Tls(format!(
                    "no trusted certificate authorities: {platform_err}"
                )));
            }
            rustls::client::WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider)
                .build()
                .map(|v| v as Arc<dyn ServerCertVerifier>)
                .map_err(|e| NetError::Tls(e.to_string()))
        }
    }
}

fn client_config(verifier: Arc<dyn ServerCertVerifier>) -> Result<ClientConfig, NetError> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut cfg = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| NetError::Tls(e.to_string()))?
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_no_client_auth();
    // EWS, Autodiscover and Entra ID all speak HTTP/1.1; offering only it keeps one code path.
    cfg.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(cfg)
}

/// A rustls configuration that verifies every certificate (OS store + `--ca-file`, never the
/// "ignore trust" choice). For a raw handshake that explains why a certificate is not trusted.
pub fn verifying_tls_config(config: &NetConfig) -> Result<Arc<ClientConfig>, NetError> {
    client_config(root_verifier(config)?).map(Arc::new)
}

/// Verifies like the real verifier, except that a certificate the real verifier refuses is
/// accepted for exactly one host name the admin chose. Handshake signatures are still checked
/// for every host, so the connection is still encrypted to whoever holds the key.
#[derive(Debug)]
pub struct OneHostTrust {
    inner: Arc<dyn ServerCertVerifier>,
    host: String,
}

impl OneHostTrust {
    pub fn new(inner: Arc<dyn ServerCertVerifier>, host: &str) -> OneHostTrust {
        OneHostTrust {
            inner,
            host: host.trim().trim_end_matches('.').to_ascii_lowercase(),
        }
    }

    fn is_the_host(&self, name: &ServerName<'_>) -> bool {
        match name {
            ServerName::DnsName(d) => d
                .as_ref()
                .trim_end_matches('.')
                .eq_ignore_ascii_case(&self.host),
            ServerName::IpAddress(ip) => {
                std::net::IpAddr::from(*ip).to_string() == self.host.trim_matches(['[', ']'])
            }
            _ => false,
        }
    }
}

impl ServerCertVerifier for OneHostTrust {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        match self.inner.verify_server_cert(
            end_entity,
            intermediates,
            server_name,
            ocsp_response,
            now,
        ) {
            Ok(v) => Ok(v),
            Err(rustls::Error::InvalidCertificate(_)) if self.is_the_host(server_name) => {
                Ok(ServerCertVerified::assertion())
            }
            Err(e) => Err(e),
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.inner.supported_verify_schemes()
    }
}

/// Refuses any URL that is not `https://` (call before attaching a password or token).
pub fn require_https(url: &url::Url) -> Result<(), NetError> {
    if url.scheme() == "https" {
        Ok(())
    } else {
        Err(NetError::NotHttps(format!(
            "{}://{}",
            url.scheme(),
            url.host_str().unwrap_or("")
        )))
    }
}

/// The shared client and its settings. Cheap to clone.
#[derive(Clone)]
pub struct Net {
    pub config: NetConfig,
    client: reqwest::Client,
}

impl Net {
    /// Builds the one client: OS trust store plus `--ca-file`, `--resolve` overrides, the
    /// one-host trust choice, timeouts, no automatic redirects (callers decide, per the
    /// Autodiscover rules).
    pub fn new(config: NetConfig) -> Result<Net, NetError> {
        install_crypto_provider();
        let real = root_verifier(&config)?;
        let verifier: Arc<dyn ServerCertVerifier> = match &config.ignore_trust_host {
            Some(h) if !h.trim().is_empty() => Arc::new(OneHostTrust::new(real, h)),
            _ => real,
        };
        let tls = client_config(verifier)?;
        let mut b = reqwest::Client::builder()
            .timeout(config.timeout)
            .connect_timeout(config.connect_timeout)
            .user_agent(concat!("moxi-setup/", env!("CARGO_PKG_VERSION")))
            .redirect(reqwest::redirect::Policy::none())
            .tls_backend_preconfigured(tls);
        // A host pinned to this machine (simulated tenant, a local test server) must never be
        // sent through a proxy from the environment.
        if config.resolve.iter().any(|(_, a)| a.ip().is_loopback()) {
            b = b.no_proxy();
        }
        for (host, addr) in &config.resolve {
            b = b.resolve(host, *addr);
        }
        let client = b.build().map_err(|e| NetError::Tls(e.to_string()))?;
        Ok(Net { config, client })
    }

    pub fn client(&self) -> &reqwest::Client {
        &self.client
    }

    /// The EWS URL for Exchange Online (`--ews-url` override or the global default).
    pub fn exchange_online_ews_url(&self) -> String {
        self.config
            .ews_url
            .clone()
            .unwrap_or_else(|| DEFAULT_EXO_EWS_URL.to_string())
    }
}

/// Exchange Online's EWS endpoint in the global cloud.
pub const DEFAULT_EXO_EWS_URL: &str = "https://outlook.office365.com/EWS/Exchange.asmx";

/// Installs rustls' ring provider once (reqwest is built without a default provider).
pub fn install_crypto_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    struct Server {
        addr: SocketAddr,
        ca_file: tempfile::NamedTempFile,
    }

    /// A loopback HTTPS server whose certificate (for `names`) is signed by a fresh CA.
    async fn server(names: &[&str]) -> Server {
        install_crypto_provider();
        let ca_key = rcgen::KeyPair::generate().unwrap();
        let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        let ca = ca_params.self_signed(&ca_key).unwrap();
        let issuer = rcgen::Issuer::new(ca_params, ca_key);
        let leaf_key = rcgen::KeyPair::generate().unwrap();
        let leaf =
            rcgen::CertificateParams::new(names.iter().map(|s| s.to_string()).collect::<Vec<_>>())
                .unwrap()
                .signed_by(&leaf_key, &issuer)
                .unwrap();
        let ca_file = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(ca_file.path(), ca.pem()).unwrap();
        let key = rustls_pki_types::PrivateKeyDer::try_from(leaf_key.serialize_der()).unwrap();
        let cfg = rustls::ServerConfig::builder()
            .with_no_client_auth()
            .with_single_cert(vec![leaf.der().clone()], key)
            .unwrap();
        let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(cfg));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            while let Ok((tcp, _)) = listener.accept().await {
                let acceptor = acceptor.clone();
                tokio::spawn(async move {
                    if let Ok(mut tls) = acceptor.accept(tcp).await {
                        let mut buf = [0u8; 4096];
                        let _ = tls.read(&mut buf).await;
                        let _ = tls
                            .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok")
                            .await;
                        let _ = tls.shutdown().await;
                    }
                });
            }
        });
        Server { addr, ca_file }
    }

    fn config(s: &Server, ca: bool, ignore: Option<&str>) -> NetConfig {
        NetConfig {
            ca_files: if ca {
                vec![s.ca_file.path().to_path_buf()]
            } else {
                vec![]
            },
            resolve: ["mail.contoso.example", "other.contoso.example"]
                .iter()
                .map(|h| (h.to_string(), s.addr))
                .collect(),
            ignore_trust_host: ignore.map(str::to_string),
            timeout: Duration::from_secs(20),
            ..NetConfig::default()
        }
    }

    async fn get(net: &Net, host: &str, port: u16) -> Result<String, reqwest::Error> {
        net.client()
            .get(format!("https://{host}:{port}/"))
            .send()
            .await?
            .text()
            .await
    }

    #[tokio::test]
    async fn trust_is_the_os_store_plus_ca_files_plus_one_chosen_host() {
        let s = server(&["mail.contoso.example", "other.contoso.example"]).await;
        let port = s.addr.port();

        // Unknown CA: refused.
        let net = Net::new(config(&s, false, None)).unwrap();
        assert!(get(&net, "mail.contoso.example", port).await.is_err());

        // The CA file makes it trusted.
        let net = Net::new(config(&s, true, None)).unwrap();
        assert_eq!(get(&net, "mail.contoso.example", port).await.unwrap(), "ok");

        // Ignoring trust for one host covers that host and no other.
        let net = Net::new(config(&s, false, Some("Mail.Contoso.Example"))).unwrap();
        assert_eq!(get(&net, "mail.contoso.example", port).await.unwrap(), "ok");
        assert!(get(&net, "other.contoso.example", port).await.is_err());
    }

    #[tokio::test]
    async fn ignore_trust_does_not_cover_a_name_mismatch_on_another_host() {
        // Certificate only for mail.*; "other" is resolved to the same server.
        let s = server(&["mail.contoso.example"]).await;
        let net = Net::new(config(&s, true, Some("mail.contoso.example"))).unwrap();
        assert!(
            get(&net, "other.contoso.example", s.addr.port())
                .await
                .is_err()
        );
    }

    #[tokio::test]
    async fn verifying_config_explains_the_refusal() {
        let s = server(&["mail.contoso.example"]).await;
        let cfg = verifying_tls_config(&config(&s, false, Some("mail.contoso.example"))).unwrap();
        let conn = tokio_rustls::TlsConnector::from(cfg);
        let tcp = tokio::net::TcpStream::connect(s.addr).await.unwrap();
        let name = ServerName::try_from("mail.contoso.example").unwrap();
        let err = conn.connect(name, tcp).await.unwrap_err();
        let inner = err
            .get_ref()
            .and_then(|e| e.downcast_ref::<rustls::Error>())
            .cloned();
        assert!(
            matches!(
                inner,
                Some(rustls::Error::InvalidCertificate(
                    rustls::CertificateError::UnknownIssuer
                ))
            ),
            "{inner:?}"
        );
    }

    #[test]
    fn ca_files_and_https_rule() {
        let f = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(f.path(), "not a pem").unwrap();
        assert!(matches!(
            load_ca_files(&[f.path().to_path_buf()]),
            Err(NetError::CaEmpty(_))
        ));
        assert!(matches!(
            load_ca_files(&[PathBuf::from("/nonexistent/ca.pem")]),
            Err(NetError::CaFile { .. })
        ));
        let http = url::Url::parse("http://mail.contoso.example/EWS/Exchange.asmx").unwrap();
        assert!(matches!(require_https(&http), Err(NetError::NotHttps(_))));
        let https = url::Url::parse("https://mail.contoso.example/EWS/Exchange.asmx").unwrap();
        assert!(require_https(&https).is_ok());
    }
}
