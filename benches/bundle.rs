//! Bundle benchmarks at the real scrypt work factor (`bundle::WORK_FACTOR`, 2^18): export
//! (encrypt, armor, atomic owner-only write) and open (read, decrypt, parse) of a Microsoft 365
//! submission with a full set of passed reports. Measures only; asserts nothing about time.
//!
//! Run: `cargo bench --bench bundle`. Figures go to BENCHMARKS.md.

use moxi_setup::answers::{Answers, Platform};
use moxi_setup::bundle::atomic::Overwrite;
use moxi_setup::bundle::{Submission, WORK_FACTOR, read_bundle, write_bundle};
use moxi_setup::checks::{CheckId, CheckReport, Status};
use secrecy::SecretString;
use std::collections::BTreeMap;

fn main() {
    divan::main();
}

fn passphrase() -> SecretString {
    SecretString::from("correct horse battery staple 42")
}

fn submission() -> Submission {
    let answers = Answers {
        platform: Some(Platform::Microsoft365),
        service_account: "moxiengage@contoso.onmicrosoft.com".into(),
        service_password: Some(SecretString::from("Bench-Passw0rd!")),
        test_user: "agent@contoso.onmicrosoft.com".into(),
        tenant: "contoso.onmicrosoft.com".into(),
        client_id: "9b1c2d3e-4f50-4a6b-8c7d-1e2f3a4b5c6d".into(),
        ..Answers::default()
    };
    let reports: Vec<CheckReport> = CheckId::M365
        .iter()
        .map(|id| CheckReport {
            id: *id,
            status: Status::Pass,
            code: String::new(),
            guide_step: None,
            summary: format!("{} passed.", id.label()),
            detail: String::new(),
            command: None,
            evidence: BTreeMap::from([("trace_id".into(), "0f1e2d3c".into())]),
            elapsed_ms: 104,
            finished_at: "2026-12-01T23:00:00Z".into(),
        })
        .collect();
    Submission::new(&answers, &reports).unwrap_or_else(|e| panic!("submission: {e}"))
}

/// Export: what the wizard's last page does when the admin presses Save.
#[divan::bench(sample_count = 10, sample_size = 1)]
fn export(bencher: divan::Bencher) {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    let path = dir.path().join("bench.age");
    let s = submission();
    let p = passphrase();
    bencher.bench_local(|| {
        write_bundle(&path, &s, &p, WORK_FACTOR, Overwrite::Replace)
            .unwrap_or_else(|e| panic!("write: {e}"));
    });
}

/// Open: what staff (and `moxi-setup bundle open`) do with a received bundle.
#[divan::bench(sample_count = 10, sample_size = 1)]
fn open(bencher: divan::Bencher) {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    let path = dir.path().join("bench.age");
    let p = passphrase();
    write_bundle(&path, &submission(), &p, WORK_FACTOR, Overwrite::Replace)
        .unwrap_or_else(|e| panic!("write: {e}"));
    bencher.bench_local(|| {
        divan::black_box(read_bundle(&path, &p).unwrap_or_else(|e| panic!("read: {e}")));
    });
}
