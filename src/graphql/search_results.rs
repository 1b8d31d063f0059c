//! `searchPapers`: parsing the query, paging by score, and cursors bound to their query.

use async_graphql::Context;

use crate::domain::search_query::SearchQuery;
use crate::error::AppError;
use crate::pagination::{KeyPart, Keyset, ListKind, PageArgs};
use crate::services::search::SearchListing;

use super::context::viewer;
use super::prefetch;
use super::types::{Connection, Paper, PaperFilterInput, TotalCount};

/// One page of the papers matching `query`, best match first.
pub async fn search_papers(
    ctx: &Context<'_>,
    query: &str,
    first: Option<i32>,
    after: Option<String>,
    filter: Option<PaperFilterInput>,
) -> async_graphql::Result<Connection<Paper>> {
    let query = SearchQuery::parse(query)
        .map_err(|error| AppError::bad_input("query", error.to_string()))?;
    let fingerprint = query.fingerprint();
    let request = PageArgs::forward(first, after).parse(
        ListKind::SearchResults,
        &[KeyPart::Int(0), KeyPart::Float(0.0)],
    )?;
    if request
        .after
        .as_ref()
        .is_some_and(|key| key.generation != Some(fingerprint))
    {
        return Err(
            AppError::bad_input("after", "this cursor belongs to another search query").into(),
        );
    }
    let listing = SearchListing {
        query,
        filter: filter
            .unwrap_or_default()
            .decode("filter", viewer(ctx).user_id())?,
    };
    let (page, mut snippets) = prefetch::search_page(ctx, &listing, &request).await?;
    let page = page.map(|hit| {
        let key = Keyset {
            parts: vec![KeyPart::Int(hit.tier.key()), KeyPart::Float(hit.score)],
            id: hit.paper.id,
            generation: Some(fingerprint),
        };
        let snippet = snippets.remove(&hit.paper.id);
        (Paper::search_result(hit.paper, snippet), key)
    });
    Ok(Connection::new(
        page,
        ListKind::SearchResults,
        TotalCount::Search(Box::new(listing)),
    ))
}
