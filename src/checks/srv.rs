//! DNS SRV lookup for `_autodiscover._tcp.<domain>`, behind a trait so tests inject records and
//! never touch a real resolver. Owns only the lookup and the ordering rule (port 443 only,
//! lowest priority first, then highest weight); deciding whether a target may receive
//! credentials is `checks::autodiscover`'s job.

use futures::future::BoxFuture;
use std::time::Duration;

/// One SRV answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SrvRecord {
    pub priority: u16,
    pub weight: u16,
    pub port: u16,
    /// Target host, lowercase, without the trailing dot.
    pub target: String,
}

/// Why a lookup gave nothing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SrvError {
    #[error("no such record")]
    NotFound,
    #[error("the DNS lookup timed out")]
    Timeout,
    #[error("the DNS lookup failed: {0}")]
    Failed(String),
}

/// Looks up SRV records by full name (`_autodiscover._tcp.contoso.com`).
pub trait SrvResolver: Send + Sync {
    fn lookup<'a>(&'a self, name: &'a str) -> BoxFuture<'a, Result<Vec<SrvRecord>, SrvError>>;
}

/// The records Autodiscover may use, in the order to try them: port 443 only (the EWS Managed
/// API ignores others), lowest priority first, then highest weight, then name for stability.
pub fn usable_in_order(mut records: Vec<SrvRecord>) -> Vec<SrvRecord> {
    records.retain(|r| r.port == 443 && !r.target.is_empty() && r.target != ".");
    records.sort_by(|a, b| {
        a.priority
            .cmp(&b.priority)
            .then(b.weight.cmp(&a.weight))
            .then(a.target.cmp(&b.target))
    });
    records.dedup_by(|a, b| a.target == b.target);
    records
}

/// Fixed answers, for tests and the simulated tenant.
#[derive(Debug, Clone, Default)]
pub struct StaticSrv {
    pub records: Vec<(String, SrvRecord)>,
}

impl StaticSrv {
    pub fn none() -> StaticSrv {
        StaticSrv::default()
    }
    pub fn with(name: &str, records: Vec<SrvRecord>) -> StaticSrv {
        StaticSrv {
            records: records
                .into_iter()
                .map(|r| (name.to_ascii_lowercase(), r))
                .collect(),
        }
    }
}

impl SrvResolver for StaticSrv {
    fn lookup<'a>(&'a self, name: &'a str) -> BoxFuture<'a, Result<Vec<SrvRecord>, SrvError>> {
        let name = name.trim_end_matches('.').to_ascii_lowercase();
        let found: Vec<SrvRecord> = self
            .records
            .iter()
            .filter(|(n, _)| *n == name)
            .map(|(_, r)| r.clone())
            .collect();
        Box::pin(async move {
            if found.is_empty() {
                Err(SrvError::NotFound)
            } else {
                Ok(found)
            }
        })
    }
}

/// True for names under the special-use top-level domains of RFC 2606 / RFC 6761 (`.example`,
/// `.test`, `.invalid`, `.localhost`): they never exist in public DNS, so asking is pointless
/// and would only leak the name (the demo tenant lives under `.example`).
pub fn is_special_use(name: &str) -> bool {
    let n = name.trim_end_matches('.').to_ascii_lowercase();
    ["example", "test", "invalid", "localhost"]
        .iter()
        .any(|tld| n == *tld || n.ends_with(&format!(".{tld}")))
}

/// The production resolver: the system's DNS configuration through hickory-resolver.
pub struct SystemSrv {
    timeout: Duration,
}

impl SystemSrv {
    pub fn new(timeout: Duration) -> SystemSrv {
        SystemSrv { timeout }
    }
}

impl SrvResolver for SystemSrv {
    fn lookup<'a>(&'a self, name: &'a str) -> BoxFuture<'a, Result<Vec<SrvRecord>, SrvError>> {
        Box::pin(async move {
            if is_special_use(name) {
                return Err(SrvError::NotFound);
            }
            let resolver = hickory_resolver::TokioResolver::builder_tokio()
                .map_err(|e| SrvError::Failed(e.to_string()))?
                .build()
                .map_err(|e| SrvError::Failed(e.to_string()))?;
            let fqdn = format!("{}.", name.trim_end_matches('.'));
            let lookup = tokio::time::timeout(self.timeout, resolver.srv_lookup(fqdn))
                .await
                .map_err(|_| SrvError::Timeout)?;
            let lookup = match lookup {
                Ok(l) => l,
                Err(e) => {
                    let s = e.to_string();
                    // hickory reports "no records found" as an error; that is simply no SRV.
                    if s.to_ascii_lowercase().contains("no record") {
                        return Err(SrvError::NotFound);
                    }
                    return Err(SrvError::Failed(s));
                }
            };
            let mut out = Vec::new();
            for rec in lookup.answers() {
                if let hickory_resolver::proto::rr::RData::SRV(srv) = &rec.data {
                    out.push(SrvRecord {
                        priority: srv.priority,
                        weight: srv.weight,
                        port: srv.port,
                        target: srv
                            .target
                            .to_ascii()
                            .trim_end_matches('.')
                            .to_ascii_lowercase(),
                    });
                }
            }
            if out.is_empty() {
                Err(SrvError::NotFound)
            } else {
                Ok(out)
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(priority: u16, weight: u16, port: u16, target: &str) -> SrvRecord {
        SrvRecord {
            priority,
            weight,
            port,
            target: target.into(),
        }
    }

    #[test]
    fn ordering_keeps_port_443_by_priority_then_weight() {
        let got = usable_in_order(vec![
            r(10, 5, 443, "c.contoso.example"),
            r(0, 1, 443, "b.contoso.example"),
            r(0, 9, 443, "a.contoso.example"),
            r(0, 100, 80, "http.contoso.example"),
            r(5, 0, 443, "."),
        ]);
        let names: Vec<&str> = got.iter().map(|r| r.target.as_str()).collect();
        assert_eq!(
            names,
            [
                "a.contoso.example",
                "b.contoso.example",
                "c.contoso.example"
            ]
        );
    }

    #[test]
    fn special_use_names() {
        assert!(is_special_use("_autodiscover._tcp.contoso.example"));
        assert!(is_special_use("x.test."));
        assert!(!is_special_use("_autodiscover._tcp.contoso.com"));
    }
}
