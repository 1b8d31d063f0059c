//! Full-text search over papers: keeping the index in step with the papers, ranked and
//! filtered result pages, counts and highlighted snippets.
//!
//! Results come in two tiers (see [`Tier`]): papers whose title or byline holds every wanted
//! term, ranked from a small index of titles and bylines; then the other matches, ranked
//! over whole papers. SQLite ranks with FTS5's bm25 (title weighs 10, authors 5, abstract
//! 1); PostgreSQL with `ts_rank_cd` over vectors weighted title A, authors B, abstract C.
//! Either way the score is "higher is better" and pages are keyset ranges over
//! (tier, score, id).

mod coverage;
mod index;
mod matching;
mod snippets;

use entity::paper;
use sea_orm::sea_query::{Alias, Expr, JoinType};
use sea_orm::{
    ConnectionTrait, DbBackend, EntityTrait, FromQueryResult, QueryFilter, QuerySelect, QueryTrait,
    Select,
};

use crate::domain::search_query::SearchQuery;
use crate::error::{AppError, AppResult};
use crate::pagination::{KeyPart, Keyset, Page, PageRequest};

use super::keyset::{apply_page, apply_page_to_statement};
use super::papers::{self, PaperFilter};
use coverage::Coverage;
pub use index::{index_all, index_papers};
pub use matching::Tier;
use matching::{IndexMatch, index_match, tier_match};
pub use snippets::snippets;

/// Search results: which papers match, narrowed by a filter.
#[derive(Debug, Clone)]
pub struct SearchListing {
    pub query: SearchQuery,
    pub filter: PaperFilter,
}

/// A matching paper, its tier and its score within the tier (higher is a better match).
#[derive(Debug, Clone)]
pub struct Hit {
    pub paper: paper::Model,
    pub tier: Tier,
    pub score: f64,
}

/// The papers that match `listing`, joined to their index rows, before paging.
fn matching(listing: &SearchListing, index: &IndexMatch) -> Select<paper::Entity> {
    let mut select = listing.filter.apply(paper::Entity::find());
    QuerySelect::query(&mut select).join(
        JoinType::InnerJoin,
        Alias::new(index.table),
        Expr::cust(format!("{} = papers.id", index.paper_id)),
    );
    select.filter(index.condition.clone())
}

/// The statement ranking one page of `tier`'s matches: ids and scores, best first. Without
/// a filter it reads the index table alone — joining `papers` would cost a lookup per match.
fn ranked_page(
    backend: DbBackend,
    listing: &SearchListing,
    tier: Tier,
    request: &PageRequest,
) -> AppResult<sea_orm::Statement> {
    let index = tier_match(backend, &listing.query, tier);
    if listing.filter.is_empty() {
        let id = Expr::cust(index.paper_id.clone());
        let mut statement = index.rows();
        statement
            .expr_as(id.clone(), Alias::new("id"))
            .expr_as(index.score.clone(), Alias::new("search_score"));
        apply_page_to_statement(&mut statement, vec![index.score, id], true, request)?;
        return Ok(backend.build(&statement));
    }
    let id = Expr::col((paper::Entity, paper::Column::Id));
    Ok(apply_page(
        matching(listing, &index),
        vec![index.score.clone(), id.clone()],
        true,
        request,
    )?
    .select_only()
    .column_as(id, "id")
    .column_as(index.score, "search_score")
    .build(backend))
}

/// Where a page starts: the tier of the cursor (the first tier without one) and the
/// position within it.
fn resume_point(request: &PageRequest) -> AppResult<(Tier, Option<Keyset>)> {
    let Some(after) = &request.after else {
        return Ok((Tier::Titles, None));
    };
    let out_of_range = || AppError::bad_input("after", "cursor is out of range");
    let [KeyPart::Int(tier), score @ KeyPart::Float(_)] = after.parts.as_slice() else {
        return Err(out_of_range());
    };
    let tier = Tier::from_key(*tier).ok_or_else(out_of_range)?;
    let within = Keyset {
        parts: vec![score.clone()],
        id: after.id,
        generation: after.generation,
    };
    Ok((tier, Some(within)))
}

/// One page of results, best match first (by tier, then score; ties: newest paper first).
/// A page reads the first tier and, when that runs out, the second.
///
/// # Errors
/// `BAD_USER_INPUT` for an out-of-range cursor; `INTERNAL_SERVER_ERROR` on database failure.
pub async fn search(
    db: &impl ConnectionTrait,
    listing: &SearchListing,
    request: &PageRequest,
) -> AppResult<Page<Hit>> {
    let (first_tier, mut after) = resume_point(request)?;
    let mut hits = Vec::new();
    let tiers = Tier::ORDER
        .into_iter()
        .skip_while(|tier| *tier != first_tier);
    for tier in tiers {
        let fetched = hits.len() as u64;
        if fetched >= request.fetch_limit() {
            break;
        }
        // Whatever the page still lacks, plus the one row that tells whether more follow.
        let tier_request = PageRequest {
            after: after.take(),
            ..PageRequest::first(request.size - fetched)
        };
        hits.extend(tier_page(db, listing, tier, &tier_request).await?);
    }
    Ok(request.into_page(hits))
}

/// Up to `request.fetch_limit()` of `tier`'s matches after its cursor, best first.
async fn tier_page(
    db: &impl ConnectionTrait,
    listing: &SearchListing,
    tier: Tier,
    request: &PageRequest,
) -> AppResult<Vec<Hit>> {
    let backend = db.get_database_backend();
    // Every match of the tier is scored and sorted, so the sort carries only ids and
    // scores; the page's rows are read afterwards, by id.
    let ranked = ranked_page(backend, listing, tier, request)?;
    let sql = format!(
        "SELECT papers.*, ranked.search_score FROM ({}) ranked \
         JOIN papers ON papers.id = ranked.id \
         ORDER BY ranked.search_score DESC, papers.id DESC",
        ranked.sql
    );
    let statement = sea_orm::Statement {
        sql,
        values: ranked.values,
        db_backend: backend,
    };
    let rows = db.query_all_raw(statement).await?;
    let mut hits = Vec::with_capacity(rows.len());
    for row in rows {
        hits.push(Hit {
            tier,
            score: row.try_get::<f64>("", "search_score")?,
            paper: paper::Model::from_query_result(&row, "")?,
        });
    }
    Ok(hits)
}

/// How many papers match `listing`.
///
/// # Errors
/// `INTERNAL_SERVER_ERROR` on database failure.
pub async fn count(db: &impl ConnectionTrait, listing: &SearchListing) -> AppResult<i64> {
    let backend = db.get_database_backend();
    let index = index_match(backend, &listing.query, Coverage::Whole);
    if !listing.filter.is_empty() {
        return papers::count_selected(db, matching(listing, &index)).await;
    }
    let statement = index
        .rows()
        .expr_as(Expr::cust("COUNT(*)"), Alias::new("count"))
        .to_owned();
    let row = db.query_one_raw(backend.build(&statement)).await?;
    Ok(row
        .map(|row| row.try_get::<i64>("", "count"))
        .transpose()?
        .unwrap_or(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn after(parts: Vec<KeyPart>) -> PageRequest {
        PageRequest {
            after: Some(Keyset {
                parts,
                id: 7,
                generation: Some(1),
            }),
            ..PageRequest::first(20)
        }
    }

    #[test]
    fn a_page_without_a_cursor_starts_at_the_first_tier() -> AppResult<()> {
        let (tier, within) = resume_point(&PageRequest::first(20))?;
        assert_eq!(tier, Tier::Titles);
        assert!(within.is_none());
        Ok(())
    }

    #[test]
    fn a_cursor_resumes_within_its_tier() -> AppResult<()> {
        let request = after(vec![KeyPart::Int(Tier::Rest.key()), KeyPart::Float(2.5)]);
        let (tier, within) = resume_point(&request)?;
        assert_eq!(tier, Tier::Rest);
        let within = within.map(|key| (key.parts, key.id));
        assert_eq!(within, Some((vec![KeyPart::Float(2.5)], 7)));
        Ok(())
    }

    #[test]
    fn cursors_with_an_unknown_tier_or_shape_are_refused() {
        for parts in [
            vec![KeyPart::Int(2), KeyPart::Float(1.0)],
            vec![KeyPart::Float(1.0)],
            vec![KeyPart::Float(1.0), KeyPart::Int(1)],
        ] {
            assert!(resume_point(&after(parts.clone())).is_err(), "{parts:?}");
        }
    }
}
