//! Turns the engine's progress events into `Checking <what>… passed (1.2 s)` lines. Checks run
//! concurrently, so events arrive interleaved; this keeps one line open at a time and holds back
//! the others until their turn, so each result lands on its own check's line. Pure: it returns
//! text and prints nothing. No animation: a line is written once, in two parts at most.

use super::render::check_result;
use super::texts::{t, tf};
use crate::checks::{CheckId, CheckReport, Progress};
use std::collections::{BTreeMap, VecDeque};

/// The state of one run's lines.
#[derive(Debug, Default)]
pub struct CheckPrinter {
    /// Started (or reported) and not yet printed, in the order they started.
    queue: VecDeque<CheckId>,
    /// The check whose `Checking …` has been printed and whose result has not.
    open: Option<CheckId>,
    done: BTreeMap<CheckId, CheckReport>,
    printed: Vec<CheckId>,
}

impl CheckPrinter {
    /// The text to print for one event (often nothing yet).
    pub fn on(&mut self, p: &Progress) -> String {
        match p {
            Progress::Started(id) => self.enqueue(*id),
            // Notes ("trying https://…") would break the one-line-per-check rhythm that a
            // screen reader follows; the result line carries what matters.
            Progress::Note(..) => {}
            Progress::Finished(r) => {
                self.enqueue(r.id);
                self.done.insert(r.id, r.clone());
            }
        }
        self.pump()
    }

    /// The text for the end of the run: results not sent as progress (checks skipped because a
    /// check they need failed), and "not available" for a check that never reported.
    pub fn finish(&mut self, reports: &[CheckReport]) -> String {
        for r in reports {
            self.enqueue(r.id);
            self.done.entry(r.id).or_insert_with(|| r.clone());
        }
        let mut s = self.pump();
        if let Some(id) = self.open.take() {
            s.push_str(t("checks.not_available"));
            s.push('\n');
            self.printed.push(id);
            self.queue.pop_front();
        }
        while let Some(id) = self.queue.pop_front() {
            s.push_str(&tf("checks.checking", &[("what", id.label())]));
            s.push_str(t("checks.not_available"));
            s.push('\n');
            self.printed.push(id);
        }
        s
    }

    fn enqueue(&mut self, id: CheckId) {
        if !self.queue.contains(&id) && !self.printed.contains(&id) {
            self.queue.push_back(id);
        }
    }

    fn pump(&mut self) -> String {
        let mut s = String::new();
        while let Some(&front) = self.queue.front() {
            if self.open.is_none() {
                s.push_str(&tf("checks.checking", &[("what", front.label())]));
                self.open = Some(front);
            }
            match self.done.get(&front) {
                Some(r) => {
                    s.push_str(&check_result(r));
                    self.printed.push(front);
                    self.queue.pop_front();
                    self.open = None;
                }
                None => break,
            }
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::Status;

    fn rep(id: CheckId, status: Status) -> CheckReport {
        CheckReport {
            id,
            status,
            code: String::new(),
            guide_step: None,
            summary: "s".into(),
            detail: String::new(),
            command: None,
            evidence: Default::default(),
            elapsed_ms: 100,
            finished_at: String::new(),
        }
    }

    #[test]
    fn interleaved_events_still_give_one_line_per_check() {
        let mut p = CheckPrinter::default();
        let mut out = String::new();
        out += &p.on(&Progress::Started(CheckId::M365Token));
        out += &p.on(&Progress::Started(CheckId::M365Ews));
        // The second finishes first: its line must wait.
        out += &p.on(&Progress::Finished(rep(CheckId::M365Ews, Status::Pass)));
        assert_eq!(out, "Checking Sign-in gives an access token… ");
        out += &p.on(&Progress::Finished(rep(CheckId::M365Token, Status::Pass)));
        let skipped = rep(CheckId::M365Claims, Status::Skip);
        out += &p.finish(&[skipped]);
        assert_eq!(
            out,
            "Checking Sign-in gives an access token… passed (0.1 s)\n\
             Checking Exchange Web Services answers… passed (0.1 s)\n\
             Checking Token carries the EWS permission… skipped: s\n"
        );
    }

    #[test]
    fn a_check_that_never_reports_is_not_a_pass() {
        let mut p = CheckPrinter::default();
        let mut out = p.on(&Progress::Started(CheckId::M365Tenant));
        out += &p.finish(&[]);
        assert_eq!(out, "Checking Tenant exists… not available yet\n");
    }
}
