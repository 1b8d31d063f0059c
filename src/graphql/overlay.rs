//! Signed-in reads of the hot lists and pages, answered from the answer every viewer shares.
//!
//! A paper page read by a signed-in user differs from the anonymous one only in a few
//! comment fields: whether the viewer upvoted each comment, whether they may edit it, and
//! the body of a hidden comment they wrote or moderate. When a query selects nothing else
//! that depends on the viewer ([`SAME_FOR_EVERY_VIEWER`]), it is computed once as anonymous
//! and shared through the response cache like an anonymous read; each viewer's answer is
//! that shared answer with those fields filled in from one statement ([`ViewerOverlay`]).
//! Every comment object whose viewer fields are selected also carries its id under a hidden
//! key ([`COMMENT_ID_KEY`]) in the shared answer, which the overlay reads and removes.

use std::collections::HashMap;

use async_graphql::indexmap::IndexMap;
use async_graphql::parser::types::{
    DocumentOperations, ExecutableDocument, Field, OperationType, Selection, SelectionSet,
};
use async_graphql::{Name, Value};

use sea_orm::ConnectionTrait;

use crate::auth::Viewer;
use crate::error::{AppError, AppResult};
use crate::graphql::types::{GlobalId, NodeKind};
use crate::services::comments::{self, ViewerFacts};

use super::preflight::schema_index::innermost;
use super::preflight::{SHAREABLE_ROOT_FIELDS, SchemaIndex};
use super::shape::added_field;

/// The response key of the comment id added for the overlay; `__` keeps it out of any
/// client's aliases, which may not start so.
pub const COMMENT_ID_KEY: &str = "__paperboardCommentId";

/// The fields, by type, that answer the same for every viewer (besides `__typename`).
const SAME_FOR_EVERY_VIEWER: [(&str, &[&str]); 10] = [
    (
        "Paper",
        &[
            "id",
            "arxivId",
            "title",
            "abstract",
            "authors",
            "authorCount",
            "publishedAt",
            "submittedAt",
            "submittedBy",
            "githubUrl",
            "projectUrl",
            "categories",
            "primaryCategory",
            "categoryCodes",
            "doi",
            "journalRef",
            "arxivComment",
            "license",
            "version",
            "withdrawn",
            "updatedAt",
            "pdfUrl",
            "githubStars",
            "upvoteCount",
            "commentCount",
            "comments",
        ],
    ),
    (
        "Comment",
        &[
            "id",
            "paper",
            "author",
            "parent",
            "replies",
            "replyCount",
            "createdAt",
            "editedAt",
            "deleted",
            "hidden",
            "upvoteCount",
        ],
    ),
    (
        "CommentConnection",
        &["nodes", "edges", "pageInfo", "totalCount"],
    ),
    ("CommentEdge", &["cursor", "node"]),
    (
        "PaperConnection",
        &["nodes", "edges", "pageInfo", "totalCount"],
    ),
    ("PaperEdge", &["cursor", "node"]),
    (
        "PageInfo",
        &["hasNextPage", "hasPreviousPage", "startCursor", "endCursor"],
    ),
    (
        "User",
        &[
            "id",
            "username",
            "displayName",
            "role",
            "banned",
            "createdAt",
            "bio",
            "websiteUrl",
            "avatarUrl",
        ],
    ),
    ("Author", &["id", "name", "paperCount", "papers", "user"]),
    ("Category", &["code", "name", "paperCount"]),
];

/// The fields among [`SAME_FOR_EVERY_VIEWER`] that move with the clock, not with a
/// published change.
const CLOCK_FIELDS: [(&str, &str); 1] = [("User", "banned")];

/// The root fields whose answer moves only with published changes, when their fields do.
const PUBLISHED_ROOT_FIELDS: [&str; 3] = ["__typename", "paper", "author"];

/// The comment fields filled in for the viewer.
const VIEWER_FIELDS: [&str; 4] = ["viewerHasUpvoted", "viewerCanEdit", "body", "bodyHtml"];

/// How one query is answered for signed-in viewers from a shared answer.
#[derive(Debug)]
pub struct ViewerOverlay {
    /// The query as computed for everyone: the client's, plus [`COMMENT_ID_KEY`] wherever
    /// a comment's viewer fields are selected.
    pub document: ExecutableDocument,
    operation_name: Option<String>,
    /// Whether everything the answer shows changes only through a published change (see
    /// `events::Change`): a lookup of papers and authors, no field read from the clock.
    pub changes_only_when_published: bool,
}

impl ViewerOverlay {
    /// The overlay of `document`'s operation `operation_name`, when every field it selects
    /// is the same for every viewer or a comment's viewer field; `None` otherwise (and for
    /// fragments and directives, which this does not follow).
    pub fn plan(
        index: &SchemaIndex,
        document: &ExecutableDocument,
        operation_name: Option<&str>,
    ) -> Option<Self> {
        if !document.fragments.is_empty() {
            return None;
        }
        let mut document = document.clone();
        let operation = match &mut document.operations {
            DocumentOperations::Single(operation) => operation,
            DocumentOperations::Multiple(operations) => {
                operations.get_mut(&Name::new(operation_name?))?
            }
        };
        if operation.node.ty != OperationType::Query || !operation.node.directives.is_empty() {
            return None;
        }
        let root = index.query_type.as_str();
        let mut reads_clock = false;
        for selection in &mut operation.node.selection_set.node.items {
            let Selection::Field(field) = &mut selection.node else {
                return None;
            };
            let name = field.node.name.node.as_str();
            if name == "__typename" {
                continue;
            }
            // `papers(filter:)` may ask for `followedByViewer`.
            let viewer_filter = field
                .node
                .arguments
                .iter()
                .any(|(argument, _)| argument.node == "filter");
            if !SHAREABLE_ROOT_FIELDS.contains(&name)
                || viewer_filter
                || !field.node.directives.is_empty()
            {
                return None;
            }
            reads_clock |= !PUBLISHED_ROOT_FIELDS.contains(&name);
            let ty = innermost(&index.field(root, name)?.ty).to_owned();
            prepare(
                index,
                &ty,
                &mut field.node.selection_set.node,
                &mut reads_clock,
            )?;
        }
        Some(Self {
            document,
            operation_name: operation_name.map(str::to_owned),
            changes_only_when_published: !reads_clock,
        })
    }

    /// `data`, the answer computed for everyone, ready to be made each viewer's: written
    /// once, with gaps where the viewer's flags go.
    ///
    /// # Errors
    /// `INTERNAL_SERVER_ERROR` if it cannot be written as JSON.
    pub fn share(&self, index: &SchemaIndex, data: Value) -> AppResult<SharedAnswer> {
        let (ty, set) = self.root(index);
        let mut text = Vec::with_capacity(4096);
        let mut personaliser = Personaliser {
            index,
            fill: Fill::Gaps {
                gaps: Vec::new(),
                comment_ids: Vec::new(),
            },
        };
        personaliser
            .write(ty, Some(set), &data, &mut text)
            .map_err(AppError::internal)?;
        let Fill::Gaps {
            gaps,
            mut comment_ids,
        } = personaliser.fill
        else {
            return Err(AppError::internal(
                "the shared answer was written for a viewer",
            ));
        };
        comment_ids.sort_unstable();
        comment_ids.dedup();
        Ok(SharedAnswer {
            data,
            text,
            gaps,
            comment_ids,
        })
    }

    /// `shared` as `viewer`'s JSON: at most one statement for the viewer's facts about its
    /// comments, and one for the hidden bodies they may read.
    ///
    /// # Errors
    /// `INTERNAL_SERVER_ERROR` on database failure.
    pub async fn personalise(
        &self,
        index: &SchemaIndex,
        db: &impl ConnectionTrait,
        viewer: Viewer,
        shared: &SharedAnswer,
    ) -> AppResult<Vec<u8>> {
        let facts = match viewer.user_id() {
            Some(user_id) => comments::viewer_facts(db, user_id, &shared.comment_ids).await?,
            None => HashMap::new(),
        };
        let readable: Vec<i64> = facts
            .iter()
            .filter(|(_, facts)| facts.hidden && may_read_hidden(viewer, facts))
            .map(|(id, _)| *id)
            .collect();
        if readable.is_empty() {
            return Ok(shared.filled(viewer, &facts));
        }
        let bodies = comments::by_ids(db, &readable)
            .await?
            .into_iter()
            .map(|(id, comment)| (id, (comment.body, comment.body_html)))
            .collect();
        let (ty, set) = self.root(index);
        let mut out = Vec::with_capacity(shared.text.len());
        Personaliser {
            index,
            fill: Fill::Viewer {
                viewer,
                facts: &facts,
                bodies: &bodies,
            },
        }
        .write(ty, Some(set), &shared.data, &mut out)
        .map_err(AppError::internal)?;
        Ok(out)
    }

    /// The root type and selection of the planned operation.
    fn root<'a>(&'a self, index: &'a SchemaIndex) -> (&'a str, &'a SelectionSet) {
        let wanted = self.operation_name.as_deref();
        let operation = self.document.operations.iter().find(|(name, _)| {
            wanted.is_none_or(|wanted| name.is_some_and(|name| name.as_str() == wanted))
        });
        match operation {
            Some((_, operation)) => (&index.query_type, &operation.node.selection_set.node),
            None => (&index.query_type, &EMPTY_SET),
        }
    }
}

/// The selection of an operation that is not there (never the case for a planned one).
static EMPTY_SET: SelectionSet = SelectionSet { items: Vec::new() };

/// A shared answer ready to be made each viewer's (see [`ViewerOverlay::share`]).
#[derive(Debug)]
pub struct SharedAnswer {
    data: Value,
    /// `data` as JSON without the comment ids, with gaps where each viewer's flags go.
    text: Vec<u8>,
    /// In the order of `text`.
    gaps: Vec<Gap>,
    /// The comments whose viewer fields are selected, each once.
    comment_ids: Vec<i64>,
}

impl SharedAnswer {
    /// The answer as `viewer`'s, when no hidden body is theirs to read: the text with each
    /// gap filled from the viewer's facts (or as for everyone, for a comment without).
    fn filled(&self, viewer: Viewer, facts: &HashMap<i64, ViewerFacts>) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.text.len() + self.gaps.len() * 5);
        let mut from = 0;
        for gap in &self.gaps {
            out.extend_from_slice(&self.text[from..gap.at]);
            let value = facts
                .get(&gap.comment_id)
                .map_or(gap.shared, |facts| gap.flag.of(viewer, facts));
            out.extend_from_slice(if value { b"true" } else { b"false" });
            from = gap.at;
        }
        out.extend_from_slice(&self.text[from..]);
        out
    }
}

/// Where a comment's flag goes in a shared answer's text.
#[derive(Debug, Clone, Copy)]
struct Gap {
    at: usize,
    comment_id: i64,
    flag: Flag,
    /// Its value for everyone.
    shared: bool,
}

/// A comment field that is a yes or no for each viewer.
#[derive(Debug, Clone, Copy)]
enum Flag {
    Upvoted,
    CanEdit,
}

impl Flag {
    fn named(name: &str) -> Option<Self> {
        match name {
            "viewerHasUpvoted" => Some(Self::Upvoted),
            "viewerCanEdit" => Some(Self::CanEdit),
            _ => None,
        }
    }

    /// Its value for `viewer`, of a comment with these facts.
    fn of(self, viewer: Viewer, facts: &ViewerFacts) -> bool {
        match self {
            Self::Upvoted => facts.upvoted,
            Self::CanEdit => {
                facts.author_id.is_some() && facts.author_id == viewer.user_id() && !facts.deleted
            }
        }
    }
}

/// What a written answer holds where a comment's viewer fields go.
enum Fill<'a> {
    /// One viewer's values, the bodies of hidden comments they may read included.
    Viewer {
        viewer: Viewer,
        facts: &'a HashMap<i64, ViewerFacts>,
        bodies: &'a HashMap<i64, (String, String)>,
    },
    /// Nothing for the flags, whose gaps are noted, with the comments met.
    Gaps {
        gaps: Vec<Gap>,
        comment_ids: Vec<i64>,
    },
}

/// Writes a shared answer as JSON, the comment ids left out, the viewer fields filled.
struct Personaliser<'a> {
    index: &'a SchemaIndex,
    fill: Fill<'a>,
}

impl Personaliser<'_> {
    /// Writes `value`, the answer to `set` of type `ty` (`None` below leaves).
    fn write(
        &mut self,
        ty: &str,
        set: Option<&SelectionSet>,
        value: &Value,
        out: &mut Vec<u8>,
    ) -> serde_json::Result<()> {
        match (value, set) {
            (Value::List(items), Some(_)) => {
                out.push(b'[');
                for (position, item) in items.iter().enumerate() {
                    if position > 0 {
                        out.push(b',');
                    }
                    self.write(ty, set, item, out)?;
                }
                out.push(b']');
                Ok(())
            }
            (Value::Object(object), Some(set)) => self.write_object(ty, set, object, out),
            _ => serde_json::to_writer(out, value),
        }
    }

    fn write_object(
        &mut self,
        ty: &str,
        set: &SelectionSet,
        object: &IndexMap<Name, Value>,
        out: &mut Vec<u8>,
    ) -> serde_json::Result<()> {
        let comment = comment_id(object);
        if let (Some(id), Fill::Gaps { comment_ids, .. }) = (comment, &mut self.fill) {
            comment_ids.push(id);
        }
        out.push(b'{');
        let mut first = true;
        for (key, value) in object {
            if key.as_str() == COMMENT_ID_KEY {
                continue;
            }
            if !first {
                out.push(b',');
            }
            first = false;
            serde_json::to_writer(&mut *out, key.as_str())?;
            out.push(b':');
            let field = fields(set).find(|field| response_key(field) == key.as_str());
            let Some(field) = field else {
                serde_json::to_writer(&mut *out, value)?;
                continue;
            };
            if let Some(id) = comment
                && self.fill_in(id, field.name.node.as_str(), value, out)?
            {
                continue;
            }
            let child = &field.selection_set.node;
            match self.index.field(ty, field.name.node.as_str()) {
                Some(definition) if !child.items.is_empty() => {
                    self.write(innermost(&definition.ty), Some(child), value, out)?;
                }
                _ => serde_json::to_writer(&mut *out, value)?,
            }
        }
        out.push(b'}');
        Ok(())
    }

    /// Writes the viewer's value of field `name` of comment `id`, whose value for everyone
    /// is `value`, or notes a gap for it: whether it did either.
    fn fill_in(
        &mut self,
        id: i64,
        name: &str,
        value: &Value,
        out: &mut Vec<u8>,
    ) -> serde_json::Result<bool> {
        match &mut self.fill {
            Fill::Viewer {
                viewer,
                facts,
                bodies,
            } => {
                let Some(facts) = facts.get(&id) else {
                    return Ok(false);
                };
                let own = match (Flag::named(name), name) {
                    (Some(flag), _) => Some(Value::Boolean(flag.of(*viewer, facts))),
                    (None, "body") => bodies.get(&id).map(|(body, _)| body.as_str().into()),
                    (None, "bodyHtml") => bodies.get(&id).map(|(_, html)| html.as_str().into()),
                    (None, _) => None,
                };
                match own {
                    Some(own) => serde_json::to_writer(out, &own).map(|()| true),
                    None => Ok(false),
                }
            }
            Fill::Gaps { gaps, .. } => match (Flag::named(name), value) {
                (Some(flag), Value::Boolean(shared)) => {
                    gaps.push(Gap {
                        at: out.len(),
                        comment_id: id,
                        flag,
                        shared: *shared,
                    });
                    Ok(true)
                }
                _ => Ok(false),
            },
        }
    }
}

/// Whether `viewer` may read the body of a hidden comment with these facts.
fn may_read_hidden(viewer: Viewer, facts: &ViewerFacts) -> bool {
    viewer.is_moderator() || (facts.author_id.is_some() && facts.author_id == viewer.user_id())
}

/// Checks that `set`, of type `ty`, selects only fields the overlay can answer, and adds
/// the comment id where it fills in viewer fields; notes whether a field reads the clock.
fn prepare(
    index: &SchemaIndex,
    ty: &str,
    set: &mut SelectionSet,
    reads_clock: &mut bool,
) -> Option<()> {
    let mut fills_viewer_fields = false;
    for selection in &mut set.items {
        let Selection::Field(field) = &mut selection.node else {
            return None;
        };
        if !field.node.directives.is_empty()
            || field
                .node
                .alias
                .as_ref()
                .is_some_and(|alias| alias.node == COMMENT_ID_KEY)
        {
            return None;
        }
        let name = field.node.name.node.as_str();
        if name == "__typename" {
            continue;
        }
        let viewer_field = ty == "Comment" && VIEWER_FIELDS.contains(&name);
        fills_viewer_fields |= viewer_field;
        let same_for_everyone = SAME_FOR_EVERY_VIEWER
            .iter()
            .any(|(owner, fields)| *owner == ty && fields.contains(&name));
        if !viewer_field && !same_for_everyone {
            return None;
        }
        *reads_clock |= CLOCK_FIELDS.contains(&(ty, name));
        let field_type = innermost(&index.field(ty, name)?.ty);
        let named = index.named(field_type)?;
        if named.is_abstract() {
            return None;
        }
        if named.is_composite() {
            let field_type = field_type.to_owned();
            prepare(
                index,
                &field_type,
                &mut field.node.selection_set.node,
                reads_clock,
            )?;
        }
    }
    if fills_viewer_fields {
        set.items.push(added_field(COMMENT_ID_KEY, "id"));
    }
    Some(())
}

/// The fields of a selection set (the overlay plans only sets without fragments).
fn fields(set: &SelectionSet) -> impl Iterator<Item = &Field> {
    set.items
        .iter()
        .filter_map(|selection| match &selection.node {
            Selection::Field(field) => Some(&field.node),
            _ => None,
        })
}

fn response_key(field: &Field) -> &str {
    field.response_key().node.as_str()
}

/// The comment id the overlay added to `object`.
fn comment_id(object: &IndexMap<Name, Value>) -> Option<i64> {
    match object.get(COMMENT_ID_KEY)? {
        Value::String(raw) => GlobalId::decode_as(raw, NodeKind::Comment, "id").ok(),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use async_graphql::parser::parse_query;
    use serde_json::json;

    use super::*;
    use crate::auth::{Credential, Role, Scopes};

    const PAGE: &str = "query($p: ID!) { paper(id: $p) { title comments(first: 2) { nodes {
        id body viewerHasUpvoted mine: viewerCanEdit author { username }
        replies(first: 1) { nodes { upvoteCount viewerHasUpvoted } } } } } }";

    async fn index() -> SchemaIndex {
        let schema = crate::graphql::schema_builder().finish();
        SchemaIndex::of(&schema)
            .await
            .unwrap_or_else(|error| panic!("{error}"))
    }

    fn plan(index: &SchemaIndex, query: &str) -> Option<ViewerOverlay> {
        let document = parse_query(query).unwrap_or_else(|error| panic!("{error}"));
        ViewerOverlay::plan(index, &document, None)
    }

    fn comment(id: i64) -> String {
        GlobalId::encode(NodeKind::Comment, id)
    }

    #[tokio::test]
    async fn only_reads_that_differ_in_comment_viewer_fields_are_planned() {
        let index = index().await;
        assert!(plan(&index, PAGE).is_some());
        for query in [
            "{ paper(id: \"x\") { viewerHasUpvoted } }",
            "{ paper(id: \"x\") { submittedBy { email } } }",
            "{ papers(filter: {followedByViewer: true}) { nodes { title } } }",
            "{ paper(id: \"x\") { ...F } } fragment F on Paper { title }",
            "{ paper(id: \"x\") { title @include(if: true) } }",
            "{ viewer { username } }",
            "{ paper(id: \"x\") { comments { nodes { __paperboardCommentId: body } } } }",
            "mutation { logout }",
        ] {
            assert!(plan(&index, query).is_none(), "{query}");
        }
    }

    #[tokio::test]
    async fn lookups_without_clock_fields_change_only_when_published() {
        let index = index().await;
        let lasting =
            |query: &str| plan(&index, query).map(|plan| plan.changes_only_when_published);
        assert_eq!(lasting(PAGE), Some(true));
        assert_eq!(
            lasting("{ author(id: \"x\") { name papers { nodes { title } } } }"),
            Some(true)
        );
        assert_eq!(
            lasting("{ paper(id: \"x\") { submittedBy { username banned } } }"),
            Some(false)
        );
        assert_eq!(
            lasting("{ trendingPapers { nodes { title } } }"),
            Some(false)
        );
        assert_eq!(
            lasting("{ paper(id: \"x\") { title } papers { totalCount } }"),
            Some(false)
        );
    }

    #[tokio::test]
    async fn a_shared_answer_is_written_with_the_viewers_fields_and_without_the_ids() {
        let index = index().await;
        let overlay = plan(&index, PAGE).unwrap_or_else(|| panic!("not planned"));
        let shared = json!({ "paper": { "title": "T", "comments": { "nodes": [
            { "id": comment(1), "body": "", "viewerHasUpvoted": false, "mine": false,
              "author": { "username": "ada" },
              "replies": { "nodes": [
                { "upvoteCount": 3, "viewerHasUpvoted": false, (COMMENT_ID_KEY): comment(3) } ] },
              (COMMENT_ID_KEY): comment(1) },
            { "id": comment(2), "body": "shown", "viewerHasUpvoted": false, "mine": false,
              "author": null, "replies": { "nodes": [] }, (COMMENT_ID_KEY): comment(2) } ] } } });
        let shared = Value::from_json(shared).unwrap_or_else(|error| panic!("{error}"));
        let viewer = Viewer::User {
            id: 7,
            role: Role::User,
            banned: false,
            scopes: Scopes::all(),
            credential: Credential::Session { sign_in: 1 },
        };
        let facts = HashMap::from([
            (
                1,
                ViewerFacts {
                    author_id: Some(7),
                    hidden: true,
                    deleted: false,
                    upvoted: false,
                },
            ),
            (
                2,
                ViewerFacts {
                    author_id: Some(8),
                    hidden: false,
                    deleted: false,
                    upvoted: true,
                },
            ),
            (
                3,
                ViewerFacts {
                    author_id: None,
                    hidden: false,
                    deleted: true,
                    upvoted: true,
                },
            ),
        ]);
        let bodies = HashMap::from([(1, ("mine, hidden".to_owned(), "<p>…</p>".to_owned()))]);
        let answer = overlay
            .share(&index, shared)
            .unwrap_or_else(|error| panic!("{error}"));
        assert_eq!(answer.comment_ids, [1, 2, 3]);
        let mut out = Vec::new();
        let (ty, set) = overlay.root(&index);
        Personaliser {
            index: &index,
            fill: Fill::Viewer {
                viewer,
                facts: &facts,
                bodies: &bodies,
            },
        }
        .write(ty, Some(set), &answer.data, &mut out)
        .unwrap_or_else(|error| panic!("{error}"));
        let written: serde_json::Value =
            serde_json::from_slice(&out).unwrap_or_else(|error| panic!("{error}"));
        let page = |first_body: &str, first_mine: bool| {
            json!({ "paper": { "title": "T", "comments": { "nodes": [
                { "id": comment(1), "body": first_body, "viewerHasUpvoted": false,
                  "mine": first_mine, "author": { "username": "ada" },
                  "replies": { "nodes": [ { "upvoteCount": 3, "viewerHasUpvoted": true } ] } },
                { "id": comment(2), "body": "shown", "viewerHasUpvoted": true, "mine": false,
                  "author": null, "replies": { "nodes": [] } } ] } } })
        };
        assert_eq!(written, page("mine, hidden", true));

        // Without a hidden body to read, the flags fill the gaps of the shared text.
        let filled: serde_json::Value = serde_json::from_slice(&answer.filled(viewer, &facts))
            .unwrap_or_else(|error| panic!("{error}"));
        assert_eq!(filled, page("", true));
        let everyone: serde_json::Value =
            serde_json::from_slice(&answer.filled(Viewer::Anonymous, &HashMap::new()))
                .unwrap_or_else(|error| panic!("{error}"));
        assert_eq!(
            everyone["paper"]["comments"]["nodes"][1]["viewerHasUpvoted"],
            false
        );
        assert_eq!(everyone["paper"]["comments"]["nodes"][0]["mine"], false);
    }
}
