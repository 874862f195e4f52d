//! The wizard's state (`Wizard`), what can happen to it (`Msg`) and what it asks the runtime to
//! do (`Effect`). Plain data: no I/O, no terminal. The full-screen and the plain front ends both
//! drive it through [`crate::tui::update`].

use crate::answers::{Answers, FieldId, Platform};
use crate::bundle::draft::{DRAFT_VERSION, Draft, DraftAnswers};
use crate::checks::{CheckId, CheckReport, Progress, Status};
use crate::guide::{Guide, Screen, Section};
use crossterm::event::KeyEvent;
use secrecy::SecretString;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use tui_input::Input;

/// The answer to the first question: where the office's email lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StartChoice {
    Microsoft365,
    ExchangeServer,
    ThirdParty,
    NoEmail,
}

impl StartChoice {
    pub const ALL: [StartChoice; 4] = [
        StartChoice::Microsoft365,
        StartChoice::ExchangeServer,
        StartChoice::ThirdParty,
        StartChoice::NoEmail,
    ];
}

/// Which page is showing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Page {
    /// "Continue where you left off?" (a draft was found and `--resume` was not given).
    Resume,
    /// `--open FILE.age`: the passphrase of the bundle to open (then the review).
    OpenBundle,
    /// `--demo` without a scenario: pick one.
    DemoPicker,
    /// The first question.
    Start,
    ThirdParty,
    NoEmail,
    /// A guide screen, by index in [`Guide::screens`] of the chosen platform.
    Screen(usize),
    Review,
    Export,
}

/// Where the keyboard is on a guide screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Focus {
    /// The n-th field of the screen.
    Field(usize),
    /// No field: letter keys are commands (copy, save, go to step…); Enter moves on.
    Actions,
}

/// A modal layer over the page.
#[derive(Debug, Clone, Default)]
pub enum Overlay {
    #[default]
    None,
    Help,
    /// "Go to step": the text typed so far.
    GoTo(Input),
    /// The full diagnosis of this screen's failed or warned checks, with the commands that
    /// fix them; scrolled by this many lines.
    Details(u16),
    /// This screen's whole PowerShell, larger than its panel; scrolled by this many lines.
    Script(u16),
}

/// What the checks panel shows for one check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CheckState {
    NotRun,
    Running,
    Done(CheckReport),
    /// The engine produced no report for it: never shown as a pass.
    NotAvailable,
    /// The result recorded in an opened bundle: not run on this computer yet, so it is shown
    /// as "from the bundle (date)" until the check runs again.
    Recorded(CheckReport),
}

impl CheckState {
    /// The report, live or recorded in an opened bundle.
    pub fn report(&self) -> Option<&CheckReport> {
        match self {
            CheckState::Done(r) | CheckState::Recorded(r) => Some(r),
            _ => None,
        }
    }
}

/// Opening a bundle given with `--open`: its passphrase is asked for, then it is decrypted
/// by the runtime (secrets from the first keystroke on).
#[derive(Debug, Clone)]
pub struct OpenState {
    /// The bundle file (made absolute before the wizard starts).
    pub path: PathBuf,
    pub passphrase: Option<SecretString>,
    /// The runtime is decrypting it.
    pub busy: bool,
    /// Why the last try did not open it.
    pub error: Option<OpenFailure>,
}

impl OpenState {
    pub fn new(path: PathBuf) -> OpenState {
        OpenState {
            path,
            passphrase: None,
            busy: false,
            error: None,
        }
    }

    /// The bundle cannot be opened at all: only "start without it" or quit are left.
    pub fn failed(&self) -> bool {
        matches!(self.error, Some(OpenFailure::CannotOpen(_)))
    }
}

/// Why a bundle did not open, as the wizard needs to tell the cases apart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OpenFailure {
    /// The passphrase does not open it (or none was typed): the admin is asked again.
    AskAgain(String),
    /// Damaged, not a bundle, made by a newer version, unreadable…: the message, and the
    /// choice to start the wizard without it.
    CannotOpen(String),
}

impl OpenFailure {
    pub fn message(&self) -> &str {
        match self {
            OpenFailure::AskAgain(m) | OpenFailure::CannotOpen(m) => m,
        }
    }
}

/// The bundle the answers came from (after `--open` succeeded).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenedBundle {
    pub path: PathBuf,
    /// When the bundle was made (RFC 3339, as recorded in it).
    pub created_at: String,
}

impl OpenedBundle {
    /// The day the bundle was made (`2026-03-02`), or what the bundle says when that is not a
    /// date.
    pub fn date(&self) -> String {
        time::OffsetDateTime::parse(
            &self.created_at,
            &time::format_description::well_known::Rfc3339,
        )
        .map(|t| t.date().to_string())
        .unwrap_or_else(|_| self.created_at.clone())
    }

    /// The bundle's file name: exporting again proposes it (and asks before replacing it).
    pub fn file_name(&self) -> Option<String> {
        self.path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
    }

    /// The folder the bundle is in: exporting again proposes it.
    pub fn folder(&self) -> PathBuf {
        self.path.parent().map(PathBuf::from).unwrap_or_default()
    }
}

/// The export step: the bundle passphrase typed twice (secrets from the first keystroke).
#[derive(Debug, Clone, Default)]
pub struct ExportState {
    pub passphrase: Option<SecretString>,
    pub confirm: Option<SecretString>,
    /// 0: passphrase, 1: confirmation, 2: folder.
    pub focus: usize,
    /// The folder the bundle goes to (the runtime fills in the data folder at start).
    pub folder: Input,
    /// A bundle with this name already exists there: waiting for "replace it?" (y/n).
    pub exists: Option<PathBuf>,
    pub error: Option<String>,
    /// A bundle is being written.
    pub busy: bool,
    /// Where the last bundle went.
    pub saved: Option<PathBuf>,
}

/// Options fixed for the whole run.
#[derive(Debug, Clone, Default)]
pub struct UiOptions {
    /// Reveal is disabled and a banner says so.
    pub screen_share: bool,
    /// NO_COLOR: meaning carried by glyphs and modifiers only (it always is; this drops colour).
    pub no_color: bool,
    /// `--demo`: `Some("")` asks for a scenario, `Some(name)` starts it.
    pub demo: Option<String>,
    /// `--resume`: continue the draft without asking.
    pub resume: bool,
    /// `--open FILE.age`: start by opening this bundle (an absolute path).
    pub open: Option<PathBuf>,
}

/// Both guides. Held by value so tests can use their own small guides.
#[derive(Debug, Clone)]
pub struct Guides {
    pub m365: Arc<Guide>,
    pub exchange: Arc<Guide>,
}

impl Guides {
    pub fn get(&self, p: Platform) -> &Guide {
        match p {
            Platform::Microsoft365 => &self.m365,
            Platform::ExchangeServer => &self.exchange,
        }
    }

    /// The guides embedded in the binary.
    pub fn embedded() -> Result<Guides, String> {
        let m = crate::guide::guide(Platform::Microsoft365).map_err(|e| e.to_string())?;
        let x = crate::guide::guide(Platform::ExchangeServer).map_err(|e| e.to_string())?;
        Ok(Guides {
            m365: Arc::new(m.clone()),
            exchange: Arc::new(x.clone()),
        })
    }
}

/// Everything the wizard knows. Fields are public so the plain front end and tests can read
/// them; change them only through [`crate::tui::update`].
#[derive(Debug, Clone)]
pub struct Wizard {
    pub opts: UiOptions,
    pub guides: Guides,
    pub page: Page,
    pub platform: Option<Platform>,
    pub answers: Answers,
    /// Edit buffers of the non-secret text fields (the password never lives in one).
    pub inputs: BTreeMap<FieldId, Input>,
    pub errors: BTreeMap<FieldId, String>,
    pub focus: Focus,
    /// The focused secret field shows its text (re-masked on any focus change).
    pub revealed: bool,
    pub checks: BTreeMap<CheckId, CheckState>,
    /// The check run whose results are awaited (older runs' messages are ignored).
    pub check_run: Option<u64>,
    pub next_run: u64,
    /// Latest progress note of the running checks ("trying https://…").
    pub check_note: Option<String>,
    /// The fields that must be valid before this screen's checks can start (empty when none).
    pub checks_blocked: Vec<FieldId>,
    pub spinner: usize,
    pub overlay: Overlay,
    /// One line of feedback under the page ("Saved to …").
    pub status: Option<String>,
    /// Cursor on list pages (start choices, demo picker, review).
    pub cursor: usize,
    /// Scroll offset of a screen's instructions.
    pub scroll: u16,
    /// A draft found at start, waiting for the admin's answer.
    pub pending_draft: Option<Draft>,
    /// The demo scenario running, once started.
    pub demo_scenario: Option<String>,
    /// The simulated tenant's scenario catalogue (for the demo picker and demo prefill).
    pub demo_scenarios: Vec<crate::sim::ScenarioInfo>,
    /// Where the last script was saved.
    pub saved_script: Option<PathBuf>,
    pub export: ExportState,
    /// `--open`: the bundle whose passphrase is being asked for (None once opened or given up).
    pub opening: Option<OpenState>,
    /// The bundle the answers were loaded from.
    pub opened: Option<OpenedBundle>,
    /// The OS keychain: whether there is one and whether "remember?" was asked.
    pub keychain: super::keychain::KeychainState,
    pub quit: bool,
}

/// Something that happened: a key, a paste, a result coming back, or (from the plain front
/// end) a semantic request.
#[derive(Debug, Clone)]
pub enum Msg {
    /// A key press (the runtime drops releases and repeats).
    Key(KeyEvent),
    /// Bracketed paste.
    Paste(String),
    Resize(u16, u16),
    /// Spinner tick; sent only while a check runs.
    Tick,
    /// Answer the first question.
    Start(StartChoice),
    /// Set a non-secret field's text (validated at once, as if the field was left).
    SetText(FieldId, String),
    /// Set the secret field (validated at once). The value stays secret from here on.
    SetSecret(FieldId, SecretString),
    /// Set a yes/no field.
    SetFlag(FieldId, bool),
    /// What Enter does: next field; from the last field, start the screen's checks (or the
    /// next screen when focus is already past the fields). The plain mode sends it per answer.
    Forward,
    /// Leave the screen forward (last screen → review → export).
    Next,
    /// Previous screen.
    Back,
    /// Jump to the screen that shows a guide step (`4.30` or `m365/4.30`).
    GoToStep(String),
    /// Jump to a screen by index.
    GoToScreen(usize),
    OpenReview,
    /// Run the current screen's checks now.
    RunChecks,
    /// Answer "continue where you left off?".
    ResumeDraft(bool),
    /// Choose a demo scenario.
    PickScenario(String),
    /// Try this passphrase on the bundle being opened (plain mode; the full-screen wizard
    /// types it into the page and presses Enter).
    OpenWith(SecretString),
    /// Give up the bundle that cannot be opened and start the wizard without it.
    StartWithoutBundle,
    /// The runtime decrypted the bundle, or why not.
    BundleOpened(Result<Box<crate::bundle::Submission>, OpenFailure>),
    Quit,
    /// Progress of check run `run`.
    CheckProgress {
        run: u64,
        progress: Progress,
    },
    /// Check run `run` finished with these reports.
    ChecksFinished {
        run: u64,
        reports: Vec<CheckReport>,
    },
    DraftSaved(Result<PathBuf, String>),
    ScriptSaved(Result<PathBuf, String>),
    /// The simulated tenant answered `--demo` (scenario name, or why not).
    DemoStarted(Result<String, String>),
    /// Set the bundle passphrase and its confirmation (plain mode), then export.
    Export {
        passphrase: SecretString,
        confirm: SecretString,
    },
    /// The bundle was written (where), or why not.
    Exported(Result<PathBuf, String>),
    /// The bundle was not written because this file already exists (the admin is asked).
    ExportExists(PathBuf),
    /// Answer "replace the existing bundle?".
    ReplaceBundle(bool),
    /// Save the plain-text support report (from the review page).
    SaveReport,
    /// The support report was saved (where), or why not.
    ReportSaved(Result<PathBuf, String>),
    /// The runtime opened the keychain at start: its name, or the notice to show once.
    KeychainReady {
        store: Option<String>,
        notice: Option<String>,
    },
    /// Answer "remember the password in the keychain?".
    RememberPassword(bool),
    /// The remembered password (None: nothing remembered for this account).
    PasswordLoaded(Option<SecretString>),
    /// The password was stored in the keychain, or why not.
    PasswordRemembered(Result<(), String>),
}

/// Something the runtime must do for the wizard.
#[derive(Debug, Clone)]
pub enum Effect {
    /// Write the non-secret draft (atomic, owner-only).
    SaveDraft(Draft),
    /// Run these checks with these answers; report as `CheckProgress` / `ChecksFinished`.
    RunChecks {
        run: u64,
        checks: Vec<CheckId>,
        answers: Answers,
    },
    /// The admin left the screen: stop run `run`.
    CancelChecks { run: u64 },
    /// Copy through OSC 52 (the text stays on screen: success cannot be observed).
    CopyToClipboard(String),
    /// Save a PowerShell script next to the draft under this file name.
    SaveScript { file_name: String, text: String },
    /// Start the simulated tenant with this scenario.
    StartDemo(String),
    /// Encrypt and write the bundle (off the UI thread: it takes about half a second).
    ExportBundle {
        answers: Answers,
        reports: Vec<CheckReport>,
        passphrase: SecretString,
        /// The folder typed on the export page (empty: the data folder). The file name is
        /// `bundle::default_file_name(domain, today)`.
        folder: PathBuf,
        /// `Refuse` unless the admin said yes to replacing an existing file.
        overwrite: crate::bundle::Overwrite,
        /// The name of the opened bundle, proposed again; None: the dated default name.
        file_name: Option<String>,
    },
    /// Decrypt the bundle at `path` (off the UI thread: scrypt takes about half a second);
    /// answer with `BundleOpened`.
    OpenBundle {
        path: PathBuf,
        passphrase: SecretString,
    },
    /// Write the support report (no secret in it) next to the draft under this file name;
    /// answer with `ReportSaved`.
    SaveReport { file_name: String, text: String },
    /// Read the remembered password under this key; answer with `PasswordLoaded`.
    LoadPassword { key: String },
    /// Remember this password under this key; answer with `PasswordRemembered`.
    StorePassword { key: String, secret: SecretString },
    /// Leave the program (the terminal is restored by the runtime).
    Quit,
}

fn opts_demo(o: &UiOptions) -> bool {
    o.demo.is_some()
}

impl Wizard {
    /// A fresh wizard. `draft` is a draft found on disk (offered, or applied with `--resume`).
    /// Returns the effects to run at start (starting the demo).
    pub fn init(opts: UiOptions, guides: Guides, draft: Option<Draft>) -> (Wizard, Vec<Effect>) {
        let opts_ref = opts.clone();
        let mut w = Wizard {
            opts,
            guides,
            page: Page::Start,
            platform: None,
            answers: Answers::default(),
            inputs: BTreeMap::new(),
            errors: BTreeMap::new(),
            focus: Focus::Actions,
            revealed: false,
            checks: BTreeMap::new(),
            check_run: None,
            next_run: 1,
            check_note: None,
            checks_blocked: Vec::new(),
            spinner: 0,
            overlay: Overlay::None,
            status: None,
            cursor: 0,
            scroll: 0,
            pending_draft: draft,
            demo_scenario: None,
            demo_scenarios: if opts_demo(&opts_ref) {
                crate::sim::scenarios()
            } else {
                Vec::new()
            },
            saved_script: None,
            export: ExportState::default(),
            opening: opts_ref.open.clone().map(OpenState::new),
            opened: None,
            keychain: Default::default(),
            quit: false,
        };
        let mut fx = Vec::new();
        match w.opts.demo.clone() {
            Some(s) if s.is_empty() => w.page = Page::DemoPicker,
            Some(s) => {
                fx.push(Effect::StartDemo(s));
                w.after_demo_choice();
            }
            None => w.after_demo_choice(),
        }
        (w, fx)
    }

    /// After the demo question: the bundle to open, the resume question, or straight in.
    pub(crate) fn after_demo_choice(&mut self) {
        self.cursor = 0;
        if self.opening.is_some() {
            self.page = Page::OpenBundle;
        } else if self.pending_draft.is_some() {
            if self.opts.resume {
                if let Some(d) = self.pending_draft.take() {
                    self.apply_draft(d);
                }
            } else {
                self.page = Page::Resume;
            }
        } else {
            self.page = Page::Start;
        }
    }

    /// The chosen platform's guide.
    pub fn guide(&self) -> Option<&Guide> {
        self.platform.map(|p| self.guides.get(p))
    }

    /// The current guide screen with its section.
    pub fn screen(&self) -> Option<(&Section, &Screen)> {
        match self.page {
            Page::Screen(i) => self.guide().and_then(|g| g.screens().nth(i)),
            _ => None,
        }
    }

    pub fn screen_count(&self) -> usize {
        self.guide().map(|g| g.screen_count()).unwrap_or(0)
    }

    /// The fields of the current screen.
    pub fn fields(&self) -> Vec<FieldId> {
        self.screen()
            .map(|(_, s)| s.fields.clone())
            .unwrap_or_default()
    }

    /// The field with the keyboard, if any.
    pub fn focused_field(&self) -> Option<FieldId> {
        match self.focus {
            Focus::Field(i) => self.fields().get(i).copied(),
            Focus::Actions => None,
        }
    }

    /// The checks of the current screen (unknown ids in the guide are ignored).
    pub fn screen_checks(&self) -> Vec<CheckId> {
        self.screen()
            .map(|(_, s)| s.checks.iter().filter_map(|c| CheckId::parse(c)).collect())
            .unwrap_or_default()
    }

    /// This screen's failed or warned checks (live or recorded), in the panel's order.
    pub fn screen_problems(&self) -> Vec<&CheckReport> {
        self.screen_checks()
            .into_iter()
            .filter_map(|id| self.check_state(id).report())
            .filter(|r| matches!(r.status, Status::Fail | Status::Warn))
            .collect()
    }

    pub fn check_state(&self, id: CheckId) -> &CheckState {
        self.checks.get(&id).unwrap_or(&CheckState::NotRun)
    }

    /// True while a spinner shows (the runtime ticks only then).
    pub fn needs_tick(&self) -> bool {
        self.checks.values().any(|c| *c == CheckState::Running)
            || self.opening.as_ref().is_some_and(|o| o.busy)
    }

    /// The shown text of a non-secret field.
    pub fn field_text(&self, f: FieldId) -> String {
        match self.inputs.get(&f) {
            Some(i) => i.value().to_string(),
            None => self.answers.text(f).unwrap_or_default().to_string(),
        }
    }

    /// The non-secret draft of the current state.
    pub fn draft(&self) -> Draft {
        let screen = match self.page {
            Page::Screen(_) => self.screen().map(|(_, s)| s.id.clone()).unwrap_or_default(),
            Page::Review => "review".into(),
            Page::Export => "export".into(),
            _ => String::new(),
        };
        Draft {
            version: DRAFT_VERSION,
            platform: self.platform,
            screen,
            answers: DraftAnswers::from_answers(&self.answers),
            // Results recorded in an opened bundle stay out: the draft cannot say where a
            // result came from, so on resume they would look like this computer's own.
            checks: self
                .checks
                .values()
                .filter_map(|c| match c {
                    CheckState::Done(r) => Some(r.clone()),
                    _ => None,
                })
                .collect(),
        }
    }

    /// Continues a saved draft: answers, check results and the screen.
    pub fn apply_draft(&mut self, d: Draft) {
        d.answers.apply_to(&mut self.answers);
        self.inputs.clear();
        self.errors.clear();
        self.checks = d
            .checks
            .into_iter()
            .map(|r| (r.id, CheckState::Done(r)))
            .collect();
        self.platform = d.platform;
        self.answers.platform = d.platform;
        self.page = Page::Start;
        self.focus = Focus::Actions;
        if let Some(g) = self.guide() {
            let idx = g.screens().position(|(_, s)| s.id == d.screen);
            let count = g.screen_count();
            self.page = match (idx, d.screen.as_str()) {
                (Some(i), _) => Page::Screen(i),
                (None, "review") => Page::Review,
                (None, "export") => Page::Export,
                _ if count > 0 => Page::Screen(0),
                _ => Page::Start,
            };
        }
        self.focus = if self.fields().is_empty() {
            Focus::Actions
        } else {
            Focus::Field(0)
        };
    }
}
