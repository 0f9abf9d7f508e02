//! Changing a channel's topic list, the same way for REST and for socket messages.

use http::StatusCode;
use serde_json::{Value, json};

use crate::error::ApiError;
use crate::state::{State, extend};
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
/// permissions. Returns the `entities` of the response: the resulting list, plus (with
/// `ignore_errors`) every rejected topic with its `state`, `rejectionReason` and
/// `missingPermissions`.
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
    let mut accepted: Vec<String> = Vec::new();
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
                accepted.push(name);
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
    }
    let mut topics = match change {
        Change::Replace => Vec::new(),
        Change::Add | Change::Remove => channel.topics.clone(),
    };
    match change {
        Change::Replace | Change::Add => {
            for t in accepted {
                if !topics
                    .iter()
                    .any(|existing| existing.eq_ignore_ascii_case(&t))
                {
                    topics.push(t);
                }
            }
        }
        Change::Remove => topics.retain(|t| !accepted.iter().any(|a| a.eq_ignore_ascii_case(t))),
    }
    if topics.len() > MAX_TOPICS_PER_CHANNEL {
        return Err(ApiError::bad_request(format!(
            "A channel can have at most {MAX_TOPICS_PER_CHANNEL} topics; this request would make {}",
            topics.len()
        ))
        .param("limit", MAX_TOPICS_PER_CHANNEL));
    }
    channel.topics = topics;
    if change != Change::Remove {
        extend(channel, lifetime);
    }
    let mut entities: Vec<Value> = channel
        .topics
        .iter()
        .map(|t| {
            if ignore_errors {
                json!({"id": t, "state": "Permitted"})
            } else {
                json!({"id": t})
            }
        })
        .collect();
    entities.extend(rejected);
    Ok(entities)
}
