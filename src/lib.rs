//! Paperboard: the GraphQL backend of a community research-paper feed.
//!
//! Requests flow one way: `http` (transport, viewer) → `graphql` (resolvers, loaders,
//! limits) → `services` (SQL and transactions) → the `entity` crate. `startup` builds
//! the whole application from a [`Config`]; the binary only parses flags and wires.

pub mod auth;
pub mod cli;
pub mod clock;
pub mod config;
pub mod db;
pub mod digest;
pub mod domain;
pub mod error;
pub mod events;
pub mod graphql;
pub mod http;
pub mod ingest;
pub mod mail;
pub mod pagination;
pub mod persisted_queries;
pub mod rate_limit;
pub mod services;
pub mod startup;
pub mod state;
pub mod telemetry;

pub use config::Config;
pub use startup::Application;
