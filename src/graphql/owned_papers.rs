//! The nested paper lists of authors and users. First pages are batched across parents
//! (one statement for a whole page of authors); later pages are keyset ranges. Both read
//! the owner's index range, whatever the owner's size.

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
    let order = owner.order();
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
        request.into_page(rows)
    } else {
        papers::papers_of(state(ctx)?.db.reader(), owner, owner_id, &request).await?
    };
    let page = PaperPage {
        page,
        generation: None,
    };
    Ok(Paper::connection(
        page,
        order,
        TotalCount::PapersOf(owner, owner_id),
    ))
}
