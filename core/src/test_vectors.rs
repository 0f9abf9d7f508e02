//! The real published Genesys payloads in `testdata/genesys/` (see its README for sources), for tests.

macro_rules! vector {
    ($name:literal) => {
        (
            $name,
            include_bytes!(concat!("../../testdata/genesys/", $name)) as &[u8],
        )
    };
}

/// Every vector, by file name.
pub const ALL: &[(&str, &[u8])] = &[
    vector!("channel_create_response__python-sdk-notification-service-example.json"),
    vector!("channel_create_response__quick-hits-cli.json"),
    vector!("event_v2_conversations_chats_members__go-gcloudcx-testdata.json"),
    vector!("event_v2_conversations_chats_messages__go-gcloudcx-testdata.json"),
    vector!("event_v2_users_activity__devcenter-blog-cli-with-powershell.json"),
    vector!("event_v2_users_conversations_callback_acw__maamoon95-e2e.json"),
    vector!("event_v2_users_conversations_callback_disconnect__maamoon95-e2e.json"),
    vector!("heartbeat_channel_metadata__koodaamo-genesys-notifications-readme.json"),
    vector!("subscriptions_request_body__python-sdk-notification-service-example.json"),
];
