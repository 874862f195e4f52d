//! Render benchmarks: one frame of every wizard page (start, both guides' screens, review,
//! export, demo picker, help overlay) drawn with `view` into ratatui's `TestBackend` at
//! 80×24, 120×40 and 200×50. Measures only; asserts nothing about time (CI may build it with
//! `cargo clippy --all-targets` but never needs to run it).
//!
//! Run: `cargo bench --bench render` (add `-- 120x40` to filter). Figures go to BENCHMARKS.md.

use moxi_setup::answers::{FieldId, Platform};
use moxi_setup::checks::{CheckId, CheckReport, Status};
use moxi_setup::tui::{CheckState, Guides, Msg, Overlay, StartChoice, UiOptions, Wizard};
use moxi_setup::tui::{update, view};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use secrecy::SecretString;
use std::collections::BTreeMap;
use std::fmt;

fn main() {
    divan::main();
}

const SIZES: [(u16, u16); 3] = [(80, 24), (120, 40), (200, 50)];

/// Which page of the wizard a case draws.
#[derive(Debug, Clone, Copy)]
enum What {
    Start,
    ThirdParty,
    DemoPicker,
    Screen(Platform, usize),
    Help(Platform),
    Review(Platform),
    Export(Platform),
}

#[derive(Debug, Clone, Copy)]
struct Case {
    what: What,
    width: u16,
    height: u16,
}

fn short(p: Platform) -> &'static str {
    match p {
        Platform::Microsoft365 => "m365",
        Platform::ExchangeServer => "ex",
    }
}

impl fmt::Display for Case {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let size = format!("{}x{}", self.width, self.height);
        match self.what {
            What::Start => write!(f, "{size}/start"),
            What::ThirdParty => write!(f, "{size}/third_party"),
            What::DemoPicker => write!(f, "{size}/demo_picker"),
            What::Screen(p, i) => write!(f, "{size}/{}_{:02}", short(p), i + 1),
            What::Help(p) => write!(f, "{size}/{}_help", short(p)),
            What::Review(p) => write!(f, "{size}/{}_review", short(p)),
            What::Export(p) => write!(f, "{size}/{}_export", short(p)),
        }
    }
}

fn guides() -> Guides {
    // The embedded guides are the product; a broken asset is a test failure elsewhere.
    Guides::embedded().unwrap_or_else(|e| panic!("embedded guides: {e}"))
}

/// A wizard on `platform` with the values an admin would have typed and every check passed,
/// so the checks panel is drawn as in a finished run.
fn filled(platform: Platform) -> Wizard {
    let (mut w, _) = Wizard::init(UiOptions::default(), guides(), None);
    let choice = match platform {
        Platform::Microsoft365 => StartChoice::Microsoft365,
        Platform::ExchangeServer => StartChoice::ExchangeServer,
    };
    update(&mut w, Msg::Start(choice));
    let (acct, test) = match platform {
        Platform::Microsoft365 => (
            "moxiengage@contoso.onmicrosoft.com",
            "agent@contoso.onmicrosoft.com",
        ),
        Platform::ExchangeServer => ("moxiengage@contoso.example", "agent@contoso.example"),
    };
    update(&mut w, Msg::SetText(FieldId::ServiceAccount, acct.into()));
    update(
        &mut w,
        Msg::SetSecret(
            FieldId::ServicePassword,
            SecretString::from("Bench-Passw0rd!"),
        ),
    );
    update(&mut w, Msg::SetText(FieldId::TestUser, test.into()));
    if platform == Platform::Microsoft365 {
        update(
            &mut w,
            Msg::SetText(FieldId::Tenant, "contoso.onmicrosoft.com".into()),
        );
        update(
            &mut w,
            Msg::SetText(
                FieldId::ClientId,
                "9b1c2d3e-4f50-4a6b-8c7d-1e2f3a4b5c6d".into(),
            ),
        );
    }
    for id in CheckId::for_platform(platform) {
        let r = CheckReport {
            id: *id,
            status: Status::Pass,
            code: String::new(),
            guide_step: None,
            summary: format!("{} passed.", id.label()),
            detail: String::new(),
            command: None,
            evidence: BTreeMap::new(),
            elapsed_ms: 104,
            finished_at: String::new(),
        };
        w.checks.insert(*id, CheckState::Done(r));
    }
    w
}

fn wizard_for(what: What) -> Wizard {
    match what {
        What::Start => Wizard::init(UiOptions::default(), guides(), None).0,
        What::ThirdParty => {
            let (mut w, _) = Wizard::init(UiOptions::default(), guides(), None);
            update(&mut w, Msg::Start(StartChoice::ThirdParty));
            w
        }
        What::DemoPicker => {
            let opts = UiOptions {
                demo: Some(String::new()),
                ..UiOptions::default()
            };
            Wizard::init(opts, guides(), None).0
        }
        What::Screen(p, i) => {
            let mut w = filled(p);
            update(&mut w, Msg::GoToScreen(i));
            w
        }
        What::Help(p) => {
            let mut w = filled(p);
            update(&mut w, Msg::GoToScreen(0));
            w.overlay = Overlay::Help;
            w
        }
        What::Review(p) => {
            let mut w = filled(p);
            update(&mut w, Msg::OpenReview);
            w
        }
        What::Export(p) => {
            let mut w = filled(p);
            update(&mut w, Msg::OpenReview);
            update(&mut w, Msg::Next);
            w
        }
    }
}

fn cases() -> Vec<Case> {
    let g = guides();
    let mut pages = vec![What::Start, What::ThirdParty, What::DemoPicker];
    for p in [Platform::Microsoft365, Platform::ExchangeServer] {
        pages.extend((0..g.get(p).screen_count()).map(|i| What::Screen(p, i)));
        pages.extend([What::Help(p), What::Review(p), What::Export(p)]);
    }
    SIZES
        .iter()
        .flat_map(|&(width, height)| {
            pages.iter().map(move |&what| Case {
                what,
                width,
                height,
            })
        })
        .collect()
}

/// A redraw of an unchanged page, as the runtime does after every message: `view` builds the
/// whole frame and the terminal diffs it against the previous one.
#[divan::bench(args = cases())]
fn frame(bencher: divan::Bencher, case: &Case) {
    let w = wizard_for(case.what);
    let mut term = Terminal::new(TestBackend::new(case.width, case.height))
        .unwrap_or_else(|e| panic!("terminal: {e}"));
    bencher.bench_local(|| {
        term.draw(|f| view(divan::black_box(&w), f))
            .map(|_| ())
            .unwrap_or_else(|e| panic!("draw: {e}"));
    });
}

/// The first paint of a page on a blank terminal: every cell is new and written out.
#[divan::bench(args = [(80u16, 24u16), (120, 40), (200, 50)])]
fn first_paint(bencher: divan::Bencher, size: (u16, u16)) {
    let w = wizard_for(What::Screen(Platform::Microsoft365, 0));
    bencher.bench_local(|| {
        let mut term = Terminal::new(TestBackend::new(size.0, size.1))
            .unwrap_or_else(|e| panic!("terminal: {e}"));
        term.draw(|f| view(divan::black_box(&w), f))
            .map(|_| ())
            .unwrap_or_else(|e| panic!("draw: {e}"));
    });
}
