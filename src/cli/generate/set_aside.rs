//! PostgreSQL: keys and secondary indexes set aside while tables are bulk-loaded.
//!
//! Row by row, each foreign key costs a lookup in the referenced table and each index an
//! insertion: 1,000,000 upvotes took 12.4 s with them and 2.2 s loaded bare, the indexes
//! then built by sorting and the keys checked in one join. Primary keys and unique indexes
//! go too (1,000,000 upvotes in random key order: 4.6 s into the primary key, 0.7 s into
//! the bare table), except those a foreign key of another table rests on. The definitions
//! are read from the catalogue and restored verbatim, so the schema ends exactly as the
//! migrations left it, and a duplicate the load let through fails the restore.

use sea_orm::{ConnectionTrait, DbBackend, DbErr, Statement};

use crate::services::sql;

/// What restores the set-aside definitions, in order.
pub struct SetAside {
    restore: Vec<String>,
}

/// The foreign keys, the keys no other table's foreign key rests on, and the indexes of
/// `tables`: how to drop and recreate each, in the order of dropping (a foreign key before
/// the key it references), with the order of restoring (keys, indexes, foreign keys).
const DEFINITIONS: &str = "\
    SELECT format('ALTER TABLE %s DROP CONSTRAINT %I', c.conrelid::regclass, c.conname) \
             AS drop_sql, \
           format('ALTER TABLE %s ADD CONSTRAINT %I %s', c.conrelid::regclass, c.conname, \
                  pg_get_constraintdef(c.oid)) AS create_sql, \
           1 AS drop_order, 3 AS restore_order \
    FROM pg_constraint c WHERE c.conrelid = ANY($1::regclass[]) AND c.contype = 'f' \
    UNION ALL \
    SELECT format('ALTER TABLE %s DROP CONSTRAINT %I', c.conrelid::regclass, c.conname), \
           format('ALTER TABLE %s ADD CONSTRAINT %I %s', c.conrelid::regclass, c.conname, \
                  pg_get_constraintdef(c.oid)), 2, 1 \
    FROM pg_constraint c WHERE c.conrelid = ANY($1::regclass[]) AND c.contype IN ('p', 'u') \
      AND NOT EXISTS (SELECT 1 FROM pg_constraint f WHERE f.contype = 'f' \
                      AND f.conindid = c.conindid AND NOT f.conrelid = ANY($1::regclass[])) \
    UNION ALL \
    SELECT format('DROP INDEX %s', i.indexrelid::regclass), pg_get_indexdef(i.indexrelid), 3, 2 \
    FROM pg_index i WHERE i.indrelid = ANY($1::regclass[]) \
      AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid) \
      AND NOT EXISTS (SELECT 1 FROM pg_constraint f WHERE f.contype = 'f' \
                      AND f.conindid = i.indexrelid) \
    ORDER BY drop_order";

/// Drops the foreign keys, keys and indexes of `tables` (in the caller's transaction).
///
/// # Errors
/// The database's error.
pub async fn set_aside(db: &impl ConnectionTrait, tables: &[&str]) -> Result<SetAside, DbErr> {
    let names = format!("{{{}}}", tables.join(","));
    let rows = db
        .query_all_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            DEFINITIONS,
            [names.into()],
        ))
        .await?;
    let mut restore = Vec::with_capacity(rows.len());
    for row in rows {
        let drop: String = row.try_get("", "drop_sql")?;
        db.execute_unprepared(&drop).await?;
        let order: i32 = row.try_get("", "restore_order")?;
        restore.push((order, row.try_get::<String>("", "create_sql")?));
    }
    restore.sort_by_key(|(order, _)| *order);
    Ok(SetAside {
        restore: restore.into_iter().map(|(_, sql)| sql).collect(),
    })
}

impl SetAside {
    /// Recreates every key and index, then every foreign key (checked against the rows).
    ///
    /// # Errors
    /// The database's error, such as a loaded row that breaks a key.
    pub async fn restore(self, db: &impl ConnectionTrait) -> Result<(), DbErr> {
        db.execute_unprepared(sql::ROOMY_MAINTENANCE_MEMORY).await?;
        for statement in self.restore {
            db.execute_unprepared(&statement).await?;
        }
        Ok(())
    }
}
