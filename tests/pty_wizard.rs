//! End to end in a real pseudo-terminal: the built binary, at 80×24, walks every Microsoft 365
//! screen typing values, goes back two screens, quits with Ctrl+C, restarts with `--resume` and
//! finds the values again (not the password). The canary password must appear neither on the
//! screen, nor in the raw terminal output, nor in the draft, nor in the log file, and the
//! terminal must have left the alternate screen on exit.
//!
//! Network: every Microsoft host is pointed at a closed loopback port, so whatever checks the
//! engine runs can never reach the outside.

use moxi_setup::answers::{FieldId, Platform};
use portable_pty::{CommandBuilder, PtySize, native_pty_system};
use std::io::{Read, Write};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const CANARY: &str = "Canary-Pw-7731!";

fn timeout() -> Duration {
    let secs = std::env::var("MOXI_PTY_TIMEOUT_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(60);
    Duration::from_secs(secs)
}

struct Session {
    parser: Arc<Mutex<vt100::Parser>>,
    raw: Arc<Mutex<Vec<u8>>>,
    writer: Box<dyn Write + Send>,
    child: Box<dyn portable_pty::Child + Send + Sync>,
    reader: Option<std::thread::JoinHandle<()>>,
    _master: Box<dyn portable_pty::MasterPty + Send>,
}

impl Session {
    fn start(home: &std::path::Path, args: &[&str]) -> Session {
        let pty = native_pty_system();
        let pair = pty
            .openpty(PtySize {
                rows: 24,
                cols: 80,
                pixel_width: 0,
                pixel_height: 0,
            })
            .unwrap();
        let mut cmd = CommandBuilder::new(env!("CARGO_BIN_EXE_moxi-setup"));
        for hosts in [
            "login.microsoftonline.com",
            "outlook.office365.com",
            "contoso.onmicrosoft.com",
            "autodiscover.contoso.onmicrosoft.com",
        ] {
            cmd.arg("--resolve");
            cmd.arg(format!("{hosts}=127.0.0.1:9"));
        }
        for a in args {
            cmd.arg(a);
        }
        cmd.env("MOXI_SETUP_HOME", home);
        cmd.env("MOXI_SETUP_NO_KEYCHAIN", "1");
        cmd.env("TERM", "xterm-256color");
        cmd.env("NO_COLOR", "1");
        cmd.env_remove("ACCESSIBLE");
        let child = pair.slave.spawn_command(cmd).unwrap();
        drop(pair.slave);
        let parser = Arc::new(Mutex::new(vt100::Parser::new(24, 80, 0)));
        let raw = Arc::new(Mutex::new(Vec::new()));
        let mut rd = pair.master.try_clone_reader().unwrap();
        let (p2, r2) = (parser.clone(), raw.clone());
        // Drain on a thread: a full PTY buffer would block the wizard and deadlock the test.
        let reader = std::thread::spawn(move || {
            let mut buf = [0u8; 8192];
            loop {
                match rd.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => {
                        p2.lock().unwrap().process(&buf[..n]);
                        r2.lock().unwrap().extend_from_slice(&buf[..n]);
                    }
                }
            }
        });
        let writer = pair.master.take_writer().unwrap();
        Session {
            parser,
            raw,
            writer,
            child,
            reader: Some(reader),
            _master: pair.master,
        }
    }

    fn screen(&self) -> String {
        self.parser.lock().unwrap().screen().contents()
    }

    fn wait_for(&self, what: &str) -> String {
        let end = Instant::now() + timeout();
        loop {
            let s = self.screen();
            if s.contains(what) {
                return s;
            }
            if Instant::now() > end {
                panic!("timed out waiting for {what:?}; screen:\n{s}");
            }
            std::thread::sleep(Duration::from_millis(30));
        }
    }

    fn send(&mut self, bytes: &str) {
        self.writer.write_all(bytes.as_bytes()).unwrap();
        self.writer.flush().unwrap();
    }

    /// Waits for the process to end and the reader to drain; returns whether it exited 0.
    fn finish(mut self) -> (bool, bool, Vec<u8>) {
        let end = Instant::now() + timeout();
        let status = loop {
            if let Some(st) = self.child.try_wait().unwrap() {
                break st;
            }
            if Instant::now() > end {
                let _ = self.child.kill();
                panic!("the wizard did not exit; screen:\n{}", self.screen());
            }
            std::thread::sleep(Duration::from_millis(30));
        };
        drop(self.writer);
        drop(self._master);
        if let Some(r) = self.reader.take() {
            let _ = r.join();
        }
        let alt = self.parser.lock().unwrap().screen().alternate_screen();
        let raw = self.raw.lock().unwrap().clone();
        (status.success(), alt, raw)
    }
}

fn value(f: FieldId) -> &'static str {
    match f {
        FieldId::ServiceAccount => "moxiengage@contoso.onmicrosoft.com",
        FieldId::ServicePassword => CANARY,
        FieldId::TestUser => "agent@contoso.onmicrosoft.com",
        FieldId::Tenant => "3f2b8a4c-9d1e-4c7a-b5e6-0a1b2c3d4e5f",
        FieldId::ClientId => "9b1c2d3e-4f50-4a6b-8c7d-1e2f3a4b5c6d",
        FieldId::EwsUrl => "",
        FieldId::IgnoreTlsTrust => "",
    }
}

#[test]
fn walk_microsoft_365_quit_and_resume() {
    let guide = moxi_setup::guide::guide(Platform::Microsoft365).unwrap();
    let screens: Vec<_> = guide.screens().map(|(_, s)| s.clone()).collect();
    let n = screens.len();
    assert!(n >= 3, "the Microsoft 365 guide has content");
    let home = tempfile::tempdir().unwrap();

    let mut s = Session::start(home.path(), &[]);
    assert!(
        s.wait_for("Where does your office")
            .contains("Microsoft 365")
    );
    assert!(s.parser.lock().unwrap().screen().alternate_screen());
    s.send("1");
    let mut typed_password = false;
    for (i, sc) in screens.iter().enumerate() {
        s.wait_for(&format!("Step {} of {n}", i + 1));
        for f in &sc.fields {
            let v = value(*f);
            s.send(v);
            if f.is_secret() {
                let screen = s.wait_for(&"•".repeat(v.chars().count()));
                assert!(!screen.contains(CANARY), "password visible:\n{screen}");
                typed_password = true;
            } else if !v.is_empty() {
                s.wait_for(v);
            }
            s.send("\t");
        }
        s.send("\r");
    }
    assert!(typed_password);
    s.wait_for("Review your answers");
    let review = s.screen();
    assert!(review.contains("moxiengage@contoso.onmicrosoft.com"));
    assert!(!review.contains(CANARY));
    // Back two screens (wait for each, so Esc is never read as Alt+key).
    s.send("\x1b");
    s.wait_for(&format!("Step {n} of {n}"));
    s.send("\x1b");
    s.wait_for(&format!("Step {} of {n}", n - 1));
    s.send("\x03");
    let (ok, alt, raw) = s.finish();
    assert!(ok, "exit status 0 after Ctrl+C");
    assert!(!alt, "the terminal left the alternate screen");
    assert!(
        !String::from_utf8_lossy(&raw).contains(CANARY),
        "the password was written to the terminal"
    );

    let draft_path = home.path().join("data/draft.json");
    let draft = std::fs::read_to_string(&draft_path).unwrap();
    assert!(draft.contains("3f2b8a4c-9d1e-4c7a-b5e6-0a1b2c3d4e5f"));
    assert!(
        draft.contains(&screens[n - 2].id),
        "saved on the screen left"
    );
    assert!(!draft.contains(CANARY), "the password is in the draft");
    let log = std::fs::read_to_string(home.path().join("logs/moxi-setup.log")).unwrap();
    assert!(!log.is_empty());
    assert!(!log.contains(CANARY), "the password is in the log");

    // Again, continuing the draft without being asked.
    let mut s = Session::start(home.path(), &["--resume"]);
    s.wait_for(&format!("Step {} of {n}", n - 1));
    // Go to the account step by its guide number, then to the review.
    let (acct_idx, acct_step) = guide
        .screens()
        .enumerate()
        .find(|(_, (_, sc))| sc.fields.contains(&FieldId::ServiceAccount))
        .map(|(i, (sec, sc))| (i, format!("{}.{}", sec.number, sc.steps[0].number)))
        .unwrap();
    s.send("\x07"); // Ctrl+G
    s.wait_for("Go to step");
    s.send(&acct_step);
    s.wait_for(&format!("› {acct_step}"));
    s.send("\r");
    let screen = s.wait_for(&format!("Step {} of {n}", acct_idx + 1));
    assert!(screen.contains(value(FieldId::ServiceAccount)), "{screen}");
    assert!(!screen.contains('•'), "no password was kept:\n{screen}");
    for _ in &screens[acct_idx].fields {
        s.send("\t");
    }
    s.send("v");
    let review = s.wait_for("Review your answers");
    for f in [
        FieldId::ServiceAccount,
        FieldId::TestUser,
        FieldId::Tenant,
        FieldId::ClientId,
    ] {
        assert!(review.contains(value(f)), "{f} lost on resume:\n{review}");
    }
    assert!(
        review.contains("(not typed yet)"),
        "the password is not kept"
    );
    s.send("q");
    let (ok, alt, raw) = s.finish();
    assert!(ok);
    assert!(!alt);
    assert!(!String::from_utf8_lossy(&raw).contains(CANARY));
}
