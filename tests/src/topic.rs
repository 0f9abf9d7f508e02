//! The topics the simulator publishes, and the rules for subscribing to them.
//!
//! This is deliberately an independent, string-level implementation (no shared code with the
//! project's core): if both sides shared a topic parser, a bug in it would be invisible.

use serde_json::{Value, json};

/// Genesys' limit on topics per channel (more → 400). \[doc\]
pub const MAX_TOPICS_PER_CHANNEL: usize = 1_000;
/// Genesys' limit on the length of a combined topic (`v2.users.{id}?a&b`). \[doc\]
pub const MAX_COMBINED_TOPIC_LEN: usize = 200;

/// The user topics the simulator knows, with what they need.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Template {
    /// The exact spelling after `v2.users.{id}.`.
    pub(crate) suffix: &'static str,
    pub(crate) description: &'static str,
    /// Any one of these permissions lets a caller watch any user; none needed if empty.
    pub(crate) permissions: &'static [&'static str],
    /// Whether a user-context token may watch its own user without the permissions.
    pub(crate) allows_current_user: bool,
}

pub(crate) const TEMPLATES: &[Template] = &[
    Template {
        suffix: "conversations",
        description: "Every conversation the user takes part in, whole, on every change.",
        permissions: &["conversation:communication:view"],
        allows_current_user: true,
    },
    Template {
        suffix: "presence",
        description: "The user's presence (system presence, message, modified date).",
        permissions: &[],
        allows_current_user: true,
    },
    Template {
        suffix: "routingStatus",
        description: "The user's ACD routing status.",
        permissions: &["routing:agent:view"],
        allows_current_user: true,
    },
    Template {
        suffix: "activity",
        description: "Routing status, presence and out-of-office in one event.",
        permissions: &["routing:agent:view"],
        allows_current_user: true,
    },
    Template {
        suffix: "conversationsummary",
        description: "Counts of the user's active and after-call-work conversations per media.",
        permissions: &["conversation:communication:view"],
        allows_current_user: true,
    },
];

/// A valid, single (expanded) user topic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct UserTopic {
    pub(crate) user_id: String,
    pub(crate) template: Template,
}

impl UserTopic {
    pub(crate) fn name(&self) -> String {
        format!("v2.users.{}.{}", self.user_id, self.template.suffix)
    }
}

/// Why a topic string cannot be subscribed to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum TopicRefusal {
    /// `channel.metadata` and `v2.system.*` arrive unasked and cannot be subscribed to.
    Reserved,
    /// Not a topic the simulator knows (or a misspelling of one).
    Unknown,
    /// A combined topic longer than [`MAX_COMBINED_TOPIC_LEN`].
    TooLong,
}

impl TopicRefusal {
    pub(crate) fn message(&self, topic: &str) -> String {
        match self {
            Self::Reserved => {
                format!("Topic {topic} is a system topic and cannot be subscribed to")
            }
            Self::Unknown => format!("Invalid topic {topic}"),
            Self::TooLong => {
                format!("Topic {topic} is longer than {MAX_COMBINED_TOPIC_LEN} characters")
            }
        }
    }
}

fn template(suffix: &str) -> Option<Template> {
    TEMPLATES.iter().copied().find(|t| t.suffix == suffix)
}

/// Splits a requested topic into the single topics it stands for: itself, or the parts of a
/// combined topic `v2.users.{id}?presence&routingStatus`. Spelling is exact.
pub(crate) fn expand(topic: &str) -> Result<Vec<UserTopic>, TopicRefusal> {
    if topic.eq_ignore_ascii_case("channel.metadata")
        || topic.to_ascii_lowercase().starts_with("v2.system.")
    {
        return Err(TopicRefusal::Reserved);
    }
    let rest = topic
        .strip_prefix("v2.users.")
        .ok_or(TopicRefusal::Unknown)?;
    if let Some((user_id, parts)) = rest.split_once('?') {
        if topic.len() > MAX_COMBINED_TOPIC_LEN {
            return Err(TopicRefusal::TooLong);
        }
        if !valid_id(user_id) {
            return Err(TopicRefusal::Unknown);
        }
        return parts
            .split('&')
            .map(|suffix| {
                template(suffix)
                    .map(|template| UserTopic {
                        user_id: user_id.to_owned(),
                        template,
                    })
                    .ok_or(TopicRefusal::Unknown)
            })
            .collect();
    }
    let (user_id, suffix) = rest.split_once('.').ok_or(TopicRefusal::Unknown)?;
    if !valid_id(user_id) {
        return Err(TopicRefusal::Unknown);
    }
    let template = template(suffix).ok_or(TopicRefusal::Unknown)?;
    Ok(vec![UserTopic {
        user_id: user_id.to_owned(),
        template,
    }])
}

fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// The permissions a principal lacks to watch `topic`; empty when it may.
pub(crate) fn missing_permissions(
    topic: &UserTopic,
    current_user: Option<&str>,
    granted: &[String],
) -> Vec<&'static str> {
    let template = topic.template;
    if template.permissions.is_empty()
        || (template.allows_current_user && current_user == Some(topic.user_id.as_str()))
    {
        return Vec::new();
    }
    let has_any = template.permissions.iter().any(|needed| {
        granted
            .iter()
            .any(|g| crate::org::permission_covers(g, needed))
    });
    if has_any {
        Vec::new()
    } else {
        template.permissions.to_vec()
    }
}

/// The `availabletopics` entries, with the fields `expand` asks for.
pub(crate) fn catalogue(expand: &[&str]) -> Value {
    let wants = |field: &str| expand.iter().any(|e| e.eq_ignore_ascii_case(field));
    let entities: Vec<Value> = TEMPLATES
        .iter()
        .map(|t| {
            let mut entry = json!({
                "id": format!("v2.users.{{id}}.{}", t.suffix),
                "description": t.description,
            });
            if wants("requiresPermissions") {
                entry["requiresPermissions"] = json!(t.permissions);
            }
            if wants("permissionDetails") {
                entry["permissionDetails"] = if t.permissions.is_empty() {
                    json!([])
                } else {
                    json!([{
                        "type": "Any",
                        "permissions": t.permissions,
                        "allowsCurrentUser": t.allows_current_user,
                        "enforced": true,
                    }])
                };
            }
            if wants("enforced") {
                entry["enforced"] = json!(true);
            }
            if wants("visibility") {
                entry["visibility"] = json!("Public");
            }
            if wants("transports") {
                entry["transports"] = json!(["Websocket"]);
            }
            if wants("topicParameters") {
                entry["topicParameters"] = json!(["id"]);
            }
            if wants("requiresCurrentUser") {
                entry["requiresCurrentUser"] = json!(false);
            }
            if wants("requiresCurrentUserOrPermission") {
                entry["requiresCurrentUserOrPermission"] = json!(!t.permissions.is_empty());
            }
            if wants("publicApiTemplateUriPaths") {
                entry["publicApiTemplateUriPaths"] =
                    json!([format!("/api/v2/users/{{id}}/{}", t.suffix.to_lowercase())]);
            }
            entry
        })
        .collect();
    json!({ "entities": entities })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn combined_topic_expands_into_each_part() {
        let parts = expand("v2.users.u1?presence&routingStatus").unwrap_or_default();
        let names: Vec<String> = parts.iter().map(UserTopic::name).collect();
        assert_eq!(names, ["v2.users.u1.presence", "v2.users.u1.routingStatus"]);
    }

    #[test]
    fn spelling_is_exact_when_subscribing() {
        assert_eq!(
            expand("v2.users.u1.routingstatus"),
            Err(TopicRefusal::Unknown)
        );
        assert_eq!(
            expand("v2.users.u1.conversationSummary"),
            Err(TopicRefusal::Unknown)
        );
    }

    #[test]
    fn system_topics_are_refused() {
        assert_eq!(expand("channel.metadata"), Err(TopicRefusal::Reserved));
        assert_eq!(
            expand("v2.system.socket_closing"),
            Err(TopicRefusal::Reserved)
        );
    }

    #[test]
    fn combined_topics_over_200_characters_are_refused() {
        let id = "a".repeat(190);
        assert_eq!(
            expand(&format!("v2.users.{id}?presence")),
            Err(TopicRefusal::TooLong)
        );
    }

    #[test]
    fn own_user_needs_no_permission_but_others_do() {
        let topic = expand("v2.users.me-1.conversations").unwrap_or_default();
        let first = topic.first().cloned();
        assert!(first.is_some());
        if let Some(t) = first {
            assert!(missing_permissions(&t, Some("me-1"), &[]).is_empty());
            assert_eq!(
                missing_permissions(&t, Some("other"), &[]),
                ["conversation:communication:view"]
            );
            assert!(missing_permissions(&t, None, &["conversation:*:view".to_owned()]).is_empty());
        }
    }
}
