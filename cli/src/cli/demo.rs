//! `genesys-notify demo`: a simulated Genesys Cloud in this process, the real client against it
//! over loopback, and a scripted agent shift to watch the desk light follow.
//!
//! Nothing is faked on the client side: the client fetches a token, creates a channel,
//! subscribes, connects and resyncs exactly as it would against Genesys, and the simulated
//! cloud publishes the events Genesys would. The script waits for the client to show each step
//! before taking the next, so `--once` prints the same lines every run.

use std::io::{IsTerminal, Write};
use std::time::Duration;

use crate::terminal::FRAME_INTERVAL;
use futures::StreamExt;
use genesys_notify::core::agent::Activity;
use genesys_notify::core::backoff::Backoff;
use genesys_notify::core::light::Health;
use genesys_notify::core::secret::Secret;
use genesys_notify::token::RefreshToken;
use genesys_notify::{ClientBuilder, ConnectionUpdate, Environment, Item};
use genesys_sim::org::{
    DEMO_AGENT_ID, DEMO_REFRESH_TOKEN, DEMO_USER_CLIENT_ID, DEMO_USER_CLIENT_SECRET,
};
use genesys_sim::{Agent, Disconnect, Faults, Media, Presence, Sim};
use tokio::sync::watch;

use super::view::View;
use super::{DemoArgs, Exit, usage_error};

/// The simulated cloud's heartbeat: a second, so the status line visibly ticks.
const HEARTBEAT: Duration = Duration::from_secs(1);

/// Time between `socket_closing` and the server's close: Genesys gives a minute, the demo
/// two seconds, still ample for the client to connect a replacement first.
const SOCKET_CLOSING_LEAD: Duration = Duration::from_secs(2);

/// How long the client keeps the old socket open after a rollover's new one connects.
const ROLLOVER_OVERLAP: Duration = Duration::from_millis(500);

/// How long each step stays on screen in the terminal, so a person can see it.
const STEP_PAUSE: Duration = Duration::from_millis(2500);

/// How long a step may take to show before the demo gives up on it and moves on.
const STEP_PATIENCE: Duration = Duration::from_secs(10);

/// What the client has shown so far; the script waits on it.
#[derive(Clone, Debug, Default)]
struct Shown {
    activity: Option<Activity>,
    stale: bool,
    health: Option<Health>,
    channel_id: String,
    /// How many times the connection became live: a reconnection shows as one more.
    times_live: u32,
    /// Every trusted activity shown, in order: a step looks for its activity among those shown
    /// since it acted, so a state that is shown only briefly still counts.
    history: Vec<Activity>,
}

/// Runs the command.
pub async fn run(args: DemoArgs) -> Exit {
    let once = args.once || !std::io::stdout().is_terminal();
    let sim = match Sim::builder()
        .heartbeat_interval(HEARTBEAT)
        .socket_closing_lead(SOCKET_CLOSING_LEAD)
        .start()
        .await
    {
        Ok(sim) => sim,
        Err(e) => return usage_error(format_args!("the simulated cloud did not start: {e}")),
    };
    let environment = match Environment::parse(&sim.base_url()) {
        Ok(environment) => environment,
        Err(e) => return usage_error(format_args!("the simulated cloud's URL: {e}")),
    };
    let provider = RefreshToken::new(
        DEMO_USER_CLIENT_ID,
        Secret::new(DEMO_USER_CLIENT_SECRET.to_owned()),
        Secret::new(DEMO_REFRESH_TOKEN.to_owned()),
    );
    let started = ClientBuilder::new(environment)
        .token_provider(provider)
        .agent(DEMO_AGENT_ID)
        .configure(|config| {
            config
                .heartbeat_interval(HEARTBEAT.into())
                .rollover_overlap(ROLLOVER_OVERLAP.into())
                .backoff(Backoff::new(
                    Duration::from_millis(100).into(),
                    Duration::from_secs(2).into(),
                ))
        })
        .start();
    let mut notifications = match started {
        Ok(notifications) => notifications,
        Err(e) => return usage_error(e),
    };

    let (shown_tx, shown_rx) = watch::channel(Shown::default());
    let (caption_tx, mut caption_rx) = watch::channel(String::from("starting"));
    let pause = if once {
        Duration::from_millis(50)
    } else {
        STEP_PAUSE
    };
    let mut script = tokio::spawn(shift(
        sim.agent(DEMO_AGENT_ID),
        sim.faults(),
        shown_rx,
        caption_tx,
        pause,
        !once,
    ));
    let mut view = View::new(once, Some(DEMO_AGENT_ID.to_owned()));
    let mut last_printed: Option<ConnectionUpdate> = None;
    let mut frames = tokio::time::interval(FRAME_INTERVAL);
    frames.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    loop {
        tokio::select! {
            item = notifications.next() => {
                let Some(item) = item else { return Exit::Blocked };
                shown_tx.send_modify(|shown| observe(shown, &item));
                let stopped = matches!(item, Item::Stopped(_));
                let shown = if once { print_change(&item, &mut last_printed) } else { view.show(&item) };
                if shown.is_err() {
                    return Exit::Success;
                }
                if stopped {
                    return Exit::Blocked;
                }
            }
            done = &mut script => {
                return match done {
                    Ok(()) => Exit::Success,
                    Err(e) => usage_error(format_args!("the demo script failed: {e}")),
                };
            }
            _ = caption_rx.changed() => view.set_caption(caption_rx.borrow().clone()),
            _ = frames.tick(), if view.is_light() => {
                if view.redraw().is_err() {
                    return Exit::Success;
                }
            }
        }
    }
}

/// Records what an item shows.
fn observe(shown: &mut Shown, item: &Item) {
    match item {
        Item::Agent(a) => {
            shown.activity = Some(a.activity);
            shown.stale = a.stale;
            if !a.stale {
                shown.history.push(a.activity);
            }
        }
        Item::Connection(c) => {
            if c.health == Health::Live && shown.health != Some(Health::Live) {
                shown.times_live += 1;
            }
            shown.health = Some(c.health);
            shown.channel_id.clone_from(&c.channel_id);
        }
        _ => {}
    }
}

/// Prints an item as a JSON line if it is a change: every agent update and diagnosis, and
/// connection updates that change more than the heartbeat clock.
fn print_change(item: &Item, last: &mut Option<ConnectionUpdate>) -> std::io::Result<()> {
    let changed = match item {
        Item::Agent(_) | Item::Diagnosis(_) | Item::Stopped(_) => true,
        Item::Connection(c) => {
            let same = last.as_ref().is_some_and(|l| {
                l.health == c.health
                    && l.channel_id == c.channel_id
                    && l.live == c.live
                    && l.reconnects == c.reconnects
            });
            *last = Some(c.clone());
            !same || c.notice.is_some()
        }
        _ => false,
    };
    if changed {
        let mut out = std::io::stdout().lock();
        writeln!(out, "{}", crate::output::json_line(item))?;
        out.flush()?;
    }
    Ok(())
}

/// The scripted shift, step by step; repeated while `repeat`.
async fn shift(
    agent: Agent,
    faults: Faults,
    mut shown: watch::Receiver<Shown>,
    caption: watch::Sender<String>,
    pause: Duration,
    repeat: bool,
) {
    let say = |text: &str| {
        caption.send_replace(text.to_owned());
    };
    say("connecting to the simulated cloud");
    wait(&mut shown, |s| s.health == Some(Health::Live)).await;
    loop {
        tokio::time::sleep(pause).await;
        say("the agent goes on queue");
        let mark = shown.borrow().history.len();
        agent.go_on_queue();
        wait_for(&mut shown, mark, Activity::OnQueue, pause).await;

        say("a call rings");
        let mark = shown.borrow().history.len();
        let call = agent.ring();
        wait_for(&mut shown, mark, Activity::Alerting, pause).await;
        say("the agent answers");
        let mark = shown.borrow().history.len();
        call.answer();
        wait_for(&mut shown, mark, Activity::OnCall, pause).await;
        say("the customer is put on hold");
        let mark = shown.borrow().history.len();
        call.hold();
        wait_for(&mut shown, mark, Activity::Held, pause).await;
        say("the call resumes");
        let mark = shown.borrow().history.len();
        call.resume();
        wait_for(&mut shown, mark, Activity::OnCall, pause).await;
        say("the agent hangs up: after-call work");
        let mark = shown.borrow().history.len();
        call.hang_up();
        wait_for(&mut shown, mark, Activity::WrapUp, pause).await;
        say("the agent wraps up");
        let mark = shown.borrow().history.len();
        call.wrap_up("Resolved");
        wait_for(&mut shown, mark, Activity::OnQueue, pause).await;

        say("a chat is offered");
        let mark = shown.borrow().history.len();
        let chat = agent.offer(Media::Chat);
        wait_for(&mut shown, mark, Activity::Alerting, pause).await;
        say("the agent takes the chat");
        let mark = shown.borrow().history.len();
        chat.answer();
        wait_for(&mut shown, mark, Activity::Interacting, pause).await;
        say("the chat ends");
        let mark = shown.borrow().history.len();
        chat.hang_up();
        wait_for(&mut shown, mark, Activity::WrapUp, pause).await;
        let mark = shown.borrow().history.len();
        chat.wrap_up("Answered");
        wait_for(&mut shown, mark, Activity::OnQueue, pause).await;

        say("Genesys announces maintenance (socket_closing): the client rolls over");
        let channel = shown.borrow().channel_id.clone();
        faults.socket_closing(&channel);
        wait(&mut shown, |s| {
            s.channel_id != channel && s.health == Some(Health::Live)
        })
        .await;
        // Let the rollover finish (the old socket closes after the overlap) before the next fault.
        tokio::time::sleep(pause.max(ROLLOVER_OVERLAP * 2)).await;

        say("the network drops the socket: the client reconnects and re-reads the state");
        let times_live = shown.borrow().times_live;
        faults.drop_all_sockets(Disconnect::Reset);
        wait(&mut shown, |s| {
            s.times_live > times_live && s.health == Some(Health::Live)
        })
        .await;
        tokio::time::sleep(pause).await;

        say("the agent takes a break");
        agent.go_off_queue();
        let mark = shown.borrow().history.len();
        agent.set_presence(Presence::Break);
        wait_for(&mut shown, mark, Activity::Break, pause).await;
        say("back, available");
        let mark = shown.borrow().history.len();
        agent.set_presence(Presence::Available);
        wait_for(&mut shown, mark, Activity::Available, pause).await;
        say("the agent logs off");
        let mark = shown.borrow().history.len();
        agent.set_presence(Presence::Offline);
        wait_for(&mut shown, mark, Activity::Offline, pause).await;
        if !repeat {
            return;
        }
        agent.set_presence(Presence::Available);
    }
}

/// Waits until the client has shown `activity` (trusted) since the history's `mark`, then lets
/// the screen show it for `pause`.
async fn wait_for(
    shown: &mut watch::Receiver<Shown>,
    mark: usize,
    activity: Activity,
    pause: Duration,
) {
    wait(shown, |s| {
        s.history
            .get(mark..)
            .is_some_and(|since| since.contains(&activity))
    })
    .await;
    tokio::time::sleep(pause).await;
}

/// Waits until `done` holds for what the client shows, or [`STEP_PATIENCE`] passes.
async fn wait(shown: &mut watch::Receiver<Shown>, done: impl Fn(&Shown) -> bool) {
    // Past the patience the demo moves on: the terminal then shows why the step did not
    // show (a diagnosis in the status line), and --once output simply lacks the line.
    let _ = tokio::time::timeout(STEP_PATIENCE, shown.wait_for(|s| done(s))).await;
}
