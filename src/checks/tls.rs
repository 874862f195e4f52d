//! The `ex.tls` probe: one TLS handshake with the EWS host, verified against the OS trust store
//! plus `--ca-file`, that says exactly why a certificate is refused (self-signed, expired, wrong
//! name, unknown authority) and records the certificate's subject and issuer as evidence.
//!
//! Sends nothing after the handshake (no credentials, no HTTP). Whether the admin may ignore
//! trust for a host is decided by `checks::exchange`, never here.

use crate::net::NetConfig;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, DigitallySignedStruct, SignatureScheme};
use std::fmt;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Why a certificate is not trusted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TlsProblem {
    SelfSigned,
    Expired,
    NameMismatch,
    UnknownCa,
    /// The server did not answer in TLS at all (plain HTTP or another protocol on that port):
    /// no certificate to trust or ignore.
    NotTls,
    /// Anything else rustls refuses (bad signature, revoked, not yet valid…), with its words.
    Other(String),
}

impl TlsProblem {
    /// Our code for the report (ARCHITECTURE.md).
    pub fn code(&self) -> &'static str {
        match self {
            TlsProblem::Expired => "TLS-EXPIRED",
            TlsProblem::NameMismatch => "TLS-NAME-MISMATCH",
            TlsProblem::NotTls => "TLS-ERROR",
            TlsProblem::SelfSigned | TlsProblem::UnknownCa | TlsProblem::Other(_) => {
                "TLS-UNTRUSTED"
            }
        }
    }

    /// A short key for evidence and the diagnosis text table.
    pub fn key(&self) -> &'static str {
        match self {
            TlsProblem::SelfSigned => "self-signed",
            TlsProblem::Expired => "expired",
            TlsProblem::NameMismatch => "wrong-name",
            TlsProblem::UnknownCa => "unknown-ca",
            TlsProblem::NotTls => "not-tls",
            TlsProblem::Other(_) => "other",
        }
    }

    /// Maps rustls' verdict; `self_signed` refines "unknown issuer".
    pub fn from_rustls(e: &rustls::Error, self_signed: bool) -> TlsProblem {
        match e {
            rustls::Error::InvalidCertificate(c) => match c {
                CertificateError::Expired | CertificateError::ExpiredContext { .. } => {
                    TlsProblem::Expired
                }
                CertificateError::NotValidForName
                | CertificateError::NotValidForNameContext { .. } => TlsProblem::NameMismatch,
                CertificateError::UnknownIssuer if self_signed => TlsProblem::SelfSigned,
                CertificateError::UnknownIssuer => TlsProblem::UnknownCa,
                other => TlsProblem::Other(format!("{other:?}")),
            },
            rustls::Error::InvalidMessage(_) => TlsProblem::NotTls,
            other => TlsProblem::Other(other.to_string()),
        }
    }
}

impl fmt::Display for TlsProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TlsProblem::Other(s) => write!(f, "{}: {s}", self.key()),
            _ => f.write_str(self.key()),
        }
    }
}

/// What the certificate says about itself (evidence only).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CertInfo {
    pub subject: String,
    pub issuer: String,
    pub not_after: String,
    pub self_signed: bool,
}

impl CertInfo {
    pub fn from_der(der: &[u8]) -> Option<CertInfo> {
        let (_, cert) = x509_parser::parse_x509_certificate(der).ok()?;
        let subject = cert.subject().to_string();
        let issuer = cert.issuer().to_string();
        Some(CertInfo {
            self_signed: cert.subject().as_raw() == cert.issuer().as_raw(),
            subject,
            issuer,
            not_after: cert
                .validity()
                .not_after
                .to_rfc2822()
                .unwrap_or_else(|_| cert.validity().not_after.to_string()),
        })
    }
}

/// The result of one handshake.
#[derive(Debug, Clone)]
pub struct Probe {
    pub host: String,
    pub verdict: Result<(), TlsProblem>,
    pub cert: Option<CertInfo>,
}

/// Why no handshake happened at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProbeError {
    #[error("the name does not resolve")]
    Dns,
    #[error("the connection was refused")]
    Refused,
    #[error("timed out")]
    Timeout,
    #[error("{0}")]
    Other(String),
}

/// Delegates verification and remembers the end-entity certificate it was shown.
#[derive(Debug)]
struct Capture {
    inner: Arc<dyn ServerCertVerifier>,
    seen: Mutex<Option<Vec<u8>>>,
}

impl ServerCertVerifier for Capture {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        if let Ok(mut s) = self.seen.lock() {
            *s = Some(end_entity.as_ref().to_vec());
        }
        self.inner
            .verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
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

/// Where to connect for `host:port`, honouring `--resolve` (its port wins unless the URL named
/// one, the same rule the HTTP client follows).
pub async fn address_for(
    config: &NetConfig,
    host: &str,
    port: u16,
    explicit_port: bool,
) -> Result<SocketAddr, ProbeError> {
    let h = host.to_ascii_lowercase();
    if let Some((_, addr)) = config.resolve.iter().find(|(n, _)| *n == h) {
        let mut a = *addr;
        if explicit_port || a.port() == 0 {
            a.set_port(port);
        }
        return Ok(a);
    }
    let mut it = tokio::net::lookup_host((host, port))
        .await
        .map_err(|_| ProbeError::Dns)?;
    it.next().ok_or(ProbeError::Dns)
}

/// One verified handshake with `host`.
pub async fn probe(
    config: &NetConfig,
    host: &str,
    port: u16,
    explicit_port: bool,
    timeout: Duration,
) -> Result<Probe, ProbeError> {
    let addr = tokio::time::timeout(timeout, address_for(config, host, port, explicit_port))
        .await
        .map_err(|_| ProbeError::Timeout)??;
    let capture = Arc::new(Capture {
        inner: crate::net::root_verifier(config).map_err(|e| ProbeError::Other(e.to_string()))?,
        seen: Mutex::new(None),
    });
    let tls = rustls::ClientConfig::builder()
        .dangerous()
        .with_custom_certificate_verifier(capture.clone())
        .with_no_client_auth();
    let name =
        ServerName::try_from(host.to_string()).map_err(|e| ProbeError::Other(e.to_string()))?;
    let connector = tokio_rustls::TlsConnector::from(Arc::new(tls));
    let work = async {
        let tcp = tokio::net::TcpStream::connect(addr).await.map_err(|e| {
            if e.kind() == std::io::ErrorKind::ConnectionRefused {
                ProbeError::Refused
            } else {
                ProbeError::Other(e.to_string())
            }
        })?;
        Ok::<_, ProbeError>(connector.connect(name, tcp).await)
    };
    let hs = tokio::time::timeout(timeout, work)
        .await
        .map_err(|_| ProbeError::Timeout)??;
    let cert = capture
        .seen
        .lock()
        .ok()
        .and_then(|s| s.clone())
        .and_then(|d| CertInfo::from_der(&d));
    let self_signed = cert.as_ref().is_some_and(|c| c.self_signed);
    let verdict = match hs {
        Ok(_stream) => Ok(()),
        Err(e) => {
            let problem = e
                .get_ref()
                .and_then(|inner| inner.downcast_ref::<rustls::Error>())
                .map(|re| TlsProblem::from_rustls(re, self_signed));
            match problem {
                Some(p) => Err(p),
                // No certificate was ever offered: not a trust problem but a broken server.
                None if cert.is_none() => return Err(ProbeError::Other(e.to_string())),
                None => Err(TlsProblem::Other(e.to_string())),
            }
        }
    };
    Ok(Probe {
        host: host.to_string(),
        verdict,
        cert,
    })
}

/// Finds a TLS verdict inside a reqwest error chain (for requests that failed on trust).
pub fn problem_in(err: &(dyn std::error::Error + 'static)) -> Option<TlsProblem> {
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(e) = cur {
        if let Some(re) = e.downcast_ref::<rustls::Error>() {
            return Some(TlsProblem::from_rustls(re, false));
        }
        if let Some(io) = e.downcast_ref::<std::io::Error>()
            && let Some(inner) = io.get_ref()
            && let Some(re) = inner.downcast_ref::<rustls::Error>()
        {
            return Some(TlsProblem::from_rustls(re, false));
        }
        cur = e.source();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes() {
        let e = rustls::Error::InvalidCertificate(CertificateError::UnknownIssuer);
        assert_eq!(TlsProblem::from_rustls(&e, true), TlsProblem::SelfSigned);
        assert_eq!(TlsProblem::from_rustls(&e, false), TlsProblem::UnknownCa);
        assert_eq!(TlsProblem::SelfSigned.code(), "TLS-UNTRUSTED");
        let e = rustls::Error::InvalidCertificate(CertificateError::Expired);
        assert_eq!(TlsProblem::from_rustls(&e, false).code(), "TLS-EXPIRED");
        let e = rustls::Error::InvalidCertificate(CertificateError::NotValidForName);
        assert_eq!(
            TlsProblem::from_rustls(&e, false).code(),
            "TLS-NAME-MISMATCH"
        );
        let e = rustls::Error::InvalidMessage(rustls::InvalidMessage::InvalidContentType);
        assert_eq!(TlsProblem::from_rustls(&e, false), TlsProblem::NotTls);
        assert_eq!(TlsProblem::NotTls.code(), "TLS-ERROR");
    }
}
