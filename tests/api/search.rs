//! `searchPapers` over the bundled demo papers, on SQLite and PostgreSQL.

use std::collections::HashSet;

use sea_orm::{ConnectionTrait, Statement};
use serde_json::{Value, json};

use crate::helpers::{TestApp, TestUser};

const SEARCH: &str = "query($q: String!, $first: Int, $after: String, $filter: PaperFilter) {
  searchPapers(query: $q, first: $first, after: $after, filter: $filter) {
    totalCount
    nodes { id arxivId title githubUrl searchSnippet authors { name } }
    pageInfo { hasNextPage endCursor }
  }
}";

async fn search(app: &TestApp, query: &str) -> Value {
    search_with(app, json!({ "q": query, "first": 100 })).await
}

async fn search_with(app: &TestApp, variables: Value) -> Value {
    app.query(SEARCH, variables).await["searchPapers"].clone()
}

/// Submits `input` as `member`; the new paper's id.
async fn submit(app: &TestApp, member: &TestUser, input: Value) -> Value {
    let submitted = app
        .gql("mutation($i: SubmitPaperInput!) { submitPaper(input: $i) { paper { id } } }")
        .variables(json!({ "i": input }))
        .bearer(&member.access_token)
        .send()
        .await
        .expect_ok();
    submitted["submitPaper"]["paper"]["id"].clone()
}

fn arxiv_ids(results: &Value) -> Vec<String> {
    results["nodes"]
        .as_array()
        .expect("nodes")
        .iter()
        .map(|paper| paper["arxivId"].as_str().unwrap_or("-").to_owned())
        .collect()
}

#[tokio::test]
async fn a_distinctive_title_word_finds_its_paper_first() {
    let app = TestApp::spawn_with_demo().await;
    for (word, arxiv_id) in [
        ("grokking", "2310.06110"),
        ("SplitQuant", "2501.12428"),
        ("zkDL", "2307.16273"),
        ("Fourier", "2410.22269"),
    ] {
        let results = search(&app, word).await;
        assert_eq!(
            arxiv_ids(&results).first().map(String::as_str),
            Some(arxiv_id),
            "{word}"
        );
    }
    // "Grokking" is in one title and one abstract: the title match ranks first.
    let results = search(&app, "grokking").await;
    assert_eq!(arxiv_ids(&results), ["2310.06110", "2311.04163"]);
    assert_eq!(results["totalCount"], 2);
}

#[tokio::test]
async fn case_accents_and_stemming_are_ignored() {
    let app = TestApp::spawn_with_demo().await;
    assert_eq!(arxiv_ids(&search(&app, "GROKKING").await)[0], "2310.06110");
    assert_eq!(arxiv_ids(&search(&app, "Grökking").await)[0], "2310.06110");
    // Author names are searchable, with or without their accents.
    for name in ["Färber", "Farber", "FARBER"] {
        assert_eq!(
            arxiv_ids(&search(&app, name).await),
            ["2412.12318"],
            "{name}"
        );
    }
    // `layers` finds papers that only say "layer" (SplitQuant: "Layer Splitting").
    let layers = arxiv_ids(&search(&app, "layers").await);
    assert!(layers.contains(&"2501.12428".to_owned()), "{layers:?}");
    let layer = arxiv_ids(&search(&app, "layer").await);
    assert_eq!(
        layers.iter().collect::<HashSet<_>>(),
        layer.iter().collect::<HashSet<_>>()
    );
}

#[tokio::test]
async fn all_words_must_match() {
    let app = TestApp::spawn_with_demo().await;
    let network = arxiv_ids(&search(&app, "network").await);
    let both = arxiv_ids(&search(&app, "network quantum").await);
    assert!(both.contains(&"2409.17583".to_owned()), "{both:?}");
    assert!(network.len() > both.len(), "{network:?}");
    assert!(both.iter().all(|id| network.contains(id)));
    assert!(search(&app, "grokking quantum").await["nodes"] == json!([]));
}

#[tokio::test]
async fn phrases_match_words_in_order() {
    let app = TestApp::spawn_with_demo().await;
    assert_eq!(
        arxiv_ids(&search(&app, r#""latent reasoning""#).await),
        ["2507.06203"]
    );
    let reversed = search(&app, r#""reasoning latent""#).await;
    assert!(!arxiv_ids(&reversed).contains(&"2507.06203".to_owned()));
    // A phrase left open runs to the end of the query.
    assert_eq!(
        arxiv_ids(&search(&app, r#""latent reasoning"#).await),
        ["2507.06203"]
    );
}

#[tokio::test]
async fn prefixes_match_word_beginnings() {
    let app = TestApp::spawn_with_demo().await;
    assert_eq!(arxiv_ids(&search(&app, "grokk*").await)[0], "2310.06110");
    assert_eq!(arxiv_ids(&search(&app, "grokki*").await)[0], "2310.06110");
    assert!(search(&app, "grokki").await["nodes"] == json!([]));
    // Prefixes match words as written, not stems ("optimization" stems to "optim").
    let optimiz = arxiv_ids(&search(&app, "optimiz*").await);
    for id in ["2510.14009", "2311.04163"] {
        assert!(optimiz.contains(&id.to_owned()), "{optimiz:?}");
    }
    // Mixed with words, and excluded.
    let mixed = arxiv_ids(&search(&app, "optimiz* outliers").await);
    assert_eq!(mixed[0], "2311.04163");
    assert!(mixed.len() < optimiz.len());
    let excluded = arxiv_ids(&search(&app, "network -optimiz*").await);
    assert!(!excluded.contains(&"2311.04163".to_owned()), "{excluded:?}");
    assert!(!excluded.is_empty());
    // A phrase ending in a prefix.
    let phrase = arxiv_ids(&search(&app, r#""latent reas"*"#).await);
    assert_eq!(phrase, ["2507.06203"]);
    let error = app
        .gql(SEARCH)
        .variables(json!({ "q": "gr*" }))
        .send()
        .await;
    assert_eq!(error.error_code(), "BAD_USER_INPUT");
    assert_eq!(error.error_field().as_deref(), Some("query"));
}

#[tokio::test]
async fn excluded_words_and_phrases_leave_papers_out() {
    let app = TestApp::spawn_with_demo().await;
    let graph = arxiv_ids(&search(&app, r#""graph neural network""#).await);
    assert!(graph.contains(&"2501.03228".to_owned()), "{graph:?}");
    let without = arxiv_ids(&search(&app, r#""graph neural network" -recommendation"#).await);
    assert!(!without.contains(&"2501.03228".to_owned()), "{without:?}");
    assert!(without.contains(&"2506.01686".to_owned()), "{without:?}");
    let without_phrase =
        arxiv_ids(&search(&app, r#""graph neural network" -"atomistic models""#).await);
    assert!(!without_phrase.contains(&"2506.01686".to_owned()));
    assert!(without_phrase.contains(&"2501.03228".to_owned()));
    // A title match (the first tier) is left out for an excluded word in its abstract.
    let results = search(&app, "grokking -polynomial").await;
    assert_eq!(arxiv_ids(&results), ["2311.04163"]);
    assert_eq!(results["totalCount"], 1);
}

#[tokio::test]
async fn filters_narrow_the_results() {
    let app = TestApp::spawn_with_demo().await;
    let all = search(&app, "network").await;
    let with_code = search_with(
        &app,
        json!({ "q": "network", "first": 100, "filter": { "hasCode": true } }),
    )
    .await;
    let with_code_ids = arxiv_ids(&with_code);
    assert!(!with_code_ids.is_empty());
    assert!(with_code_ids.len() < arxiv_ids(&all).len());
    for paper in with_code["nodes"].as_array().unwrap() {
        assert!(paper["githubUrl"].is_string(), "{paper}");
    }
    assert_eq!(with_code["totalCount"], with_code_ids.len());
    // The filtered results keep the unfiltered order.
    let kept: Vec<String> = arxiv_ids(&all)
        .into_iter()
        .filter(|id| with_code_ids.contains(id))
        .collect();
    assert_eq!(kept, with_code_ids);
    let published = search_with(
        &app,
        json!({ "q": "network", "first": 100, "filter": { "publishedFrom": "2025-01-01" } }),
    )
    .await;
    for id in arxiv_ids(&published) {
        assert!(id.as_str() >= "2501", "{id}");
    }
}

#[tokio::test]
async fn paging_visits_every_result_once_in_order() {
    let app = TestApp::spawn_with_demo().await;
    let everything = search(&app, "neural").await;
    let expected = arxiv_ids(&everything);
    assert!(expected.len() > 20, "{expected:?}");
    assert_eq!(everything["totalCount"], expected.len());
    // Unfiltered pages are ranked from the index alone, filtered ones joined to the papers:
    // a filter every paper passes must page the same way.
    for filter in [Value::Null, json!({ "minUpvotes": 0 })] {
        for size in [1, 2, 3, 7, 20] {
            let mut seen = Vec::new();
            let mut after = Value::Null;
            loop {
                let page = search_with(
                    &app,
                    json!({ "q": "neural", "first": size, "after": after, "filter": filter }),
                )
                .await;
                seen.extend(arxiv_ids(&page));
                if page["pageInfo"]["hasNextPage"] != true {
                    break;
                }
                after = page["pageInfo"]["endCursor"].clone();
            }
            assert_eq!(seen, expected, "page size {size}, filter {filter}");
        }
    }
}

#[tokio::test]
async fn a_cursor_belongs_to_its_query() {
    let app = TestApp::spawn_with_demo().await;
    let page = search_with(&app, json!({ "q": "neural", "first": 2 })).await;
    let cursor = page["pageInfo"]["endCursor"].clone();
    let other = app
        .gql(SEARCH)
        .variables(json!({ "q": "network", "after": cursor }))
        .send()
        .await;
    assert_eq!(other.error_code(), "BAD_USER_INPUT");
    assert_eq!(other.error_field().as_deref(), Some("after"));
    let papers_cursor = app
        .query("{ papers(first: 1) { pageInfo { endCursor } } }", json!({}))
        .await["papers"]["pageInfo"]["endCursor"]
        .clone();
    let foreign = app
        .gql(SEARCH)
        .variables(json!({ "q": "neural", "after": papers_cursor }))
        .send()
        .await;
    assert_eq!(foreign.error_code(), "BAD_USER_INPUT");
}

#[tokio::test]
async fn snippets_highlight_the_matches_as_escaped_html() {
    let app = TestApp::spawn_with_demo().await;
    let results = search(&app, "grokking").await;
    let snippet = results["nodes"][1]["searchSnippet"]
        .as_str()
        .expect("a snippet");
    assert!(
        snippet.to_lowercase().contains("<mark>grokking</mark>"),
        "{snippet}"
    );
    assert!(snippet.len() < 400, "{snippet}");
    let untouched = app
        .query(
            r#"{ paper(arxivId: "2310.06110") { searchSnippet } }"#,
            json!({}),
        )
        .await;
    assert_eq!(untouched["paper"]["searchSnippet"], Value::Null);
}

#[tokio::test]
async fn hostile_input_gets_results_or_a_clear_error() {
    let app = TestApp::spawn_with_demo().await;
    let long_words = "neural ".repeat(1_500);
    let inputs = [
        "",
        "   ",
        "\"",
        "\"\"\"",
        "\"neural",
        "-",
        "--neural",
        "-neural",
        "*",
        "neural*",
        "NOT",
        "neural AND OR NOT network",
        "NEAR(neural network, 2)",
        "title:neural",
        "{title abstract}: neural",
        "^neural",
        "neural + network",
        "'; DROP TABLE papers; --",
        "neural' OR '1'='1",
        "a & b | !c <-> d:*",
        "()",
        "(neural",
        "\\",
        "\u{0}neural",
        "🙂",
        "neural 🙂 network",
        "神经网络",
        "Ω≈ç√∫",
        &long_words,
        &"x".repeat(10_000),
    ];
    for input in inputs {
        let response = app
            .gql(SEARCH)
            .variables(json!({ "q": input }))
            .send()
            .await;
        assert_eq!(response.status, reqwest::StatusCode::OK, "{input:?}");
        let codes = response.error_codes();
        assert!(
            codes.is_empty() || codes == ["BAD_USER_INPUT"],
            "{input:?}: {}",
            response.body
        );
        if codes.is_empty() {
            assert!(response.body["data"]["searchPapers"]["nodes"].is_array());
        } else {
            assert_eq!(
                response.error_field().as_deref(),
                Some("query"),
                "{input:?}"
            );
        }
    }
    // The data is untouched.
    let count = app.query("{ papers { totalCount } }", json!({})).await;
    assert_eq!(count["papers"]["totalCount"], 43);
}

#[tokio::test]
async fn submitted_papers_are_searchable_and_deleted_ones_are_gone() {
    let app = TestApp::spawn_with_demo().await;
    let member = app.register("searcher").await;
    let id = submit(
        &app,
        &member,
        json!({
            "title": "Quokkanomics: marsupial market dynamics",
            "abstract": "We measure how wombats trade.",
            "authors": ["Zyxwv Qutrb"],
        }),
    )
    .await;
    for query in ["quokkanomics", "wombats", "qutrb", "marsupial market"] {
        let results = search(&app, query).await;
        assert_eq!(results["nodes"][0]["id"], id, "{query}");
    }

    app.promote("searcher").await;
    app.delete_paper(&member, &id).await;
    let results = search(&app, "quokkanomics").await;
    assert_eq!(results["nodes"], json!([]));
    assert_eq!(results["totalCount"], 0);
}

#[tokio::test]
async fn a_search_page_costs_a_fixed_number_of_statements() {
    let app = TestApp::spawn_with_demo().await;
    let query = "query($q: String!, $first: Int) { searchPapers(query: $q, first: $first) {
        nodes { title searchSnippet authors { name } submittedBy { username } } } }";
    let mut counts = Vec::new();
    for first in [1, 2, 30, 100] {
        let before = app.statements_executed();
        let results = app
            .query(query, json!({ "q": "network", "first": first }))
            .await;
        assert!(
            !results["searchPapers"]["nodes"]
                .as_array()
                .expect("nodes")
                .is_empty()
        );
        counts.push(app.statements_executed() - before);
    }
    // One ranking statement per tier read (the second only when the first runs out: here
    // for the page of 100), then one each for the snippets, bylines and submitters that
    // are selected — whatever the page size.
    assert!(counts.iter().all(|count| *count <= 5), "{counts:?}");
    assert_eq!(counts[0], counts[2], "{counts:?}");
    assert_eq!(counts[3], counts[2] + 1, "{counts:?}");
}

#[tokio::test]
async fn papers_with_every_term_in_the_title_or_byline_come_first() {
    let app = TestApp::spawn_with_demo().await;
    let results = search(&app, "neural").await;
    let in_title: Vec<bool> = results["nodes"]
        .as_array()
        .expect("nodes")
        .iter()
        .map(|paper| {
            paper["title"]
                .as_str()
                .unwrap_or_default()
                .to_lowercase()
                .contains("neural")
        })
        .collect();
    let first_other = in_title
        .iter()
        .position(|hit| !hit)
        .expect("an abstract-only match");
    assert!(first_other > 0, "{in_title:?}");
    assert!(
        in_title[first_other..].iter().all(|hit| !hit),
        "{in_title:?}"
    );
}

/// On PostgreSQL, how many rows of the title terms table differ from what the title vectors
/// say (a row missing, stale or extra); 0 elsewhere.
pub async fn title_terms_out_of_step(app: &TestApp) -> i64 {
    if !app.is_postgres() {
        return 0;
    }
    let db = app.state.db.writer();
    let sql = "SELECT count(*) FROM ( \
        (SELECT lexeme, score, paper_id FROM paper_title_terms \
         EXCEPT ALL SELECT t.* FROM paper_title_search s, title_terms(s.document, s.paper_id) t) \
        UNION ALL \
        (SELECT t.* FROM paper_title_search s, title_terms(s.document, s.paper_id) t \
         EXCEPT ALL SELECT lexeme, score, paper_id FROM paper_title_terms)) differing";
    let row = db
        .query_one_raw(Statement::from_string(db.get_database_backend(), sql))
        .await
        .expect("the title terms")
        .expect("a count");
    row.try_get_by_index(0).expect("a count")
}

#[tokio::test]
async fn a_one_word_search_ranks_as_the_general_search_does() {
    let app = TestApp::spawn_with_demo().await;
    // On PostgreSQL a lone word's first tier is read from the title terms in score order;
    // excluding a word no paper holds sends the same search down the general path, which
    // ranks every title match by its vector. Both must give the same results in the same
    // order, page after page.
    for word in [
        "neural", "network", "learning", "models", "language", "grokking", "wang",
    ] {
        let alone = search(&app, word).await;
        let general = search(&app, &format!("{word} -zzqxvbw")).await;
        assert!(!arxiv_ids(&alone).is_empty(), "{word} finds papers");
        assert_eq!(arxiv_ids(&alone), arxiv_ids(&general), "{word}");
        assert_eq!(alone["totalCount"], general["totalCount"], "{word}");
        let mut paged = Vec::new();
        let mut after = Value::Null;
        loop {
            let page = search_with(&app, json!({ "q": word, "first": 3, "after": after })).await;
            paged.extend(arxiv_ids(&page));
            if page["pageInfo"]["hasNextPage"] != true {
                break;
            }
            after = page["pageInfo"]["endCursor"].clone();
        }
        assert_eq!(paged, arxiv_ids(&alone), "{word}, three at a time");
    }
    assert_eq!(title_terms_out_of_step(&app).await, 0);
}

#[tokio::test]
async fn the_title_terms_follow_every_write_of_a_paper() {
    let app = TestApp::spawn_with_demo().await;
    let member = app.register("curator").await;
    app.promote("curator").await;
    let id = submit(
        &app,
        &member,
        json!({
            "title": "Wombatics: it's a marsupial's back\\slash",
            "abstract": "Quotes and backslashes in a title stay searchable.",
            "authors": ["Zyxwv O'Qutrb"],
        }),
    )
    .await;
    assert_eq!(search(&app, "wombatics").await["nodes"][0]["id"], id);
    assert_eq!(title_terms_out_of_step(&app).await, 0, "after a submission");
    app.delete_paper(&member, &id).await;
    assert_eq!(search(&app, "wombatics").await["nodes"], json!([]));
    assert_eq!(title_terms_out_of_step(&app).await, 0, "after a deletion");
}

#[tokio::test]
async fn both_engines_ignore_the_same_common_words() {
    let app = TestApp::spawn_with_demo().await;
    // PostgreSQL's English configuration leaves these out of its vectors: were they kept in
    // the query, `which -vision` would match every paper without "vision" there.
    for input in ["which -vision", "about", "between the -network"] {
        let response = app
            .gql(SEARCH)
            .variables(json!({ "q": input }))
            .send()
            .await;
        assert_eq!(response.error_code(), "BAD_USER_INPUT", "{input}");
        assert_eq!(response.error_field().as_deref(), Some("query"), "{input}");
    }
    assert_eq!(
        arxiv_ids(&search(&app, "which networks").await),
        arxiv_ids(&search(&app, "networks").await)
    );
}
