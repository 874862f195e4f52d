//! Text made from a bundle or from the answers: the default bundle file name, the summary that
//! `bundle open` and the export step show (secrets masked unless revealed on purpose), and the
//! plain-text support report. Must not put a secret in anything but a [`Reveal::Yes`] summary.

use super::text::{t, tf};
use super::{Submission, check_outcome};
use crate::answers::{Answers, FieldId, Platform};
use crate::checks::{CheckReport, Status};
use secrecy::ExposeSecret;
use std::fmt::Write as _;

/// `moxiengage-<domain>-<yyyy-mm-dd>.age`. The domain is reduced to characters that are safe
/// in a file name on every system.
pub fn default_file_name(domain: &str, date: time::Date) -> String {
    let domain: String = domain
        .trim()
        .to_ascii_lowercase()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                c
            } else {
                '-'
            }
        })
        .collect();
    let domain = domain.trim_matches(|c| c == '.' || c == '-');
    let domain = if domain.is_empty() { "bundle" } else { domain };
    format!(
        "moxiengage-{domain}-{:04}-{:02}-{:02}.age",
        date.year(),
        u8::from(date.month()),
        date.day()
    )
}

/// Whether a summary shows secrets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reveal {
    /// Secrets are masked (the default everywhere).
    No,
    /// Secrets shown: only for an explicit `--reveal` on a terminal, never in screen-share mode.
    Yes,
}

fn line(out: &mut String, label: &str, value: &str) {
    let _ = writeln!(out, "  {label:<34} {value}");
}

fn check_lines(out: &mut String, reports: &[CheckReport]) {
    if reports.is_empty() {
        let _ = writeln!(out, "  {}", t("report.not_run"));
        return;
    }
    for r in reports {
        let code = if r.code.is_empty() {
            String::new()
        } else {
            format!(" [{}]", r.code)
        };
        let step = r
            .guide_step
            .map(|s| format!(" (guide step {s})"))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "  {:<5} {:<28} {}{code}{step}",
            r.status.as_str().to_uppercase(),
            r.id.as_str(),
            r.summary
        );
        if !r.detail.is_empty() && r.status != Status::Pass {
            for l in r.detail.lines() {
                let _ = writeln!(out, "        {l}");
            }
        }
        if !r.evidence.is_empty() {
            let facts: Vec<String> = r.evidence.iter().map(|(k, v)| format!("{k}={v}")).collect();
            let _ = writeln!(out, "        {}", facts.join(", "));
        }
    }
}

fn none_if_empty(v: &str) -> &str {
    if v.trim().is_empty() {
        t("summary.none")
    } else {
        v
    }
}

/// The summary of a bundle: what it holds, and what its checks said when it was made. With
/// [`Reveal::No`] (the default) the password is a fixed row of dots that does not even give
/// away its length.
pub fn summary(s: &Submission, reveal: Reveal) -> String {
    let mut out = String::new();
    let a = &s.answers;
    let _ = writeln!(out, "{}", t("summary.title"));
    line(&mut out, t("summary.created"), &s.created_at);
    line(
        &mut out,
        t("summary.tool"),
        &format!("moxi-setup {}", s.tool_version),
    );
    line(&mut out, t("summary.os"), none_if_empty(&s.os));
    line(&mut out, t("summary.format"), &s.format_version.to_string());
    line(&mut out, t("summary.platform"), s.platform.as_str());
    line(
        &mut out,
        t("summary.service_account"),
        none_if_empty(&a.service_account),
    );
    let password = match (&a.service_password, reveal) {
        (None, _) => t("summary.password_missing").to_string(),
        (Some(_), Reveal::No) => t("summary.password_hidden").to_string(),
        (Some(p), Reveal::Yes) => p.expose_secret().to_string(),
    };
    line(&mut out, t("summary.password"), &password);
    line(
        &mut out,
        t("summary.test_user"),
        none_if_empty(&a.test_user),
    );
    if s.platform == Platform::Microsoft365 {
        line(&mut out, t("summary.tenant"), none_if_empty(&a.tenant));
        line(
            &mut out,
            t("summary.tenant_id"),
            a.tenant_id.as_deref().unwrap_or(t("summary.none")),
        );
        line(
            &mut out,
            t("summary.client_id"),
            none_if_empty(&a.client_id),
        );
    }
    line(
        &mut out,
        t("summary.ews_url"),
        a.ews_url.as_deref().unwrap_or(t("summary.none")),
    );
    let how = match &a.ews_url_found_by {
        Some(by) if a.ews_url_source != super::EwsUrlSource::Typed => {
            format!("{} ({by})", t(a.ews_url_source.text_key()))
        }
        _ => t(a.ews_url_source.text_key()).to_string(),
    };
    line(&mut out, t("summary.ews_source"), &how);
    let trust = match &a.trust.ignored_tls_host {
        Some(h) if a.trust.ignore_tls_trust => tf("summary.trust_ignored", &[("host", h)]),
        _ => t("summary.trust_normal").to_string(),
    };
    line(&mut out, t("summary.trust"), &trust);
    if let Some(h) = &a.trust.allowed_outside_host {
        line(
            &mut out,
            t("summary.outside_host"),
            &tf("summary.outside_host_allowed", &[("host", h)]),
        );
    }
    let _ = writeln!(out);
    let outcome = s.check_outcome();
    let verdict = if s.checks.is_empty() {
        t("summary.not_run").to_string()
    } else if !outcome.failed.is_empty() {
        tf(
            "summary.failed",
            &[("count", &outcome.failed.len().to_string())],
        )
    } else if outcome.overall == Status::Pass {
        t("summary.all_passed").to_string()
    } else {
        t("summary.warned").to_string()
    };
    let _ = writeln!(out, "{verdict}");
    let _ = writeln!(out, "{}:", t("summary.checks"));
    check_lines(&mut out, &s.checks);
    if reveal == Reveal::Yes {
        let _ = writeln!(out);
        let _ = writeln!(out, "{}", t("summary.revealed"));
    }
    out
}

/// A plain-text report with every non-secret answer, every check result and the tool version,
/// safe to send to support or show on a shared screen: the password is never in it, only
/// whether one was typed.
pub fn support_report(answers: &Answers, reports: &[CheckReport]) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{}", t("report.title"));
    let _ = writeln!(out, "{}", t("report.safe"));
    let _ = writeln!(out);
    line(&mut out, t("report.generated"), &super::now_rfc3339());
    line(
        &mut out,
        t("summary.tool"),
        &format!("moxi-setup {}", env!("CARGO_PKG_VERSION")),
    );
    line(
        &mut out,
        t("summary.os"),
        &format!("{}-{}", std::env::consts::OS, std::env::consts::ARCH),
    );
    let _ = writeln!(out);
    let _ = writeln!(out, "{}:", t("report.answers"));
    line(
        &mut out,
        t("summary.platform"),
        answers
            .platform
            .map(Platform::as_str)
            .unwrap_or(t("summary.none")),
    );
    for field in FieldId::ALL {
        match field {
            FieldId::ServicePassword => {
                let v = if answers.service_password.is_some() {
                    t("report.password_present")
                } else {
                    t("report.password_absent")
                };
                line(&mut out, t("report.password"), v);
            }
            FieldId::IgnoreTlsTrust => {
                line(
                    &mut out,
                    FieldId::IgnoreTlsTrust.as_str(),
                    if answers.ignore_tls_trust {
                        "yes"
                    } else {
                        "no"
                    },
                );
            }
            f => line(
                &mut out,
                f.as_str(),
                none_if_empty(answers.text(f).unwrap_or("")),
            ),
        }
    }
    let _ = writeln!(out);
    let _ = writeln!(out, "{}:", t("report.checks"));
    check_lines(&mut out, reports);
    if let Some(p) = answers.platform {
        let o = check_outcome(p, reports);
        let _ = writeln!(out);
        line(&mut out, t("report.overall"), o.overall.as_str());
    }
    out
}
