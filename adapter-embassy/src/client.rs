//! What the application sees of a running session: the agent's activity and the connection's
//! health, and a way to stop the runner.
//!
//! The runner and the application's tasks (the LED task on the desk light) share one
//! [`ClientState`], usually in a `static`; the raw mutex `M` is the application's choice
//! (`NoopRawMutex` when everything runs on one executor, `CriticalSectionRawMutex` otherwise).

use core::cell::{Cell, RefCell};

use embassy_sync::blocking_mutex::Mutex;
use embassy_sync::blocking_mutex::raw::RawMutex;
use embassy_sync::channel::Channel;
use embassy_sync::signal::Signal;
use genesys_notify_core::agent::Activity;
use genesys_notify_core::diagnosis::Diagnosis;
use genesys_notify_core::light::Health;

use crate::tls::TlsError;

/// A snapshot of what the light should show.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Status {
    /// The first agent's activity.
    pub activity: Activity,
    /// The activity may be out of date (events were missed; a resync is under way).
    pub stale: bool,
    /// The connection's health, as the session judges it.
    pub health: Health,
    /// A notification socket is open.
    pub live: bool,
    /// Reconnections since start.
    pub reconnects: u32,
    /// The most recent TLS refusal since start, if any (a later success does not clear it): it
    /// points at the clock or the trust store.
    pub last_tls_error: Option<TlsError>,
    /// The most recent reason the MQTT runner lost or could not reach the broker, if any (a
    /// later success does not clear it): what `status` should say while the light shows
    /// "cannot reach" or a refusal.
    #[cfg(feature = "mqtt")]
    pub last_broker_failure: Option<crate::mqtt::BrokerFailure>,
    /// How many diagnoses the session has made since start (failed calls it retries, refusals
    /// that stop it): when this grows, [`Client::last_diagnosis`] says the newest in words.
    pub diagnoses: u32,
    /// The session stopped for good; [`crate::Runner::run`] has returned or is about to.
    pub stopped: bool,
}

impl Status {
    const INITIAL: Status = Status {
        activity: Activity::Unknown,
        stale: true,
        health: Health::Connecting,
        live: false,
        reconnects: 0,
        last_tls_error: None,
        #[cfg(feature = "mqtt")]
        last_broker_failure: None,
        diagnoses: 0,
        stopped: false,
    };
}

/// Something the application asks of the runner.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum Command {
    /// Close the sockets and return from [`crate::Runner::run`].
    Shutdown,
}

/// How many commands may wait for the runner; the only one today ends it.
const COMMAND_QUEUE_LEN: usize = 2;

/// State shared by the runner and [`Client`] handles; place it in a `static`.
pub struct ClientState<M: RawMutex> {
    status: Mutex<M, Cell<Status>>,
    /// The newest diagnosis, kept apart from [`Status`]: it is a kilobyte (bounded: it names
    /// topics and permissions), and a status is copied on every change.
    last_diagnosis: Mutex<M, RefCell<Option<Diagnosis>>>,
    changed: Signal<M, Status>,
    commands: Channel<M, Command, COMMAND_QUEUE_LEN>,
}

impl<M: RawMutex> ClientState<M> {
    /// The state before the runner starts: activity unknown, connecting.
    pub const fn new() -> Self {
        Self {
            status: Mutex::new(Cell::new(Status::INITIAL)),
            last_diagnosis: Mutex::new(RefCell::new(None)),
            changed: Signal::new(),
            commands: Channel::new(),
        }
    }

    /// A handle for the application.
    pub fn client(&self) -> Client<'_, M> {
        Client { state: self }
    }

    pub(crate) fn update(&self, change: impl FnOnce(&mut Status)) {
        let (before, after) = self.status.lock(|cell| {
            let before = cell.get();
            let mut after = before;
            change(&mut after);
            cell.set(after);
            (before, after)
        });
        if before != after {
            self.changed.signal(after);
        }
    }

    /// Keeps `diagnosis` as the newest and counts it in the status.
    pub(crate) fn diagnosed(&self, diagnosis: Diagnosis) {
        self.last_diagnosis
            .lock(|cell| *cell.borrow_mut() = Some(diagnosis));
        self.update(|status| status.diagnoses = status.diagnoses.wrapping_add(1));
    }

    pub(crate) async fn command(&self) -> Command {
        self.commands.receive().await
    }
}

impl<M: RawMutex> Default for ClientState<M> {
    fn default() -> Self {
        Self::new()
    }
}

/// The application's handle on a running session; copy it into every task that needs it.
pub struct Client<'a, M: RawMutex> {
    state: &'a ClientState<M>,
}

impl<M: RawMutex> Clone for Client<'_, M> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<M: RawMutex> Copy for Client<'_, M> {}

impl<M: RawMutex> Client<'_, M> {
    /// What the light should show now.
    pub fn status(&self) -> Status {
        self.state.status.lock(Cell::get)
    }

    /// The newest diagnosis the session made, if any: what failed and what it does about it, in
    /// words a person can act on (its `Display`), never containing a secret.
    /// [`Status::diagnoses`] counts them.
    pub fn last_diagnosis(&self) -> Option<Diagnosis> {
        self.state.last_diagnosis.lock(|cell| cell.borrow().clone())
    }

    /// Waits until the status changes and returns the new one. Changes that happen while no
    /// one waits are folded into the latest.
    pub async fn changed(&self) -> Status {
        self.state.changed.wait().await
    }

    /// Asks the runner to close its sockets and return. Waits if earlier commands are still
    /// queued; after the runner has returned, only the first two calls return.
    pub async fn shutdown(&self) {
        self.state.commands.send(Command::Shutdown).await;
    }
}
