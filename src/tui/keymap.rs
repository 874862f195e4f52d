//! The one keymap table. Key handling, the footer and the `?` help overlay are all generated
//! from [`BINDINGS`], so they cannot drift apart. No state, no I/O.

use super::model::{Focus, Overlay, Page, Wizard};
use crate::answers::FieldKind;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// What a key asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Forward,
    /// Shift+Tab: previous field, or previous screen from the first field.
    Back,
    /// Esc: previous screen.
    BackScreen,
    Up,
    Down,
    ScrollUp,
    ScrollDown,
    Choose(usize),
    Yes,
    No,
    Toggle,
    Reveal,
    RunChecks,
    Copy,
    SaveScript,
    /// Save the support report (review page).
    SaveReport,
    /// The full diagnosis and fixing commands of this screen's failed checks.
    Details,
    /// This screen's whole PowerShell in a large scrollable view.
    ViewScript,
    GoTo,
    Review,
    Help,
    Quit,
}

/// The situation a key is pressed in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ctx {
    pub page: Page,
    /// Kind of the focused field (None: no field has the keyboard).
    pub field: Option<FieldKind>,
    pub has_fields: bool,
    pub has_checks: bool,
    pub has_scripts: bool,
    /// A check of this screen failed or warned: its details can be opened.
    pub has_problems: bool,
    pub screen_share: bool,
    pub overlay: bool,
    /// The export page asks "replace the existing file?" (y/n are answers, not typing).
    pub asking: bool,
    /// The bundle given to `--open` cannot be opened (Enter starts without it).
    pub open_failed: bool,
}

impl Ctx {
    pub fn of(w: &Wizard) -> Ctx {
        let screen = w.screen().map(|(_, s)| s);
        Ctx {
            page: w.page,
            field: match (w.page, w.focus) {
                _ if super::keychain::asking(w) => None,
                // The bundle's passphrase; nothing is typed while it is being tried.
                (Page::OpenBundle, _) if super::open::typing(w) => Some(FieldKind::Secret),
                (Page::OpenBundle, _) => None,
                (Page::Export, _) if super::export::asking(w) => None,
                // The folder is free text: any non-secret text kind makes letters typed.
                (Page::Export, _) if super::export::folder_focused(w) => {
                    Some(FieldKind::OptionalHttpsUrl)
                }
                (Page::Export, _) if w.export.saved.is_none() => Some(FieldKind::Secret),
                (_, Focus::Field(_)) => w.focused_field().map(|f| f.kind()),
                (_, Focus::Actions) => None,
            },
            has_fields: !w.fields().is_empty(),
            has_checks: !w.screen_checks().is_empty(),
            has_scripts: screen.is_some_and(|s| !s.scripts.is_empty()),
            has_problems: !w.screen_problems().is_empty(),
            screen_share: w.opts.screen_share,
            overlay: !matches!(w.overlay, Overlay::None),
            asking: super::export::asking(w) || super::keychain::asking(w),
            open_failed: super::open::failed(w),
        }
    }

    fn on_screen(&self) -> bool {
        matches!(self.page, Page::Screen(_))
    }
    /// A text field has the keyboard: letters are typed, not commands.
    fn typing(&self) -> bool {
        matches!(
            self.field,
            Some(k) if k != FieldKind::YesNo
        )
    }
    fn commands(&self) -> bool {
        !self.typing()
    }
}

/// A key as written in the table.
#[derive(Debug, Clone, Copy)]
pub struct Key {
    pub code: KeyCode,
    pub mods: KeyModifiers,
}

const fn k(code: KeyCode) -> Key {
    Key {
        code,
        mods: KeyModifiers::NONE,
    }
}
const fn ctrl(c: char) -> Key {
    Key {
        code: KeyCode::Char(c),
        mods: KeyModifiers::CONTROL,
    }
}

/// One row of the keymap.
pub struct Binding {
    pub keys: &'static [Key],
    /// How the keys are written for people (`Tab/Enter`).
    pub label: &'static str,
    /// Footer text (short).
    pub short: &'static str,
    /// Help overlay text (a few more words).
    pub help: &'static str,
    /// Lower numbers stay in the footer longest (the help entry is never dropped).
    pub priority: u8,
    pub action: Action,
    pub when: fn(&Ctx) -> bool,
}

/// The keymap. Order is the footer's order.
pub static BINDINGS: &[Binding] = &[
    Binding {
        keys: &[k(KeyCode::Char('?'))],
        label: "?",
        short: "help",
        help: "show or hide this list of keys",
        priority: 0,
        action: Action::Help,
        when: |c| c.field != Some(FieldKind::Secret),
    },
    Binding {
        keys: &[k(KeyCode::F(1))],
        label: "F1",
        short: "help",
        help: "show or hide this list of keys (also inside a password)",
        priority: 9,
        action: Action::Help,
        when: |_| true,
    },
    Binding {
        keys: &[k(KeyCode::Enter), k(KeyCode::Tab)],
        label: "Enter/Tab",
        short: "next",
        help: "next field; from the last field, next screen",
        priority: 1,
        action: Action::Forward,
        when: |c| {
            !matches!(
                c.page,
                Page::Resume | Page::ThirdParty | Page::NoEmail | Page::OpenBundle
            )
        },
    },
    Binding {
        keys: &[k(KeyCode::Enter)],
        label: "Enter",
        short: "open",
        help: "open the bundle with the passphrase typed",
        priority: 1,
        action: Action::Forward,
        when: |c| c.page == Page::OpenBundle && c.field == Some(FieldKind::Secret),
    },
    Binding {
        keys: &[k(KeyCode::Enter)],
        label: "Enter",
        short: "start without it",
        help: "start the wizard without this bundle",
        priority: 1,
        action: Action::Forward,
        when: |c| c.page == Page::OpenBundle && c.open_failed,
    },
    Binding {
        keys: &[k(KeyCode::BackTab)],
        label: "Shift+Tab",
        short: "prev field",
        help: "previous field; from the first field, previous screen",
        priority: 4,
        action: Action::Back,
        when: |c| c.on_screen() && c.has_fields,
    },
    Binding {
        keys: &[k(KeyCode::Esc)],
        label: "Esc",
        short: "back",
        help: "previous screen (nothing you typed is lost)",
        priority: 2,
        action: Action::BackScreen,
        when: |c| {
            !matches!(
                c.page,
                Page::Start | Page::Resume | Page::DemoPicker | Page::OpenBundle
            )
        },
    },
    Binding {
        keys: &[k(KeyCode::Up)],
        label: "↑",
        short: "up",
        help: "move up the list",
        priority: 6,
        action: Action::Up,
        when: |c| matches!(c.page, Page::Start | Page::DemoPicker | Page::Review),
    },
    Binding {
        keys: &[k(KeyCode::Down)],
        label: "↓",
        short: "down",
        help: "move down the list",
        priority: 6,
        action: Action::Down,
        when: |c| matches!(c.page, Page::Start | Page::DemoPicker | Page::Review),
    },
    Binding {
        keys: &[
            k(KeyCode::Char('1')),
            k(KeyCode::Char('2')),
            k(KeyCode::Char('3')),
            k(KeyCode::Char('4')),
        ],
        label: "1-4",
        short: "choose",
        help: "choose that answer",
        priority: 3,
        action: Action::Choose(0),
        when: |c| c.page == Page::Start,
    },
    Binding {
        keys: &[k(KeyCode::Char('y')), k(KeyCode::Enter)],
        label: "y/Enter",
        short: "continue",
        help: "continue the saved answers",
        priority: 1,
        action: Action::Yes,
        when: |c| c.page == Page::Resume,
    },
    Binding {
        keys: &[k(KeyCode::Char('n'))],
        label: "n",
        short: "start over",
        help: "start from the beginning",
        priority: 1,
        action: Action::No,
        when: |c| c.page == Page::Resume,
    },
    Binding {
        keys: &[k(KeyCode::Char('y'))],
        label: "y",
        short: "yes",
        help: "yes: remember the password / replace the existing bundle file",
        priority: 1,
        action: Action::Yes,
        when: |c| c.asking,
    },
    Binding {
        keys: &[k(KeyCode::Char('n'))],
        label: "n",
        short: "no",
        help: "no: do not remember it / keep the existing bundle file",
        priority: 1,
        action: Action::No,
        when: |c| c.asking,
    },
    Binding {
        keys: &[k(KeyCode::Char(' '))],
        label: "Space",
        short: "yes/no",
        help: "switch a yes/no answer",
        priority: 2,
        action: Action::Toggle,
        when: |c| c.field == Some(FieldKind::YesNo),
    },
    Binding {
        keys: &[ctrl('r')],
        label: "Ctrl+R",
        short: "show password",
        help: "show the password while this field has the keyboard",
        priority: 3,
        action: Action::Reveal,
        when: |c| c.field == Some(FieldKind::Secret) && !c.screen_share,
    },
    Binding {
        keys: &[k(KeyCode::Char('r')), k(KeyCode::F(5))],
        label: "r/F5",
        short: "check",
        help: "run this screen's checks again",
        priority: 3,
        action: Action::RunChecks,
        when: |c| c.on_screen() && c.has_checks && c.commands(),
    },
    Binding {
        keys: &[k(KeyCode::Char('d'))],
        label: "d",
        short: "details",
        help: "what went wrong, how to fix it, and the command to run",
        priority: 2,
        action: Action::Details,
        when: |c| c.on_screen() && c.has_problems && c.commands(),
    },
    Binding {
        keys: &[k(KeyCode::Char('w'))],
        label: "w",
        short: "whole commands",
        help: "show all of this step's PowerShell in a large view you can scroll",
        priority: 6,
        action: Action::ViewScript,
        when: |c| c.on_screen() && c.has_scripts && c.commands(),
    },
    Binding {
        keys: &[k(KeyCode::Char('c'))],
        label: "c",
        short: "copy",
        help: "copy the PowerShell commands (they stay on screen)",
        priority: 4,
        action: Action::Copy,
        when: |c| c.on_screen() && c.has_scripts && c.commands(),
    },
    Binding {
        keys: &[k(KeyCode::Char('s'))],
        label: "s",
        short: "save .ps1",
        help: "save the PowerShell commands as a .ps1 file",
        priority: 5,
        action: Action::SaveScript,
        when: |c| c.on_screen() && c.has_scripts && c.commands(),
    },
    Binding {
        keys: &[k(KeyCode::Char('p'))],
        label: "p",
        short: "support report",
        help: "save a report for support (no passwords in it)",
        priority: 4,
        action: Action::SaveReport,
        when: |c| c.page == Page::Review && c.commands(),
    },
    Binding {
        keys: &[k(KeyCode::Char('g'))],
        label: "g",
        short: "go to step",
        help: "go to a guide step by its number, for example 4.30",
        priority: 5,
        action: Action::GoTo,
        when: |c| matches!(c.page, Page::Screen(_) | Page::Review | Page::Export) && c.commands(),
    },
    Binding {
        keys: &[ctrl('g')],
        label: "Ctrl+G",
        short: "go to step",
        help: "go to a guide step by its number (also inside a field)",
        priority: 9,
        action: Action::GoTo,
        when: |c| matches!(c.page, Page::Screen(_) | Page::Review | Page::Export),
    },
    Binding {
        keys: &[k(KeyCode::Char('v'))],
        label: "v",
        short: "review",
        help: "review every answer and check",
        priority: 6,
        action: Action::Review,
        when: |c| c.on_screen() && c.commands(),
    },
    Binding {
        keys: &[k(KeyCode::PageUp)],
        label: "PgUp",
        short: "scroll up",
        help: "scroll the instructions up",
        priority: 8,
        action: Action::ScrollUp,
        when: |c| c.on_screen(),
    },
    Binding {
        keys: &[k(KeyCode::PageDown)],
        label: "PgDn",
        short: "scroll down",
        help: "scroll the instructions down",
        priority: 8,
        action: Action::ScrollDown,
        when: |c| c.on_screen(),
    },
    Binding {
        keys: &[k(KeyCode::Char('q')), ctrl('c')],
        label: "q/Ctrl+C",
        short: "quit",
        help: "save your progress (no passwords) and quit",
        priority: 2,
        action: Action::Quit,
        when: |c| c.commands(),
    },
    Binding {
        keys: &[ctrl('c')],
        label: "Ctrl+C",
        short: "quit",
        help: "save your progress (no passwords) and quit",
        priority: 2,
        action: Action::Quit,
        when: |c| !c.commands(),
    },
];

fn key_matches(want: &Key, got: &KeyEvent) -> bool {
    // Shift is part of the character itself ('?' is Shift+/); BackTab arrives with or
    // without SHIFT depending on the terminal.
    let mods = got.modifiers - KeyModifiers::SHIFT;
    match (want.code, got.code) {
        (KeyCode::Char(a), KeyCode::Char(b)) => {
            let b = if want.mods.contains(KeyModifiers::CONTROL) {
                b.to_ascii_lowercase()
            } else {
                b
            };
            a == b && mods == want.mods
        }
        (KeyCode::BackTab, KeyCode::BackTab) => true,
        (a, b) => a == b && mods == want.mods,
    }
}

/// The action of a key in this situation, if the table has one.
pub fn lookup(ctx: &Ctx, key: &KeyEvent) -> Option<Action> {
    BINDINGS.iter().filter(|b| (b.when)(ctx)).find_map(|b| {
        b.keys
            .iter()
            .find(|k| key_matches(k, key))
            .map(|k| match (b.action, k.code) {
                (Action::Choose(_), KeyCode::Char(c)) => {
                    Action::Choose(c.to_digit(10).unwrap_or(1).saturating_sub(1) as usize)
                }
                (a, _) => a,
            })
    })
}

/// The bindings that apply now, in table order.
pub fn active(ctx: &Ctx) -> Vec<&'static Binding> {
    BINDINGS.iter().filter(|b| (b.when)(ctx)).collect()
}

/// The footer entries (`label short`) that fit `width`: dropped by priority, the help entry
/// always kept.
pub fn footer(ctx: &Ctx, width: usize) -> Vec<(&'static str, &'static str)> {
    // One help entry is enough in the footer; the overlay lists every key.
    let mut seen_help = false;
    let items: Vec<&Binding> = active(ctx)
        .into_iter()
        .filter(|b| {
            if b.action != Action::Help {
                return true;
            }
            let first = !seen_help;
            seen_help = true;
            first
        })
        .collect();
    let mut order: Vec<usize> = (0..items.len()).collect();
    order.sort_by_key(|&i| items[i].priority);
    let sep = 3; // " · "
    // The first help entry that applies is never dropped (`?`, or F1 inside a password).
    let help = items.iter().position(|b| b.action == Action::Help);
    if let Some(h) = help {
        order.retain(|&i| i != h);
        order.insert(0, h);
    }
    let mut keep = vec![false; items.len()];
    let mut used = 0usize;
    for i in order {
        let w = items[i].label.chars().count() + 1 + items[i].short.chars().count();
        let add = if used == 0 { w } else { w + sep };
        if Some(i) == help || used + add <= width {
            keep[i] = true;
            used += add;
        }
    }
    items
        .iter()
        .zip(keep)
        .filter(|(_, k)| *k)
        .map(|(b, _)| (b.label, b.short))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every situation the table distinguishes (page × the flags), with no overlay.
    fn contexts() -> Vec<Ctx> {
        let pages = [
            Page::Resume,
            Page::OpenBundle,
            Page::DemoPicker,
            Page::Start,
            Page::ThirdParty,
            Page::NoEmail,
            Page::Screen(0),
            Page::Review,
            Page::Export,
        ];
        let fields = [
            None,
            Some(FieldKind::Email),
            Some(FieldKind::Secret),
            Some(FieldKind::YesNo),
        ];
        let mut out = Vec::new();
        for page in pages {
            for field in fields {
                for bits in 0u8..128 {
                    let b = |i: u8| bits & (1 << i) != 0;
                    // Combinations that cannot happen: screen flags off a screen, a
                    // yes/no question outside a screen or the export page, a failed open
                    // outside the open page.
                    let screen = matches!(page, Page::Screen(_));
                    if (!screen && (b(0) || b(1) || b(2) || b(3)))
                        || (b(5) && !screen && page != Page::Export)
                        || (b(6) && (page != Page::OpenBundle || field.is_some()))
                    {
                        continue;
                    }
                    out.push(Ctx {
                        page,
                        field,
                        has_fields: b(0),
                        has_checks: b(1),
                        has_scripts: b(2),
                        has_problems: b(3),
                        screen_share: b(4),
                        overlay: false,
                        asking: b(5),
                        open_failed: b(6),
                    });
                }
            }
        }
        out
    }

    #[test]
    fn no_key_means_two_things_at_once() {
        for ctx in contexts() {
            let active = active(&ctx);
            for (i, a) in active.iter().enumerate() {
                for b in &active[i + 1..] {
                    for ka in a.keys {
                        for kb in b.keys {
                            assert!(
                                !(ka.code == kb.code && ka.mods == kb.mods),
                                "{} is both \"{}\" and \"{}\" in {ctx:?}",
                                a.label,
                                a.short,
                                b.short
                            );
                        }
                    }
                }
            }
        }
    }
}
