//! Exchange Server on-premises checks (`ex.*`). Placeholder so the engine dispatch compiles:
//! the Exchange work replaces this file. Produces no report — never a pass it did not earn.

use super::{CheckId, CheckReport, Context, Progress};

/// Runs the Exchange Server checks in `wanted`. (Placeholder: none yet.)
pub async fn run(
    ctx: &Context,
    answers: &crate::answers::Answers,
    wanted: &[CheckId],
    progress: tokio::sync::mpsc::UnboundedSender<Progress>,
    cancel: tokio_util::sync::CancellationToken,
) -> Vec<CheckReport> {
    let _ = (ctx, answers, wanted, progress, cancel);
    Vec::new()
}
