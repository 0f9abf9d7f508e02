//! Ready-made scripts for demos: a plausible stretch of an agent's shift.
//!
//! The CLI's `demo` and the `genesys-sim --demo` program want something to watch without writing
//! a script; tests should script their own steps instead, so each test says what it checks.

use std::time::Duration;

use crate::agent::{Agent, Offer};
use crate::conversation::Media;
use crate::people::Presence;

/// One step of [`shift`], reported to the caller's callback before it happens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Step {
    /// Presence `On Queue`, routing `IDLE`.
    GoOnQueue,
    /// A call alerts.
    Ring,
    /// The call is answered.
    Answer,
    /// The customer is put on hold.
    Hold,
    /// The customer is taken off hold.
    Resume,
    /// The call is consult-transferred to the colleague.
    Transfer,
    /// The call ends; after-call work starts.
    HangUp,
    /// The wrap-up code is submitted.
    WrapUp,
    /// A chat alerts, is answered and ends (no wrap-up).
    Chat,
    /// Presence `Break`, off queue.
    Break,
    /// Presence `Available`, off queue.
    BackFromBreak,
}

/// Plays a short shift: on queue, a call (hold, resume, optionally a consult transfer to
/// `colleague`, hang up, wrap up), a chat, a break. Waits `pace` between steps and calls
/// `announce` before each. One pass takes about 12 × `pace`.
pub async fn shift(
    agent: &Agent,
    colleague: Option<&str>,
    pace: Duration,
    mut announce: impl FnMut(Step),
) {
    let mut step = |s: Step| {
        announce(s);
        tokio::time::sleep(pace)
    };
    step(Step::GoOnQueue).await;
    agent.go_on_queue();
    step(Step::Ring).await;
    let call = agent.ring();
    step(Step::Answer).await;
    call.answer();
    step(Step::Hold).await;
    call.hold();
    step(Step::Resume).await;
    call.resume();
    let call = match colleague {
        Some(colleague) => {
            step(Step::Transfer).await;
            let theirs = call.consult_transfer(colleague);
            step(Step::WrapUp).await;
            call.wrap_up("Transferred");
            theirs
        }
        None => call,
    };
    step(Step::HangUp).await;
    call.hang_up();
    step(Step::WrapUp).await;
    call.wrap_up("Resolved");
    step(Step::Chat).await;
    let chat = agent.offer_with(Offer::new(Media::Chat).wrapup_required(false));
    chat.answer();
    tokio::time::sleep(pace).await;
    chat.customer_hangs_up();
    step(Step::Break).await;
    agent.go_off_queue();
    agent.set_presence(Presence::Break);
    step(Step::BackFromBreak).await;
    agent.set_presence(Presence::Available);
}
