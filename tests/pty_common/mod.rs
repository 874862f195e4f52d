//! The real binary in an 80×24 pseudo-terminal (portable-pty + vt100), shared by the PTY
//! tests: output is drained on a thread into a screen emulator and a raw byte log, and every
//! Microsoft host is pointed at loopback so nothing can reach the outside.
#![allow(dead_code)]

use portable_pty::{CommandBuilder, PtySize, native_pty_system};
use std::io::{Read, Write};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub const HOSTS: [&str; 4] = [
    "login.microsoftonline.com",
    "outlook.office365.com",
    "contoso.onmicrosoft.com",
    "autodiscover.contoso.onmicrosoft.com",
];

/// Generous: only there to turn a hang into a failure, never to measure speed.
pub fn timeout() -> Duration {
    let secs = std::env::var("MOXI_PTY_TIMEOUT_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(60);
    Duration::from_secs(secs)
}

pub fn size(cols: u16, rows: u16) -> PtySize {
    PtySize {
        rows,
        cols,
        pixel_width: 0,
        pixel_height: 0,
    }
}

pub struct Session {
    pub parser: Arc<Mutex<vt100::Parser>>,
    raw: Arc<Mutex<Vec<u8>>>,
    writer: Box<dyn Write + Send>,
    child: Box<dyn portable_pty::Child + Send + Sync>,
    reader: Option<std::thread::JoinHandle<()>>,
    master: Box<dyn portable_pty::MasterPty + Send>,
}

pub struct Ended {
    pub success: bool,
    pub alt: bool,
    pub raw: String,
    /// The same output as bytes, as received.
    pub bytes: Vec<u8>,
}

impl Session {
    /// `login` is where `login.microsoftonline.com` goes (the other hosts: a closed port).
    pub fn start(home: &std::path::Path, login: &str, args: &[&str], env: &[(&str, &str)]) -> Self {
        let pair = native_pty_system().openpty(size(80, 24)).unwrap();
        let mut cmd = CommandBuilder::new(env!("CARGO_BIN_EXE_moxi-setup"));
        for host in HOSTS {
            let to = if host == "login.microsoftonline.com" {
                login
            } else {
                "127.0.0.1:9"
            };
            cmd.arg("--resolve");
            cmd.arg(format!("{host}={to}"));
        }
        for a in args {
            cmd.arg(a);
        }
        cmd.env("MOXI_SETUP_HOME", home);
        cmd.env("MOXI_SETUP_NO_KEYCHAIN", "1");
        cmd.env("TERM", "xterm-256color");
        cmd.env("NO_COLOR", "1");
        cmd.env_remove("ACCESSIBLE");
        cmd.env_remove("MOXI_SETUP_TEST_PANIC");
        for (k, v) in env {
            cmd.env(k, v);
        }
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
                        // The raw log first: whatever the screen shows is already in it.
                        r2.lock().unwrap().extend_from_slice(&buf[..n]);
                        p2.lock().unwrap().process(&buf[..n]);
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
            master: pair.master,
        }
    }

    pub fn screen(&self) -> String {
        self.parser.lock().unwrap().screen().contents()
    }

    pub fn wait_for(&self, what: &str) -> String {
        self.wait_until(what, |s| s.contains(what))
    }

    /// Waits until the screen text satisfies `ok` (`what` names the wait in the failure).
    pub fn wait_until(&self, what: &str, ok: impl Fn(&str) -> bool) -> String {
        let end = Instant::now() + timeout();
        loop {
            let s = self.screen();
            if ok(&s) {
                return s;
            }
            if Instant::now() > end {
                panic!("timed out waiting for {what}; screen:\n{s}");
            }
            std::thread::sleep(Duration::from_millis(30));
        }
    }

    /// Every byte the program wrote to the terminal so far (at least what the screen shows).
    pub fn raw_bytes(&self) -> Vec<u8> {
        self.raw.lock().unwrap().clone()
    }

    pub fn send(&mut self, bytes: &str) {
        self.writer.write_all(bytes.as_bytes()).unwrap();
        self.writer.flush().unwrap();
    }

    /// The terminal does not echo what is typed (a no-echo prompt is waiting). Typing before
    /// that is echoed by the terminal itself, whatever the program does, as for a person.
    #[cfg(unix)]
    pub fn echo_off(&self) -> bool {
        self.master.get_termios().is_some_and(|t| {
            let flags = format!("{:?}", t.local_flags);
            !flags
                .split(|c: char| !c.is_ascii_alphanumeric())
                .any(|w| w == "ECHO")
        })
    }

    /// Resizes the pseudo-terminal (the child gets SIGWINCH) and the emulated screen alike.
    pub fn resize(&self, cols: u16, rows: u16) {
        self.master.resize(size(cols, rows)).unwrap();
        self.parser
            .lock()
            .unwrap()
            .screen_mut()
            .set_size(rows, cols);
    }

    /// Waits for the process to end and the reader to drain.
    pub fn finish(mut self) -> Ended {
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
        drop(self.master);
        if let Some(r) = self.reader.take() {
            let _ = r.join();
        }
        let alt = self.parser.lock().unwrap().screen().alternate_screen();
        let bytes = self.raw.lock().unwrap().clone();
        let raw = String::from_utf8_lossy(&bytes).into_owned();
        Ended {
            success: status.success(),
            alt,
            raw,
            bytes,
        }
    }
}
