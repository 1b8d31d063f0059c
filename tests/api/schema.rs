//! `schema.graphql` is the contract: it must equal the SDL generated from the code.
//! Run with `UPDATE_SCHEMA=1` to rewrite it after a deliberate change.

#[test]
fn schema_graphql_matches_the_code() {
    let generated = paperboard::graphql::export_sdl();
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("schema.graphql");
    if std::env::var_os("UPDATE_SCHEMA").is_some() {
        std::fs::write(&path, &generated).unwrap();
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == generated,
        "schema.graphql is stale: run `UPDATE_SCHEMA=1 cargo test --test api schema` and review the diff"
    );
}

#[test]
fn the_contract_names_are_present() {
    let sdl = paperboard::graphql::export_sdl();
    for name in [
        "type Query {",
        "type Mutation {",
        "type Subscription {",
        "interface Node",
        "type PageInfo",
        "type PaperConnection",
        "type PaperEdge",
        "type AuthorConnection",
        "scalar DateTime",
        "scalar Date",
        "enum PaperOrderField",
        "enum TrendingWindow",
        "input PaperFilter",
        "input PaperOrder",
    ] {
        assert!(sdl.contains(name), "missing {name}");
    }
}
