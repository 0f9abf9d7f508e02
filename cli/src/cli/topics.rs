//! `genesys-notify topics`: explain, validate and pack a topic list, offline.
//!
//! Every check is the core's (`topic` module): what is refused and why, how combined topics
//! expand, how a list packs into as few subscriptions as possible, and whether it fits one
//! channel's budget of 1 000 topics.

use genesys_notify::agent_topics;
use genesys_notify::core::topic::{
    self, MAX_TOPICS_PER_CHANNEL, ReceivedTopic, Topic, TopicBuf, TopicError,
};
use serde_json::{Value, json};

use super::{Exit, TopicsArgs, usage_error};

/// The packing output's capacity: one channel's budget, since a longer list cannot be
/// subscribed on one channel anyway.
const PACK_CAPACITY: usize = MAX_TOPICS_PER_CHANNEL;

/// One input topic and what the core made of it.
struct Checked {
    text: String,
    verdict: Result<Vec<String>, TopicError>,
}

/// Runs the command.
pub fn run(args: TopicsArgs) -> Exit {
    let mut inputs: Vec<String> = Vec::new();
    for user in &args.users {
        match agent_topics(user) {
            Ok(topics) => inputs.extend(topics.iter().map(|t| t.as_str().to_owned())),
            Err(e) => return usage_error(format_args!("--user {user:?}: {e}")),
        }
    }
    inputs.extend(args.topics.iter().cloned());
    if inputs.is_empty() {
        return usage_error("name at least one topic, or an agent with --user");
    }

    let checked: Vec<Checked> = inputs
        .into_iter()
        .map(|text| {
            let verdict = Topic::parse(&text).map(|t| t.parts().map(|p| p.to_string()).collect());
            Checked { text, verdict }
        })
        .collect();
    let valid: Vec<Topic<'_>> = checked
        .iter()
        .filter_map(|c| Topic::parse(&c.text).ok())
        .collect();
    let budget = topic::check_budget(&valid);
    let mut packed: Box<heapless::Vec<TopicBuf, PACK_CAPACITY>> = Box::default();
    let pack = topic::pack(&valid, &mut packed);
    let subscriptions: usize = packed.iter().map(|t| t.as_topic().part_count()).sum();

    let all_valid = checked.iter().all(|c| c.verdict.is_ok());
    if args.json {
        let report = json!({
            "topics": checked.iter().map(describe_json).collect::<Vec<Value>>(),
            "packed": packed.iter().map(|t| t.as_str()).collect::<Vec<_>>(),
            "subscriptions": subscriptions,
            "entries": packed.len(),
            "budget": MAX_TOPICS_PER_CHANNEL,
            "within_budget": budget.is_ok() && pack.is_ok(),
        });
        println!("{report}");
    } else {
        for c in &checked {
            match &c.verdict {
                Ok(parts) => {
                    println!("ok       {}", c.text);
                    for part in parts {
                        println!("           {part}: {}", explain(part));
                    }
                }
                Err(e) => println!("invalid  {}\n           {e}", c.text),
            }
        }
        println!();
        println!(
            "packed into {} topic(s), {subscriptions} subscription(s) of the {MAX_TOPICS_PER_CHANNEL} a channel holds \
             (counting each part, the conservative rule; Genesys very likely counts the {} entries):",
            packed.len(),
            packed.len()
        );
        for t in packed.iter() {
            println!("  {t}");
        }
        if let Err(e) = &budget {
            println!("over budget: {e}");
        } else if let Err(e) = &pack {
            println!("over budget: {e}");
        }
    }
    if all_valid && budget.is_ok() && pack.is_ok() {
        Exit::Success
    } else {
        Exit::Blocked
    }
}

fn describe_json(c: &Checked) -> Value {
    match &c.verdict {
        Ok(parts) => json!({
            "topic": c.text,
            "valid": true,
            "parts": parts.iter().map(|p| json!({"topic": p, "meaning": explain(p)})).collect::<Vec<_>>(),
        }),
        Err(e) => json!({ "topic": c.text, "valid": false, "error": e.to_string() }),
    }
}

/// What an expanded topic delivers, in words.
fn explain(part: &str) -> String {
    match ReceivedTopic::classify(part) {
        ReceivedTopic::User { user_id, kind } => {
            format!("user {user_id}'s {} events", kind.suffix())
        }
        ReceivedTopic::Queue { queue_id, kind } => {
            format!("queue {queue_id}'s {} events", kind.suffix())
        }
        _ => "a topic this tool does not model; its events are passed through raw".to_owned(),
    }
}
