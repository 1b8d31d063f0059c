//! The nested paper lists of authors and users. First pages are batched across parents
//! (one windowed statement for a whole page of authors); later pages are keyset queries.

use async_graphql::Context;

use crate::pagination::PageArgs;
use crate::services::papers::{self, PaperOwner, PaperPage};

use super::context::{loader, state};
use super::loaders::FirstPapersOf;
use super::types::{Connection, Paper, TotalCount};

/// A page of the papers of author or submitter `owner_id`.
pub async fn papers_of(
    ctx: &Context<'_>,
    owner: PaperOwner,
    owner_id: i64,
    first: Option<i32>,
    after: Option<String>,
) -> async_graphql::Result<Connection<Paper>> {
    let listing = owner.listing(owner_id);
    let order = listing.order;
    let request =
        PageArgs::forward(first, after).parse(order.list_kind(), &order.cursor_shape())?;
    let page = if request.after.is_none() {
        let rows = loader(ctx)?
            .load_one(FirstPapersOf {
                owner,
                owner_id,
                limit: request.fetch_limit(),
            })
            .await?
            .unwrap_or_default();
        PaperPage {
            page: request.into_page(rows),
            generation: None,
        }
    } else {
        papers::list(state(ctx)?.db.reader(), &listing, &request).await?
    };
    Ok(Paper::connection(
        page,
        order,
        TotalCount::PapersOf(owner, owner_id),
    ))
}
