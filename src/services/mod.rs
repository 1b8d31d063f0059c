//! All database access and transactions. Resolvers call these functions and never touch
//! SQL; functions take `&impl ConnectionTrait` so they run on a pool or in a transaction.

pub mod accounts;
pub mod authors;
pub mod bylines;
pub mod catalog;
mod keyset;
pub mod papers;
pub mod rankings;
pub mod search;
pub mod sql;
pub mod upvotes;
pub mod users;
