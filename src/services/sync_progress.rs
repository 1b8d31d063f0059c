//! Where each harvest stands (see migration 000018).

use entity::sync_progress;
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::OnConflict;
use sea_orm::{ConnectionTrait, EntityTrait};

use crate::clock;
use crate::error::AppResult;

/// A harvest's position and tallies.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Progress {
    /// Where the next page starts; `None` before the first page.
    pub resumption_token: Option<String>,
    pub pages: i32,
    pub stored: i32,
    pub revised: i32,
    pub unchanged: i32,
    pub skipped: i32,
    pub finished: bool,
}

/// Where `job` stands: `None` when it never ran.
///
/// # Errors
/// `INTERNAL_SERVER_ERROR` on database failure.
pub async fn load(db: &impl ConnectionTrait, job: &str) -> AppResult<Option<Progress>> {
    Ok(sync_progress::Entity::find_by_id(job.to_owned())
        .one(db)
        .await?
        .map(|row| Progress {
            resumption_token: row.resumption_token,
            pages: row.pages,
            stored: row.stored,
            revised: row.revised,
            unchanged: row.unchanged,
            skipped: row.skipped,
            finished: row.finished,
        }))
}

/// Records where `job` stands.
///
/// # Errors
/// `INTERNAL_SERVER_ERROR` on database failure.
pub async fn save(db: &impl ConnectionTrait, job: &str, progress: &Progress) -> AppResult<()> {
    let row = sync_progress::ActiveModel {
        job: Set(job.to_owned()),
        resumption_token: Set(progress.resumption_token.clone()),
        pages: Set(progress.pages),
        stored: Set(progress.stored),
        revised: Set(progress.revised),
        unchanged: Set(progress.unchanged),
        skipped: Set(progress.skipped),
        finished: Set(progress.finished),
        updated_at: Set(clock::stored(clock::now())),
    };
    sync_progress::Entity::insert(row)
        .on_conflict(
            OnConflict::column(sync_progress::Column::Job)
                .update_columns([
                    sync_progress::Column::ResumptionToken,
                    sync_progress::Column::Pages,
                    sync_progress::Column::Stored,
                    sync_progress::Column::Revised,
                    sync_progress::Column::Unchanged,
                    sync_progress::Column::Skipped,
                    sync_progress::Column::Finished,
                    sync_progress::Column::UpdatedAt,
                ])
                .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
    Ok(())
}
