use genesys_sim::{CORRELATION_HEADER, Operation, Sim, org};
use serde_json::Value;

use crate::support::*;

#[tokio::test]
async fn client_credentials_grant_issues_a_bearer_token_with_its_lifetime() {
    let sim = start().await;
    let response = token_for(
        &sim,
        &[("grant_type", "client_credentials")],
        org::DEMO_CLIENT_ID,
        org::DEMO_CLIENT_SECRET,
    )
    .await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["token_type"], "bearer");
    assert_eq!(body["expires_in"], 86_400);
    assert!(body["access_token"].as_str().is_some_and(|t| t.len() >= 32));
    assert!(body.get("refresh_token").is_none());
}

#[tokio::test]
async fn wrong_secret_gets_the_oauth_error_shape_not_the_api_one() {
    let sim = start().await;
    let response = token_for(
        &sim,
        &[("grant_type", "client_credentials")],
        org::DEMO_CLIENT_ID,
        "wrong",
    )
    .await;
    assert_eq!(response.status(), 401);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"], "invalid_client");
    assert!(body["description"].is_string());
    assert!(body.get("code").is_none());
}

#[tokio::test]
async fn unsupported_and_mismatched_grants_are_refused() {
    let sim = start().await;
    let device = token_for(
        &sim,
        &[("grant_type", "urn:ietf:params:oauth:grant-type:device_code")],
        org::DEMO_CLIENT_ID,
        org::DEMO_CLIENT_SECRET,
    )
    .await;
    assert_eq!(device.status(), 400);
    assert_eq!(
        device.json::<Value>().await.unwrap()["error"],
        "unsupported_grant_type"
    );
    let code_client_asking_cc = token_for(
        &sim,
        &[("grant_type", "client_credentials")],
        org::DEMO_USER_CLIENT_ID,
        org::DEMO_USER_CLIENT_SECRET,
    )
    .await;
    assert_eq!(code_client_asking_cc.status(), 400);
    assert_eq!(
        code_client_asking_cc.json::<Value>().await.unwrap()["error"],
        "unauthorized_client"
    );
}

#[tokio::test]
async fn refresh_and_authorization_code_grants_issue_user_tokens() {
    let sim = start().await;
    let refreshed = token_for(
        &sim,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", org::DEMO_REFRESH_TOKEN),
        ],
        org::DEMO_USER_CLIENT_ID,
        org::DEMO_USER_CLIENT_SECRET,
    )
    .await;
    let body: Value = refreshed.json().await.unwrap();
    assert_eq!(body["refresh_token"], org::DEMO_REFRESH_TOKEN);
    let code = sim.authorization_code(org::DEMO_USER_CLIENT_ID).unwrap();
    let exchanged = token_for(
        &sim,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", "http://localhost/cb"),
        ],
        org::DEMO_USER_CLIENT_ID,
        org::DEMO_USER_CLIENT_SECRET,
    )
    .await;
    assert_eq!(exchanged.status(), 200);
    let again = token_for(
        &sim,
        &[("grant_type", "authorization_code"), ("code", &code)],
        org::DEMO_USER_CLIENT_ID,
        org::DEMO_USER_CLIENT_SECRET,
    )
    .await;
    assert_eq!(again.status(), 400, "a code is good once");
    assert_eq!(
        again.json::<Value>().await.unwrap()["error"],
        "invalid_grant"
    );
}

#[tokio::test]
async fn missing_unknown_and_expired_tokens_get_their_own_401_codes() {
    let sim = Sim::builder().token_lifetime(ms(50)).start().await.unwrap();
    let none = http()
        .get(format!("{}/api/v2/tokens/me", sim.base_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(none.status(), 401);
    assert!(none.headers().contains_key(CORRELATION_HEADER));
    let body: Value = none.json().await.unwrap();
    assert_eq!(body["code"], "authentication.required");
    for key in [
        "message",
        "status",
        "messageParams",
        "contextId",
        "details",
        "errors",
    ] {
        assert!(body.get(key).is_some(), "the error body has {key}");
    }
    let unknown: Value = get(&sim, "not-a-token", "/api/v2/tokens/me")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(unknown["code"], "bad.credentials");
    let token = service_token(&sim).await;
    tokio::time::sleep(ms(60)).await; // the configured token lifetime, passed
    let body: Value = get(&sim, &token, "/api/v2/tokens/me")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(body["code"], "credentials.expired");
}

#[tokio::test]
async fn tokens_me_reports_scopes_organization_and_oauth_client() {
    let sim = start().await;
    let user = get_json(&sim, &agent_token(&sim).await, "/api/v2/tokens/me").await;
    assert!(
        user["authorizedScope"]
            .as_array()
            .unwrap()
            .contains(&Value::from("notifications"))
    );
    assert_eq!(user["organization"]["id"], org::DEMO_ORG_ID);
    assert_eq!(user["homeOrganization"]["id"], org::DEMO_ORG_ID);
    assert_eq!(user["OAuthClient"]["id"], org::DEMO_USER_CLIENT_ID);
    let service = get_json(&sim, &service_token(&sim).await, "/api/v2/tokens/me").await;
    assert_eq!(
        service["authorizedScope"],
        Value::Array(Vec::new()),
        "client credentials have no scopes"
    );
}

#[tokio::test]
async fn client_credentials_cannot_read_users_me_and_list_no_active_conversations() {
    let sim = start().await;
    let token = service_token(&sim).await;
    let response = get(&sim, &token, "/api/v2/users/me").await;
    assert_eq!(response.status(), 400);
    let body: Value = response.json().await.unwrap();
    assert!(body["message"].as_str().unwrap().contains("user context"));
    // As a third party saw the real service answer: 200 and an empty list, not an error.
    let conversations = get(&sim, &token, "/api/v2/conversations").await;
    assert_eq!(conversations.status(), 200);
    let body: Value = conversations.json().await.unwrap();
    assert_eq!(body["entities"], Value::Array(Vec::new()));
    let agent = get_json(&sim, &agent_token(&sim).await, "/api/v2/users/me").await;
    assert_eq!(agent["id"], org::DEMO_AGENT_ID);
}

#[tokio::test]
async fn where_scopes_are_enforced_user_tokens_need_a_scope_and_read_write_covers_readonly() {
    let org = org::Org::demo().enforce_scopes(true).client(
        genesys_sim::OAuthClient::authorization_code("narrow", "s", org::DEMO_AGENT_ID)
            .scopes(["users", "notifications"])
            .refresh_token("rt-narrow"),
    );
    let sim = Sim::builder().org(org).start().await.unwrap();
    let response = token_for(
        &sim,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", "rt-narrow"),
        ],
        "narrow",
        "s",
    )
    .await;
    let token = response.json::<Value>().await.unwrap()["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let user = get(
        &sim,
        &token,
        &format!("/api/v2/users/{}", org::DEMO_AGENT_ID),
    )
    .await;
    assert_eq!(user.status(), 200, "users covers users:readonly");
    let presence = get(
        &sim,
        &token,
        &format!("/api/v2/users/{}/presences/purecloud", org::DEMO_AGENT_ID),
    )
    .await;
    assert_eq!(presence.status(), 403);
    let body: Value = presence.json().await.unwrap();
    assert_eq!(body["code"], "not.authorized");
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("presence:readonly")
    );
    assert_eq!(sim.log().requests_for(Operation::GetPresence).len(), 1);
}

#[tokio::test]
async fn an_org_that_does_not_enforce_scopes_lets_a_narrow_user_token_through() {
    // Genesys' default: scopes are checked only where the org turned "Enforce Scopes" on.
    let org = org::Org::demo().client(
        genesys_sim::OAuthClient::authorization_code("narrow", "s", org::DEMO_AGENT_ID)
            .scopes(["notifications"])
            .refresh_token("rt-narrow"),
    );
    let sim = Sim::builder().org(org).start().await.unwrap();
    let response = token_for(
        &sim,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", "rt-narrow"),
        ],
        "narrow",
        "s",
    )
    .await;
    let token = response.json::<Value>().await.unwrap()["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let presence = get(
        &sim,
        &token,
        &format!("/api/v2/users/{}/presences/purecloud", org::DEMO_AGENT_ID),
    )
    .await;
    assert_eq!(presence.status(), 200);
}

#[tokio::test]
async fn sub_second_token_lifetimes_are_reported_as_one_second_never_zero() {
    let sim = Sim::builder().token_lifetime(ms(50)).start().await.unwrap();
    let response = token_for(
        &sim,
        &[("grant_type", "client_credentials")],
        org::DEMO_CLIENT_ID,
        org::DEMO_CLIENT_SECRET,
    )
    .await;
    assert_eq!(response.json::<Value>().await.unwrap()["expires_in"], 1);
}
