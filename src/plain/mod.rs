//! Accessible plain mode: the same wizard as numbered line prompts for screen readers, dumb
//! terminals and pipes. It drives the very same [`crate::tui::update`] and guide assets as the
//! full-screen wizard (so steps, numbers, validation, checks and diagnoses are identical) and
//! runs its effects itself, one at a time: a check run is waited for before the next question.
//!
//! Must not move the cursor, use the alternate screen, animate or colour anything, and must never
//! read a secret from piped input: from a pipe, the password comes only from
//! `MOXI_SETUP_PASSWORD` and the bundle passphrase only from `MOXI_SETUP_PASSPHRASE`.

mod console;
mod progress;
pub mod render;
pub mod texts;

pub use console::{Answer, Console};
pub use progress::CheckPrinter;

use crate::answers::{Answers, FieldId, FieldKind, parse_yes_no};
use crate::bundle::{self, BundleError, Overwrite, Reveal, Submission, atomic, draft};
use crate::checks::{self, CheckId, CheckReport, Progress};
use crate::cli::WizardOptions;
use crate::paths::Dirs;
use crate::tui::texts::texts;
use crate::tui::update::{ReviewItem, review_items};
use crate::tui::{Effect, Guides, Msg, OpenFailure, Page, StartChoice, UiOptions, Wizard, update};
use render::prompt;
use secrecy::{ExposeSecret, SecretString};
use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;
use texts::{t, tf};
use tokio::sync::mpsc::unbounded_channel;
use tokio_util::sync::CancellationToken;

/// The environment variable a piped run takes the service account password from.
pub const PASSWORD_ENV: &str = "MOXI_SETUP_PASSWORD";
/// The environment variable a piped run takes the bundle passphrase from.
pub const PASSPHRASE_ENV: &str = "MOXI_SETUP_PASSPHRASE";

/// Words typed at any question that are commands, not answers.
const COMMANDS: &[&str] = &[
    "back", "help", "?", "review", "quit", "exit", "show", "checks",
];

/// Runs the wizard as line prompts on stdin/stdout until the admin quits, input ends or the
/// bundle is exported.
pub fn run(opts: WizardOptions, dirs: Dirs) -> ExitCode {
    let stdin_tty = std::io::stdin().is_terminal();
    let mut con = Console::stdio(stdin_tty);
    let guides = match Guides::embedded() {
        Ok(g) => g,
        Err(e) => {
            eprintln!("moxi-setup: the built-in guide is damaged: {e}");
            return ExitCode::from(crate::cli::EXIT_USAGE);
        }
    };
    let net = match crate::net::Net::new(opts.global.net_config()) {
        Ok(n) => n,
        Err(e) => {
            eprintln!("moxi-setup: {e}");
            return ExitCode::from(crate::cli::EXIT_USAGE);
        }
    };
    let (found, notice) = load_draft(&dirs);
    let ui = UiOptions {
        screen_share: opts.global.screen_share,
        // Plain mode never colours anything, so NO_COLOR is always honoured.
        no_color: true,
        demo: opts.demo.clone(),
        resume: opts.resume,
        open: opts.open.clone(),
    };
    let (wizard, start_fx) = Wizard::init(ui, guides, found);
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("moxi-setup: cannot start: {e}");
            return ExitCode::from(crate::cli::EXIT_USAGE);
        }
    };
    con.line(t("general.plain_banner"));
    if let Some(n) = notice {
        con.line(&n);
    }
    let mut app = App {
        w: wizard,
        con,
        rt,
        dirs,
        ctx: checks::Context { net },
        sim: None,
        shown: None,
        eof: false,
        env_password: env_secret(PASSWORD_ENV),
        env_passphrase: env_secret(PASSPHRASE_ENV),
        export_dir: None,
        submission: None,
    };
    let code = app.run(start_fx);
    if let Some(sim) = app.sim.take() {
        app.rt.block_on(sim.shutdown());
    }
    let App { rt, .. } = app;
    rt.shutdown_timeout(Duration::from_secs(2));
    tracing::info!("plain wizard closed");
    code
}

fn env_secret(name: &str) -> Option<SecretString> {
    std::env::var(name)
        .ok()
        .filter(|v| !v.is_empty())
        .map(SecretString::from)
}

/// The saved draft, or a fresh start with a sentence saying why the draft could not be used.
fn load_draft(dirs: &Dirs) -> (Option<draft::Draft>, Option<String>) {
    let path = dirs.draft_file();
    match draft::load(&path) {
        Ok(d) => (d, None),
        Err(e) => {
            tracing::warn!(error = %e, "draft not usable");
            let note = match draft::set_aside(&path) {
                Some(p) => format!(
                    "Your saved progress could not be read, so this is a fresh start (the old file is kept as {}).",
                    p.display()
                ),
                None => "Your saved progress could not be read, so this is a fresh start.".into(),
            };
            (None, Some(note))
        }
    }
}

enum Flow {
    Continue,
    Exit(ExitCode),
}

struct App {
    w: Wizard,
    con: Console,
    rt: tokio::runtime::Runtime,
    dirs: Dirs,
    ctx: checks::Context,
    /// The simulated tenant of `--demo`, kept alive for the whole run.
    sim: Option<crate::sim::SimHandle>,
    /// The page whose text was printed last (printed again only when it changes).
    shown: Option<(Page, Option<crate::answers::Platform>)>,
    eof: bool,
    env_password: Option<SecretString>,
    env_passphrase: Option<SecretString>,
    /// The folder chosen for the bundle on the export step.
    export_dir: Option<PathBuf>,
    /// The submission of the bundle just written (for its summary).
    submission: Option<Submission>,
}

impl App {
    fn run(&mut self, start_fx: Vec<Effect>) -> ExitCode {
        if self.w.opts.demo.is_some() {
            self.con.line(&texts().banners.demo);
        }
        if self.w.opts.screen_share {
            self.con.line(&texts().banners.screen_share);
        }
        for e in start_fx {
            self.effect(e);
        }
        loop {
            if self.w.quit {
                let key = match (self.eof, self.w.platform.is_some()) {
                    (true, true) => "general.ended",
                    (true, false) => "general.ended_nothing",
                    (false, true) => "general.quit",
                    (false, false) => "general.stopped",
                };
                self.con.line(t(key));
                return ExitCode::SUCCESS;
            }
            self.show_page();
            if let Flow::Exit(code) = self.step() {
                return code;
            }
        }
    }

    /// One message through the shared `update`, then its effects, in order.
    fn dispatch(&mut self, msg: Msg) {
        let fx = update(&mut self.w, msg);
        // The status line is feedback for one moment: the full-screen wizard shows it until
        // something else replaces it; here it is printed once and taken.
        if let Some(s) = self.w.status.take() {
            self.con.line(&s);
        }
        self.show_page();
        for e in fx {
            self.effect(e);
        }
    }

    fn show_page(&mut self) {
        let key = (self.w.page, self.w.platform);
        if self.shown != Some(key) {
            self.shown = Some(key);
            let text = render::page(&self.w);
            self.con.say(&text);
        }
    }

    fn effect(&mut self, e: Effect) {
        match e {
            // `update` has set `quit`; the main loop ends.
            Effect::Quit => {}
            Effect::SaveDraft(d) => {
                if let Err(err) = draft::save(&self.dirs.draft_file(), &d) {
                    tracing::warn!(error = %err, "draft not saved");
                    self.dispatch(Msg::DraftSaved(Err(err.to_string())));
                }
            }
            Effect::RunChecks {
                run,
                checks,
                answers,
            } => self.run_checks(run, checks, answers),
            // Checks are waited for before the next question, so none is ever left running.
            Effect::CancelChecks { .. } => {}
            // Commands are printed as blocks to copy; no terminal escape is ever written.
            Effect::CopyToClipboard(_) => {}
            Effect::SaveScript { file_name, text } => {
                let path = self.dirs.data.join(&file_name);
                let r = atomic::write(&path, text.as_bytes(), Overwrite::Replace)
                    .map(|_| path)
                    .map_err(|e| e.to_string());
                self.dispatch(Msg::ScriptSaved(r));
            }
            // The plain mode picks its own folder and asks about replacing a file itself.
            Effect::ExportBundle {
                answers,
                reports,
                passphrase,
                file_name,
                ..
            } => self.export_bundle(answers, reports, passphrase, file_name),
            // Plain mode waits for it: nothing else can happen before the bundle is open.
            Effect::OpenBundle { path, passphrase } => {
                tracing::info!("opening the bundle given with --open");
                self.con.say(t("open.unlocking"));
                let m = crate::tui::open::read(&path, &passphrase);
                let ok = matches!(m, Msg::BundleOpened(Ok(_)));
                self.con.line(t(if ok {
                    "open.unlocked"
                } else {
                    "open.not_unlocked"
                }));
                self.dispatch(m);
            }
            Effect::SaveReport { file_name, text } => {
                let m = crate::tui::export::write_report(&self.dirs.data, &file_name, &text);
                self.dispatch(m);
            }
            // Never asked for: the plain mode does not open the keychain (no KeychainReady).
            Effect::LoadPassword { .. } | Effect::StorePassword { .. } => {}
            Effect::StartDemo(name) => {
                tracing::info!(scenario = %name, "starting the simulated tenant");
                let r = self
                    .rt
                    .block_on(crate::tui::runtime::start_demo(&name))
                    .map(|(h, net)| {
                        // From now on every check talks to the simulated tenant only.
                        self.ctx = checks::Context { net };
                        self.sim = Some(h);
                        name
                    });
                self.dispatch(Msg::DemoStarted(r));
            }
        }
    }

    /// Runs one check run to the end, printing each check's line as its result arrives and
    /// feeding every event through `update` exactly as the full-screen runtime does.
    fn run_checks(&mut self, run: u64, wanted: Vec<CheckId>, answers: Answers) {
        tracing::info!(run, checks = ?wanted, "running checks");
        let (ptx, mut prx) = unbounded_channel::<Progress>();
        let ctx = self.ctx.clone();
        let mut task = self.rt.spawn(async move {
            checks::run(&ctx, &answers, &wanted, ptx, CancellationToken::new()).await
        });
        let mut printer = CheckPrinter::default();
        enum Ev {
            P(Progress),
            Done(Vec<CheckReport>),
        }
        let reports = loop {
            let ev = self.rt.block_on(async {
                tokio::select! {
                    biased;
                    Some(p) = prx.recv() => Ev::P(p),
                    r = &mut task => Ev::Done(r.unwrap_or_default()),
                }
            });
            match ev {
                Ev::P(p) => {
                    let text = printer.on(&p);
                    self.con.say(&text);
                    self.dispatch(Msg::CheckProgress { run, progress: p });
                }
                Ev::Done(r) => {
                    while let Ok(p) = prx.try_recv() {
                        let text = printer.on(&p);
                        self.con.say(&text);
                        self.dispatch(Msg::CheckProgress { run, progress: p });
                    }
                    break r;
                }
            }
        };
        let text = printer.finish(&reports);
        self.con.say(&text);
        self.dispatch(Msg::ChecksFinished { run, reports });
    }

    /// Asks one question; `None` when input ended (the wizard then quits, saving the draft).
    fn read(&mut self, question: &str) -> Option<String> {
        match self.con.ask(question) {
            Answer::Line(l) => Some(l),
            Answer::Eof => {
                self.eof = true;
                self.dispatch(Msg::Quit);
                None
            }
        }
    }

    /// The next question of the current page.
    fn step(&mut self) -> Flow {
        match self.w.page {
            Page::Resume => self.ask_resume(),
            Page::OpenBundle => self.ask_open(),
            Page::DemoPicker => self.ask_demo(),
            Page::Start => self.ask_start(),
            Page::ThirdParty | Page::NoEmail => self.ask_other(),
            Page::Screen(_) => match self.w.focused_field() {
                Some(f) => self.ask_field(f),
                None => self.ask_actions(),
            },
            Page::Review => self.ask_review(),
            Page::Export => self.ask_export(),
        }
    }

    /// Acts on a command word; false when the line is not one (it is then an answer).
    fn command(&mut self, line: &str) -> bool {
        let lower = line.trim().to_ascii_lowercase();
        let (word, rest) = match lower.split_once(char::is_whitespace) {
            Some((a, b)) => (a, b.trim()),
            None => (lower.as_str(), ""),
        };
        match (word, rest.is_empty()) {
            ("help" | "?", true) => {
                let mut s = t("general.help").trim_start().to_string();
                s.push('\n');
                if let Some(h) = self
                    .w
                    .focused_field()
                    .and_then(|f| render::field_help(&self.w, f))
                {
                    s.push_str(&h);
                    s.push('\n');
                }
                self.con.say(&s);
            }
            ("back", true) => self.dispatch(Msg::Back),
            ("review", true) if self.w.platform.is_some() => self.dispatch(Msg::OpenReview),
            ("quit" | "exit", true) => self.dispatch(Msg::Quit),
            ("show", true) => self.shown = None,
            ("checks", true) if !self.w.screen_checks().is_empty() => {
                self.dispatch(Msg::RunChecks);
                self.say_blocked();
            }
            ("goto", true) => self.con.line(t("general.goto_usage")),
            ("goto", false) if self.w.platform.is_some() => {
                let step = rest.to_string();
                self.dispatch(Msg::GoToStep(step));
            }
            _ => return false,
        }
        true
    }

    fn say_blocked(&mut self) {
        if self.w.checks_blocked.is_empty() {
            return;
        }
        let mut s = format!("{}\n", t("screen.blocked"));
        for f in self.w.checks_blocked.clone() {
            s.push_str(&format!("  · {}\n", render::field_label(&self.w, f)));
        }
        self.con.say(&s);
    }

    fn unknown(&mut self) {
        self.con.line(t("general.unknown"));
    }

    fn ask_resume(&mut self) -> Flow {
        let Some(l) = self.read(&prompt(t("resume.prompt"), Some(t("fields.yes")))) else {
            return Flow::Continue;
        };
        if l.is_empty() {
            self.dispatch(Msg::ResumeDraft(true));
        } else if !self.command(&l) {
            match parse_yes_no(&l) {
                Ok(b) => self.dispatch(Msg::ResumeDraft(b)),
                Err(e) => self.con.line(&e.0),
            }
        }
        Flow::Continue
    }

    /// `--open`: the bundle's passphrase (no echo at a terminal, asked again when wrong; from
    /// a pipe only `MOXI_SETUP_PASSPHRASE`), then the review; or, when the file cannot be
    /// opened at all, whether to start without it.
    fn ask_open(&mut self) -> Flow {
        let Some(failed) = self.w.opening.as_ref().map(|o| o.failed()) else {
            return Flow::Continue;
        };
        if failed {
            let q = prompt(t("open.start_without"), Some(t("fields.yes")));
            let Some(l) = self.read(&q) else {
                return Flow::Continue;
            };
            if l.is_empty() {
                self.dispatch(Msg::StartWithoutBundle);
            } else if !self.command(&l) {
                match parse_yes_no(&l) {
                    Ok(true) => self.dispatch(Msg::StartWithoutBundle),
                    Ok(false) => self.dispatch(Msg::Quit),
                    Err(e) => self.con.line(&e.0),
                }
            }
            return Flow::Continue;
        }
        let passphrase = if self.con.stdin_tty {
            let q = format!(
                "{} {}: ",
                texts().open.passphrase,
                t("fields.secret_no_echo")
            );
            let Some(p) = self.secret_line(&q) else {
                return Flow::Continue;
            };
            let typed = p.expose_secret().trim().to_ascii_lowercase();
            if matches!(typed.as_str(), "quit" | "exit") {
                self.dispatch(Msg::Quit);
                return Flow::Continue;
            }
            p
        } else {
            // Never from the pipe, as for the export passphrase.
            let Some(p) = self.env_passphrase.clone() else {
                self.con.line(t("open.piped"));
                return Flow::Exit(ExitCode::from(crate::cli::EXIT_USAGE));
            };
            self.con.line(t("open.from_env"));
            p
        };
        // `update` asks for the bundle to be decrypted; the effect answers at once here.
        self.dispatch(Msg::OpenWith(passphrase));
        let Some(e) = self.w.opening.as_ref().and_then(|o| o.error.clone()) else {
            return Flow::Continue;
        };
        self.con.line(e.message());
        match e {
            OpenFailure::AskAgain(_) if !self.con.stdin_tty => {
                self.con.line(t("open.env_wrong"));
                Flow::Exit(ExitCode::from(crate::cli::EXIT_USAGE))
            }
            OpenFailure::AskAgain(_) => {
                self.con.line(&texts().open.again);
                Flow::Continue
            }
            OpenFailure::CannotOpen(_) => Flow::Continue,
        }
    }

    fn ask_demo(&mut self) -> Flow {
        let current = (self.w.cursor + 1).to_string();
        let Some(l) = self.read(&prompt(t("demo.prompt"), Some(&current))) else {
            return Flow::Continue;
        };
        if !l.is_empty() && self.command(&l) {
            return Flow::Continue;
        }
        let list = &self.w.demo_scenarios;
        let chosen = if l.is_empty() {
            list.get(self.w.cursor)
        } else {
            match l.parse::<usize>() {
                Ok(n) if n >= 1 => list.get(n - 1),
                _ => list.iter().find(|s| s.name.eq_ignore_ascii_case(&l)),
            }
        };
        match chosen.map(|s| s.name.clone()) {
            Some(name) => self.dispatch(Msg::PickScenario(name)),
            None => self.unknown(),
        }
        Flow::Continue
    }

    fn ask_start(&mut self) -> Flow {
        let current = (self.w.cursor + 1).to_string();
        let Some(l) = self.read(&prompt(t("start.prompt"), Some(&current))) else {
            return Flow::Continue;
        };
        if !l.is_empty() && self.command(&l) {
            return Flow::Continue;
        }
        let choices = &texts().start.choices;
        let index = if l.is_empty() {
            Some(self.w.cursor)
        } else {
            match l.parse::<usize>() {
                Ok(n) if n >= 1 => Some(n - 1),
                _ => choices.iter().position(|c| c.key.eq_ignore_ascii_case(&l)),
            }
        };
        match index.and_then(|i| StartChoice::ALL.get(i)) {
            Some(c) => self.dispatch(Msg::Start(*c)),
            None => self.unknown(),
        }
        Flow::Continue
    }

    fn ask_other(&mut self) -> Flow {
        let Some(l) = self.read(&prompt(t("other.prompt"), None)) else {
            return Flow::Continue;
        };
        if l.is_empty() {
            return Flow::Exit(ExitCode::SUCCESS);
        }
        if !self.command(&l) {
            self.unknown();
        }
        Flow::Continue
    }

    /// After leaving a field: say if the kept value still needs fixing, and what the checks
    /// are waiting for.
    fn after_forward(&mut self, f: FieldId) {
        if let Some(e) = self.w.errors.get(&f).cloned() {
            self.con
                .line(&tf("fields.still_invalid", &[("reason", e.trim())]));
        }
        if self.w.focused_field().is_none() {
            self.say_blocked();
        }
    }

    fn forward(&mut self, f: FieldId) {
        self.dispatch(Msg::Forward);
        self.after_forward(f);
    }

    fn ask_field(&mut self, f: FieldId) -> Flow {
        if f.kind() == FieldKind::Secret {
            return self.ask_secret(f);
        }
        let q = render::field_prompt(&self.w, f, false);
        let Some(l) = self.read(&q) else {
            return Flow::Continue;
        };
        if l.is_empty() {
            self.forward(f);
            return Flow::Continue;
        }
        if self.command(&l) {
            return Flow::Continue;
        }
        if f.kind() == FieldKind::YesNo {
            match parse_yes_no(&l) {
                Ok(b) => {
                    self.dispatch(Msg::SetFlag(f, b));
                    self.forward(f);
                }
                Err(e) => self.con.line(&tf("fields.invalid", &[("reason", &e.0)])),
            }
            return Flow::Continue;
        }
        // A lone dash empties the field (Enter alone keeps the value, so this is the way to
        // take back an optional answer such as a typed EWS address).
        let value = if l == "-" { String::new() } else { l };
        self.dispatch(Msg::SetText(f, value));
        match self.w.errors.get(&f).cloned() {
            // A value that was typed and refused is asked for again at once.
            Some(e) => self
                .con
                .line(&tf("fields.invalid", &[("reason", e.trim())])),
            None => self.forward(f),
        }
        Flow::Continue
    }

    fn ask_secret(&mut self, f: FieldId) -> Flow {
        let label = render::field_label(&self.w, f);
        if !self.con.stdin_tty {
            // Never from the pipe: a line of piped text may be stored in a file or a history.
            match self.env_password.clone() {
                Some(s) => {
                    self.con
                        .line(&tf("fields.secret_from_env", &[("label", &label)]));
                    self.dispatch(Msg::SetSecret(f, s));
                }
                None => self
                    .con
                    .line(&tf("fields.secret_piped", &[("label", &label)])),
            }
            self.forward(f);
            return Flow::Continue;
        }
        let q = render::field_prompt(&self.w, f, true);
        match self.con.read_secret(&q) {
            Ok(Some(s)) => {
                let typed = s.expose_secret().trim().to_ascii_lowercase();
                if s.expose_secret().is_empty() {
                    self.forward(f);
                } else if COMMANDS.contains(&typed.as_str()) || typed.starts_with("goto ") {
                    self.command(&typed);
                } else {
                    self.dispatch(Msg::SetSecret(f, s));
                    match self.w.errors.get(&f).cloned() {
                        Some(e) => self
                            .con
                            .line(&tf("fields.invalid", &[("reason", e.trim())])),
                        None => self.forward(f),
                    }
                }
            }
            Ok(None) => {
                self.con.line("");
                self.eof = true;
                self.dispatch(Msg::Quit);
            }
            Err(e) => {
                self.con.line(&tf(
                    "fields.secret_read_failed",
                    &[("reason", &e.to_string())],
                ));
                self.forward(f);
            }
        }
        Flow::Continue
    }

    fn ask_actions(&mut self) -> Flow {
        let Some(l) = self.read(&prompt(t("screen.actions"), None)) else {
            return Flow::Continue;
        };
        if l.is_empty() {
            self.dispatch(Msg::Next);
        } else if !self.command(&l) {
            self.unknown();
        }
        Flow::Continue
    }

    fn ask_review(&mut self) -> Flow {
        let Some(l) = self.read(&prompt(t("review.prompt"), None)) else {
            return Flow::Continue;
        };
        if l.is_empty() {
            self.dispatch(Msg::Next);
            return Flow::Continue;
        }
        if self.command(&l) {
            return Flow::Continue;
        }
        let items = review_items(&self.w);
        let item = l
            .parse::<usize>()
            .ok()
            .filter(|n| *n >= 1)
            .and_then(|n| items.get(n - 1).copied());
        if item == Some(ReviewItem::Export) {
            self.dispatch(Msg::Next);
            return Flow::Continue;
        }
        let target = self.w.guide().and_then(|g| match item {
            Some(ReviewItem::Field(f)) => g.screen_collecting(f),
            Some(ReviewItem::Check(c)) => g.screen_running(c.as_str()),
            _ => None,
        });
        match target {
            Some(i) => self.dispatch(Msg::GoToScreen(i)),
            None => self.unknown(),
        }
        Flow::Continue
    }

    /// The export step: confirm failed checks, choose the folder, the passphrase, then write
    /// the encrypted bundle with the same bundle API the full-screen wizard uses.
    fn ask_export(&mut self) -> Flow {
        let Some(platform) = self.w.platform else {
            self.dispatch(Msg::Back);
            return Flow::Continue;
        };
        let reports = crate::tui::export::reports(&self.w);
        let outcome = bundle::check_outcome(platform, &reports);
        if !outcome.failed.is_empty() {
            let list = labels(&outcome.failed);
            let q = prompt(
                &tf("export.failed_checks", &[("list", &list)]),
                Some(t("fields.no")),
            );
            let Some(l) = self.read(&q) else {
                return Flow::Continue;
            };
            if self.command(&l) {
                return Flow::Continue;
            }
            if !matches!(parse_yes_no(&l), Ok(true)) {
                self.dispatch(Msg::Back);
                return Flow::Continue;
            }
        } else if !outcome.not_run.is_empty() {
            self.con.line(&tf(
                "export.not_run",
                &[("list", &labels(&outcome.not_run))],
            ));
        }
        // The folder the full-screen wizard writes to (the opened bundle's own folder), unless
        // the admin names another.
        let default = self
            .w
            .opened
            .as_ref()
            .map(|o| o.folder())
            .unwrap_or_else(|| self.dirs.data.clone());
        let shown = default.display().to_string();
        let Some(l) = self.read(&prompt(t("export.folder"), Some(&shown))) else {
            return Flow::Continue;
        };
        if self.command(&l) {
            return Flow::Continue;
        }
        let folder = if l.is_empty() {
            default
        } else {
            PathBuf::from(l)
        };
        if let Err(e) = std::fs::create_dir_all(&folder) {
            self.con
                .line(&tf("export.no_folder", &[("reason", &e.to_string())]));
            return Flow::Continue;
        }
        self.export_dir = Some(folder);
        let Some((passphrase, confirm)) = self.passphrase() else {
            return Flow::Continue;
        };
        // The same rules as the full-screen wizard: `update` checks strength and the match,
        // then asks for the bundle to be written (handled in `export_bundle`).
        self.dispatch(Msg::Export {
            passphrase,
            confirm,
        });
        if let Some(e) = self.w.export.error.clone() {
            self.con.line(&e);
            return Flow::Continue;
        }
        // `update` has said where the bundle went (its status line, printed by `dispatch`).
        let (Some(_), Some(sub)) = (self.w.export.saved.as_ref(), self.submission.take()) else {
            return Flow::Continue;
        };
        tracing::info!("bundle written");
        let mut s = bundle::summary(&sub, Reveal::No);
        if !s.ends_with('\n') {
            s.push('\n');
        }
        s.push_str(t("export.send"));
        s.push('\n');
        s.push_str(t("export.finished"));
        s.push('\n');
        self.con.say(&s);
        Flow::Exit(ExitCode::SUCCESS)
    }

    /// Writes the bundle `update` asked for into the folder the admin chose, asking before
    /// replacing a file of the same name; reports back as `Msg::Exported`.
    fn export_bundle(
        &mut self,
        answers: Answers,
        reports: Vec<CheckReport>,
        pass: SecretString,
        file_name: Option<String>,
    ) {
        let folder = self
            .export_dir
            .clone()
            .unwrap_or_else(|| self.dirs.data.clone());
        let sub = match Submission::new(&answers, &reports) {
            Ok(s) => s,
            Err(e) => {
                self.dispatch(Msg::Exported(Err(e.to_string())));
                return;
            }
        };
        let path = folder.join(crate::tui::export::bundle_file_name(
            file_name.as_deref(),
            &answers,
        ));
        let mut overwrite = Overwrite::Refuse;
        let r = loop {
            self.con.say(t("export.writing"));
            match bundle::write_bundle(&path, &sub, &pass, bundle::WORK_FACTOR, overwrite) {
                Ok(()) => {
                    self.con.line(t("export.written"));
                    break Ok(path);
                }
                Err(BundleError::Exists(p)) if overwrite == Overwrite::Refuse => {
                    self.con.line("");
                    let q = prompt(
                        &tf("export.exists", &[("path", &p.display().to_string())]),
                        Some(t("fields.no")),
                    );
                    match self.con.ask(&q) {
                        Answer::Line(l) if matches!(parse_yes_no(&l), Ok(true)) => {
                            overwrite = Overwrite::Replace;
                        }
                        _ => break Err(BundleError::Exists(p).to_string()),
                    }
                }
                Err(e) => {
                    self.con.line("");
                    break Err(e.to_string());
                }
            }
        };
        if r.is_ok() {
            self.submission = Some(sub);
        }
        self.dispatch(Msg::Exported(r));
    }

    /// The bundle passphrase and its confirmation: typed twice without echo at a terminal,
    /// from `MOXI_SETUP_PASSPHRASE` when piped. `None` when there is none to use (the reason
    /// is printed, or a command was typed instead).
    fn passphrase(&mut self) -> Option<(SecretString, SecretString)> {
        if !self.con.stdin_tty {
            let Some(p) = self.env_passphrase.clone() else {
                self.con.line(t("export.passphrase_piped"));
                return None;
            };
            self.con.line(t("export.passphrase_from_env"));
            return Some((p.clone(), p));
        }
        let min = bundle::MIN_PASSPHRASE_CHARS.to_string();
        let q = format!(
            "{} {}: ",
            tf("export.passphrase", &[("min", &min)]),
            t("fields.secret_no_echo")
        );
        let first = self.secret_line(&q)?;
        let typed = first.expose_secret().trim().to_ascii_lowercase();
        if COMMANDS.contains(&typed.as_str()) {
            self.command(&typed);
            return None;
        }
        let again = self.secret_line(&format!("{}: ", t("export.passphrase_again")))?;
        Some((first, again))
    }

    /// One no-echo line at the terminal; `None` on end of input or a read error (said).
    fn secret_line(&mut self, q: &str) -> Option<SecretString> {
        match self.con.read_secret(q) {
            Ok(Some(s)) => Some(s),
            Ok(None) => {
                self.con.line("");
                self.eof = true;
                self.dispatch(Msg::Quit);
                None
            }
            Err(e) => {
                self.con.line(&tf(
                    "fields.secret_read_failed",
                    &[("reason", &e.to_string())],
                ));
                None
            }
        }
    }
}

fn labels(ids: &[CheckId]) -> String {
    ids.iter().map(|c| c.label()).collect::<Vec<_>>().join(", ")
}
