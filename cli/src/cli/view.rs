//! How `watch` and `demo` show the stream: JSON lines, plain lines, or the light in a terminal.

use std::io::{IsTerminal, Write};

use crate::terminal::TerminalLight;
use genesys_notify::core::agent::Activity;
use genesys_notify::core::light::{Health, Theme};
use genesys_notify::core::secret::ShortChannelId;
use genesys_notify::{ConnectionUpdate, Item};

/// Where items go.
enum Mode {
    /// One JSON line per item (`--json`, `demo --once`).
    Json,
    /// One line of text per item: stdout is not a terminal and JSON was not asked for.
    Text,
    /// The light, redrawn in place, with a status line.
    Light(TerminalLight),
}

/// What has been seen so far, for the light and its status line.
pub struct View {
    mode: Mode,
    /// The agent the light shows (the first one followed).
    light_user: Option<String>,
    health: Health,
    activity: Activity,
    connection: Option<ConnectionUpdate>,
    last_diagnosis: Option<String>,
    caption: Option<String>,
}

impl View {
    /// A view printing JSON lines if `json`, else the light on a terminal, else text lines.
    pub fn new(json: bool, light_user: Option<String>) -> Self {
        let mode = if json {
            Mode::Json
        } else if std::io::stdout().is_terminal() {
            Mode::Light(TerminalLight::new(&Theme::DEFAULT))
        } else {
            Mode::Text
        };
        Self {
            mode,
            light_user,
            health: Health::Connecting,
            activity: Activity::Unknown,
            connection: None,
            last_diagnosis: None,
            caption: None,
        }
    }

    /// A line shown above the status (the demo's current step).
    pub fn set_caption(&mut self, caption: String) {
        self.caption = Some(caption);
    }

    /// Whether the view draws the light (and so wants [`View::redraw`] called regularly).
    pub fn is_light(&self) -> bool {
        matches!(self.mode, Mode::Light(_))
    }

    /// Shows one item. An error means stdout is gone (a closed pipe): stop.
    pub fn show(&mut self, item: &Item) -> std::io::Result<()> {
        // Text lines report connection changes, not every heartbeat's clock.
        let mut connection_changed = false;
        match item {
            Item::Agent(update) if self.light_user.as_deref() == Some(&update.user_id) => {
                self.activity = update.activity;
            }
            Item::Connection(update) => {
                self.health = update.health;
                connection_changed = update.notice.is_some()
                    || self.connection.as_ref().is_none_or(|last| {
                        (last.health, &last.channel_id, last.live, last.reconnects)
                            != (
                                update.health,
                                &update.channel_id,
                                update.live,
                                update.reconnects,
                            )
                    });
                self.connection = Some(update.clone());
            }
            Item::Diagnosis(d) => self.last_diagnosis = Some(d.to_string()),
            Item::Stopped(reason) => self.last_diagnosis = Some(reason.to_string()),
            _ => {}
        }
        let mut out = std::io::stdout().lock();
        match &mut self.mode {
            Mode::Json => writeln!(out, "{}", crate::output::json_line(item))?,
            Mode::Text => {
                if let Some(line) = text_line(item)
                    && (!matches!(item, Item::Connection(_)) || connection_changed)
                {
                    writeln!(out, "{line}")?;
                }
            }
            Mode::Light(_) => {
                drop(out);
                self.redraw()?;
                return Ok(());
            }
        }
        out.flush()
    }

    /// Redraws the light (patterns move even when nothing happens).
    pub fn redraw(&mut self) -> std::io::Result<()> {
        let status = self.status();
        let (health, activity) = (self.health, self.activity);
        let status = match &self.caption {
            Some(caption) => format!("{caption}\n  {status}"),
            None => status,
        };
        if let Mode::Light(light) = &mut self.mode {
            light.set(health, activity);
            let mut out = std::io::stdout().lock();
            out.write_all(light.draw(&status).as_bytes())?;
            out.flush()?;
        }
        Ok(())
    }

    /// The status line under the light.
    fn status(&self) -> String {
        let mut parts = Vec::new();
        if let Some(c) = &self.connection {
            let now = tokio::time::Instant::now();
            if !c.channel_id.is_empty() {
                parts.push(format!("channel {}", ShortChannelId(&c.channel_id)));
            }
            if let Some(at) = c.expires_at {
                parts.push(format!(
                    "renews in {}",
                    genesys_notify::core::Duration::from(at.saturating_duration_since(now))
                ));
            }
            match c.last_heartbeat {
                Some(at) => parts.push(format!(
                    "heartbeat {}s ago",
                    now.saturating_duration_since(at).as_secs()
                )),
                None => parts.push("no heartbeat yet".to_owned()),
            }
            parts.push(format!("{} reconnect(s)", c.reconnects));
        } else {
            parts.push("connecting…".to_owned());
        }
        if let Some(d) = &self.last_diagnosis {
            parts.push(format!("last: {d}"));
        }
        parts.join(" · ")
    }
}

/// An item as one line of plain text.
fn text_line(item: &Item) -> Option<String> {
    Some(match item {
        Item::Event(n) => format!("event {} {}", n.kind(), n.topic().unwrap_or("-")),
        Item::Agent(a) => format!(
            "agent {} {}{}",
            a.user_id,
            a.activity,
            if a.stale { " (stale)" } else { "" }
        ),
        Item::Connection(c) => match c.notice {
            Some(notice) => format!("connection {}: {notice}", c.health),
            None => format!(
                "connection {}{}",
                c.health,
                if c.channel_id.is_empty() {
                    String::new()
                } else {
                    format!(" channel {}", ShortChannelId(&c.channel_id))
                }
            ),
        },
        Item::Diagnosis(d) => format!("diagnosis: {d}"),
        Item::Stopped(reason) => format!("stopped: {reason}"),
        _ => return None,
    })
}
