//! Paper metadata and arXiv categories: stored by `paperboard import`, read through
//! `Paper`, `category`, `categories`, and narrowed by `PaperFilter.categories` on lists,
//! search and `paperAdded`.

use serde_json::{Value, json};

use crate::helpers::TestApp;
use crate::import::run_import;

/// Three papers: two in cs.LG (one primary, one cross-listed), one in math.OC only.
fn records() -> Value {
    json!([
        {
            "title": "Gradient noise in deep networks", "abstract": "We study gradient noise.",
            "authors": ["Ada Lovelace"], "arxiv_id": "2501.00001",
            "submitted_at": "2026-01-01T10:00:00Z",
            "categories": ["cs.LG", "stat.ML"], "doi": "10.1145/3580305.3599931",
            "journal_ref": "KDD 2026", "comment": "12 pages,\n 5 figures",
            "license": "http://creativecommons.org/licenses/by/4.0/", "version": 3,
            "pdf_url": "https://arxiv.org/pdf/2501.00001v3", "github_stars": 1234
        },
        {
            "title": "Convex relaxations of network training", "abstract": "Optimisation.",
            "authors": ["Grace Hopper"], "arxiv_id": "2501.00002",
            "submitted_at": "2026-01-02T10:00:00Z",
            "categories": ["math.OC", "cs.LG"],
            "comment": "This paper has been withdrawn by the authors"
        },
        {
            "title": "Integer programs for scheduling", "abstract": "Scheduling networks.",
            "authors": ["Alan Turing"], "arxiv_id": "2501.00003",
            "submitted_at": "2026-01-03T10:00:00Z",
            "categories": ["math.OC"]
        }
    ])
}

pub async fn imported(app: &TestApp, records: &Value) -> std::process::Output {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("papers.json");
    std::fs::write(&file, records.to_string()).unwrap();
    run_import(app, &file)
}

fn titles(connection: &Value) -> Vec<&str> {
    connection["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|paper| paper["title"].as_str().unwrap())
        .collect()
}

#[tokio::test]
async fn imported_metadata_and_categories_are_read_back() {
    let app = TestApp::spawn().await;
    let output = imported(&app, &records()).await;
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );

    let paper = &app
        .query(
            r#"{ paper(arxivId: "2501.00001") {
                categories { code name } primaryCategory { code name }
                doi journalRef arxivComment license version pdfUrl githubStars withdrawn
                submittedAt updatedAt } }"#,
            json!({}),
        )
        .await["paper"];
    assert_eq!(
        paper["categories"],
        json!([
            { "code": "cs.LG", "name": "Machine Learning" },
            { "code": "stat.ML", "name": "Machine Learning" }
        ])
    );
    assert_eq!(paper["primaryCategory"]["code"], "cs.LG");
    assert_eq!(paper["doi"], "10.1145/3580305.3599931");
    assert_eq!(paper["journalRef"], "KDD 2026");
    assert_eq!(paper["arxivComment"], "12 pages, 5 figures");
    assert_eq!(
        paper["license"],
        "http://creativecommons.org/licenses/by/4.0/"
    );
    assert_eq!(paper["version"], 3);
    assert_eq!(paper["pdfUrl"], "https://arxiv.org/pdf/2501.00001v3");
    assert_eq!(paper["githubStars"], 1234);
    assert_eq!(paper["withdrawn"], false);
    // Never changed since it was stored: the record's last change is its submission.
    assert_eq!(paper["updatedAt"], paper["submittedAt"]);

    let withdrawn = &app
        .query(
            r#"{ paper(arxivId: "2501.00002") { withdrawn doi version githubStars
                primaryCategory { code } } }"#,
            json!({}),
        )
        .await["paper"];
    assert_eq!(
        withdrawn,
        &json!({ "withdrawn": true, "doi": null, "version": null, "githubStars": null,
                 "primaryCategory": { "code": "math.OC" } })
    );

    // Demo papers (no categories) keep working.
    let demo = app
        .query(
            "{ papers(first: 1) { nodes { categories { code } primaryCategory { code } } } }",
            json!({}),
        )
        .await;
    assert!(demo["papers"]["nodes"][0]["categories"].is_array());
}

#[tokio::test]
async fn categories_are_listed_by_paper_count_and_page_their_papers() {
    let app = TestApp::spawn().await;
    assert!(imported(&app, &records()).await.status.success());

    let listed = app
        .query(
            "{ categories(first: 2) { totalCount nodes { code paperCount } \
               pageInfo { hasNextPage endCursor } } }",
            json!({}),
        )
        .await;
    let categories = &listed["categories"];
    assert_eq!(categories["totalCount"], 3);
    // cs.LG and math.OC have two papers each (ties by code), stat.ML one.
    assert_eq!(
        categories["nodes"],
        json!([{ "code": "cs.LG", "paperCount": 2 }, { "code": "math.OC", "paperCount": 2 }])
    );
    let rest = app
        .query(
            "query($after: String) { categories(first: 2, after: $after) { nodes { code paperCount } \
               pageInfo { hasNextPage } } }",
            json!({ "after": categories["pageInfo"]["endCursor"] }),
        )
        .await;
    assert_eq!(
        rest["categories"]["nodes"],
        json!([{ "code": "stat.ML", "paperCount": 1 }])
    );
    assert_eq!(rest["categories"]["pageInfo"]["hasNextPage"], false);

    let category = app
        .query(
            r#"{ category(code: "math.OC") { code name paperCount papers(first: 5) { totalCount nodes { title } } }
                 unknown: category(code: "cs.XX") { code } }"#,
            json!({}),
        )
        .await;
    assert_eq!(category["category"]["name"], "Optimization and Control");
    assert_eq!(category["category"]["paperCount"], 2);
    assert_eq!(category["category"]["papers"]["totalCount"], 2);
    assert_eq!(
        titles(&category["category"]["papers"]),
        [
            "Integer programs for scheduling",
            "Convex relaxations of network training"
        ]
    );
    assert_eq!(category["unknown"], Value::Null);
    let empty = app
        .query(
            r#"{ category(code: "hep-th") { paperCount papers { totalCount } } }"#,
            json!({}),
        )
        .await;
    assert_eq!(
        empty["category"],
        json!({ "paperCount": 0, "papers": { "totalCount": 0 } })
    );
}

#[tokio::test]
async fn the_category_filter_narrows_lists_and_search() {
    let app = TestApp::spawn().await;
    assert!(imported(&app, &records()).await.status.success());

    let lists = app
        .query(
            r#"{ learning: papers(filter: { categories: ["cs.LG"] }) { totalCount nodes { title } }
                 either: papers(filter: { categories: ["stat.ML", "math.OC"] }) { totalCount }
                 found: searchPapers(query: "network", filter: { categories: ["math.OC"] }) { nodes { title } } }"#,
            json!({}),
        )
        .await;
    assert_eq!(
        titles(&lists["learning"]),
        [
            "Convex relaxations of network training",
            "Gradient noise in deep networks"
        ]
    );
    assert_eq!(lists["either"]["totalCount"], 3);
    // Title matches first, then abstract matches; the cs.LG-only paper is left out.
    assert_eq!(
        titles(&lists["found"]),
        [
            "Convex relaxations of network training",
            "Integer programs for scheduling"
        ]
    );

    for (filter, field) in [
        (json!({ "categories": [] }), "filter.categories"),
        (json!({ "categories": ["cs.XX"] }), "filter.categories[0]"),
        (
            json!({ "categories": ["cs.LG", "cs.LG"] }),
            "filter.categories[1]",
        ),
    ] {
        let response = app
            .gql("query($f: PaperFilter) { papers(filter: $f) { totalCount } }")
            .variables(json!({ "f": filter }))
            .send()
            .await;
        assert_eq!(response.error_code(), "BAD_USER_INPUT", "{filter}");
        assert_eq!(response.error_field().as_deref(), Some(field), "{filter}");
    }
}

#[tokio::test]
async fn a_record_with_an_unknown_category_or_bad_metadata_stores_nothing() {
    let app = TestApp::spawn().await;
    let before = app.query("{ papers { totalCount } }", json!({})).await;
    let bad = json!([
        { "title": "Fine", "abstract": "A", "categories": ["cs.LG"] },
        { "title": "Unknown code", "abstract": "A", "categories": ["cs.LG", "cs.XX"] },
        { "title": "Bad DOI", "abstract": "A", "doi": "not a doi", "version": 0, "github_stars": -5 }
    ]);
    let output = imported(&app, &bad).await;
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    for named in [
        "record 1, field `categories[1]`",
        "record 2, field `doi`",
        "record 2, field `version`",
        "record 2, field `github_stars`",
    ] {
        assert!(stderr.contains(named), "{named} in {stderr}");
    }
    assert_eq!(
        app.query("{ papers { totalCount } }", json!({})).await,
        before
    );
    assert_eq!(
        app.query("{ categories { totalCount } }", json!({})).await["categories"]["totalCount"],
        0
    );
}

/// A paper with `categories`, stored and published as a submission is.
async fn submit_listed(app: &TestApp, submitter: i64, title: &str, categories: &[&str]) {
    use paperboard::domain::paper::NewPaper;
    use paperboard::domain::paper_metadata::PaperMetadata;

    let paper = NewPaper {
        arxiv_id: None,
        title: title.to_owned(),
        abstract_text: "Live.".to_owned(),
        authors: vec!["Barbara Liskov".to_owned()],
        published_at: None,
        submitted_at: None,
        submitted_by: None,
        github_url: None,
        project_url: None,
        upvote_baseline: 0,
        metadata: PaperMetadata {
            categories: categories.iter().map(|code| (*code).to_owned()).collect(),
            ..PaperMetadata::default()
        },
    };
    paperboard::services::catalog::submit(app.state.services(), submitter, paper)
        .await
        .unwrap();
}

#[tokio::test]
async fn paper_added_streams_only_papers_of_the_wanted_categories() {
    use crate::helpers::ws::TRANSPORT_WS;
    use paperboard::graphql::types::{GlobalId, NodeKind};

    let app = TestApp::spawn().await;
    let user = app.register("listener").await;
    let user_id = GlobalId::decode_as(&user.id, NodeKind::User, "id").unwrap();
    let mut client = app.ws_ready(TRANSPORT_WS, None).await;
    client
        .subscribe(
            "subscribe",
            "topic",
            r#"subscription { paperAdded(filter: { categories: ["math.OC", "stat.ML"] }) {
                title categories { code } } }"#,
            json!({}),
        )
        .await;
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    submit_listed(&app, user_id, "Only learning", &["cs.LG"]).await;
    submit_listed(
        &app,
        user_id,
        "Cross-listed in statistics",
        &["cs.LG", "stat.ML"],
    )
    .await;
    let message = client.next_json().await;
    assert_eq!(
        message["payload"]["data"]["paperAdded"],
        json!({ "title": "Cross-listed in statistics",
                "categories": [{ "code": "cs.LG" }, { "code": "stat.ML" }] })
    );
}

#[tokio::test]
async fn categories_and_their_counts_are_batched_across_a_page() {
    let app = TestApp::spawn().await;
    assert!(imported(&app, &records()).await.status.success());
    let statements = |size: u32| {
        let app = &app;
        async move {
            // Named per size, so that no shared answer is reused.
            let query = format!(
                "query Page{size} {{ papers(first: {size}) {{ nodes {{ \
                   categories {{ code paperCount }} primaryCategory {{ paperCount }} }} }} }}"
            );
            let before = app.statements_executed();
            app.query(&query, json!({})).await;
            app.statements_executed() - before
        }
    };
    let one = statements(1).await;
    let three = statements(3).await;
    // The page, the categories of all its papers, the counts of all their categories.
    assert_eq!(one, 3);
    assert_eq!(three, one);
}
