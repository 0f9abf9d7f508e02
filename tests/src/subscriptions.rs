//! Changing a channel's topic list, the same way for REST and for socket messages.

use http::StatusCode;
use serde_json::{Value, json};

use crate::error::ApiError;
use crate::state::{Entry, State, extend};
use crate::topic::{MAX_TOPICS_PER_CHANNEL, expand, missing_permissions};

/// What a request does to the list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Change {
    /// `PUT`: the list becomes the requested topics.
    Replace,
    /// `POST` / socket `subscribe`: the requested topics are added.
    Add,
    /// Socket `unsubscribe`: the requested topics are removed.
    Remove,
}

/// Applies a change to a channel's topics, checking every topic against the channel owner's
/// permissions. Returns the `entities` of the response: the resulting entries as subscribed (a
/// combined topic echoed whole, as Genesys' streaming client sees it \[seen\]), plus (with
/// `ignore_errors`) every rejected topic — each rejected *part* of a combined topic separately —
/// with its `state`, `rejectionReason` and `missingPermissions`.
///
/// The 1 000-topic limit counts entries: a combined topic counts once (Genesys offers combined
/// topics "to remain under the limit", and its streaming client truncates after combining [doc/seen]).
pub(crate) fn apply(
    state: &mut State,
    channel_id: &str,
    requested: &[String],
    change: Change,
    ignore_errors: bool,
    lifetime: std::time::Duration,
) -> Result<Vec<Value>, ApiError> {
    let channel = state
        .channels
        .get_mut(channel_id)
        .ok_or_else(|| ApiError::not_found(format!("Channel {channel_id} was not found")))?;
    let mut accepted: Vec<Entry> = Vec::new();
    let mut rejected: Vec<Value> = Vec::new();
    for topic in requested {
        let parts = match expand(topic) {
            Ok(parts) => parts,
            Err(refusal) if ignore_errors => {
                rejected.push(json!({
                    "id": topic,
                    "state": "Rejected",
                    "rejectionReason": refusal.message(topic),
                }));
                continue;
            }
            Err(refusal) => {
                return Err(
                    ApiError::bad_request(refusal.message(topic)).param("topic", topic.as_str())
                );
            }
        };
        let mut permitted = Vec::new();
        for part in parts {
            let name = part.name();
            let missing = if change == Change::Remove {
                Vec::new()
            } else {
                missing_permissions(
                    &part,
                    channel.owner.user_id.as_deref(),
                    &channel.owner.permissions,
                )
            };
            if missing.is_empty() {
                permitted.push(name);
            } else if ignore_errors {
                rejected.push(json!({
                    "id": name,
                    "state": "Rejected",
                    "rejectionReason": "Missing permissions",
                    "missingPermissions": missing,
                }));
            } else {
                return Err(ApiError::new(
                    StatusCode::FORBIDDEN,
                    "missing.any.permissions",
                    format!(
                        "Unable to subscribe to topic {name}: missing any of the permissions [{}]",
                        missing.join(", ")
                    ),
                )
                .param("topic", name.as_str())
                .param("permissions", missing.join(", ")));
            }
        }
        if !permitted.is_empty() {
            accepted.push(Entry {
                id: topic.clone(),
                parts: permitted,
            });
        }
    }
    let mut entries = match change {
        Change::Replace => Vec::new(),
        Change::Add | Change::Remove => channel.entries.clone(),
    };
    match change {
        Change::Replace | Change::Add => {
            for entry in accepted {
                if !entries.iter().any(|e| e.id.eq_ignore_ascii_case(&entry.id)) {
                    entries.push(entry);
                }
            }
        }
        Change::Remove => {
            // Unsubscribing names parts or entries; every named part leaves every entry.
            let gone: Vec<&String> = accepted.iter().flat_map(|e| &e.parts).collect();
            for entry in &mut entries {
                entry
                    .parts
                    .retain(|p| !gone.iter().any(|g| g.eq_ignore_ascii_case(p)));
            }
            entries.retain(|e| !e.parts.is_empty());
        }
    }
    if entries.len() > MAX_TOPICS_PER_CHANNEL {
        return Err(ApiError::bad_request(format!(
            "A channel can have at most {MAX_TOPICS_PER_CHANNEL} topics; this request would make {}",
            entries.len()
        ))
        .param("limit", MAX_TOPICS_PER_CHANNEL));
    }
    channel.set_entries(entries);
    if change != Change::Remove {
        extend(channel, lifetime);
    }
    let mut entities: Vec<Value> = channel
        .entries
        .iter()
        .map(|e| {
            if ignore_errors {
                json!({"id": e.id, "state": "Permitted"})
            } else {
                json!({"id": e.id})
            }
        })
        .collect();
    entities.extend(rejected);
    Ok(entities)
}
