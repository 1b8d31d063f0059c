//! The test harness: a running application on its own database, and a GraphQL client.

mod app;
mod db;
mod graphql;
pub mod ws;

pub use app::{TEST_JWT_SECRET, TestApp};
pub use graphql::GqlResponse;
