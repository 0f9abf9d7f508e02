//! `genesys-notify doctor`: why do I get 403 (or 401) on notifications?
//!
//! The doctor walks the same steps the client takes — environment, token, scopes, topic
//! permissions, channel, subscription, socket — one REST call each, and stops at the first
//! step that cannot succeed. Every verdict comes from the core: `scope::check` for scopes,
//! `Diagnosis` for every failed reply (which also names the widespread wrong advice that
//! matches the symptom), the `topic` module for budgets. What this module adds is the walk
//! itself, and one search the session never needs: when Genesys refuses a whole batch of
//! topics, it bisects the batch to name the topic at fault.
//!
//! The doctor creates one channel (as the client would); a channel cannot be deleted and
//! expires after 24 hours unused, so the doctor clears its subscriptions when done.

use std::fmt;

use crate::output::diagnosis_fields;
use genesys_notify::core::diagnosis::{Action, Context, Correction, Diagnosis, Step, TokenSource};
use genesys_notify::core::region::Service;
use genesys_notify::core::request::{
    self, Channel, ChannelList, ChannelsOf, Operation, SubscriptionResults, TokenInfo,
};
use genesys_notify::core::scope::{self, Granted, ScopeCheck};
use genesys_notify::core::secret::ShortChannelId;
use genesys_notify::core::topic::{self, MAX_TOPICS_PER_CHANNEL, Topic};
use genesys_notify::core::{BufferTooSmall, request::AvailableTopics};
use genesys_notify::http::{HttpClient, HttpRequest, HttpResponse, bearer};
use genesys_notify::token::{TokenFetchError, TokenKind};
use genesys_notify::{SecretString, agent_topics};
use serde_json::{Map, Value, json};
use tokio_tungstenite::tungstenite;

use super::{DoctorArgs, Exit, parse_environment, usage_error};

/// How many channels one user and OAuth client may hold; a 21st evicts the least recently
/// used (Genesys' documented limit).
const CHANNEL_LIMIT: usize = 20;

/// The most subscription requests one bisection may spend. Genesys allows about 300 requests
/// a minute per token; 32 finds several bad topics among a thousand and stays far below that.
const MAX_BISECT_REQUESTS: usize = 32;

/// How long the socket check waits for the WebSocket handshake.
const SOCKET_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// The REST operations the client performs, whose scopes the token must hold.
const CLIENT_OPERATIONS: [Operation; 7] = [
    Operation::CreateChannel,
    Operation::ChannelExists,
    Operation::PutSubscriptions,
    Operation::GetUser,
    Operation::GetRoutingStatus,
    Operation::GetPresence,
    Operation::GetConversations,
];

/// How bad a finding is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Verdict {
    /// The step works.
    Ok,
    /// Worth knowing; notifications can still work.
    Warning,
    /// Notifications cannot work until this is fixed.
    Fail,
}

impl Verdict {
    fn as_str(self) -> &'static str {
        match self {
            Verdict::Ok => "ok",
            Verdict::Warning => "warning",
            Verdict::Fail => "fail",
        }
    }
}

/// The findings, printed as they are made (a slow step then shows where the doctor is).
struct Report {
    json: bool,
    blocked: bool,
}

impl Report {
    fn finding(&mut self, check: &str, verdict: Verdict, message: impl fmt::Display) {
        self.emit(check, verdict, message.to_string(), Map::new());
    }

    fn diagnosis(&mut self, check: &str, verdict: Verdict, diagnosis: &Diagnosis) {
        let mut fields = diagnosis_fields(diagnosis);
        let message = fields
            .remove("message")
            .and_then(|m| m.as_str().map(str::to_owned))
            .unwrap_or_default();
        self.emit(check, verdict, message, fields);
    }

    fn emit(&mut self, check: &str, verdict: Verdict, message: String, extra: Map<String, Value>) {
        if verdict == Verdict::Fail {
            self.blocked = true;
        }
        if self.json {
            let mut line = Map::new();
            line.insert("check".into(), json!(check));
            line.insert("status".into(), json!(verdict.as_str()));
            line.insert("message".into(), json!(message));
            for (key, value) in extra {
                // The diagnosis' fields add detail; they never replace the verdict.
                line.entry(key).or_insert(value);
            }
            println!("{}", Value::Object(line));
        } else {
            println!("{:<8} {check}: {message}", verdict.as_str().to_uppercase());
        }
    }

    fn exit(&self) -> Exit {
        if self.blocked {
            Exit::Blocked
        } else {
            Exit::Success
        }
    }
}

/// Runs the command.
pub async fn run(args: DoctorArgs) -> Exit {
    let environment = match parse_environment(&args.environment) {
        Ok(environment) => environment,
        Err(exit) => return exit,
    };
    let (provider, tls) = match args.trust.credentials_and_tls() {
        Ok(started) => started,
        Err(exit) => return exit,
    };
    let http = match HttpClient::with_tls(environment.clone(), &tls) {
        Ok(http) => http,
        Err(e) => return usage_error(e),
    };
    let mut report = Report {
        json: args.json,
        blocked: false,
    };
    if !args.json {
        println!("genesys-notify doctor: {environment}");
    }
    let source = match provider.kind() {
        TokenKind::ClientCredentials => TokenSource::ClientCredentials,
        TokenKind::User => TokenSource::UserLogin,
        _ => TokenSource::Static,
    };
    let doctor = Doctor {
        http: &http,
        tls,
        ctx: Context {
            environment: &environment,
            token: source,
            reissued: false,
        },
    };

    report.finding(
        "environment",
        Verdict::Ok,
        format_args!(
            "REST at {}, login at {}, socket at {}",
            environment.origin(Service::Api),
            environment.origin(Service::Login),
            environment.origin(Service::Streaming)
        ),
    );
    let Some(topics) = check_topics(&args, &mut report) else {
        return report.exit();
    };

    let token = match provider.fetch(&http).await {
        Ok(token) => token,
        Err(e) => {
            report.diagnosis("token", Verdict::Fail, &doctor.token_failure(e));
            return report.exit();
        }
    };
    report.finding(
        "token",
        Verdict::Ok,
        match (provider.kind(), token.expires_in) {
            (TokenKind::Static, _) => "using the token in GENESYS_TOKEN".to_owned(),
            (_, Some(lifetime)) => format!(
                "{} issued a token valid for {}",
                environment.token_endpoint(),
                genesys_notify::core::Duration::from(lifetime)
            ),
            (_, None) => format!("{} issued a token", environment.token_endpoint()),
        },
    );
    let bearer = bearer(&token.access_token);
    let rest = Rest {
        doctor: &doctor,
        bearer: &bearer,
    };

    if !rest.check_token_info(&mut report).await {
        return report.exit();
    }
    rest.check_available_topics(&topics, &mut report).await;
    rest.check_agent_reads(&args.users, &mut report).await;
    rest.check_channel_budget(&mut report).await;
    let Some((channel_id, connect_uri)) = rest.create_channel(&mut report).await else {
        return report.exit();
    };
    if !topics.is_empty() {
        rest.check_subscription(&channel_id, &topics, &mut report)
            .await;
        rest.clear_subscriptions(&channel_id).await;
    }
    check_socket(&doctor, &connect_uri, &mut report).await;
    report.exit()
}

/// Validates the topics the user named (agents' topics first), the budget, and wrong advice
/// in the inputs. `None` if nothing more can be checked.
fn check_topics(args: &DoctorArgs, report: &mut Report) -> Option<Vec<String>> {
    for text in std::iter::once(&args.environment).chain(&args.topics) {
        if let Some(correction) = Correction::find_in(text) {
            report.finding(
                "advice",
                Verdict::Fail,
                format_args!("{text:?}: {correction}"),
            );
        }
    }
    let mut topics = Vec::new();
    for user in &args.users {
        match agent_topics(user) {
            Ok(list) => topics.extend(list.iter().map(|t| t.as_str().to_owned())),
            Err(e) => report.finding(
                "topics",
                Verdict::Fail,
                format_args!("--user {user:?}: {e}"),
            ),
        }
    }
    for text in &args.topics {
        match Topic::parse(text) {
            Ok(_) => topics.push(text.clone()),
            Err(e) => report.finding("topics", Verdict::Fail, format_args!("{text:?}: {e}")),
        }
    }
    if topics.is_empty() {
        report.finding(
            "topics",
            Verdict::Warning,
            "no topic to check (name agents with --user or topics with --topic); \
             checking the token and the channel only",
        );
        return Some(topics);
    }
    let parsed: Vec<Topic<'_>> = topics.iter().filter_map(|t| Topic::parse(t).ok()).collect();
    match topic::check_budget(&parsed) {
        Ok(count) => report.finding(
            "topic budget",
            Verdict::Ok,
            format_args!("{count} of the {MAX_TOPICS_PER_CHANNEL} topics a channel holds"),
        ),
        Err(e) => report.finding("topic budget", Verdict::Fail, e),
    }
    Some(topics)
}

/// What every step needs: the REST client and the diagnosis context.
struct Doctor<'a> {
    http: &'a HttpClient,
    /// What REST trusts; the socket check trusts the same.
    tls: std::sync::Arc<rustls::ClientConfig>,
    ctx: Context<'a>,
}

impl Doctor<'_> {
    fn token_failure(&self, error: TokenFetchError) -> Diagnosis {
        let step = Step::Request(Operation::Token);
        match error {
            TokenFetchError::Rejected {
                status,
                body,
                retry_after,
            } => Diagnosis::from_response(
                &self.ctx,
                Operation::Token,
                status,
                retry_after.map(Into::into),
                &body,
            )
            .unwrap_or_else(|| {
                Diagnosis::from_transport(
                    &self.ctx,
                    step,
                    genesys_notify::core::diagnosis::Transport::Other,
                )
            }),
            TokenFetchError::Transport(e) => Diagnosis::from_transport(&self.ctx, step, e.kind()),
            TokenFetchError::Malformed(e) => {
                Diagnosis::from_unreadable_reply(&self.ctx, Operation::Token, e)
            }
            _ => Diagnosis::from_transport(
                &self.ctx,
                step,
                genesys_notify::core::diagnosis::Transport::Other,
            ),
        }
    }
}

/// REST calls with the token.
struct Rest<'a> {
    doctor: &'a Doctor<'a>,
    bearer: &'a SecretString,
}

/// A reply, or the diagnosis of why there was no usable one.
type Reply = Result<HttpResponse, Diagnosis>;

impl Rest<'_> {
    /// Encodes a core request into a buffer as large as it needs, and performs it.
    async fn call(
        &self,
        operation: Operation,
        encode: impl Fn(&mut [u8]) -> Result<HttpRequest, BufferTooSmall>,
    ) -> Reply {
        let ctx = &self.doctor.ctx;
        let mut buf = vec![0u8; 1024];
        let request = match encode(&mut buf) {
            Ok(request) => request,
            Err(BufferTooSmall { needed, .. }) => {
                buf.resize(needed, 0);
                encode(&mut buf).map_err(|_| {
                    Diagnosis::from_transport(
                        ctx,
                        Step::Request(operation),
                        genesys_notify::core::diagnosis::Transport::Other,
                    )
                })?
            }
        };
        let response = self
            .doctor
            .http
            .send(&request, Some(self.bearer))
            .await
            .map_err(|e| Diagnosis::from_transport(ctx, Step::Request(operation), e.kind()))?;
        match Diagnosis::from_response(
            ctx,
            operation,
            response.status,
            response.retry_after.map(Into::into),
            &response.body,
        ) {
            Some(diagnosis) => Err(diagnosis),
            None => Ok(response),
        }
    }

    /// `tokens/me`: the token works in this environment, and holds the scopes the client needs.
    async fn check_token_info(&self, report: &mut Report) -> bool {
        let http = self.doctor.http;
        let reply = self
            .call(Operation::TokensMe, |buf| {
                request::tokens_me(buf).map(|r| http.prepare(&r))
            })
            .await;
        let response = match reply {
            Ok(response) => response,
            Err(diagnosis) => {
                report.diagnosis("token", Verdict::Fail, &diagnosis);
                return false;
            }
        };
        let info = match TokenInfo::parse(&response.body) {
            Ok(info) => info,
            Err(e) => {
                let d = Diagnosis::from_unreadable_reply(&self.doctor.ctx, Operation::TokensMe, e);
                report.diagnosis("token", Verdict::Warning, &d);
                return true;
            }
        };
        let org = info
            .organization
            .and_then(|o| o.name.or(o.id))
            .map(|n| n.to_string())
            .unwrap_or_else(|| "an organisation".to_owned());
        report.finding(
            "token",
            Verdict::Ok,
            format_args!(
                "the token is valid in {} (for {org})",
                self.doctor.ctx.environment
            ),
        );
        // A client-credentials token has no scopes, whatever `authorizedScope` says (Genesys may
        // send an empty list): its roles govern it.
        let granted = match self.doctor.ctx.token {
            TokenSource::ClientCredentials => Granted::ClientCredentials,
            _ => Granted::from_token_info(&info),
        };
        let operations = CLIENT_OPERATIONS.into_iter().filter(|op| {
            // Client-credentials tokens have no user: "my conversations" does not apply.
            *op != Operation::GetConversations
                || self.doctor.ctx.token != TokenSource::ClientCredentials
        });
        // Genesys enforces scopes only where the organisation turned on "Enforce Scopes" (off by
        // default): a missing scope is worth knowing, not a blocking cause. If it does block, the
        // REST call that needs it fails below with a 403 and that finding says so.
        match scope::check(&granted, operations) {
            check @ ScopeCheck::Missing(_) => report.finding("scopes", Verdict::Warning, check),
            check => report.finding("scopes", Verdict::Ok, check),
        }
        true
    }

    /// `availabletopics`: each topic exists, and which permissions it needs.
    async fn check_available_topics(&self, topics: &[String], report: &mut Report) {
        if topics.is_empty() {
            return;
        }
        let http = self.doctor.http;
        let reply = self
            .call(Operation::AvailableTopics, |buf| {
                request::available_topics(buf).map(|r| http.prepare(&r))
            })
            .await;
        let response = match reply {
            Ok(response) => response,
            Err(diagnosis) => {
                report.diagnosis("topic permissions", Verdict::Warning, &diagnosis);
                return;
            }
        };
        let available = match AvailableTopics::parse(&response.body) {
            Ok(available) => available,
            Err(e) => {
                let d = Diagnosis::from_unreadable_reply(
                    &self.doctor.ctx,
                    Operation::AvailableTopics,
                    e,
                );
                report.diagnosis("topic permissions", Verdict::Warning, &d);
                return;
            }
        };
        for text in topics {
            let Ok(topic) = Topic::parse(text) else {
                continue;
            };
            for part in topic.parts() {
                let name = part.to_string();
                let template = available
                    .iter()
                    .find(|t| matches_template(&t.id.to_string(), &name));
                match template {
                    Some(t) => {
                        let permissions: Vec<String> =
                            t.requires_permissions().map(|p| p.to_string()).collect();
                        let needs = if permissions.is_empty() {
                            "no listed permission".to_owned()
                        } else {
                            permissions.join(", ")
                        };
                        report.finding(
                            "topic permissions",
                            Verdict::Ok,
                            format_args!("{name} ({}) needs {needs}", t.id),
                        );
                    }
                    None => report.finding(
                        "topic permissions",
                        Verdict::Fail,
                        format_args!(
                            "{name}: Genesys lists no such topic in availabletopics; \
                             subscribing to it fails with 400 (check the spelling: \
                             routingStatus, conversationsummary)"
                        ),
                    ),
                }
            }
        }
    }

    /// The read the client makes of each agent after every (re)connect: the user with its
    /// presence and routing status. This is where a scope the organisation enforces, or a role
    /// that does not reach the agent's division, shows up as a real refusal.
    async fn check_agent_reads(&self, users: &[String], report: &mut Report) {
        let http = self.doctor.http;
        for user in users.iter().filter(|u| agent_topics(u).is_ok()) {
            let reply = self
                .call(Operation::GetUser, |buf| {
                    request::get_user(buf, user).map(|r| http.prepare(&r))
                })
                .await;
            match reply {
                Ok(_) => report.finding(
                    "agent read",
                    Verdict::Ok,
                    format_args!("{user}'s presence and routing status can be read (the resync after every reconnect)"),
                ),
                Err(diagnosis) => report.diagnosis("agent read", Verdict::Fail, &diagnosis),
            }
        }
    }

    /// The channels this user and OAuth client hold: a 21st evicts the least recently used.
    async fn check_channel_budget(&self, report: &mut Report) {
        let http = self.doctor.http;
        let reply = self
            .call(Operation::ListChannels, |buf| {
                request::list_channels(buf, ChannelsOf::OauthClient).map(|r| http.prepare(&r))
            })
            .await;
        let count = reply
            .map_err(|d| report.diagnosis("channel budget", Verdict::Warning, &d))
            .ok()
            .and_then(|response| {
                ChannelList::parse(&response.body)
                    .ok()
                    .map(|list| list.iter().count())
            });
        match count {
            Some(n) if n >= CHANNEL_LIMIT => report.finding(
                "channel budget",
                Verdict::Warning,
                format_args!(
                    "{n} channels exist for this user and OAuth client; Genesys keeps \
                     {CHANNEL_LIMIT}, so each new one silently evicts the least recently used \
                     (maybe another program's): reuse channels instead of creating one per run"
                ),
            ),
            Some(n) => report.finding(
                "channel budget",
                Verdict::Ok,
                format_args!(
                    "{n} of the {CHANNEL_LIMIT} channels a user and OAuth client may hold"
                ),
            ),
            None => {}
        }
    }

    /// Creates a channel and checks its `connectUri` is on the configured streaming host.
    async fn create_channel(&self, report: &mut Report) -> Option<(String, String)> {
        let http = self.doctor.http;
        let reply = self
            .call(Operation::CreateChannel, |buf| {
                request::create_channel(buf).map(|r| http.prepare(&r))
            })
            .await;
        let response = match reply {
            Ok(response) => response,
            Err(diagnosis) => {
                report.diagnosis("channel", Verdict::Fail, &diagnosis);
                return None;
            }
        };
        let channel = match Channel::parse(&response.body) {
            Ok(channel) => channel,
            Err(e) => {
                let d =
                    Diagnosis::from_unreadable_reply(&self.doctor.ctx, Operation::CreateChannel, e);
                report.diagnosis("channel", Verdict::Fail, &d);
                return None;
            }
        };
        let uri = channel.connect_uri.to_string();
        if let Err(e) = self.doctor.ctx.environment.check_connect_uri(&uri) {
            report.finding(
                "channel",
                Verdict::Fail,
                format_args!("the channel's connectUri: {e}"),
            );
            return None;
        }
        report.finding(
            "channel",
            Verdict::Ok,
            format_args!(
                "created channel {} (its id opens the socket without a token, so it is shown shortened)",
                ShortChannelId(&channel.id.to_string())
            ),
        );
        Some((channel.id.to_string(), uri))
    }

    /// Subscribes with `ignoreErrors=true`; names rejected topics and their missing
    /// permissions, or bisects a batch Genesys refused as a whole.
    async fn check_subscription(&self, channel_id: &str, topics: &[String], report: &mut Report) {
        match self.subscribe(channel_id, topics).await {
            Ok(response) => match SubscriptionResults::parse(&response.body) {
                Ok(results) => {
                    match Diagnosis::from_subscription_results(
                        &self.doctor.ctx,
                        Operation::PutSubscriptions,
                        &results,
                    ) {
                        Some(d) => report.diagnosis("subscription", Verdict::Fail, &d),
                        None => report.finding(
                            "subscription",
                            Verdict::Ok,
                            format_args!("all {} topic(s) permitted", topics.len()),
                        ),
                    }
                }
                Err(e) => {
                    let d = Diagnosis::from_unreadable_reply(
                        &self.doctor.ctx,
                        Operation::PutSubscriptions,
                        e,
                    );
                    report.diagnosis("subscription", Verdict::Warning, &d);
                }
            },
            Err(diagnosis) => {
                report.diagnosis("subscription", Verdict::Fail, &diagnosis);
                if topics.len() > 1 && diagnosis.action() == Action::Stop {
                    let mut budget = MAX_BISECT_REQUESTS;
                    let culprits = self.bisect(channel_id, topics, &mut budget).await;
                    for (topic, d) in &culprits {
                        report.diagnosis(&format!("topic {topic}"), Verdict::Fail, d);
                    }
                    if culprits.is_empty() {
                        report.finding(
                            "subscription",
                            Verdict::Warning,
                            "each half of the batch was accepted on its own; the refusal \
                             depends on the combination (size or budget)",
                        );
                    } else if budget == 0 {
                        report.finding(
                            "subscription",
                            Verdict::Warning,
                            format_args!(
                                "stopped searching after {MAX_BISECT_REQUESTS} requests; \
                                 more topics may be at fault"
                            ),
                        );
                    }
                }
            }
        }
    }

    async fn subscribe(&self, channel_id: &str, topics: &[String]) -> Reply {
        let http = self.doctor.http;
        self.call(Operation::PutSubscriptions, |buf| {
            request::put_subscriptions(buf, channel_id, topics).map(|r| http.prepare(&r))
        })
        .await
    }

    /// Halves a refused batch until single topics are refused, within `budget` requests.
    async fn bisect(
        &self,
        channel_id: &str,
        topics: &[String],
        budget: &mut usize,
    ) -> Vec<(String, Diagnosis)> {
        let mut culprits = Vec::new();
        let mut pending: Vec<&[String]> = vec![topics];
        while let Some(batch) = pending.pop() {
            let (left, right) = batch.split_at(batch.len() / 2);
            for half in [left, right] {
                if half.is_empty() || *budget == 0 {
                    continue;
                }
                *budget -= 1;
                if let Err(d) = self.subscribe(channel_id, half).await {
                    match half {
                        [single] => culprits.push((single.clone(), d)),
                        _ => pending.push(half),
                    }
                }
            }
        }
        culprits
    }

    /// Leaves the doctor's channel without subscriptions (a channel cannot be deleted).
    async fn clear_subscriptions(&self, channel_id: &str) {
        let http = self.doctor.http;
        // Best effort: the channel expires within 24 hours whatever happens here.
        let _ = self
            .call(Operation::DeleteSubscriptions, |buf| {
                request::delete_subscriptions(buf, channel_id).map(|r| http.prepare(&r))
            })
            .await;
    }
}

/// Opens the channel's socket (with no token: it needs none) and closes it again.
async fn check_socket(doctor: &Doctor<'_>, connect_uri: &str, report: &mut Report) {
    let tls = std::sync::Arc::clone(&doctor.tls);
    let proxy = match genesys_notify::proxy::Proxy::from_env().transpose() {
        Ok(proxy) => proxy,
        Err(e) => {
            report.finding("socket", Verdict::Fail, e);
            return;
        }
    };
    let connect = genesys_notify::proxy::connect_websocket(connect_uri, None, tls, proxy.as_ref());
    match tokio::time::timeout(SOCKET_TIMEOUT, connect).await {
        Ok(Ok((mut socket, _))) => {
            // Best effort: the server drops an idle socket anyway.
            let _ = socket.close(None).await;
            report.finding(
                "socket",
                Verdict::Ok,
                "the WebSocket opened (without any token, as it should)",
            );
        }
        Ok(Err(tungstenite::Error::Http(response))) => {
            let d = Diagnosis::from_socket_handshake(&doctor.ctx, response.status().as_u16());
            report.diagnosis("socket", Verdict::Fail, &d);
        }
        Ok(Err(e)) => report.finding(
            "socket",
            Verdict::Fail,
            format_args!("the WebSocket did not open: {e}"),
        ),
        Err(_) => report.finding(
            "socket",
            Verdict::Fail,
            format_args!(
                "the WebSocket did not open within {}s",
                SOCKET_TIMEOUT.as_secs()
            ),
        ),
    }
}

/// Whether a concrete topic matches an `availabletopics` template such as
/// `v2.users.{id}.presence`: same segments, any `{…}` segment standing for one id.
fn matches_template(template: &str, topic: &str) -> bool {
    let mut t = template.split('.');
    let mut c = topic.split('.');
    loop {
        match (t.next(), c.next()) {
            (None, None) => return true,
            (Some(ts), Some(cs)) => {
                let placeholder = ts.starts_with('{') && ts.ends_with('}');
                if !(placeholder && !cs.is_empty() || ts.eq_ignore_ascii_case(cs)) {
                    return false;
                }
            }
            _ => return false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_match_topics_with_any_id_and_the_same_segments() {
        assert!(matches_template(
            "v2.users.{id}.presence",
            "v2.users.8a5b.presence"
        ));
        assert!(matches_template(
            "v2.users.{id}.routingStatus",
            "v2.users.8a5b.routingstatus"
        ));
        assert!(!matches_template(
            "v2.users.{id}.presence",
            "v2.users.8a5b.presence.extra"
        ));
        assert!(!matches_template(
            "v2.routing.queues.{id}.users",
            "v2.users.8a5b.presence"
        ));
    }
}
