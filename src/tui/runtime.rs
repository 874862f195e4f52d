//! The thin async shell: owns the terminal, turns crossterm events into [`Msg`]s, runs
//! [`Effect`]s as tasks and draws once per batch of messages when something changed. All
//! decisions are in `update`; this file only moves data and restores the terminal on every
//! way out (quit, Ctrl-C, error, panic).

use super::model::{Effect, Guides, Msg, UiOptions, Wizard};
use super::texts::texts;
use super::{update, view};
use crate::bundle::{atomic, draft};
use crate::checks;
use crate::cli::WizardOptions;
use crate::paths::Dirs;
use crossterm::event::{
    DisableBracketedPaste, EnableBracketedPaste, Event, EventStream, KeyEventKind,
};
use crossterm::execute;
use crossterm::terminal::{
    EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode, enable_raw_mode,
};
use futures::StreamExt;
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;
use std::collections::HashMap;
use std::io::{IsTerminal, Stdout};
use std::process::ExitCode;
use std::time::Duration;
use tokio::sync::mpsc::{UnboundedSender, unbounded_channel};
use tokio_util::sync::CancellationToken;

type Term = Terminal<CrosstermBackend<Stdout>>;

/// `ACCESSIBLE=1` (any value but empty or `0`) asks for the plain mode.
fn accessible() -> bool {
    std::env::var("ACCESSIBLE").is_ok_and(|v| !v.is_empty() && v != "0")
}

/// Why the full-screen wizard cannot run here, if it cannot.
fn plain_reason(opts: &WizardOptions) -> Option<&'static str> {
    if opts.plain {
        Some("--plain was given")
    } else if accessible() {
        Some("ACCESSIBLE is set")
    } else if !(std::io::stdin().is_terminal() && std::io::stdout().is_terminal()) {
        // crossterm's EventStream panics without a terminal: never create it here.
        Some("input or output is not a terminal")
    } else {
        None
    }
}

/// Runs the wizard: full screen when stdin and stdout are terminals, else the plain mode.
pub fn run_wizard(mut opts: WizardOptions, dirs: Dirs) -> ExitCode {
    // A bundle that is not there is said before any screen opens, in either mode.
    if let Some(path) = opts.open.take() {
        match super::open::precheck(&path) {
            Ok(abs) => opts.open = Some(abs),
            Err(e) => {
                tracing::warn!("the bundle to open is not usable");
                eprintln!("moxi-setup: {e}");
                return ExitCode::from(crate::cli::EXIT_USAGE);
            }
        }
    }
    if let Some(reason) = plain_reason(&opts) {
        tracing::info!(reason, "not starting the full-screen wizard");
        return plain_fallback(opts, dirs, reason);
    }
    // Reading the system's certificate store and parsing the guides each take milliseconds
    // before the first frame (BENCHMARKS.md: first frame ≤ 30 ms): do them side by side.
    let net_config = opts.global.net_config();
    let net_job = std::thread::spawn(move || crate::net::Net::new(net_config));
    let guides = match Guides::embedded() {
        Ok(g) => g,
        Err(e) => {
            eprintln!("moxi-setup: the built-in guide is damaged: {e}");
            return ExitCode::from(crate::cli::EXIT_USAGE);
        }
    };
    let draft_path = dirs.draft_file();
    let mut notice = None;
    let found = match draft::load(&draft_path) {
        Ok(d) => d,
        Err(e) => {
            tracing::warn!(error = %e, "draft not usable");
            let aside = draft::set_aside(&draft_path);
            notice = Some(match aside {
                Some(p) => format!(
                    "Your saved progress could not be read, so this is a fresh start (the old file is kept as {}).",
                    p.display()
                ),
                None => "Your saved progress could not be read, so this is a fresh start.".into(),
            });
            None
        }
    };
    let ui = UiOptions {
        screen_share: opts.global.screen_share,
        no_color: std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty()),
        demo: opts.demo.clone(),
        resume: opts.resume,
        open: opts.open.clone(),
    };
    let (mut wizard, start_fx) = Wizard::init(ui, guides, found);
    if notice.is_some() {
        wizard.status = notice;
    }
    wizard.export.folder = tui_input::Input::new(dirs.data.display().to_string());
    let net = match net_job.join() {
        Ok(Ok(n)) => n,
        Ok(Err(e)) => {
            eprintln!("moxi-setup: {e}");
            return ExitCode::from(crate::cli::EXIT_USAGE);
        }
        Err(_) => {
            eprintln!("moxi-setup: cannot start: the network set-up stopped unexpectedly");
            return ExitCode::from(crate::cli::EXIT_USAGE);
        }
    };
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
    install_panic_hook();
    let mut terminal = match setup_terminal() {
        Ok(t) => t,
        Err(e) => {
            restore_terminal();
            eprintln!("moxi-setup: cannot use this terminal: {e}");
            return ExitCode::from(crate::cli::EXIT_USAGE);
        }
    };
    let result = rt.block_on(run_loop(
        &mut terminal,
        wizard,
        start_fx,
        dirs,
        checks::Context { net },
    ));
    restore_terminal();
    rt.shutdown_timeout(Duration::from_secs(2));
    match result {
        Ok(()) => {
            tracing::info!("wizard closed");
            ExitCode::SUCCESS
        }
        Err(e) => {
            tracing::error!(error = %e, "wizard stopped");
            eprintln!("moxi-setup: the wizard stopped because of a terminal error: {e}");
            ExitCode::from(crate::cli::EXIT_FAIL)
        }
    }
}

/// Hands over to the plain line-prompt front end. Without a terminal it says why in one line
/// (on stderr, so a piped transcript stays clean); `--plain` and `ACCESSIBLE` were asked for.
fn plain_fallback(opts: WizardOptions, dirs: Dirs, reason: &str) -> ExitCode {
    if !(opts.plain || accessible()) {
        eprintln!("moxi-setup: {reason}, so the wizard runs as plain line-by-line prompts.");
    }
    crate::plain::run(opts, dirs)
}

fn setup_terminal() -> std::io::Result<Term> {
    enable_raw_mode()?;
    // A plain clear: `Terminal::clear` asks the terminal for the cursor position, which
    // some terminals (and emulators in tests) never answer.
    execute!(
        std::io::stdout(),
        EnterAlternateScreen,
        EnableBracketedPaste,
        crossterm::terminal::Clear(crossterm::terminal::ClearType::All)
    )?;
    Terminal::new(CrosstermBackend::new(std::io::stdout()))
}

/// Puts the terminal back as it was. Safe to call more than once.
pub fn restore_terminal() {
    let _ = disable_raw_mode();
    let _ = execute!(
        std::io::stdout(),
        DisableBracketedPaste,
        LeaveAlternateScreen,
        crossterm::cursor::Show
    );
}

/// Restore the terminal first so the panic message is readable, then the previous hook.
fn install_panic_hook() {
    let prev = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        restore_terminal();
        prev(info);
    }));
}

/// Runs effects; results come back as messages.
struct Executor {
    tx: UnboundedSender<Msg>,
    dirs: Dirs,
    ctx: checks::Context,
    cancels: HashMap<u64, CancellationToken>,
    /// The simulated tenant of `--demo`, kept alive for the whole run.
    sim: Option<crate::sim::SimHandle>,
    /// The OS keychain, when this computer has one (never in `--demo`).
    secrets: Option<Box<dyn crate::secrets::SecretStore>>,
}

impl Executor {
    /// Returns false when the program should end.
    async fn run(&mut self, e: Effect, terminal: &mut Term) -> bool {
        match e {
            Effect::Quit => return false,
            Effect::SaveDraft(d) => {
                // Written in order, at once: the draft is small and "latest wins" must hold.
                let path = self.dirs.draft_file();
                if let Err(err) = draft::save(&path, &d) {
                    tracing::warn!(error = %err, "draft not saved");
                    let _ = self.tx.send(Msg::DraftSaved(Err(err.to_string())));
                }
            }
            Effect::RunChecks {
                run,
                checks,
                answers,
            } => {
                tracing::info!(run, checks = ?checks, "running checks");
                let token = CancellationToken::new();
                self.cancels.insert(run, token.clone());
                let ctx = self.ctx.clone();
                let tx = self.tx.clone();
                tokio::spawn(async move {
                    let (ptx, mut prx) = unbounded_channel();
                    let ftx = tx.clone();
                    let forward = tokio::spawn(async move {
                        while let Some(progress) = prx.recv().await {
                            let _ = ftx.send(Msg::CheckProgress { run, progress });
                        }
                    });
                    let reports = tokio::select! {
                        r = checks::run(&ctx, &answers, &checks, ptx, token.clone()) => r,
                        _ = token.cancelled() => return,
                    };
                    let _ = forward.await;
                    let _ = tx.send(Msg::ChecksFinished { run, reports });
                });
            }
            Effect::CancelChecks { run } => {
                if let Some(t) = self.cancels.remove(&run) {
                    t.cancel();
                }
            }
            Effect::CopyToClipboard(text) => {
                let _ = execute!(
                    terminal.backend_mut(),
                    crossterm::clipboard::CopyToClipboard::to_clipboard_from(text)
                );
            }
            Effect::SaveScript { file_name, text } => {
                let path = self.dirs.data.join(&file_name);
                let r = atomic::write(&path, text.as_bytes(), atomic::Overwrite::Replace)
                    .map(|_| path)
                    .map_err(|e| e.to_string());
                let _ = self.tx.send(Msg::ScriptSaved(r));
            }
            Effect::ExportBundle {
                answers,
                reports,
                passphrase,
                folder,
                overwrite,
                file_name,
            } => {
                let dir = if folder.as_os_str().is_empty() {
                    self.dirs.data.clone()
                } else {
                    folder
                };
                let tx = self.tx.clone();
                tokio::spawn(async move {
                    let msg = tokio::task::spawn_blocking(move || {
                        super::export::write_bundle_as(
                            &dir,
                            file_name.as_deref(),
                            &answers,
                            &reports,
                            &passphrase,
                            overwrite,
                        )
                    })
                    .await
                    .unwrap_or_else(|e| Msg::Exported(Err(e.to_string())));
                    let _ = tx.send(msg);
                });
            }
            Effect::OpenBundle { path, passphrase } => {
                tracing::info!("opening the bundle given with --open");
                let tx = self.tx.clone();
                tokio::spawn(async move {
                    let msg =
                        tokio::task::spawn_blocking(move || super::open::read(&path, &passphrase))
                            .await
                            .unwrap_or_else(|e| {
                                Msg::BundleOpened(Err(super::model::OpenFailure::CannotOpen(
                                    e.to_string(),
                                )))
                            });
                    let _ = tx.send(msg);
                });
            }
            Effect::LoadPassword { key } => {
                let found = match &self.secrets {
                    Some(s) => s.get(&key).unwrap_or_else(|e| {
                        tracing::warn!(error = %e, "keychain read failed");
                        None
                    }),
                    None => None,
                };
                let _ = self.tx.send(Msg::PasswordLoaded(found));
            }
            Effect::StorePassword { key, secret } => {
                let r = match &self.secrets {
                    Some(s) => s.set(&key, &secret).map_err(|e| e.to_string()),
                    None => Err(crate::bundle::text::t("keychain.unavailable").to_string()),
                };
                let _ = self.tx.send(Msg::PasswordRemembered(r));
            }
            Effect::SaveReport { file_name, text } => {
                let _ = self.tx.send(super::export::write_report(
                    &self.dirs.data,
                    &file_name,
                    &text,
                ));
            }
            Effect::StartDemo(name) => {
                tracing::info!(scenario = %name, "starting the simulated tenant");
                let r = start_demo(&name).await.map(|(h, net)| {
                    // From now on every check talks to the simulated tenant only.
                    self.ctx = checks::Context { net };
                    self.sim = Some(h);
                    name
                });
                let _ = self.tx.send(Msg::DemoStarted(r));
            }
        }
        true
    }
}

async fn run_loop(
    terminal: &mut Term,
    mut wizard: Wizard,
    start_fx: Vec<Effect>,
    dirs: Dirs,
    ctx: checks::Context,
) -> std::io::Result<()> {
    let (tx, mut rx) = unbounded_channel::<Msg>();
    // The demo (and tests driving the binary, through MOXI_SETUP_NO_KEYCHAIN) must never read
    // or write the real keychain.
    let no_keychain = std::env::var_os("MOXI_SETUP_NO_KEYCHAIN").is_some_and(|v| !v.is_empty());
    let opened = if wizard.opts.demo.is_some() || no_keychain {
        crate::secrets::OpenedStore {
            store: None,
            notice: None,
        }
    } else {
        crate::secrets::open_os_store()
    };
    let _ = tx.send(Msg::KeychainReady {
        store: opened.store.as_ref().map(|s| s.kind().label().to_string()),
        notice: opened.notice,
    });
    let mut exec = Executor {
        tx: tx.clone(),
        dirs,
        ctx,
        cancels: HashMap::new(),
        sim: None,
        secrets: opened.store,
    };
    let input_tx = tx.clone();
    tokio::spawn(async move {
        let mut events = EventStream::new();
        while let Some(ev) = events.next().await {
            let msg = match ev {
                // Windows also reports releases; only presses are keys for us.
                Ok(Event::Key(k)) if k.kind == KeyEventKind::Press => Msg::Key(k),
                Ok(Event::Paste(s)) => Msg::Paste(s),
                Ok(Event::Resize(w, h)) => Msg::Resize(w, h),
                Ok(_) => continue,
                Err(_) => break,
            };
            if input_tx.send(msg).is_err() {
                break;
            }
        }
    });
    let sig_tx = tx.clone();
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            let _ = sig_tx.send(Msg::Quit);
        }
    });
    let result = event_loop(terminal, &mut wizard, start_fx, &mut exec, &mut rx).await;
    if let Some(sim) = exec.sim.take() {
        sim.shutdown().await;
    }
    result
}

/// Debug builds only: `MOXI_SETUP_TEST_PANIC=1` panics on the first key, on the main thread
/// (a panic inside a spawned task would be caught by tokio), so tests can prove the panic
/// hook restores the terminal. Release builds never look at the variable.
fn test_panic_requested() -> bool {
    cfg!(debug_assertions) && std::env::var_os("MOXI_SETUP_TEST_PANIC").is_some_and(|v| v == "1")
}

async fn event_loop(
    terminal: &mut Term,
    wizard: &mut Wizard,
    start_fx: Vec<Effect>,
    exec: &mut Executor,
    rx: &mut tokio::sync::mpsc::UnboundedReceiver<Msg>,
) -> std::io::Result<()> {
    for e in start_fx {
        if !exec.run(e, terminal).await {
            return Ok(());
        }
    }
    let mut tick = tokio::time::interval(Duration::from_millis(120));
    let mut dirty = true;
    loop {
        if dirty {
            terminal.draw(|f| view(wizard, f))?;
            dirty = false;
        }
        let first = tokio::select! {
            m = rx.recv() => m,
            _ = tick.tick(), if wizard.needs_tick() => Some(Msg::Tick),
        };
        let Some(first) = first else { return Ok(()) };
        let mut batch = vec![first];
        while let Ok(m) = rx.try_recv() {
            batch.push(m);
        }
        for m in batch {
            if matches!(m, Msg::Key(_)) && test_panic_requested() {
                panic!("test panic requested through MOXI_SETUP_TEST_PANIC");
            }
            for e in update(wizard, m) {
                if !exec.run(e, terminal).await {
                    return Ok(());
                }
            }
            dirty = true;
        }
    }
}

/// Starts the simulated tenant of `--demo` and a client that trusts only it (both wizard
/// modes). The error is a sentence for the admin.
pub async fn start_demo(name: &str) -> Result<(crate::sim::SimHandle, crate::net::Net), String> {
    let opts = crate::sim::SimOptions {
        scenario: name.to_string(),
        ..Default::default()
    };
    let unavailable = |e: &dyn std::fmt::Display| format!("{}: {e}", texts().demo.unavailable);
    let h = crate::sim::start(opts).await.map_err(|e| unavailable(&e))?;
    let net = crate::net::Net::new(h.net_config()).map_err(|e| unavailable(&e))?;
    Ok((h, net))
}
