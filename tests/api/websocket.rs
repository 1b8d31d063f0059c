//! GraphQL over WebSocket: both subprotocols, authentication in `connection_init`, and
//! every protocol error closing with its code.

use std::time::Duration;

use jsonwebtoken::{Algorithm, EncodingKey, Header, encode};
use serde_json::{Value, json};

use crate::helpers::ws::{LEGACY_WS, Received, TRANSPORT_WS};
use crate::helpers::{TEST_JWT_SECRET, TestApp};

const VIEWER: &str = "{ viewer { username } }";

/// The `subscribe` message type of a protocol.
fn start(protocol: &str) -> &'static str {
    if protocol == TRANSPORT_WS {
        "subscribe"
    } else {
        "start"
    }
}

fn data_type(protocol: &str) -> &'static str {
    if protocol == TRANSPORT_WS {
        "next"
    } else {
        "data"
    }
}

#[tokio::test]
async fn queries_run_over_both_subprotocols() {
    let app = TestApp::spawn_with_demo().await;
    for protocol in [TRANSPORT_WS, LEGACY_WS] {
        let mut client = app.ws_ready(protocol, None).await;
        client
            .subscribe(
                start(protocol),
                "q1",
                "{ papers(first: 1) { totalCount } }",
                json!({}),
            )
            .await;
        let result = client.next_json().await;
        assert_eq!(result["type"], data_type(protocol), "{protocol}");
        assert_eq!(result["id"], "q1");
        assert_eq!(result["payload"]["data"]["papers"]["totalCount"], 43);
        assert_eq!(
            client.next_json().await,
            json!({ "type": "complete", "id": "q1" })
        );
    }
}

#[tokio::test]
async fn the_connection_init_token_signs_the_socket_in() {
    let app = TestApp::spawn().await;
    let user = app.register("socketeer").await;
    for (protocol, key) in [
        (TRANSPORT_WS, "authorization"),
        (LEGACY_WS, "Authorization"),
    ] {
        let mut client = app.ws(protocol).await;
        client
            .send_json(json!({ "type": "connection_init", "payload": { key: format!("Bearer {}", user.access_token) } }))
            .await;
        assert_eq!(client.next_json().await["type"], "connection_ack");
        client
            .subscribe(start(protocol), "v", VIEWER, json!({}))
            .await;
        let result = client.next_json().await;
        assert_eq!(
            result["payload"]["data"]["viewer"]["username"], "socketeer",
            "{protocol}"
        );
    }
    let mut anonymous = app.ws_ready(TRANSPORT_WS, None).await;
    anonymous
        .subscribe("subscribe", "v", VIEWER, json!({}))
        .await;
    assert_eq!(
        anonymous.next_json().await["payload"]["data"]["viewer"],
        Value::Null
    );
}

#[tokio::test]
async fn an_invalid_token_is_refused_with_4403_and_no_ack() {
    let app = TestApp::spawn().await;
    let expired = encode(
        &Header::new(Algorithm::HS256),
        &json!({ "sub": "1", "iat": 1, "exp": 2, "iss": "paperboard", "aud": "paperboard-api", "jti": "x" }),
        &EncodingKey::from_secret(TEST_JWT_SECRET.as_bytes()),
    )
    .unwrap();
    for token in ["garbage", expired.as_str()] {
        let mut client = app.ws(TRANSPORT_WS).await;
        client.init(Some(token)).await;
        assert_eq!(client.close_code().await.0, 4403);
    }
    // Legacy clients are told why, then closed the same way.
    let mut legacy = app.ws(LEGACY_WS).await;
    legacy.init(Some("garbage")).await;
    assert_eq!(legacy.next_json().await["type"], "connection_error");
    assert_eq!(legacy.close_code().await.0, 4403);
    // A present but malformed authorization is not anonymous either.
    let mut malformed = app.ws(TRANSPORT_WS).await;
    malformed
        .send_json(
            json!({ "type": "connection_init", "payload": { "authorization": "Basic abc" } }),
        )
        .await;
    assert_eq!(malformed.close_code().await.0, 4403);
    // Two credentials are ambiguous, even when one is valid.
    let user = app.register("twice").await;
    let bearer = format!("Bearer {}", user.access_token);
    let mut doubled = app.ws(TRANSPORT_WS).await;
    doubled
        .send_json(json!({ "type": "connection_init", "payload": {
            "authorization": bearer, "Authorization": "Bearer garbage" } }))
        .await;
    assert_eq!(doubled.close_code().await.0, 4403);
}

#[tokio::test]
async fn a_socket_without_connection_init_is_closed_with_4408() {
    let app = TestApp::spawn().await;
    let mut client = app.ws(TRANSPORT_WS).await;
    let (code, reason) = client.close_code().await;
    assert_eq!(code, 4408);
    assert!(reason.len() < 123);
}

#[tokio::test]
async fn protocol_violations_close_with_their_codes() {
    let app = TestApp::spawn().await;

    let mut invalid = app.ws_ready(TRANSPORT_WS, None).await;
    invalid.send_text("this is not json").await;
    let (code, reason) = invalid.close_code().await;
    assert_eq!(code, 4400);
    assert!(reason.len() < 123);

    let mut unknown_type = app.ws_ready(TRANSPORT_WS, None).await;
    unknown_type
        .send_json(json!({ "type": "start", "id": "1", "payload": { "query": "{ __typename }" } }))
        .await;
    assert_eq!(
        unknown_type.close_code().await.0,
        4400,
        "legacy verbs are invalid in graphql-transport-ws"
    );

    let mut early = app.ws(TRANSPORT_WS).await;
    early
        .subscribe("subscribe", "1", "{ __typename }", json!({}))
        .await;
    assert_eq!(
        early.close_code().await.0,
        4401,
        "subscribe before connection_ack"
    );

    let mut twice = app.ws_ready(TRANSPORT_WS, None).await;
    twice.init(None).await;
    assert_eq!(twice.close_code().await.0, 4429);

    let mut huge = app.ws_ready(TRANSPORT_WS, None).await;
    let padding = "x".repeat(70 * 1024);
    huge.send_text(&format!(
        r#"{{"type":"ping","payload":{{"pad":"{padding}"}}}}"#
    ))
    .await;
    assert_eq!(huge.close_code().await.0, 1009, "message too big");
}

#[tokio::test]
async fn pings_are_answered() {
    let app = TestApp::spawn().await;
    let mut client = app.ws_ready(TRANSPORT_WS, None).await;
    client
        .send_json(json!({ "type": "ping", "payload": { "n": 1 } }))
        .await;
    assert_eq!(
        client.next_json().await,
        json!({ "type": "pong", "payload": { "n": 1 } })
    );
}

#[tokio::test]
async fn mutations_are_refused_on_the_socket() {
    let app = TestApp::spawn().await;
    let mut client = app.ws_ready(TRANSPORT_WS, None).await;
    client
        .subscribe(
            "subscribe",
            "m",
            r#"mutation { register(input: {username: "viasocket", email: "s@example.org", password: "long enough password"}) { accessToken } }"#,
            json!({}),
        )
        .await;
    let error = client.next_json().await;
    assert_eq!(error["type"], "error");
    assert_eq!(error["payload"][0]["extensions"]["code"], "BAD_USER_INPUT");
    let data = app
        .query(r#"{ user(username: "viasocket") { id } }"#, json!({}))
        .await;
    assert_eq!(data["user"], Value::Null, "nothing ran");
}

#[tokio::test]
async fn operations_that_fail_validation_get_an_error_message() {
    let app = TestApp::spawn().await;
    let mut client = app.ws_ready(TRANSPORT_WS, None).await;
    client
        .subscribe("subscribe", "bad", "{ nope }", json!({}))
        .await;
    let error = client.next_json().await;
    assert_eq!(error["type"], "error");
    assert_eq!(error["id"], "bad");
    assert_eq!(error["payload"][0]["extensions"]["code"], "BAD_USER_INPUT");
    let nested = format!(
        "{{ nodes(ids: {}\"x\"{}) {{ id }} }}",
        "[".repeat(3_000),
        "]".repeat(3_000)
    );
    client.subscribe("deep", "deep", &nested, json!({})).await;
    // `deep` is not a verb: the socket is closed as invalid.
    assert_eq!(client.close_code().await.0, 4400);
    let mut again = app.ws_ready(TRANSPORT_WS, None).await;
    again
        .subscribe("subscribe", "deep", &nested, json!({}))
        .await;
    let error = again.next_json().await;
    assert_eq!(
        error["payload"][0]["extensions"]["code"],
        "QUERY_TOO_COMPLEX"
    );
}

#[tokio::test]
async fn sockets_per_user_are_bounded() {
    let app = TestApp::spawn_with(|config| config.sockets.max_sockets_per_user = 2).await;
    let user = app.register("busy").await;
    let _first = app.ws_ready(TRANSPORT_WS, Some(&user.access_token)).await;
    let _second = app.ws_ready(TRANSPORT_WS, Some(&user.access_token)).await;
    let mut third = app.ws(TRANSPORT_WS).await;
    third.init(Some(&user.access_token)).await;
    assert_eq!(third.close_code().await.0, 4429);
    // Anonymous sockets are not counted against the user.
    app.ws_ready(TRANSPORT_WS, None).await;
}

#[tokio::test]
async fn a_socket_is_closed_when_its_access_token_expires() {
    let app = TestApp::spawn().await;
    let user = app.register("shortlived").await;
    let id = {
        use base64::Engine;
        let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(&user.id)
            .unwrap();
        String::from_utf8(raw)
            .unwrap()
            .split_once(':')
            .unwrap()
            .1
            .to_owned()
    };
    let now = chrono::Utc::now().timestamp();
    let token = encode(
        &Header::new(Algorithm::HS256),
        &json!({ "sub": id, "iat": now, "exp": now + 2, "iss": "paperboard", "aud": "paperboard-api", "jti": "short" }),
        &EncodingKey::from_secret(TEST_JWT_SECRET.as_bytes()),
    )
    .unwrap();
    let mut client = app.ws_ready(TRANSPORT_WS, Some(&token)).await;
    let (code, reason) = client.close_code().await;
    assert_eq!(code, 4403);
    assert!(reason.contains("expired"), "{reason}");
}

#[tokio::test]
async fn shutdown_closes_sockets_with_1001() {
    let mut app = TestApp::spawn().await;
    let mut client = app.ws_ready(TRANSPORT_WS, None).await;
    app.shut_down();
    match client.receive().await {
        Received::Closed { code, .. } => assert_eq!(code, 1001),
        other => panic!("expected a close, got {other:?}"),
    }
}

#[tokio::test]
async fn sockets_without_a_known_subprotocol_are_refused() {
    let app = TestApp::spawn().await;
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    let mut request = format!("ws://{}/graphql", app.addr)
        .into_client_request()
        .unwrap();
    request
        .headers_mut()
        .insert("sec-websocket-protocol", "chat".parse().unwrap());
    assert!(tokio_tungstenite::connect_async(request).await.is_err());
    let quiet = Duration::from_millis(10);
    assert!(quiet > Duration::ZERO);
}
