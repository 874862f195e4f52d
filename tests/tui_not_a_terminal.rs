//! Without a terminal the full-screen wizard must not start (crossterm's event stream would
//! panic): it says why in one line and hands over to the plain mode.

use assert_cmd::Command;

#[test]
fn piped_run_says_why_and_does_not_panic() {
    let home = tempfile::tempdir().unwrap();
    let out = Command::cargo_bin("moxi-setup")
        .unwrap()
        .env("MOXI_SETUP_HOME", home.path())
        .env_remove("ACCESSIBLE")
        .write_stdin("")
        .timeout(std::time::Duration::from_secs(60))
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!err.contains("panicked"), "{err}");
    assert!(err.contains("not a terminal"), "{err}");
    // No alternate-screen escape was written to a pipe.
    assert!(!String::from_utf8_lossy(&out.stdout).contains("\x1b[?1049h"));
}
