//! Atom, RSS and JSON feeds of the daily list, trending windows, filtered lists and
//! searches: valid documents (read back with the `feed-rs` parser), the same papers as the
//! API's lists, and conditional requests.

use feed_rs::model::{Feed, FeedType};
use reqwest::StatusCode;
use reqwest::header::{
    CACHE_CONTROL, CONTENT_TYPE, ETAG, IF_MODIFIED_SINCE, IF_NONE_MATCH, LAST_MODIFIED,
};
use serde_json::{Value, json};

use crate::helpers::TestApp;

async fn fetch(app: &TestApp, path: &str) -> reqwest::Response {
    app.client.get(app.url(path)).send().await.unwrap()
}

/// The feed at `path`, parsed, with its raw text.
async fn parsed(app: &TestApp, path: &str) -> (Feed, String) {
    let response = fetch(app, path).await;
    assert_eq!(response.status(), StatusCode::OK, "{path}");
    let text = response.text().await.unwrap();
    let feed = feed_rs::parser::parse(text.as_bytes())
        .unwrap_or_else(|error| panic!("{path} is not a valid feed: {error}\n{text}"));
    (feed, text)
}

fn entry_titles(feed: &Feed) -> Vec<String> {
    feed.entries
        .iter()
        .map(|entry| entry.title.as_ref().unwrap().content.clone())
        .collect()
}

/// Titles, upvotes and first authors of an API list's nodes.
fn api_titles(list: &Value) -> Vec<String> {
    list["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|node| node["title"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn each_list_has_a_feed_in_each_format_with_the_lists_papers() {
    let app = TestApp::spawn_with_demo().await;
    let lists = app
        .query(
            "{ daily: dailyPapers(first: 30) { nodes { title upvoteCount authors { name } } }
               trending: trendingPapers(window: WEEK, first: 30) { nodes { title } } }",
            json!({}),
        )
        .await;
    let daily = api_titles(&lists["daily"]);
    assert!(!daily.is_empty());

    let (atom, atom_text) = parsed(&app, "/feeds/daily.atom").await;
    assert_eq!(atom.feed_type, FeedType::Atom);
    assert_eq!(entry_titles(&atom), daily);
    let first = &atom.entries[0];
    let expected_authors: Vec<String> = lists["daily"]["nodes"][0]["authors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|author| author["name"].as_str().unwrap().to_owned())
        .collect();
    let authors: Vec<String> = first
        .authors
        .iter()
        .filter_map(|person| person.name.clone())
        .collect();
    assert_eq!(authors, expected_authors);
    assert!(first.links[0].href.starts_with("https://arxiv.org/abs/"));
    assert!(first.published.is_some() && first.updated.is_some());
    assert!(!first.summary.as_ref().unwrap().content.is_empty());
    let upvotes = lists["daily"]["nodes"][0]["upvoteCount"].as_i64().unwrap();
    assert!(
        atom_text.contains(&format!("<pb:upvotes>{upvotes}</pb:upvotes>")),
        "upvotes for programs"
    );

    let (rss, rss_text) = parsed(&app, "/feeds/trending.rss?window=WEEK").await;
    assert_eq!(rss.feed_type, FeedType::RSS2);
    assert_eq!(entry_titles(&rss), api_titles(&lists["trending"]));
    assert!(rss.entries[0].published.is_some());
    assert!(
        rss_text.contains("<dc:creator>"),
        "authors as Dublin Core creators"
    );
    assert!(rss_text.contains("<pb:upvotes>"));

    let response = fetch(&app, "/feeds/daily.json").await;
    assert_eq!(
        response.headers()[CONTENT_TYPE],
        "application/feed+json; charset=utf-8"
    );
    let json: Value = response.json().await.unwrap();
    assert_eq!(json["version"], "https://jsonfeed.org/version/1.1");
    assert_eq!(
        json["items"][0]["_paperboard"]["upvotes"].as_i64(),
        Some(upvotes)
    );
    let (parsed_json, _) = parsed(&app, "/feeds/daily.json").await;
    assert_eq!(parsed_json.feed_type, FeedType::JSON);
    assert_eq!(entry_titles(&parsed_json), daily);
}

#[tokio::test]
async fn a_filtered_or_searched_feed_lists_what_the_api_lists() {
    let app = TestApp::spawn_with_demo().await;
    let author = app
        .query("{ authors(first: 1) { nodes { id name } } }", json!({}))
        .await["authors"]["nodes"][0]
        .clone();
    let by_author = app
        .query(
            "query($f: PaperFilter) { papers(filter: $f, first: 30) { nodes { title } } }",
            json!({ "f": { "authorId": author["id"] } }),
        )
        .await;
    let path = format!(
        "/feeds/papers.atom?author={}",
        author["id"].as_str().unwrap()
    );
    let (feed, _) = parsed(&app, &path).await;
    assert_eq!(entry_titles(&feed), api_titles(&by_author["papers"]));
    for entry in &feed.entries {
        assert!(
            entry
                .authors
                .iter()
                .any(|person| person.name.as_deref() == author["name"].as_str()),
            "every entry is by the author"
        );
    }

    let searched = app
        .query(
            r#"{ searchPapers(query: "language model", first: 30) { nodes { title } } }"#,
            json!({}),
        )
        .await;
    let (feed, _) = parsed(&app, "/feeds/papers.rss?q=language%20model").await;
    assert!(!feed.entries.is_empty());
    assert_eq!(entry_titles(&feed), api_titles(&searched["searchPapers"]));

    let with_code = app
        .query(
            "{ papers(filter: {hasCode: true}, first: 5) { nodes { title } } }",
            json!({}),
        )
        .await;
    let (feed, _) = parsed(&app, "/feeds/papers.json?hasCode=true&first=5").await;
    assert_eq!(entry_titles(&feed), api_titles(&with_code["papers"]));
}

#[tokio::test]
async fn a_readers_current_copy_is_not_sent_again() {
    let app = TestApp::spawn_with_demo().await;
    let first = fetch(&app, "/feeds/daily.atom").await;
    assert_eq!(first.headers()[CACHE_CONTROL], "public, max-age=60");
    let etag = first.headers()[ETAG].clone();
    let last_modified = first.headers()[LAST_MODIFIED].clone();

    let by_tag = app
        .client
        .get(app.url("/feeds/daily.atom"))
        .header(IF_NONE_MATCH, etag.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(by_tag.status(), StatusCode::NOT_MODIFIED);
    let by_date = app
        .client
        .get(app.url("/feeds/daily.atom"))
        .header(IF_MODIFIED_SINCE, last_modified)
        .send()
        .await
        .unwrap();
    assert_eq!(by_date.status(), StatusCode::NOT_MODIFIED);
    let stale = app
        .client
        .get(app.url("/feeds/daily.atom"))
        .header(IF_MODIFIED_SINCE, "Mon, 01 Jan 2001 00:00:00 GMT")
        .send()
        .await
        .unwrap();
    assert_eq!(stale.status(), StatusCode::OK);

    // An upvote changes the feed: the old tag no longer matches.
    let paper = app.paper_ids(1).await.remove(0);
    let token = app.quick_users("reader", 1).await.remove(0);
    app.gql("mutation($p: ID!) { upvotePaper(paperId: $p) { paper { id } } }")
        .variables(json!({ "p": paper }))
        .bearer(&token)
        .send()
        .await
        .expect_ok();
    let changed = app
        .client
        .get(app.url("/feeds/daily.atom"))
        .header(IF_NONE_MATCH, etag)
        .send()
        .await
        .unwrap();
    assert_eq!(changed.status(), StatusCode::OK);
}

#[tokio::test]
async fn hostile_text_is_escaped_and_bad_parameters_are_refused() {
    let app = TestApp::spawn().await;
    let token = app.quick_users("writer", 1).await.remove(0);
    let title = "<script>alert(1)</script> & \"quotes\" ]]> \u{1F600}";
    app.gql("mutation($i: SubmitPaperInput!) { submitPaper(input: $i) { paper { id } } }")
        .variables(json!({ "i": {
            "arxivId": "2501.00009",
            "title": title,
            "abstract": "<img src=x onerror=alert(1)> abstract",
            "authors": ["<b>Bold</b> Author"],
            "publishedAt": "2025-01-02",
        }}))
        .bearer(&token)
        .send()
        .await
        .expect_ok();
    for format in ["atom", "rss", "json"] {
        let (feed, text) = parsed(&app, &format!("/feeds/papers.{format}")).await;
        assert_eq!(entry_titles(&feed), vec![title.to_owned()], "{format}");
        // Markup only ever reaches a reader as text: escaped in XML, and in the one HTML
        // field of JSON Feed.
        let markup = if format == "json" {
            serde_json::from_str::<Value>(&text).unwrap()["items"][0]["content_html"]
                .as_str()
                .unwrap()
                .to_owned()
        } else {
            text
        };
        assert!(!markup.contains("<script>"), "{format}: {markup}");
        assert!(!markup.contains("<img"), "{format}: {markup}");
        assert!(!markup.contains("<b>"), "{format}: {markup}");
    }

    for (path, status) in [
        ("/feeds/papers.atom?first=0", StatusCode::BAD_REQUEST),
        ("/feeds/papers.atom?first=101", StatusCode::BAD_REQUEST),
        ("/feeds/papers.atom?first=ten", StatusCode::BAD_REQUEST),
        ("/feeds/papers.atom?hasCode=maybe", StatusCode::BAD_REQUEST),
        ("/feeds/papers.atom?q=", StatusCode::OK),
        ("/feeds/papers.atom?q=%22", StatusCode::BAD_REQUEST),
        ("/feeds/papers.atom?author=nope", StatusCode::BAD_REQUEST),
        (
            "/feeds/trending.rss?window=FORTNIGHT",
            StatusCode::BAD_REQUEST,
        ),
        ("/feeds/daily.json?date=yesterday", StatusCode::BAD_REQUEST),
        (
            "/feeds/daily.json?date=2025-01-01&date=2025-01-02",
            StatusCode::BAD_REQUEST,
        ),
        ("/feeds/daily.html", StatusCode::NOT_FOUND),
        ("/feeds/everything.atom", StatusCode::NOT_FOUND),
    ] {
        let response = fetch(&app, path).await;
        assert_eq!(response.status(), status, "{path}");
        if status == StatusCode::BAD_REQUEST {
            let body: Value = response.json().await.unwrap();
            assert_eq!(
                body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT",
                "{path}"
            );
        }
    }
}
