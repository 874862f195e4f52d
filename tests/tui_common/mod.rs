//! Shared helpers for the wizard tests: a small guide of each platform (written here so the
//! tests do not depend on the real guide content), key helpers and a renderer.
#![allow(dead_code)]

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use moxi_setup::guide;
use moxi_setup::tui::{Effect, Guides, Msg, UiOptions, Wizard, update, view};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use std::sync::Arc;

pub const CANARY: &str = "Canary-Pw-7731!";

pub const TEST_M365: &str = r#"
id = "m365"
platform = "microsoft-365"
title = "Microsoft 365"
intro = "Test guide."

[[sections]]
number = 1
title = "Create the service account"
[[sections.screens]]
id = "t-m365-account"
title = "The service account"
fields = ["service_account", "service_password"]
[[sections.screens.steps]]
number = 1
text = "Open the admin centre and add a user named moxiengage."
[[sections.screens.steps]]
number = 2
text = "Give it a long password and write it down."

[[sections]]
number = 4
title = "Register the app"
[[sections.screens]]
id = "t-m365-app"
title = "App registration"
fields = ["tenant", "client_id"]
checks = ["m365.tenant", "m365.token"]
[[sections.screens.steps]]
number = 17
text = "Open App registrations and choose New registration."
[[sections.screens.steps]]
number = 28
text = "Copy the Application (client) ID and the Directory (tenant) ID."
[[sections.screens]]
id = "t-m365-perms"
title = "Permissions"
checks = ["m365.ews"]
scripts = ["test-script"]
note = "Microsoft is retiring EWS in Exchange Online; see the notice."
[[sections.screens.steps]]
number = 29
text = "Add the EWS permission."
[[sections.screens.steps]]
number = 30
text = "Grant admin consent for the tenant."

[[sections]]
number = 5
title = "Test user"
[[sections.screens]]
id = "t-m365-test-user"
title = "A test mailbox"
fields = ["test_user"]
checks = ["m365.impersonate_test_user"]
[[sections.screens.steps]]
number = 1
text = "Pick a mailbox to test with."

[[fields]]
id = "service_account"
label = "Service account"
help = "The address of the account."
placeholder = "moxiengage@contoso.com"
[[fields]]
id = "service_password"
label = "Password"
help = "Its password."
[[fields]]
id = "tenant"
label = "Tenant"
help = "Directory (tenant) ID or domain."
placeholder = "contoso.onmicrosoft.com"
[[fields]]
id = "client_id"
label = "Application (client) ID"
help = "From the app registration."
[[fields]]
id = "test_user"
label = "Test user"
help = "A mailbox to test with."
"#;

pub const TEST_EX: &str = r#"
id = "ex2016"
platform = "exchange-server"
title = "Exchange Server"
intro = "Test guide."

[[sections]]
number = 1
title = "Service account"
[[sections.screens]]
id = "t-ex-account"
title = "The service account"
fields = ["service_account", "service_password"]
[[sections.screens.steps]]
number = 1
text = "Create the account in Active Directory."

[[sections]]
number = 2
title = "Impersonation"
[[sections.screens]]
id = "t-ex-role"
title = "Give the role"
fields = ["test_user", "ews_url", "ignore_tls_trust"]
checks = ["ex.discover", "ex.impersonate_test_user"]
[[sections.screens.steps]]
number = 4
text = "Assign the impersonation role."

[[fields]]
id = "service_account"
label = "Service account"
help = "x"
[[fields]]
id = "service_password"
label = "Password"
help = "x"
[[fields]]
id = "test_user"
label = "Test user"
help = "x"
[[fields]]
id = "ews_url"
label = "EWS address (optional)"
help = "x"
[[fields]]
id = "ignore_tls_trust"
label = "Ignore certificate trust"
help = "x"
"#;

pub fn test_guides() -> Guides {
    Guides {
        m365: Arc::new(guide::parse("test-m365", TEST_M365).unwrap()),
        exchange: Arc::new(guide::parse("test-ex", TEST_EX).unwrap()),
    }
}

/// The embedded guides when they have content, else the test guides.
pub fn guides_for_snapshots() -> (Guides, &'static str) {
    match Guides::embedded() {
        Ok(g) if g.m365.screen_count() > 0 && g.exchange.screen_count() > 0 => (g, "real"),
        _ => (test_guides(), "test"),
    }
}

pub fn wizard() -> Wizard {
    wizard_with(UiOptions::default())
}

pub fn wizard_with(opts: UiOptions) -> Wizard {
    Wizard::init(opts, test_guides(), None).0
}

pub fn key(code: KeyCode) -> Msg {
    Msg::Key(KeyEvent::new(code, KeyModifiers::NONE))
}

pub fn ctrl(c: char) -> Msg {
    Msg::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL))
}

pub fn shift_tab() -> Msg {
    Msg::Key(KeyEvent::new(KeyCode::BackTab, KeyModifiers::SHIFT))
}

/// Types text key by key; returns every effect.
pub fn type_text(w: &mut Wizard, s: &str) -> Vec<Effect> {
    let mut fx = Vec::new();
    for c in s.chars() {
        fx.extend(update(w, key(KeyCode::Char(c))));
    }
    fx
}

pub fn send(w: &mut Wizard, m: Msg) -> Vec<Effect> {
    update(w, m)
}

pub fn terminal(w: &Wizard, width: u16, height: u16) -> Terminal<TestBackend> {
    let mut t = Terminal::new(TestBackend::new(width, height)).unwrap();
    t.draw(|f| view(w, f)).unwrap();
    t
}

/// The screen as text (one line per row).
pub fn render(w: &Wizard, width: u16, height: u16) -> String {
    let t = terminal(w, width, height);
    let buf = t.backend().buffer();
    let mut out = String::new();
    for y in 0..buf.area.height {
        for x in 0..buf.area.width {
            out.push_str(buf[(x, y)].symbol());
        }
        out.push('\n');
    }
    out
}
