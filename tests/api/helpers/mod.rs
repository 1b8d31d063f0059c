//! The test harness: a running application on its own database, and a GraphQL client.

mod app;
pub mod browser;
mod db;
pub mod fixtures;
mod graphql;
mod postgres;
mod process;
pub mod sse;
pub mod ws;

pub use app::{TEST_JWT_SECRET, TestApp, TestUser, sign_token};
pub use db::TestDb;
pub use graphql::GqlResponse;
pub use postgres::TempPostgres;
pub use process::ServerProcess;
