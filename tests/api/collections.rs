//! Collections: created, filled, reordered and emptied by their owners, read by others as
//! their visibility allows — and private things never leaking through any path.

use serde_json::{Value, json};

use crate::helpers::{GqlResponse, TestApp, TestUser};

async fn send(app: &TestApp, token: Option<&str>, query: &str, variables: Value) -> GqlResponse {
    app.send_as(token, query, variables).await
}

const CREATE: &str = "mutation($i: CreateCollectionInput!) { createCollection(input: $i) { id } }";
const ADD: &str = "mutation($c: ID!, $p: ID!, $n: String) {
    addToCollection(collectionId: $c, paperId: $p, note: $n) {
      collection { itemCount } item { note paper { id } } } }";
const MOVE: &str = "mutation($c: ID!, $p: ID!, $a: ID) {
    moveInCollection(collectionId: $c, paperId: $p, afterPaperId: $a) { itemCount } }";
const ITEMS: &str = "query($c: ID!, $after: String) { node(id: $c) { ... on Collection {
    name description visibility itemCount updatedAt owner { username }
    items(first: 100, after: $after) { totalCount pageInfo { hasNextPage endCursor }
      nodes { note paper { id } } } } } }";

async fn create(app: &TestApp, user: &TestUser, name: &str, visibility: &str) -> String {
    let data = send(
        app,
        Some(&user.access_token),
        CREATE,
        json!({ "i": { "name": name, "visibility": visibility } }),
    )
    .await
    .expect_ok();
    data["createCollection"]["id"].as_str().unwrap().to_owned()
}

async fn add(app: &TestApp, user: &TestUser, collection: &str, paper: &str, note: Option<&str>) {
    send(
        app,
        Some(&user.access_token),
        ADD,
        json!({ "c": collection, "p": paper, "n": note }),
    )
    .await
    .expect_ok();
}

/// The paper ids of a collection, in order, as `token` reads them.
async fn order(app: &TestApp, token: Option<&str>, collection: &str) -> Vec<String> {
    let data = send(app, token, ITEMS, json!({ "c": collection }))
        .await
        .expect_ok();
    data["node"]["items"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| item["paper"]["id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn a_collection_keeps_its_owners_order_and_notes() {
    let app = TestApp::spawn_with_demo().await;
    let ada = app.register("ada").await;
    let papers = app.paper_ids(4).await;
    let reading = create(&app, &ada, "  Reading list ", "PUBLIC").await;
    for paper in &papers[..3] {
        add(&app, &ada, &reading, paper, None).await;
    }
    // Adding again keeps the place and takes the note.
    let again = send(
        &app,
        Some(&ada.access_token),
        ADD,
        json!({ "c": reading, "p": papers[0], "n": " read §3 " }),
    )
    .await
    .expect_ok();
    assert_eq!(again["addToCollection"]["collection"]["itemCount"], 3);
    assert_eq!(again["addToCollection"]["item"]["note"], "read §3");
    let read = send(&app, None, ITEMS, json!({ "c": reading }))
        .await
        .expect_ok();
    assert_eq!(read["node"]["name"], "Reading list");
    assert_eq!(read["node"]["owner"]["username"], "ada");
    assert_eq!(read["node"]["items"]["totalCount"], 3);
    assert_eq!(read["node"]["items"]["nodes"][0]["note"], "read §3");
    assert_eq!(order(&app, None, &reading).await, papers[..3]);

    // Moves: to the front, after another, and many times into the same gap (which runs
    // out of room and renumbers) — the order is always what was asked.
    let moved = |paper: &str, after: Option<&str>| json!({ "c": reading, "p": paper, "a": after });
    send(&app, Some(&ada.access_token), MOVE, moved(&papers[2], None))
        .await
        .expect_ok();
    assert_eq!(
        order(&app, None, &reading).await,
        [papers[2].clone(), papers[0].clone(), papers[1].clone()]
    );
    send(
        &app,
        Some(&ada.access_token),
        MOVE,
        moved(&papers[2], Some(&papers[1])),
    )
    .await
    .expect_ok();
    assert_eq!(order(&app, None, &reading).await, papers[..3]);
    for round in 0..40 {
        let (moving, anchor) = if round % 2 == 0 {
            (&papers[2], &papers[0])
        } else {
            (&papers[1], &papers[0])
        };
        send(
            &app,
            Some(&ada.access_token),
            MOVE,
            moved(moving, Some(anchor)),
        )
        .await
        .expect_ok();
    }
    assert_eq!(
        order(&app, None, &reading).await,
        [papers[0].clone(), papers[1].clone(), papers[2].clone()],
        "the last move put papers[1] right after papers[0]"
    );

    // Pages walk the order.
    let first = send(
        &app,
        None,
        "query($c: ID!) { node(id: $c) { ... on Collection { items(first: 2) {
            pageInfo { endCursor } nodes { paper { id } } } } } }",
        json!({ "c": reading }),
    )
    .await
    .expect_ok();
    let cursor = first["node"]["items"]["pageInfo"]["endCursor"].clone();
    let rest = send(&app, None, ITEMS, json!({ "c": reading, "after": cursor }))
        .await
        .expect_ok();
    assert_eq!(
        rest["node"]["items"]["nodes"][0]["paper"]["id"],
        papers[2].as_str()
    );

    // Removing, twice; updating; deleting.
    for _ in 0..2 {
        let removed = send(
            &app,
            Some(&ada.access_token),
            "mutation($c: ID!, $p: ID!) { removeFromCollection(collectionId: $c, paperId: $p) { itemCount } }",
            json!({ "c": reading, "p": papers[1] }),
        )
        .await
        .expect_ok();
        assert_eq!(removed["removeFromCollection"]["itemCount"], 2);
    }
    let updated = send(
        &app,
        Some(&ada.access_token),
        "mutation($c: ID!) { updateCollection(id: $c, input: { description: \"Papers to read\", visibility: UNLISTED }) {
            name description visibility } }",
        json!({ "c": reading }),
    )
    .await
    .expect_ok();
    assert_eq!(
        updated["updateCollection"],
        json!({ "name": "Reading list", "description": "Papers to read", "visibility": "UNLISTED" })
    );
    send(
        &app,
        Some(&ada.access_token),
        "mutation($c: ID!) { deleteCollection(id: $c) }",
        json!({ "c": reading }),
    )
    .await
    .expect_ok();
    let gone = send(
        &app,
        Some(&ada.access_token),
        ITEMS,
        json!({ "c": reading }),
    )
    .await
    .expect_ok();
    assert_eq!(gone["node"], Value::Null);
}

#[tokio::test]
async fn bad_input_and_limits_change_nothing() {
    let app = TestApp::spawn_with_demo().await;
    let ada = app.register("ada").await;
    let bob = app.register("bob").await;
    let papers = app.paper_ids(3).await;
    let list = create(&app, &ada, "List", "PRIVATE").await;
    let open = create(&app, &ada, "Open", "PUBLIC").await;
    add(&app, &ada, &list, &papers[0], None).await;
    add(&app, &ada, &list, &papers[1], None).await;

    let long = "x".repeat(2_001);
    let missing_paper = "UGFwZXI6OTk5OTk5"; // Paper:999999
    let cases: Vec<(&TestUser, &str, Value, &str)> = vec![
        (
            &ada,
            CREATE,
            json!({ "i": { "name": " " } }),
            "BAD_USER_INPUT",
        ),
        (
            &ada,
            CREATE,
            json!({ "i": { "name": "x".repeat(101) } }),
            "BAD_USER_INPUT",
        ),
        (
            &ada,
            CREATE,
            json!({ "i": { "name": "a\u{0}b" } }),
            "BAD_USER_INPUT",
        ),
        (
            &ada,
            CREATE,
            json!({ "i": { "name": "ok", "description": long } }),
            "BAD_USER_INPUT",
        ),
        (
            &ada,
            ADD,
            json!({ "c": list, "p": papers[2], "n": long }),
            "BAD_USER_INPUT",
        ),
        (
            &ada,
            ADD,
            json!({ "c": list, "p": missing_paper }),
            "NOT_FOUND",
        ),
        (
            &ada,
            ADD,
            json!({ "c": papers[0], "p": papers[2] }),
            "BAD_USER_INPUT",
        ),
        (&bob, ADD, json!({ "c": list, "p": papers[2] }), "NOT_FOUND"),
        (&bob, ADD, json!({ "c": open, "p": papers[2] }), "FORBIDDEN"),
        (
            &ada,
            MOVE,
            json!({ "c": list, "p": papers[2] }),
            "NOT_FOUND",
        ),
        (
            &ada,
            MOVE,
            json!({ "c": list, "p": papers[0], "a": papers[0] }),
            "BAD_USER_INPUT",
        ),
        (
            &ada,
            MOVE,
            json!({ "c": list, "p": papers[0], "a": papers[2] }),
            "BAD_USER_INPUT",
        ),
        (
            &bob,
            "mutation($c: ID!) { deleteCollection(id: $c) }",
            json!({ "c": list }),
            "NOT_FOUND",
        ),
        (
            &bob,
            "mutation($c: ID!) { updateCollection(id: $c, input: { name: \"Mine\" }) { id } }",
            json!({ "c": open }),
            "FORBIDDEN",
        ),
    ];
    for (user, query, variables, code) in cases {
        let answer = send(&app, Some(&user.access_token), query, variables.clone()).await;
        assert_eq!(answer.error_code(), code, "{query} {variables}");
    }
    assert_eq!(
        order(&app, Some(&ada.access_token), &list).await,
        papers[..2],
        "nothing changed"
    );

    // At most 10,000 items: the stored count is what the check reads.
    app.execute_sql("UPDATE collections SET item_count = 10000 WHERE name = 'Open'")
        .await;
    let full = send(
        &app,
        Some(&ada.access_token),
        ADD,
        json!({ "c": open, "p": papers[2] }),
    )
    .await;
    assert_eq!(full.error_code(), "BAD_USER_INPUT");

    // At most 1,000 collections a user.
    app.execute_sql("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 998)
         INSERT INTO collections (owner_id, name, description, visibility, item_count, created_at, updated_at)
         SELECT c.owner_id, c.name, '', 'PRIVATE', 0, c.created_at, c.updated_at
         FROM n, collections c WHERE c.name = 'List'",
    )
    .await;
    let count = send(
        &app,
        Some(&ada.access_token),
        "{ viewer { collections { totalCount } } }",
        json!({}),
    )
    .await
    .expect_ok();
    assert_eq!(count["viewer"]["collections"]["totalCount"], 1_000);
    let over = send(
        &app,
        Some(&ada.access_token),
        CREATE,
        json!({ "i": { "name": "One more" } }),
    )
    .await;
    assert_eq!(over.error_code(), "BAD_USER_INPUT");
}

/// Whether each of `ids` is visible to `token` through `node` and `nodes`.
async fn visible(app: &TestApp, token: Option<&str>, ids: &[&str]) -> Vec<bool> {
    let mut seen = Vec::new();
    for id in ids {
        let one = send(
            app,
            token,
            "query($id: ID!) { node(id: $id) { id } }",
            json!({ "id": id }),
        )
        .await
        .expect_ok();
        seen.push(!one["node"].is_null());
    }
    let many = send(
        app,
        token,
        "query($ids: [ID!]!) { nodes(ids: $ids) { id } }",
        json!({ "ids": ids }),
    )
    .await
    .expect_ok();
    let through_nodes: Vec<bool> = many["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|node| !node.is_null())
        .collect();
    assert_eq!(seen, through_nodes, "node and nodes agree");
    seen
}

#[tokio::test]
async fn private_collections_and_bookmarks_never_leak() {
    let app = TestApp::spawn_with_demo().await;
    let ada = app.register("ada").await;
    let bob = app.register("bob").await;
    let paper = app.paper_ids(1).await.remove(0);
    let secret = create(&app, &ada, "Secret", "PRIVATE").await;
    let link = create(&app, &ada, "Link only", "UNLISTED").await;
    let open = create(&app, &ada, "Open", "PUBLIC").await;
    for collection in [&secret, &link, &open] {
        add(&app, &ada, collection, &paper, Some("mine")).await;
    }
    send(
        &app,
        Some(&ada.access_token),
        "mutation($p: ID!) { savePaper(paperId: $p) { id } }",
        json!({ "p": paper }),
    )
    .await
    .expect_ok();

    let ids = [secret.as_str(), link.as_str(), open.as_str()];
    let profile =
        "query($p: ID!) { user(username: \"ada\") { collections { totalCount nodes { name } } }
        node(id: $p) { ... on Paper { collectionCount viewerHasSaved
          collections { totalCount nodes { name } } } } }";
    for (token, is_owner) in [
        (None, false),
        (Some(bob.access_token.as_str()), false),
        (Some(ada.access_token.as_str()), true),
    ] {
        assert_eq!(visible(&app, token, &ids).await, [is_owner, true, true]);
        let seen = send(&app, token, profile, json!({ "p": paper }))
            .await
            .expect_ok();
        let listed: Vec<&str> = seen["user"]["collections"]["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|node| node["name"].as_str().unwrap())
            .collect();
        if is_owner {
            assert_eq!(listed, ["Open", "Link only", "Secret"]);
            assert_eq!(seen["user"]["collections"]["totalCount"], 3);
        } else {
            assert_eq!(listed, ["Open"]);
            assert_eq!(seen["user"]["collections"]["totalCount"], 1);
        }
        // A paper lists and counts its public collections only, whoever asks.
        assert_eq!(seen["node"]["collectionCount"], 1);
        assert_eq!(seen["node"]["collections"]["totalCount"], 1);
        assert_eq!(seen["node"]["collections"]["nodes"][0]["name"], "Open");
        assert_eq!(seen["node"]["viewerHasSaved"], is_owner);
        let saved = send(
            &app,
            token,
            "{ user(username: \"ada\") { savedPapers { totalCount } } }",
            json!({}),
        )
        .await;
        if is_owner {
            assert_eq!(saved.body["data"]["user"]["savedPapers"]["totalCount"], 1);
        } else {
            assert_eq!(saved.error_code(), "FORBIDDEN");
        }
    }
}
