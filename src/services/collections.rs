//! Collections: creating, changing and deleting them, their items in the owner's order,
//! and who may see what.
//!
//! A private collection is its owner's only: to anyone else it does not exist (`NOT_FOUND`,
//! never `FORBIDDEN`, which would tell that it does). Unlisted ones are readable by id and
//! listed nowhere; public ones are listed on their owner and on their papers.

use std::collections::HashMap;

use entity::{collection, collection_item, paper};
use sea_orm::sea_query::{Alias, Asterisk, Expr, ExprTrait, OnConflict, Query};
use sea_orm::{
    ActiveValue::NotSet, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait,
    FromQueryResult, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, TransactionTrait,
};

use crate::clock;
use crate::domain::collection::{
    MAX_COLLECTIONS_PER_USER, MAX_ITEMS, POSITION_SPACING, Visibility, position_between,
};
use crate::error::{AppError, AppResult};
use crate::pagination::{KeyPart, Keyset, ListKind, Page, PageRequest};

use super::keyset::{OwnedList, apply_page};
use super::{Context, papers, sql};

/// A collection's fields as written (already checked).
#[derive(Debug, Clone, Default)]
pub struct CollectionFields {
    pub name: Option<String>,
    pub description: Option<String>,
    pub visibility: Option<Visibility>,
}

/// Whether `viewer` may read `collection`.
pub fn readable_by(collection: &collection::Model, viewer: Option<i64>) -> bool {
    Visibility::from_stored(&collection.visibility) != Visibility::Private
        || viewer.is_some_and(|viewer| collection.owner_id == Some(viewer))
}

/// Creates a collection for `owner_id`.
///
/// # Errors
/// `BAD_USER_INPUT` beyond [`MAX_COLLECTIONS_PER_USER`].
pub async fn create(
    ctx: Context<'_>,
    owner_id: i64,
    name: String,
    fields: CollectionFields,
) -> AppResult<collection::Model> {
    let db = ctx.db.writer();
    let owned = collection::Entity::find()
        .filter(collection::Column::OwnerId.eq(owner_id))
        .count(db)
        .await?;
    if i64::try_from(owned).unwrap_or(i64::MAX) >= MAX_COLLECTIONS_PER_USER {
        return Err(AppError::bad_input(
            "input",
            format!("you have the most collections allowed ({MAX_COLLECTIONS_PER_USER})"),
        ));
    }
    let now = clock::stored(clock::now());
    let row = collection::ActiveModel {
        id: NotSet,
        owner_id: Set(Some(owner_id)),
        name: Set(name),
        description: Set(fields.description.unwrap_or_default()),
        visibility: Set(fields
            .visibility
            .unwrap_or(Visibility::Private)
            .as_str()
            .to_owned()),
        item_count: Set(0),
        created_at: Set(now),
        updated_at: Set(now),
    };
    Ok(collection::Entity::insert(row)
        .exec_with_returning(db)
        .await?)
}

/// Changes the given fields of one of `viewer`'s collections.
///
/// # Errors
/// `NOT_FOUND` for a collection the viewer cannot see; `FORBIDDEN` for someone else's.
pub async fn update(
    ctx: Context<'_>,
    viewer: i64,
    collection_id: i64,
    fields: CollectionFields,
) -> AppResult<collection::Model> {
    let db = ctx.db.writer();
    let current = owned(db, viewer, collection_id).await?;
    let mut update = collection::Entity::update_many()
        .col_expr(
            collection::Column::UpdatedAt,
            Expr::val(clock::stored(clock::now())),
        )
        .filter(collection::Column::Id.eq(current.id));
    if let Some(name) = fields.name {
        update = update.col_expr(collection::Column::Name, Expr::val(name));
    }
    if let Some(description) = fields.description {
        update = update.col_expr(collection::Column::Description, Expr::val(description));
    }
    if let Some(visibility) = fields.visibility {
        update = update.col_expr(
            collection::Column::Visibility,
            Expr::val(visibility.as_str()),
        );
    }
    update.exec(db).await?;
    reread(db, collection_id).await
}

/// Deletes one of `viewer`'s collections with its items.
///
/// # Errors
/// `NOT_FOUND` for a collection the viewer cannot see; `FORBIDDEN` for someone else's.
pub async fn delete(ctx: Context<'_>, viewer: i64, collection_id: i64) -> AppResult<()> {
    let db = ctx.db.writer();
    owned(db, viewer, collection_id).await?;
    collection::Entity::delete_by_id(collection_id)
        .exec(db)
        .await?;
    Ok(())
}

/// Adds a paper at the end of one of `viewer`'s collections, with `note`; a paper already
/// there keeps its place and takes the new note when one is given.
///
/// # Errors
/// `NOT_FOUND` for a collection the viewer cannot see or a missing paper; `FORBIDDEN` for
/// someone else's collection; `BAD_USER_INPUT` beyond [`MAX_ITEMS`].
pub async fn add(
    ctx: Context<'_>,
    viewer: i64,
    (collection_id, paper_id): (i64, i64),
    note: Option<String>,
) -> AppResult<(collection::Model, ItemRow)> {
    let transaction = ctx.db.writer().begin().await?;
    let current = owned(&transaction, viewer, collection_id).await?;
    let present = item(&transaction, collection_id, paper_id).await?;
    if present.is_none() && current.item_count >= MAX_ITEMS {
        return Err(AppError::bad_input(
            "paperId",
            format!("a collection holds at most {MAX_ITEMS} papers"),
        ));
    }
    let last = last_position(&transaction, collection_id).await?;
    let position = position_between(last, None).unwrap_or(i64::MAX);
    let row = collection_item::ActiveModel {
        collection_id: Set(collection_id),
        paper_id: Set(paper_id),
        position: Set(position),
        note: Set(note.clone()),
        added_at: Set(clock::stored(clock::now())),
    };
    let mut on_conflict = OnConflict::columns([
        collection_item::Column::CollectionId,
        collection_item::Column::PaperId,
    ]);
    if note.is_some() {
        on_conflict.update_column(collection_item::Column::Note);
    } else {
        on_conflict.do_nothing();
    }
    collection_item::Entity::insert(row)
        .on_conflict(on_conflict.to_owned())
        .exec_without_returning(&transaction)
        .await
        .map_err(sql::missing("paper"))?;
    touch(&transaction, collection_id).await?;
    let stored = item(&transaction, collection_id, paper_id)
        .await?
        .ok_or(AppError::NotFound { resource: "paper" })?;
    let paper = papers::by_id(&transaction, paper_id)
        .await?
        .ok_or(AppError::NotFound { resource: "paper" })?;
    let collection = reread(&transaction, collection_id).await?;
    transaction.commit().await?;
    let row = ItemRow {
        paper,
        note: stored.note,
        added_at: stored.added_at,
        position: stored.position,
    };
    Ok((collection, row))
}

/// Removes a paper from one of `viewer`'s collections; removing an absent one changes
/// nothing.
///
/// # Errors
/// `NOT_FOUND` for a collection the viewer cannot see; `FORBIDDEN` for someone else's.
pub async fn remove(
    ctx: Context<'_>,
    viewer: i64,
    (collection_id, paper_id): (i64, i64),
) -> AppResult<collection::Model> {
    let transaction = ctx.db.writer().begin().await?;
    owned(&transaction, viewer, collection_id).await?;
    let removed = collection_item::Entity::delete_many()
        .filter(collection_item::Column::CollectionId.eq(collection_id))
        .filter(collection_item::Column::PaperId.eq(paper_id))
        .exec(&transaction)
        .await?
        .rows_affected;
    if removed > 0 {
        touch(&transaction, collection_id).await?;
    }
    let collection = reread(&transaction, collection_id).await?;
    transaction.commit().await?;
    Ok(collection)
}

/// Moves a paper of one of `viewer`'s collections right after `after` (another of its
/// papers), or to the front when `after` is `None`: one row changes, unless its new
/// neighbours leave no room and the collection is renumbered first.
///
/// # Errors
/// `NOT_FOUND` for a collection the viewer cannot see or a paper not in it; `FORBIDDEN`
/// for someone else's collection; `BAD_USER_INPUT` for moving a paper after itself.
pub async fn move_item(
    ctx: Context<'_>,
    viewer: i64,
    (collection_id, paper_id): (i64, i64),
    after: Option<i64>,
) -> AppResult<collection::Model> {
    if after == Some(paper_id) {
        return Err(AppError::bad_input(
            "afterPaperId",
            "a paper cannot follow itself",
        ));
    }
    let transaction = ctx.db.writer().begin().await?;
    owned(&transaction, viewer, collection_id).await?;
    item(&transaction, collection_id, paper_id)
        .await?
        .ok_or(AppError::NotFound { resource: "paper" })?;
    let position = match new_position(&transaction, collection_id, paper_id, after).await? {
        Some(position) => position,
        None => {
            renumber(&transaction, collection_id).await?;
            new_position(&transaction, collection_id, paper_id, after)
                .await?
                .ok_or_else(|| AppError::internal("no room after renumbering"))?
        }
    };
    collection_item::Entity::update_many()
        .col_expr(collection_item::Column::Position, Expr::val(position))
        .filter(collection_item::Column::CollectionId.eq(collection_id))
        .filter(collection_item::Column::PaperId.eq(paper_id))
        .exec(&transaction)
        .await?;
    touch(&transaction, collection_id).await?;
    let collection = reread(&transaction, collection_id).await?;
    transaction.commit().await?;
    Ok(collection)
}

/// The position right after `after` (the front when `None`), ignoring `moving` itself.
async fn new_position(
    db: &impl ConnectionTrait,
    collection_id: i64,
    moving: i64,
    after: Option<i64>,
) -> AppResult<Option<i64>> {
    let before = match after {
        Some(after) => Some(
            item(db, collection_id, after)
                .await?
                .ok_or_else(|| {
                    AppError::bad_input("afterPaperId", "that paper is not in the collection")
                })?
                .position,
        ),
        None => None,
    };
    let next = next_position(db, collection_id, moving, before).await?;
    Ok(position_between(before, next))
}

/// The first position after `from` (from the start when `None`), ignoring `moving`.
async fn next_position(
    db: &impl ConnectionTrait,
    collection_id: i64,
    moving: i64,
    from: Option<i64>,
) -> AppResult<Option<i64>> {
    let mut select = collection_item::Entity::find()
        .select_only()
        .column(collection_item::Column::Position)
        .filter(collection_item::Column::CollectionId.eq(collection_id))
        .filter(collection_item::Column::PaperId.ne(moving));
    if let Some(from) = from {
        select = select.filter(collection_item::Column::Position.gt(from));
    }
    Ok(select
        .order_by_asc(collection_item::Column::Position)
        .limit(1)
        .into_tuple()
        .one(db)
        .await?)
}

/// The last position of a collection; `None` when it is empty.
async fn last_position(db: &impl ConnectionTrait, collection_id: i64) -> AppResult<Option<i64>> {
    Ok(collection_item::Entity::find()
        .select_only()
        .column(collection_item::Column::Position)
        .filter(collection_item::Column::CollectionId.eq(collection_id))
        .order_by_desc(collection_item::Column::Position)
        .limit(1)
        .into_tuple()
        .one(db)
        .await?)
}

/// Spaces a collection's items [`POSITION_SPACING`] apart, in their order.
async fn renumber(db: &impl ConnectionTrait, collection_id: i64) -> AppResult<()> {
    let papers: Vec<i64> = collection_item::Entity::find()
        .select_only()
        .column(collection_item::Column::PaperId)
        .filter(collection_item::Column::CollectionId.eq(collection_id))
        .order_by_asc(collection_item::Column::Position)
        .order_by_asc(collection_item::Column::PaperId)
        .into_tuple()
        .all(db)
        .await?;
    for (index, paper_id) in (1_i64..).zip(papers) {
        collection_item::Entity::update_many()
            .col_expr(
                collection_item::Column::Position,
                Expr::val(index * POSITION_SPACING),
            )
            .filter(collection_item::Column::CollectionId.eq(collection_id))
            .filter(collection_item::Column::PaperId.eq(paper_id))
            .exec(db)
            .await?;
    }
    Ok(())
}

async fn item(
    db: &impl ConnectionTrait,
    collection_id: i64,
    paper_id: i64,
) -> AppResult<Option<collection_item::Model>> {
    Ok(
        collection_item::Entity::find_by_id((collection_id, paper_id))
            .one(db)
            .await?,
    )
}

async fn touch(db: &impl ConnectionTrait, collection_id: i64) -> AppResult<()> {
    collection::Entity::update_many()
        .col_expr(
            collection::Column::UpdatedAt,
            Expr::val(clock::stored(clock::now())),
        )
        .filter(collection::Column::Id.eq(collection_id))
        .exec(db)
        .await?;
    Ok(())
}

async fn reread(db: &impl ConnectionTrait, collection_id: i64) -> AppResult<collection::Model> {
    collection::Entity::find_by_id(collection_id)
        .one(db)
        .await?
        .ok_or(AppError::NotFound {
            resource: "collection",
        })
}

/// A collection `viewer` owns.
async fn owned(
    db: &impl ConnectionTrait,
    viewer: i64,
    collection_id: i64,
) -> AppResult<collection::Model> {
    let found = collection::Entity::find_by_id(collection_id)
        .one(db)
        .await?
        .filter(|collection| readable_by(collection, Some(viewer)))
        .ok_or(AppError::NotFound {
            resource: "collection",
        })?;
    if found.owner_id != Some(viewer) {
        return Err(AppError::Forbidden(
            "only its owner can change a collection",
        ));
    }
    Ok(found)
}

/// Collections by id (whoever may read them).
///
/// # Errors
/// `INTERNAL_SERVER_ERROR` on database failure.
pub async fn by_ids(
    db: &impl ConnectionTrait,
    ids: &[i64],
) -> AppResult<HashMap<i64, collection::Model>> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let found = collection::Entity::find()
        .filter(collection::Column::Id.is_in(ids.iter().copied()))
        .all(db)
        .await?;
    Ok(found.into_iter().map(|row| (row.id, row)).collect())
}

/// The cursor family of lists of collections (newest first).
pub const COLLECTIONS_LIST: ListKind = ListKind::Collections;
/// The cursor family of a collection's items.
pub const ITEMS_LIST: ListKind = ListKind::CollectionItems;

/// A collection's position in lists of collections: newest first, by id.
pub fn collection_key(model: &collection::Model) -> Keyset {
    Keyset {
        parts: Vec::new(),
        id: model.id,
        generation: None,
    }
}

/// A page of `owner_id`'s collections, newest first: every one when `all`, else the
/// public ones.
///
/// # Errors
/// `BAD_USER_INPUT` for an out-of-range cursor; `INTERNAL_SERVER_ERROR` on database failure.
pub async fn of_owner(
    db: &impl ConnectionTrait,
    owner_id: i64,
    all: bool,
    request: &PageRequest,
) -> AppResult<Page<collection::Model>> {
    let mut select = collection::Entity::find().filter(collection::Column::OwnerId.eq(owner_id));
    if !all {
        select = select.filter(collection::Column::Visibility.eq(Visibility::Public.as_str()));
    }
    let columns = vec![Expr::col(collection::Column::Id)];
    let rows = apply_page(select, columns, true, request)?.all(db).await?;
    Ok(request.into_page(rows))
}

/// How many collections `owner_id` has: every one when `all`, else the public ones.
///
/// # Errors
/// `INTERNAL_SERVER_ERROR` on database failure.
pub async fn count_of_owner(db: &impl ConnectionTrait, owner_id: i64, all: bool) -> AppResult<u64> {
    let mut select = collection::Entity::find().filter(collection::Column::OwnerId.eq(owner_id));
    if !all {
        select = select.filter(collection::Column::Visibility.eq(Visibility::Public.as_str()));
    }
    Ok(select.count(db).await?)
}

/// The public collections holding `paper_id`, newest first.
///
/// # Errors
/// `BAD_USER_INPUT` for an out-of-range cursor; `INTERNAL_SERVER_ERROR` on database failure.
pub async fn public_holding(
    db: &impl ConnectionTrait,
    paper_id: i64,
    request: &PageRequest,
) -> AppResult<Page<collection::Model>> {
    let select = collection::Entity::find()
        .filter(collection::Column::Visibility.eq(Visibility::Public.as_str()))
        .filter(
            collection::Column::Id.in_subquery(
                Query::select()
                    .column(collection_item::Column::CollectionId)
                    .from(collection_item::Entity)
                    .and_where(Expr::col(collection_item::Column::PaperId).eq(paper_id))
                    .to_owned(),
            ),
        );
    let columns = vec![Expr::col(collection::Column::Id)];
    let rows = apply_page(select, columns, true, request)?.all(db).await?;
    Ok(request.into_page(rows))
}

/// How many public collections hold each of `paper_ids` (papers in none are absent).
///
/// # Errors
/// `INTERNAL_SERVER_ERROR` on database failure.
pub async fn public_counts(
    db: &impl ConnectionTrait,
    paper_ids: &[i64],
) -> AppResult<HashMap<i64, i64>> {
    if paper_ids.is_empty() {
        return Ok(HashMap::new());
    }
    let sql = format!(
        "SELECT ci.paper_id AS paper_id, COUNT(*) AS count FROM collection_items ci
         JOIN collections c ON c.id = ci.collection_id
         WHERE ci.paper_id IN ({}) AND c.visibility = ?
         GROUP BY ci.paper_id",
        sql::placeholders(paper_ids.len())
    );
    let mut values: Vec<sea_orm::Value> = paper_ids.iter().map(|&id| id.into()).collect();
    values.push(Visibility::Public.as_str().into());
    let rows = db
        .query_all_raw(sql::statement(db.get_database_backend(), &sql, values))
        .await?;
    rows.iter()
        .map(|row| Ok((row.try_get("", "paper_id")?, row.try_get("", "count")?)))
        .collect()
}

/// A paper in a collection, with the item's note and place.
#[derive(Debug, Clone)]
pub struct ItemRow {
    pub paper: paper::Model,
    pub note: Option<String>,
    pub added_at: chrono::DateTime<chrono::Utc>,
    pub position: i64,
}

impl ItemRow {
    /// The item's place in its collection.
    pub fn key(&self) -> Keyset {
        Keyset {
            parts: vec![KeyPart::Int(self.position)],
            id: self.paper.id,
            generation: None,
        }
    }
}

/// The types of an item cursor's key parts: the position.
pub fn item_cursor_shape() -> Vec<KeyPart> {
    vec![KeyPart::Int(0)]
}

/// A collection's items in order, as a range of `(collection_id, position, paper_id)`.
fn items() -> OwnedList {
    let item = |column: &str| Expr::col((collection_item::Entity, Alias::new(column)));
    let rows = Query::select()
        .column((paper::Entity, Asterisk))
        .expr_as(item("note"), Alias::new("item_note"))
        .expr_as(item("added_at"), Alias::new("item_added_at"))
        .expr_as(item("position"), Alias::new("item_position"))
        .from(collection_item::Entity)
        .inner_join(
            paper::Entity,
            Expr::col((paper::Entity, paper::Column::Id))
                .equals((collection_item::Entity, collection_item::Column::PaperId)),
        )
        .to_owned();
    OwnedList {
        rows,
        owner: item("collection_id"),
        order: vec![item("position"), item("paper_id")],
        descending: false,
    }
}

fn item_row(row: &sea_orm::QueryResult) -> AppResult<ItemRow> {
    Ok(ItemRow {
        paper: paper::Model::from_query_result(row, "")?,
        note: row.try_get("", "item_note")?,
        added_at: row.try_get("", "item_added_at")?,
        position: row.try_get("", "item_position")?,
    })
}

/// A page of a collection's items after (or before) the request's cursors.
///
/// # Errors
/// `BAD_USER_INPUT` for an out-of-range cursor; `INTERNAL_SERVER_ERROR` on database failure.
pub async fn items_page(
    db: &impl ConnectionTrait,
    collection_id: i64,
    request: &PageRequest,
) -> AppResult<Page<ItemRow>> {
    let statement = items().page(collection_id, request)?;
    let rows = db
        .query_all_raw(db.get_database_backend().build(&statement))
        .await?;
    let items = rows.iter().map(item_row).collect::<AppResult<Vec<_>>>()?;
    Ok(request.into_page(items))
}

/// The first `limit` items of each collection, in one statement.
///
/// # Errors
/// `INTERNAL_SERVER_ERROR` on database failure.
pub async fn first_items(
    db: &impl ConnectionTrait,
    collection_ids: &[i64],
    limit: u64,
) -> AppResult<HashMap<i64, Vec<ItemRow>>> {
    items()
        .read_first_pages(db, collection_ids, limit, item_row)
        .await
}
