//! The simulator's certificates: a CA generated at start, one CA-signed leaf for every
//! simulated host, and the deliberately bad certificates (self-signed, expired, wrong name)
//! a scenario presents for one host, chosen by SNI. Must never be used outside the sim.

use super::scenario::CertKind;
use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyPair, KeyUsagePurpose,
};
use rustls::crypto::ring::sign::any_supported_type;
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;
use rustls_pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use std::collections::HashMap;
use std::sync::Arc;
use time::{Duration, OffsetDateTime};

/// The CA and the per-host certificates.
pub struct Pki {
    pub ca_pem: String,
    by_host: HashMap<String, Arc<CertifiedKey>>,
    default: Arc<CertifiedKey>,
}

impl std::fmt::Debug for Pki {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pki")
            .field("hosts", &self.by_host.keys())
            .finish()
    }
}

fn certified(cert: CertificateDer<'static>, key: &KeyPair) -> Result<Arc<CertifiedKey>, String> {
    let der = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der()));
    let signer = any_supported_type(&der).map_err(|e| e.to_string())?;
    Ok(Arc::new(CertifiedKey::new(vec![cert], signer)))
}

fn leaf_params(names: Vec<String>, cn: &str) -> Result<CertificateParams, String> {
    let mut p = CertificateParams::new(names).map_err(|e| e.to_string())?;
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, cn);
    p.distinguished_name = dn;
    let now = OffsetDateTime::now_utc();
    p.not_before = now - Duration::days(1);
    p.not_after = now + Duration::days(30);
    p.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    p.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    Ok(p)
}

impl Pki {
    /// Generates the CA and leaves. `bad` names the host that gets the scenario's bad
    /// certificate instead of a good one.
    pub fn generate(hosts: &[String], bad: Option<(&str, CertKind)>) -> Result<Pki, String> {
        let ca_key = KeyPair::generate().map_err(|e| e.to_string())?;
        let mut ca = CertificateParams::default();
        let mut dn = DistinguishedName::new();
        dn.push(
            DnType::CommonName,
            "moxi-setup simulated tenant CA (demo and tests only)",
        );
        dn.push(DnType::OrganizationName, "moxi-setup simulator");
        ca.distinguished_name = dn;
        ca.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
        ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let now = OffsetDateTime::now_utc();
        ca.not_before = now - Duration::days(2);
        ca.not_after = now + Duration::days(60);
        let ca_cert = ca.self_signed(&ca_key).map_err(|e| e.to_string())?;
        let ca_pem = ca_cert.pem();
        let issuer = Issuer::new(ca, ca_key);

        let leaf_key = KeyPair::generate().map_err(|e| e.to_string())?;
        let mut by_host = HashMap::new();
        let mut default = None;
        for host in hosts {
            let host = host.to_ascii_lowercase();
            let kind = match bad {
                Some((h, k)) if h.eq_ignore_ascii_case(&host) => k,
                _ => CertKind::Good,
            };
            let ck = match kind {
                CertKind::Good => {
                    let p = leaf_params(vec![host.clone()], &host)?;
                    let c = p.signed_by(&leaf_key, &issuer).map_err(|e| e.to_string())?;
                    certified(c.der().clone(), &leaf_key)?
                }
                CertKind::Expired => {
                    let mut p = leaf_params(vec![host.clone()], &host)?;
                    p.not_before = now - Duration::days(800);
                    p.not_after = now - Duration::days(35);
                    let c = p.signed_by(&leaf_key, &issuer).map_err(|e| e.to_string())?;
                    certified(c.der().clone(), &leaf_key)?
                }
                CertKind::WrongName => {
                    // Signed by the trusted CA, but made out to the server's internal name.
                    let p =
                        leaf_params(vec!["exch01.contoso.local".into()], "exch01.contoso.local")?;
                    let c = p.signed_by(&leaf_key, &issuer).map_err(|e| e.to_string())?;
                    certified(c.der().clone(), &leaf_key)?
                }
                CertKind::SelfSigned => {
                    // What Exchange setup creates: self-signed, CN = server name, host SANs.
                    let own = KeyPair::generate().map_err(|e| e.to_string())?;
                    let mut p = leaf_params(vec![host.clone(), "exch01".into()], "exch01")?;
                    p.not_after = now + Duration::days(365 * 5);
                    let c = p.self_signed(&own).map_err(|e| e.to_string())?;
                    certified(c.der().clone(), &own)?
                }
            };
            if default.is_none() && kind == CertKind::Good {
                default = Some(ck.clone());
            }
            by_host.insert(host, ck);
        }
        let default = match default {
            Some(d) => d,
            None => {
                let p = leaf_params(vec!["localhost".into()], "localhost")?;
                let c = p.signed_by(&leaf_key, &issuer).map_err(|e| e.to_string())?;
                certified(c.der().clone(), &leaf_key)?
            }
        };
        Ok(Pki {
            ca_pem,
            by_host,
            default,
        })
    }
}

impl ResolvesServerCert for Pki {
    fn resolve(&self, hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        match hello.server_name() {
            Some(name) => Some(
                self.by_host
                    .get(&name.to_ascii_lowercase())
                    .cloned()
                    .unwrap_or_else(|| self.default.clone()),
            ),
            None => Some(self.default.clone()),
        }
    }
}
