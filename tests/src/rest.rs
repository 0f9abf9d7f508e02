//! The REST surface under `/api/v2`, and the router that also carries login and streaming.

use std::sync::Arc;
use std::time::SystemTime;

use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, head, post};
use http::{HeaderMap, StatusCode};
use rand::Rng;
use serde_json::{Value, json};
use tokio::time::Instant;

use crate::auth::{authenticate, require_scope, require_user};
use crate::error::ApiError;
use crate::state::{Channel, MAX_CHANNELS_PER_OWNER, Shared, State as World};
use crate::subscriptions::{Change, apply};
use crate::topic::catalogue;

type Reply = Result<Response, ApiError>;
type Params = Query<Vec<(String, String)>>;

/// Length of the random part of a channel id (`streaming-0-` + 26 characters, like the real ids).
const CHANNEL_ID_RANDOM_LEN: usize = 26;

pub(crate) fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/oauth/token", post(crate::auth::token))
        .route(
            "/api/v2/notifications/channels",
            post(create_channel).get(list_channels),
        )
        .route("/api/v2/notifications/channels/{id}", head(head_channel))
        .route(
            "/api/v2/notifications/channels/{id}/subscriptions",
            get(get_subscriptions)
                .put(replace_subscriptions)
                .post(add_subscriptions)
                .delete(delete_subscriptions),
        )
        .route(
            "/api/v2/notifications/availabletopics",
            get(available_topics),
        )
        .route("/api/v2/tokens/me", get(token_info))
        .route("/api/v2/users/me", get(get_me))
        .route("/api/v2/users/{id}", get(get_user))
        .route("/api/v2/users/{id}/routingstatus", get(get_routing_status))
        .route("/api/v2/users/{id}/presences/purecloud", get(get_presence))
        .route("/api/v2/conversations", get(get_conversations))
        .route("/channels/{id}", get(crate::socket::connect))
        .fallback(not_found)
        .with_state(shared)
}

async fn not_found() -> ApiError {
    ApiError::not_found("The requested resource was not found.")
}

fn param<'a>(params: &'a [(String, String)], key: &str) -> Option<&'a str> {
    params
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(key))
        .map(|(_, v)| v.as_str())
}

/// Every value of a repeatable, comma-separated parameter (`expand=a,b&expand=c`).
fn list_param<'a>(params: &'a [(String, String)], key: &str) -> Vec<&'a str> {
    params
        .iter()
        .filter(|(k, _)| k.eq_ignore_ascii_case(key))
        .flat_map(|(_, v)| v.split(','))
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .collect()
}

fn new_channel_id() -> String {
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    let mut rng = rand::rng();
    let random: String = (0..CHANNEL_ID_RANDOM_LEN)
        .filter_map(|_| {
            ALPHABET
                .get(rng.random_range(0..ALPHABET.len()))
                .map(|b| char::from(*b))
        })
        .collect();
    format!("streaming-0-{random}")
}

async fn create_channel(State(shared): State<Arc<Shared>>, headers: HeaderMap) -> Reply {
    let principal = authenticate(&shared, &headers)?;
    require_scope(&principal, &["notifications"])?;
    let lifetime = shared.timing.channel_lifetime;
    let id = new_channel_id();
    let body = {
        let mut state = shared.lock();
        evict_if_full(&mut state, &principal);
        let now = Instant::now();
        let channel = Channel {
            id: id.clone(),
            owner: principal,
            entries: Vec::new(),
            topics: Vec::new(),
            expires_at: now + lifetime,
            expires_wall: SystemTime::now() + lifetime,
            last_used: now,
            socket: None,
        };
        let body = channel.summary_json(shared.connect_uri(&id));
        state.channels.insert(id.clone(), channel);
        body
    };
    shared.watch_expiry(id);
    Ok(Json(body).into_response())
}

/// Makes room for one more channel of this owner: the least recently used goes, unconnected
/// channels first.
fn evict_if_full(state: &mut World, principal: &crate::state::Principal) {
    let owned: Vec<(&String, bool, Instant)> = state
        .channels
        .values()
        .filter(|c| c.same_owner(principal))
        .map(|c| (&c.id, c.socket.is_some(), c.last_used))
        .collect();
    if owned.len() < MAX_CHANNELS_PER_OWNER {
        return;
    }
    let victim = owned
        .iter()
        .min_by_key(|(_, connected, last_used)| (*connected, *last_used))
        .map(|(id, _, _)| (*id).clone());
    if let Some(victim) = victim
        && let Some(mut channel) = state.channels.remove(&victim)
    {
        channel.close_socket(1000, "channel evicted");
    }
}

async fn list_channels(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Query(params): Params,
) -> Reply {
    let principal = authenticate(&shared, &headers)?;
    require_scope(&principal, &["notifications"])?;
    let by_client =
        param(&params, "includechannels").is_some_and(|v| v.eq_ignore_ascii_case("oauthclient"));
    let state = shared.lock();
    let entities: Vec<Value> = state
        .channels
        .values()
        .filter(|c| {
            if by_client {
                c.owner.client_id == principal.client_id
            } else {
                c.owner.token == principal.token
            }
        })
        .map(|c| c.summary_json(shared.connect_uri(&c.id)))
        .collect();
    Ok(Json(json!({ "entities": entities })).into_response())
}

async fn head_channel(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Reply {
    let principal = authenticate(&shared, &headers)?;
    require_scope(&principal, &["notifications"])?;
    let exists = shared.lock().channels.contains_key(&id);
    Ok(if exists {
        StatusCode::OK
    } else {
        StatusCode::NOT_FOUND
    }
    .into_response())
}

fn owned_channel_check(
    state: &World,
    id: &str,
    principal: &crate::state::Principal,
) -> Result<(), ApiError> {
    match state.channels.get(id) {
        Some(c) if c.same_owner(principal) => Ok(()),
        _ => Err(ApiError::not_found(format!("Channel {id} was not found"))),
    }
}

async fn get_subscriptions(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Reply {
    let principal = authenticate(&shared, &headers)?;
    require_scope(&principal, &["notifications"])?;
    let state = shared.lock();
    owned_channel_check(&state, &id, &principal)?;
    let entities: Vec<Value> = state
        .channels
        .get(&id)
        .map(|c| c.entries.iter().map(|e| json!({ "id": e.id })).collect())
        .unwrap_or_default();
    Ok(Json(json!({ "entities": entities })).into_response())
}

fn parse_topic_list(body: &Bytes) -> Result<Vec<String>, ApiError> {
    #[derive(serde::Deserialize)]
    struct Item {
        id: String,
    }
    let items: Vec<Item> = serde_json::from_slice(body).map_err(|e| {
        ApiError::bad_request(format!(
            "The request body must be a JSON array of {{\"id\": topic}} objects: {e}"
        ))
    })?;
    Ok(items.into_iter().map(|i| i.id).collect())
}

async fn change_subscriptions(
    shared: Arc<Shared>,
    headers: HeaderMap,
    id: String,
    params: Vec<(String, String)>,
    body: Bytes,
    change: Change,
) -> Reply {
    let principal = authenticate(&shared, &headers)?;
    require_scope(&principal, &["notifications"])?;
    let topics = parse_topic_list(&body)?;
    let ignore_errors =
        param(&params, "ignoreErrors").is_some_and(|v| v.eq_ignore_ascii_case("true"));
    let mut state = shared.lock();
    owned_channel_check(&state, &id, &principal)?;
    let entities = apply(
        &mut state,
        &id,
        &topics,
        change,
        ignore_errors,
        shared.timing.channel_lifetime,
    )?;
    Ok(Json(json!({ "entities": entities })).into_response())
}

async fn replace_subscriptions(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(params): Params,
    body: Bytes,
) -> Reply {
    change_subscriptions(shared, headers, id, params, body, Change::Replace).await
}

async fn add_subscriptions(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(params): Params,
    body: Bytes,
) -> Reply {
    change_subscriptions(shared, headers, id, params, body, Change::Add).await
}

async fn delete_subscriptions(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Reply {
    let principal = authenticate(&shared, &headers)?;
    require_scope(&principal, &["notifications"])?;
    let mut state = shared.lock();
    owned_channel_check(&state, &id, &principal)?;
    if let Some(c) = state.channels.get_mut(&id) {
        c.set_entries(Vec::new());
    }
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn available_topics(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Query(params): Params,
) -> Reply {
    let principal = authenticate(&shared, &headers)?;
    require_scope(&principal, &["notifications"])?;
    Ok(Json(catalogue(&list_param(&params, "expand"))).into_response())
}

async fn token_info(State(shared): State<Arc<Shared>>, headers: HeaderMap) -> Reply {
    let principal = authenticate(&shared, &headers)?;
    let state = shared.lock();
    let org = json!({"id": state.org.id, "name": state.org.name, "selfUri": format!("/api/v2/organizations/{}", state.org.id)});
    let client_name = state
        .org
        .find_client(&principal.client_id)
        .map(|c| c.name.clone())
        .unwrap_or_default();
    Ok(Json(json!({
        "organization": org,
        "homeOrganization": org,
        "authorizedScope": principal.scopes,
        "OAuthClient": {
            "id": principal.client_id,
            "name": client_name,
            "organization": {"id": state.org.id},
        },
    }))
    .into_response())
}

fn user_body(state: &World, user_id: &str, expand: &[&str]) -> Result<Value, ApiError> {
    let user = state
        .org
        .find_user(user_id)
        .ok_or_else(|| ApiError::not_found(format!("User {user_id} was not found")))?;
    let mut body = json!({
        "id": user.id,
        "name": user.name,
        "division": {"id": "8a4f8c3e-0000-4000-8000-0000000000d1", "name": "Home"},
        "email": user.email,
        "state": "active",
        "username": user.email,
        "version": 1,
        "acdAutoAnswer": false,
        "selfUri": format!("/api/v2/users/{}", user.id),
    });
    let wants = |field: &str| expand.iter().any(|e| e.eq_ignore_ascii_case(field));
    if let Some(person) = state.people.get(user_id) {
        if wants("presence") {
            body["presence"] = person.presence_rest();
        }
        if wants("routingStatus") {
            body["routingStatus"] = person.routing_rest(user_id);
        }
    }
    if wants("conversationSummary") {
        body["conversationSummary"] = state.conversation_summary(user_id);
    }
    Ok(body)
}

async fn get_me(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Query(params): Params,
) -> Reply {
    let principal = authenticate(&shared, &headers)?;
    let user_id = require_user(&principal)?;
    require_scope(&principal, &["users:readonly", "user-basic-info"])?;
    let body = user_body(&shared.lock(), &user_id, &list_param(&params, "expand"))?;
    Ok(Json(body).into_response())
}

async fn get_user(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(params): Params,
) -> Reply {
    let principal = authenticate(&shared, &headers)?;
    require_scope(&principal, &["users:readonly", "user-basic-info"])?;
    let body = user_body(&shared.lock(), &id, &list_param(&params, "expand"))?;
    Ok(Json(body).into_response())
}

async fn get_routing_status(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Reply {
    let principal = authenticate(&shared, &headers)?;
    require_scope(&principal, &["routing:readonly"])?;
    let state = shared.lock();
    let person = state
        .people
        .get(&id)
        .ok_or_else(|| ApiError::not_found(format!("User {id} was not found")))?;
    Ok(Json(person.routing_rest(&id)).into_response())
}

async fn get_presence(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Reply {
    let principal = authenticate(&shared, &headers)?;
    require_scope(&principal, &["presence:readonly"])?;
    let state = shared.lock();
    let person = state
        .people
        .get(&id)
        .ok_or_else(|| ApiError::not_found(format!("User {id} was not found")))?;
    Ok(Json(person.presence_rest()).into_response())
}

async fn get_conversations(State(shared): State<Arc<Shared>>, headers: HeaderMap) -> Reply {
    let principal = authenticate(&shared, &headers)?;
    require_scope(&principal, &["conversations:readonly"])?;
    let state = shared.lock();
    // "The active conversations of the logged-in user": a client-credentials token has no user,
    // and the service answers it 200 with an empty list, not an error [seen, third party].
    let entities: Vec<Value> = match &principal.user_id {
        Some(user_id) => state
            .active_conversations(user_id)
            .into_iter()
            .map(|c| c.to_rest_json())
            .collect(),
        None => Vec::new(),
    };
    Ok(Json(json!({
        "entities": entities,
        "pageSize": 25,
        "pageNumber": 1,
        "total": entities.len(),
        "selfUri": "/api/v2/conversations",
    }))
    .into_response())
}
