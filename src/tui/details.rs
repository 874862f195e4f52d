//! The two text overlays of a step screen: the full diagnosis of its failed or warned checks
//! (what went wrong, how to fix it, on which guide step, with the command), and its whole
//! PowerShell in a view larger than the panel. Content only, as plain lines with a kind the
//! view styles; `update` uses [`line_bound`] to keep the scroll position within the text.

use super::model::Wizard;
use super::texts::texts;
use super::update::screen_script;
use crate::checks::Status;

/// How a line is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A check's name and verdict.
    Heading,
    Text,
    /// Where to fix it.
    Step,
    /// Commands to copy (never wrapped into prose).
    Command,
    Blank,
}

/// The diagnosis overlay's lines.
pub fn problem_lines(w: &Wizard) -> Vec<(Kind, String)> {
    let tx = &texts().details;
    let mut out = Vec::new();
    for r in w.screen_problems() {
        if !out.is_empty() {
            out.push((Kind::Blank, String::new()));
        }
        let verdict = if r.status == Status::Fail {
            &texts().checks.fail
        } else {
            &texts().checks.warn
        };
        let code = if r.code.is_empty() {
            String::new()
        } else {
            format!(" ({})", r.code)
        };
        out.push((Kind::Heading, format!("{} — {verdict}{code}", r.id.label())));
        out.push((Kind::Text, r.summary.clone()));
        if !r.detail.trim().is_empty() {
            out.push((Kind::Text, r.detail.clone()));
        }
        if let Some(s) = r.guide_step {
            out.push((
                Kind::Step,
                tx.fix_on_step
                    .replace("{step}", &s.short())
                    .replace("{id}", &s.to_string()),
            ));
        }
        if let Some(c) = r.command.as_deref().filter(|c| !c.trim().is_empty()) {
            out.push((Kind::Text, tx.command.clone()));
            for l in c.lines() {
                out.push((Kind::Command, format!("  {l}")));
            }
        }
        for (k, v) in [("trace_id", "trace"), ("correlation_id", "correlation")] {
            if let Some(id) = r.evidence.get(k) {
                out.push((Kind::Step, format!("{v}: {id}")));
            }
        }
    }
    out
}

/// The PowerShell overlay's lines.
pub fn script_lines(w: &Wizard) -> Vec<(Kind, String)> {
    screen_script(w)
        .map(|s| s.lines().map(|l| (Kind::Command, l.to_string())).collect())
        .unwrap_or_default()
}

/// An upper bound on the shown height of `lines` at the narrowest overlay (an 80-column
/// window), so the scroll position never runs far past the end at any width.
pub fn line_bound(lines: &[(Kind, String)]) -> u16 {
    const NARROWEST: usize = 74;
    let n: usize = lines
        .iter()
        .map(|(_, l)| l.chars().count().div_ceil(NARROWEST).max(1))
        .sum();
    u16::try_from(n).unwrap_or(u16::MAX)
}
