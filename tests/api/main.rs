//! Integration tests: each test boots the real application on port 0 against its own fresh
//! database and talks to it over HTTP, as a client would.
//!
//! SQLite by default; set `TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres`
//! to run the same suite against PostgreSQL (each test creates and drops its own database).

#![expect(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a failed unwrap is a failed test, with its location"
)]

mod helpers;

mod account_lifecycle;
mod accounts;
mod arxiv;
mod arxiv_fixture;
mod budget;
mod categories;
mod collections;
mod comments;
mod conformance;
mod connections;
mod crash;
mod errors;
mod event_stream;
mod feeds;
mod filters;
mod generate;
mod hf_fixture;
mod hf_sync;
mod http;
mod http_caching;
mod import;
mod limits;
mod metrics;
mod moderation;
mod oai_fixture;
mod oauth;
mod otlp_fixture;
mod outage;
mod pagination;
mod persisted_queries;
mod personal;
mod personalised_answers;
mod reads;
mod schedule;
mod schema;
mod search;
mod shared_answers;
mod sign_in_checks;
mod smtp_fixture;
mod statements;
mod subscriptions;
mod sync;
mod tokens;
mod traces;
mod upvotes;
mod websocket;
