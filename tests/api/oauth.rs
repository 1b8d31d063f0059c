//! The OAuth 2 authorization server, driven as a browser and an app would drive it.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::browser::{Browser, Visit, authorize_path, pkce_pair};
use crate::helpers::{TestApp, TestUser};

const REDIRECT: &str = "https://app.example.org/callback";
const CREATE_APP: &str = "mutation($i: CreateOAuthAppInput!) {
    createOAuthApp(input: $i) { clientSecret app { clientId redirectUris confidential } } }";

/// Registers an app owned by `owner`: its client id and secret (confidential apps only).
async fn register_app(
    app: &TestApp,
    owner: &TestUser,
    confidential: bool,
) -> (String, Option<String>) {
    let data = app
        .send_as(
            Some(&owner.access_token),
            CREATE_APP,
            json!({ "i": {
                "name": "Reader <b>App</b>", "description": "Reads papers",
                "homepageUrl": "https://app.example.org", "redirectUris": [REDIRECT, "http://127.0.0.1:7000/cb"],
                "confidential": confidential,
            }}),
        )
        .await
        .expect_ok();
    let created = &data["createOAuthApp"];
    (
        created["app"]["clientId"].as_str().unwrap().to_owned(),
        created["clientSecret"].as_str().map(str::to_owned),
    )
}

/// The user signs in on the consent page and approves: the redirect it ends in.
async fn approve(browser: &mut Browser<'_>, path: &str, user: &TestUser, username: &str) -> Visit {
    let page = browser.get(path).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    browser
        .submit(
            &page,
            &[
                ("username", username),
                ("password", &user.password),
                ("decision", "approve"),
            ],
        )
        .await
}

/// A code for `path`: through the consent page, or straight back when already granted.
async fn code_for(
    browser: &mut Browser<'_>,
    path: &str,
    user: &TestUser,
    username: &str,
) -> String {
    let first = browser.get(path).await;
    let redirect = if first.status == StatusCode::OK {
        let fields = [
            ("username", username),
            ("password", &user.password),
            ("decision", "approve"),
        ];
        browser.submit(&first, &fields).await
    } else {
        first
    };
    redirect.redirect_param("code").unwrap()
}

/// Exchanges a code at the token endpoint with `form` (client authentication included).
async fn token_request(app: &TestApp, form: &[(&str, &str)]) -> (StatusCode, Value) {
    let response = app
        .client
        .post(app.url("/oauth/token"))
        .form(form)
        .send()
        .await
        .unwrap();
    let status = response.status();
    assert_eq!(
        response
            .headers()
            .get("cache-control")
            .map(|v| v.to_str().unwrap()),
        Some("no-store")
    );
    (status, response.json().await.unwrap())
}

async fn exchange(
    app: &TestApp,
    client_id: &str,
    code: &str,
    verifier: &str,
) -> (StatusCode, Value) {
    token_request(
        app,
        &[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", REDIRECT),
            ("code_verifier", verifier),
            ("client_id", client_id),
        ],
    )
    .await
}

const VIEWER: &str = "{ viewer { username email } }";

#[tokio::test]
async fn a_browser_authorizes_an_app_which_then_acts_within_its_scopes() {
    let app = TestApp::spawn_with_demo().await;
    let owner = app.register("appmaker").await;
    let reader = app.register("reader").await;
    let (client_id, secret) = register_app(&app, &owner, false).await;
    assert_eq!(secret, None, "public apps have no secret");
    let (verifier, challenge) = pkce_pair("round-trip");
    let mut browser = Browser::new(&app);
    let path = authorize_path(&client_id, REDIRECT, "read vote", &challenge);
    let page = browser.get(&path).await;
    // The page names the app (escaped), its homepage and the scopes, and may not be framed.
    assert!(page.body.contains("&lt;b&gt;App&lt;"), "{}", page.body);
    assert!(!page.body.contains("<b>App</b>"));
    assert!(page.body.contains("app.example.org"));
    assert!(page.body.contains("<b>read</b>") && page.body.contains("<b>vote</b>"));
    assert_eq!(page.headers["x-frame-options"], "DENY");
    assert!(
        page.headers["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("frame-ancestors 'none'")
    );
    let redirect = browser
        .submit(
            &page,
            &[
                ("username", "reader"),
                ("password", &reader.password),
                ("decision", "approve"),
            ],
        )
        .await;
    assert_eq!(redirect.status, StatusCode::SEE_OTHER, "{}", redirect.body);
    let location = redirect.location().unwrap();
    assert!(location.as_str().starts_with(REDIRECT));
    assert_eq!(
        redirect.redirect_param("state").as_deref(),
        Some("opaque state & more")
    );
    assert_eq!(
        redirect.redirect_param("iss"),
        Some(format!("http://{}", app.addr))
    );
    let code = redirect.redirect_param("code").unwrap();

    let (status, tokens) = exchange(&app, &client_id, &code, &verifier).await;
    assert_eq!(status, StatusCode::OK, "{tokens}");
    assert_eq!(tokens["token_type"], "Bearer");
    assert_eq!(tokens["scope"], "read vote");
    assert!(tokens["expires_in"].as_i64().unwrap() > 800);
    let access = tokens["access_token"].as_str().unwrap();

    // Within the scopes: private reads and votes.
    let me = app
        .send_as(Some(access), VIEWER, json!({}))
        .await
        .expect_ok();
    assert_eq!(
        me["viewer"],
        json!({ "username": "reader", "email": "reader@example.org" })
    );
    let paper = app.paper_ids(1).await.remove(0);
    let upvote = "mutation($id: ID!) { upvotePaper(paperId: $id) { paper { upvoteCount viewerHasUpvoted } } }";
    let voted = app
        .send_as(Some(access), upvote, json!({ "id": paper }))
        .await
        .expect_ok();
    assert_eq!(voted["upvotePaper"]["paper"]["viewerHasUpvoted"], true);
    // Beyond them: FORBIDDEN naming the scope, and nothing stored.
    let comment = "mutation($id: ID!) { addComment(input: { paperId: $id, body: \"hi\" }) { comment { id } } }";
    let refused = app
        .send_as(Some(access), comment, json!({ "id": paper }))
        .await;
    assert_eq!(refused.error_code(), "FORBIDDEN");
    assert_eq!(
        refused.body["errors"][0]["extensions"]["requiredScope"],
        "comment"
    );
    let count = app
        .query(
            "query($id: ID!) { node(id: $id) { ... on Paper { commentCount } } }",
            json!({ "id": paper }),
        )
        .await;
    assert_eq!(count["node"]["commentCount"], 0);
    // Account management is first-party only.
    let minted = app
        .send_as(Some(access), "mutation { createPersonalAccessToken(input: { name: \"x\", scopes: [READ] }) { token } }", json!({}))
        .await;
    assert_eq!(minted.error_code(), "FORBIDDEN");

    // The user already consented to these scopes: straight back, no page.
    let (_, challenge2) = pkce_pair("second");
    let again = browser
        .get(&authorize_path(&client_id, REDIRECT, "read", &challenge2))
        .await;
    assert_eq!(again.status, StatusCode::SEE_OTHER);
    assert!(again.redirect_param("code").is_some());
    // More scopes than granted: asked again.
    let more = browser
        .get(&authorize_path(
            &client_id,
            REDIRECT,
            "read comment",
            &challenge2,
        ))
        .await;
    assert_eq!(more.status, StatusCode::OK);
    assert!(more.body.contains("Signed in as <b>reader</b>"));

    // The grant is listed, and the refresh token rotates.
    let listed = app
        .send_as(
            Some(&reader.access_token),
            "{ viewer { authorizedApps { clientId scopes } } }",
            json!({}),
        )
        .await
        .expect_ok();
    assert_eq!(listed["viewer"]["authorizedApps"][0]["clientId"], client_id);
    let refresh = tokens["refresh_token"].as_str().unwrap();
    let (status, rotated) = token_request(
        &app,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh),
            ("client_id", &client_id),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{rotated}");
    assert_ne!(rotated["refresh_token"], tokens["refresh_token"]);

    // Revocation (RFC 7009) ends every token of the grant, trusted ones included.
    let rotated_access = rotated["access_token"].as_str().unwrap();
    assert_eq!(
        app.send_as(Some(rotated_access), VIEWER, json!({}))
            .await
            .status,
        StatusCode::OK
    );
    let revoked = app
        .client
        .post(app.url("/oauth/revoke"))
        .form(&[
            ("token", rotated["refresh_token"].as_str().unwrap()),
            ("client_id", &client_id),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(revoked.status(), StatusCode::OK);
    let after = app
        .send_as(
            Some(rotated["access_token"].as_str().unwrap()),
            VIEWER,
            json!({}),
        )
        .await;
    assert_eq!(after.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn pkce_is_required_and_checked() {
    let app = TestApp::spawn().await;
    let user = app.register("pkceuser").await;
    let (client_id, _) = register_app(&app, &user, false).await;
    let mut browser = Browser::new(&app);
    // No challenge, or the `plain` method: an error sent back to the registered URI.
    let without = format!(
        "/oauth/authorize?response_type=code&client_id={client_id}&scope=read&state=s1&redirect_uri={}",
        url::form_urlencoded::byte_serialize(REDIRECT.as_bytes()).collect::<String>()
    );
    let refused = browser.get(&without).await;
    assert_eq!(refused.status, StatusCode::SEE_OTHER);
    assert_eq!(
        refused.redirect_param("error").as_deref(),
        Some("invalid_request")
    );
    assert_eq!(refused.redirect_param("state").as_deref(), Some("s1"));
    let (verifier, challenge) = pkce_pair("pkce");
    let plain = authorize_path(&client_id, REDIRECT, "read", &challenge).replace("S256", "plain");
    assert_eq!(
        browser.get(&plain).await.redirect_param("error").as_deref(),
        Some("invalid_request")
    );
    // No implicit grant, no password grant.
    let implicit = authorize_path(&client_id, REDIRECT, "read", &challenge)
        .replace("response_type=code", "response_type=token");
    assert_eq!(
        browser
            .get(&implicit)
            .await
            .redirect_param("error")
            .as_deref(),
        Some("unsupported_response_type")
    );
    let (status, body) = token_request(
        &app,
        &[
            ("grant_type", "password"),
            ("username", "pkceuser"),
            ("password", &user.password),
            ("client_id", &client_id),
        ],
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("unsupported_grant_type"))
    );
    let unknown_scope = authorize_path(&client_id, REDIRECT, "read admin", &challenge);
    assert_eq!(
        browser
            .get(&unknown_scope)
            .await
            .redirect_param("error")
            .as_deref(),
        Some("invalid_scope")
    );

    // A wrong verifier, or none, is invalid_grant, and burns the code.
    let path = authorize_path(&client_id, REDIRECT, "read", &challenge);
    let code = approve(&mut browser, &path, &user, "pkceuser")
        .await
        .redirect_param("code")
        .unwrap();
    let (wrong_verifier, _) = pkce_pair("another");
    let (status, body) = exchange(&app, &client_id, &code, &wrong_verifier).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_grant"))
    );
    let (_, body) = exchange(&app, &client_id, &code, &verifier).await;
    assert_eq!(body["error"], "invalid_grant", "a code gets one try");
    let code = browser.get(&path).await.redirect_param("code").unwrap();
    let (_, body) = token_request(
        &app,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", REDIRECT),
            ("client_id", &client_id),
        ],
    )
    .await;
    assert_eq!(body["error"], "invalid_grant");
}

#[tokio::test]
async fn unregistered_redirect_uris_are_shown_an_error_and_never_redirected_to() {
    let app = TestApp::spawn().await;
    let user = app.register("redirector").await;
    let (client_id, _) = register_app(&app, &user, false).await;
    let (_, challenge) = pkce_pair("redirects");
    let mut browser = Browser::new(&app);
    for variant in [
        "https://app.example.org/callback/",
        "https://app.example.org/callback/extra",
        "https://app.example.org:8443/callback",
        "https://evil@app.example.org/callback",
        "https://app.example.org/callback#fragment",
        "https://app.example.org/callback?x=1",
        "https://APP.example.org/callback",
        "http://app.example.org/callback",
        "http://127.0.0.1:7001/cb",
        "https://evil.example/callback",
    ] {
        let visit = browser
            .get(&authorize_path(&client_id, variant, "read", &challenge))
            .await;
        assert_eq!(visit.status, StatusCode::BAD_REQUEST, "{variant}");
        assert!(visit.headers.get("location").is_none(), "{variant}");
    }
    let unknown = browser
        .get(&authorize_path("pbc_unknown", REDIRECT, "read", &challenge))
        .await;
    assert_eq!(unknown.status, StatusCode::BAD_REQUEST);
    assert!(unknown.headers.get("location").is_none());
    // Registering such URIs is refused too.
    let refused = app
        .send_as(
            Some(&user.access_token),
            CREATE_APP,
            json!({ "i": { "name": "x", "homepageUrl": "https://x.example", "redirectUris": ["https://x.example/cb#f"], "confidential": false }}),
        )
        .await;
    assert_eq!(refused.error_code(), "BAD_USER_INPUT");
}

#[tokio::test]
async fn a_reused_code_revokes_its_tokens_and_a_code_is_its_clients_only() {
    let app = TestApp::spawn().await;
    let user = app.register("reuser").await;
    let (client_id, _) = register_app(&app, &user, false).await;
    let (other_client, _) = register_app(&app, &user, false).await;
    let (verifier, challenge) = pkce_pair("reuse");
    let mut browser = Browser::new(&app);
    let path = authorize_path(&client_id, REDIRECT, "read", &challenge);
    let code = approve(&mut browser, &path, &user, "reuser")
        .await
        .redirect_param("code")
        .unwrap();
    let (status, tokens) = exchange(&app, &client_id, &code, &verifier).await;
    assert_eq!(status, StatusCode::OK);
    let access = tokens["access_token"].as_str().unwrap();
    assert_eq!(
        app.send_as(Some(access), VIEWER, json!({})).await.status,
        StatusCode::OK
    );
    let (_, again) = exchange(&app, &client_id, &code, &verifier).await;
    assert_eq!(again["error"], "invalid_grant");
    assert_eq!(
        app.send_as(Some(access), VIEWER, json!({})).await.status,
        StatusCode::UNAUTHORIZED
    );
    let (_, refreshed) = token_request(
        &app,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", tokens["refresh_token"].as_str().unwrap()),
            ("client_id", &client_id),
        ],
    )
    .await;
    assert_eq!(refreshed["error"], "invalid_grant");

    // A code issued to one client is useless to another.
    let code = browser.get(&path).await.redirect_param("code").unwrap();
    let (_, stolen) = exchange(&app, &other_client, &code, &verifier).await;
    assert_eq!(stolen["error"], "invalid_grant");
}

#[tokio::test]
async fn a_refresh_may_narrow_but_never_widen_the_scopes() {
    let app = TestApp::spawn().await;
    let user = app.register("narrower").await;
    let (client_id, secret) = register_app(&app, &user, true).await;
    let secret = secret.unwrap();
    let (verifier, challenge) = pkce_pair("scopes");
    let mut browser = Browser::new(&app);
    let code = approve(
        &mut browser,
        &authorize_path(&client_id, REDIRECT, "read vote", &challenge),
        &user,
        "narrower",
    )
    .await
    .redirect_param("code")
    .unwrap();
    // A confidential client must authenticate.
    let (status, body) = exchange(&app, &client_id, &code, &verifier).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("invalid_client"))
    );
    let code = browser
        .get(&authorize_path(
            &client_id,
            REDIRECT,
            "read vote",
            &challenge,
        ))
        .await
        .redirect_param("code")
        .unwrap();
    let response = app
        .client
        .post(app.url("/oauth/token"))
        .basic_auth(&client_id, Some(&secret))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", REDIRECT),
            ("code_verifier", &verifier),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let tokens: Value = response.json().await.unwrap();
    let refresh = tokens["refresh_token"].as_str().unwrap();
    let with_secret = |refresh: String, scope: &'static str| {
        let app = &app;
        let (client_id, secret) = (client_id.clone(), secret.clone());
        async move {
            token_request(
                app,
                &[
                    ("grant_type", "refresh_token"),
                    ("refresh_token", &refresh),
                    ("scope", scope),
                    ("client_id", &client_id),
                    ("client_secret", &secret),
                ],
            )
            .await
        }
    };
    let (status, widened) = with_secret(refresh.to_owned(), "read vote comment").await;
    assert_eq!(
        (status, widened["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_scope"))
    );
    let vote = "mutation { removeUpvote(paperId: \"UGFwZXI6MQ\") { paper { id } } }";
    let earlier_access = tokens["access_token"].as_str().unwrap();
    let before = app.send_as(Some(earlier_access), vote, json!({})).await;
    assert_eq!(
        before.error_code(),
        "NOT_FOUND",
        "the vote scope lets it try"
    );
    let (status, narrowed) = with_secret(refresh.to_owned(), "read").await;
    assert_eq!(status, StatusCode::OK, "{narrowed}");
    assert_eq!(narrowed["scope"], "read");
    // The narrowed scopes are the sign-in's: its earlier access token loses `vote` too.
    for access in [narrowed["access_token"].as_str().unwrap(), earlier_access] {
        let paper_less_vote = app.send_as(Some(access), vote, json!({})).await;
        assert_eq!(
            paper_less_vote.body["errors"][0]["extensions"]["requiredScope"],
            "vote"
        );
    }
    let (_, rewidened) = with_secret(
        narrowed["refresh_token"].as_str().unwrap().to_owned(),
        "read vote",
    )
    .await;
    assert_eq!(rewidened["error"], "invalid_scope");
}

#[tokio::test]
async fn withdrawn_grants_deleted_apps_and_deleted_users_end_their_tokens() {
    let app = TestApp::spawn().await;
    let owner = app.register("owner").await;
    let user = app.register("granter").await;
    let (client_id, _) = register_app(&app, &owner, false).await;
    let mut browser = Browser::new(&app);
    let grant = async |browser: &mut Browser<'_>, client_id: &str, seed: &str| {
        let (verifier, challenge) = pkce_pair(seed);
        let path = authorize_path(client_id, REDIRECT, "read", &challenge);
        let code = code_for(browser, &path, &user, "granter").await;
        exchange(&app, client_id, &code, &verifier).await.1
    };
    let tokens = grant(&mut browser, &client_id, "withdraw").await;
    let access = tokens["access_token"].as_str().unwrap().to_owned();
    assert_eq!(
        app.send_as(Some(&access), VIEWER, json!({})).await.status,
        StatusCode::OK
    );
    let withdrawn = app
        .send_as(
            Some(&user.access_token),
            "mutation($c: String!) { revokeAppAuthorization(clientId: $c) }",
            json!({ "c": client_id }),
        )
        .await
        .expect_ok();
    assert_eq!(withdrawn["revokeAppAuthorization"], true);
    assert_eq!(
        app.send_as(Some(&access), VIEWER, json!({})).await.status,
        StatusCode::UNAUTHORIZED
    );

    // Deleting the app ends a fresh grant's tokens.
    let tokens = grant(&mut browser, &client_id, "delete-app").await;
    let access = tokens["access_token"].as_str().unwrap().to_owned();
    assert_eq!(
        app.send_as(Some(&access), VIEWER, json!({})).await.status,
        StatusCode::OK
    );
    app.send_as(
        Some(&owner.access_token),
        "mutation($c: String!) { deleteOAuthApp(clientId: $c) }",
        json!({ "c": client_id }),
    )
    .await
    .expect_ok();
    assert_eq!(
        app.send_as(Some(&access), VIEWER, json!({})).await.status,
        StatusCode::UNAUTHORIZED
    );
    let (status, _) = token_request(
        &app,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", tokens["refresh_token"].as_str().unwrap()),
            ("client_id", &client_id),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "the client is gone");

    // A deleted user's tokens end with the account.
    let (client_id, _) = register_app(&app, &owner, false).await;
    let tokens = grant(&mut browser, &client_id, "deleted-user").await;
    let access = tokens["access_token"].as_str().unwrap();
    assert_eq!(
        app.send_as(Some(access), VIEWER, json!({})).await.status,
        StatusCode::OK
    );
    app.send_as(
        Some(&user.access_token),
        "mutation($p: String!) { deleteAccount(password: $p) }",
        json!({ "p": user.password }),
    )
    .await
    .expect_ok();
    assert_eq!(
        app.send_as(Some(access), VIEWER, json!({})).await.status,
        StatusCode::UNAUTHORIZED
    );
    let (_, refreshed) = token_request(
        &app,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", tokens["refresh_token"].as_str().unwrap()),
            ("client_id", &client_id),
        ],
    )
    .await;
    assert_eq!(refreshed["error"], "invalid_grant");
}

#[tokio::test]
async fn the_consent_form_refuses_cross_site_posts_and_a_denial_says_so() {
    let app = TestApp::spawn().await;
    let user = app.register("csrfuser").await;
    let (client_id, _) = register_app(&app, &user, false).await;
    let (_, challenge) = pkce_pair("csrf");
    let mut browser = Browser::new(&app);
    let page = browser
        .get(&authorize_path(&client_id, REDIRECT, "read", &challenge))
        .await;
    let mut forged = page.hidden_fields();
    forged.retain(|(name, _)| name != "csrf_token");
    forged.push(("csrf_token".to_owned(), "a".repeat(43)));
    forged.extend([
        ("username".to_owned(), "csrfuser".to_owned()),
        ("password".to_owned(), user.password.clone()),
        ("decision".to_owned(), "approve".to_owned()),
    ]);
    let refused = browser.post_form("/oauth/authorize", &forged).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert!(refused.headers.get("location").is_none());
    // Without the cookie (another site's form), the right token is refused too.
    let mut stranger = Browser::new(&app);
    let mut fields = page.hidden_fields();
    fields.extend([("decision".to_owned(), "approve".to_owned())]);
    assert_eq!(
        stranger.post_form("/oauth/authorize", &fields).await.status,
        StatusCode::FORBIDDEN
    );
    // A wrong password shows the page again; a denial goes back as access_denied.
    let wrong = browser
        .submit(
            &page,
            &[
                ("username", "csrfuser"),
                ("password", "wrong password!!"),
                ("decision", "approve"),
            ],
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert!(wrong.body.contains("role=\"alert\""));
    let denied = browser.submit(&page, &[("decision", "deny")]).await;
    assert_eq!(
        denied.redirect_param("error").as_deref(),
        Some("access_denied")
    );
}

#[tokio::test]
async fn the_server_metadata_describes_the_endpoints() {
    let app = TestApp::spawn().await;
    let metadata: Value = app
        .client
        .get(app.url("/.well-known/oauth-authorization-server"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let issuer = format!("http://{}", app.addr);
    assert_eq!(metadata["issuer"], issuer);
    assert_eq!(metadata["token_endpoint"], format!("{issuer}/oauth/token"));
    assert_eq!(
        metadata["code_challenge_methods_supported"],
        json!(["S256"])
    );
    assert_eq!(metadata["response_types_supported"], json!(["code"]));
    assert!(
        metadata["scopes_supported"]
            .as_array()
            .unwrap()
            .contains(&json!("vote"))
    );
}

/// A widely used OAuth client library, the `oauth2` crate, completes the flow: the
/// authorization URL it builds, its PKCE, its Basic client authentication, and refresh.
#[tokio::test]
async fn the_oauth2_crate_completes_the_flow() {
    use oauth2::basic::BasicClient;
    use oauth2::{
        AuthUrl, AuthorizationCode, ClientId, ClientSecret, CsrfToken, PkceCodeChallenge,
        RedirectUrl, Scope, TokenResponse, TokenUrl,
    };

    let app = TestApp::spawn().await;
    let user = app.register("librarian").await;
    let (client_id, secret) = register_app(&app, &user, true).await;
    let base = format!("http://{}", app.addr);
    let app_secret = secret.unwrap();
    let client = BasicClient::new(ClientId::new(client_id))
        .set_client_secret(ClientSecret::new(app_secret.clone()))
        .set_auth_uri(AuthUrl::new(format!("{base}/oauth/authorize")).unwrap())
        .set_token_uri(TokenUrl::new(format!("{base}/oauth/token")).unwrap())
        .set_redirect_uri(RedirectUrl::new(REDIRECT.to_owned()).unwrap());
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (authorize_url, csrf) = client
        .authorize_url(CsrfToken::new_random)
        .add_scope(Scope::new("read".to_owned()))
        .add_scope(Scope::new("follow".to_owned()))
        .set_pkce_challenge(challenge)
        .url();
    let mut browser = Browser::new(&app);
    let path = format!(
        "{}?{}",
        authorize_url.path(),
        authorize_url.query().unwrap()
    );
    let redirect = approve(&mut browser, &path, &user, "librarian").await;
    assert_eq!(
        redirect.redirect_param("state").as_deref(),
        Some(csrf.secret().as_str())
    );
    let code = redirect.redirect_param("code").unwrap();

    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let tokens = client
        .exchange_code(AuthorizationCode::new(code))
        .set_pkce_verifier(verifier)
        .request_async(&http)
        .await
        .unwrap();
    let scopes: Vec<String> = tokens
        .scopes()
        .unwrap()
        .iter()
        .map(|s| s.to_string())
        .collect();
    assert_eq!(scopes, vec!["read", "follow"]);
    let access = tokens.access_token().secret().clone();
    let me = app
        .send_as(Some(&access), VIEWER, json!({}))
        .await
        .expect_ok();
    assert_eq!(me["viewer"]["username"], "librarian");

    let refreshed = client
        .exchange_refresh_token(tokens.refresh_token().unwrap())
        .request_async(&http)
        .await
        .unwrap();
    let refresh = refreshed.refresh_token().unwrap().clone();
    assert_ne!(refresh.secret(), tokens.refresh_token().unwrap().secret());
    let fresh = refreshed.access_token().secret();
    assert_eq!(
        app.send_as(Some(fresh), VIEWER, json!({})).await.status,
        StatusCode::OK
    );
    // The crate revokes over https only; this test server speaks http, so the revocation
    // request is sent as the crate would send it: Basic client authentication, form body.
    let (id, secret) = (client.client_id().as_str(), app_secret.as_str());
    let revoked = http
        .post(format!("{base}/oauth/revoke"))
        .basic_auth(id, Some(secret))
        .form(&[
            ("token", refresh.secret().as_str()),
            ("token_type_hint", "refresh_token"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(revoked.status(), StatusCode::OK);
    let after = app.send_as(Some(fresh), VIEWER, json!({})).await;
    assert_eq!(after.status, StatusCode::UNAUTHORIZED);
    // The retired refresh token is refused, as the library reports it.
    let reused = client
        .exchange_refresh_token(tokens.refresh_token().unwrap())
        .request_async(&http)
        .await;
    assert!(reused.is_err());
}

#[tokio::test]
async fn the_token_endpoint_and_each_app_have_a_request_budget() {
    let app = TestApp::spawn_with(|config| {
        config.platform.token_requests_per_minute = 3;
        config.platform.app_requests_per_minute = 2;
    })
    .await;
    let user = app.register("budgeted").await;
    let (client_id, _) = register_app(&app, &user, false).await;
    let (verifier, challenge) = pkce_pair("budget");
    let mut browser = Browser::new(&app);
    let path = authorize_path(&client_id, REDIRECT, "read", &challenge);
    let code = code_for(&mut browser, &path, &user, "budgeted").await;
    let (status, tokens) = exchange(&app, &client_id, &code, &verifier).await;
    assert_eq!(status, StatusCode::OK);
    let access = tokens["access_token"].as_str().unwrap();
    // Two requests a minute for the app, over all its users; then 429.
    for _ in 0..2 {
        let ok = app.send_as(Some(access), VIEWER, json!({})).await;
        assert_eq!(ok.status, StatusCode::OK);
    }
    let limited = app.send_as(Some(access), VIEWER, json!({})).await;
    assert_eq!(limited.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(limited.error_code(), "RATE_LIMITED");
    // The user's own first-party token is not the app's budget.
    let own = app
        .send_as(Some(&user.access_token), VIEWER, json!({}))
        .await;
    assert_eq!(own.status, StatusCode::OK);
    // The token endpoint: three requests a minute per address, then 429.
    for _ in 0..2 {
        let (status, _) = exchange(&app, &client_id, "unknown-code", &verifier).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
    }
    let (status, body) = exchange(&app, &client_id, "unknown-code", &verifier).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
}

#[tokio::test]
async fn apps_are_listed_updated_and_their_secrets_rotated_by_their_owner_only() {
    let app = TestApp::spawn().await;
    let owner = app.register("maintainer").await;
    let stranger = app.register("stranger").await;
    let (client_id, secret) = register_app(&app, &owner, true).await;
    let secret = secret.unwrap();
    assert!(secret.starts_with("pbs_"));
    let listed = app
        .send_as(
            Some(&owner.access_token),
            "{ viewer { oauthApps { clientId name confidential } } }",
            json!({}),
        )
        .await
        .expect_ok();
    assert_eq!(listed["viewer"]["oauthApps"][0]["clientId"], client_id);
    assert_eq!(listed["viewer"]["oauthApps"][0]["confidential"], true);

    let update = "mutation($c: String!, $i: UpdateOAuthAppInput!) {
        updateOAuthApp(clientId: $c, input: $i) { name redirectUris } }";
    let input = json!({ "name": "Renamed", "homepageUrl": "https://app.example.org",
        "redirectUris": ["https://app.example.org/new-callback"] });
    let foreign = app
        .send_as(
            Some(&stranger.access_token),
            update,
            json!({ "c": client_id, "i": input }),
        )
        .await;
    assert_eq!(
        foreign.error_code(),
        "NOT_FOUND",
        "another's app does not exist for them"
    );
    let updated = app
        .send_as(
            Some(&owner.access_token),
            update,
            json!({ "c": client_id, "i": input }),
        )
        .await
        .expect_ok();
    assert_eq!(updated["updateOAuthApp"]["name"], "Renamed");
    let (_, challenge) = pkce_pair("updated");
    let mut browser = Browser::new(&app);
    let old = browser
        .get(&authorize_path(&client_id, REDIRECT, "read", &challenge))
        .await;
    assert_eq!(
        old.status,
        StatusCode::BAD_REQUEST,
        "the old redirect URI is gone"
    );

    // Rotating the secret retires the old one at once.
    let rotated = app
        .send_as(
            Some(&owner.access_token),
            "mutation($c: String!) { rotateOAuthAppSecret(clientId: $c) { clientSecret } }",
            json!({ "c": client_id }),
        )
        .await
        .expect_ok();
    let new_secret = rotated["rotateOAuthAppSecret"]["clientSecret"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_ne!(new_secret, secret);
    let with = async |secret: &str| {
        token_request(
            &app,
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", "unknown"),
                ("client_id", &client_id),
                ("client_secret", secret),
            ],
        )
        .await
    };
    let (status, body) = with(&secret).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("invalid_client"))
    );
    let (status, body) = with(&new_secret).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_grant"))
    );

    let delete = "mutation($c: String!) { deleteOAuthApp(clientId: $c) }";
    let foreign = app
        .send_as(
            Some(&stranger.access_token),
            delete,
            json!({ "c": client_id }),
        )
        .await;
    assert_eq!(foreign.error_code(), "NOT_FOUND");
    app.send_as(Some(&owner.access_token), delete, json!({ "c": client_id }))
        .await
        .expect_ok();
}

#[tokio::test]
async fn an_apps_users_spend_the_apps_cost_budget() {
    let app = TestApp::spawn_with(|config| config.platform.cost_points_per_hour = 10_000).await;
    let owner = app.register("appowner").await;
    let (client_id, _) = register_app(&app, &owner, false).await;
    let mut app_tokens = Vec::new();
    for username in ["firstreader", "secondreader"] {
        let user = app.register(username).await;
        let (verifier, challenge) = pkce_pair(username);
        let mut browser = Browser::new(&app);
        let path = authorize_path(&client_id, REDIRECT, "read", &challenge);
        let code = code_for(&mut browser, &path, &user, username).await;
        let (status, tokens) = exchange(&app, &client_id, &code, &verifier).await;
        assert_eq!(status, StatusCode::OK);
        app_tokens.push((user, tokens["access_token"].as_str().unwrap().to_owned()));
    }
    let used = |answer: crate::helpers::GqlResponse| {
        answer.body["data"]["rateLimit"]["used"].as_i64().unwrap()
    };
    let spend = "{ papers(first: 50) { nodes { id title } } rateLimit { used } }";
    let first = used(app.send_as(Some(&app_tokens[0].1), spend, json!({})).await);
    // The second user's requests through the app charge the same budget.
    let second = used(app.send_as(Some(&app_tokens[1].1), spend, json!({})).await);
    assert_eq!(second, 2 * first);
    // A user's own first-party token spends the user's budget, not the app's.
    let own = used(
        app.send_as(Some(&app_tokens[0].0.access_token), spend, json!({}))
            .await,
    );
    assert_eq!(own, first);
}
