//! The plain mode's only contact with the terminal: print text, ask a question and read one
//! line, read a secret without echo. No cursor movement, no colour, no escape sequences.
//!
//! Must never read a secret from piped input: [`Console::read_secret`] refuses to when stdin is
//! not a terminal, and the caller takes the secret from the environment instead.

use secrecy::SecretString;
use std::io::{BufRead, Write};

/// What one question got back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// The line, without its line break and surrounding spaces.
    Line(String),
    /// Input ended (a pipe ran out, or Ctrl-D).
    Eof,
}

/// Line input and text output.
pub struct Console {
    input: Box<dyn BufRead>,
    out: Box<dyn Write>,
    /// Input comes from a person at a terminal (not a pipe or a file).
    pub stdin_tty: bool,
}

impl Console {
    /// Standard input and output.
    pub fn stdio(stdin_tty: bool) -> Console {
        Console {
            input: Box::new(std::io::BufReader::new(std::io::stdin())),
            out: Box::new(std::io::stdout()),
            stdin_tty,
        }
    }

    /// Any reader and writer (tests).
    pub fn new(input: Box<dyn BufRead>, out: Box<dyn Write>, stdin_tty: bool) -> Console {
        Console {
            input,
            out,
            stdin_tty,
        }
    }

    /// Prints text as is. Output errors are ignored: a closed pipe must not stop the wizard
    /// from saving the draft on its way out.
    pub fn say(&mut self, text: &str) {
        let _ = self.out.write_all(text.as_bytes());
        let _ = self.out.flush();
    }

    /// Prints one line.
    pub fn line(&mut self, text: &str) {
        self.say(text);
        self.say("\n");
    }

    /// Prints the prompt and reads one line.
    pub fn ask(&mut self, prompt: &str) -> Answer {
        self.say(prompt);
        let mut buf = String::new();
        let read = self.input.read_line(&mut buf);
        if !self.stdin_tty {
            // Nothing echoed the answer; end the prompt's line so the transcript reads well.
            // The answer itself is not repeated: it could be something that should stay private.
            self.say("\n");
        }
        match read {
            Ok(0) | Err(_) => Answer::Eof,
            Ok(_) => Answer::Line(buf.trim().to_string()),
        }
    }

    /// Reads a secret without echo, from the terminal only. `Ok(None)` when stdin is not a
    /// terminal (never read from a pipe) and on end of input.
    pub fn read_secret(&mut self, prompt: &str) -> std::io::Result<Option<SecretString>> {
        if !self.stdin_tty {
            return Ok(None);
        }
        self.say(prompt);
        match rpassword::read_password() {
            Ok(s) => Ok(Some(SecretString::from(s))),
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => Ok(None),
            Err(e) => Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    #[derive(Clone, Default)]
    struct Shared(Arc<Mutex<Vec<u8>>>);
    impl Write for Shared {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn piped_lines_end_the_prompt_and_never_give_a_secret() {
        let out = Shared::default();
        let mut c = Console::new(
            Box::new(std::io::Cursor::new(b" one \nDemo-Passw0rd!\n".to_vec())),
            Box::new(out.clone()),
            false,
        );
        assert_eq!(c.ask("Q: "), Answer::Line("one".into()));
        assert!(c.read_secret("Password: ").unwrap().is_none());
        // The line meant as a password is still there for the next question, unread.
        assert_eq!(c.ask("Next: "), Answer::Line("Demo-Passw0rd!".into()));
        assert_eq!(c.ask("More: "), Answer::Eof);
        let text = String::from_utf8(out.0.lock().unwrap().clone()).unwrap();
        assert_eq!(text, "Q: \nNext: \nMore: \n");
    }
}
