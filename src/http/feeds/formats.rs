//! Writing a feed as Atom 1.0 (`atom_syndication`), RSS 2.0 (`rss`) or JSON Feed 1.1.
//!
//! Every entry holds the title, the authors, the abstract, a link to the paper, its
//! submission date and its upvotes — upvotes in the readable content and, for programs,
//! as `<pb:upvotes>` (Atom, RSS) or `_paperboard.upvotes` (JSON Feed).

use std::collections::BTreeMap;

use chrono::{DateTime, FixedOffset};
use serde::Serialize;

use super::source::FeedPaper;

/// The namespace of Paperboard's feed extension elements.
pub const NAMESPACE: &str = "urn:paperboard:feed:1";
const PREFIX: &str = "pb";

/// A feed's format, from the file name's extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Atom,
    Rss,
    Json,
}

impl Format {
    /// The format of an extension (`atom`, `rss`, `json`).
    pub fn from_extension(extension: &str) -> Option<Self> {
        match extension {
            "atom" => Some(Self::Atom),
            "rss" => Some(Self::Rss),
            "json" => Some(Self::Json),
            _ => None,
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Self::Atom => "application/atom+xml; charset=utf-8",
            Self::Rss => "application/rss+xml; charset=utf-8",
            Self::Json => "application/feed+json; charset=utf-8",
        }
    }
}

/// What a feed document says.
pub struct FeedDocument {
    pub title: String,
    /// The feed's own URL.
    pub self_url: String,
    /// The server's public URL.
    pub home_url: String,
    /// The latest change among the entries (now, for an empty feed).
    pub updated: DateTime<FixedOffset>,
    pub papers: Vec<FeedPaper>,
}

impl FeedDocument {
    /// The document in `format`.
    pub fn render(&self, format: Format) -> Vec<u8> {
        match format {
            Format::Atom => self.atom().to_string().into_bytes(),
            Format::Rss => self.rss().to_string().into_bytes(),
            Format::Json => serde_json::to_vec(&self.json_feed()).unwrap_or_default(),
        }
    }

    /// A stable IRI naming a paper, whatever its link.
    fn entry_id(&self, paper: &FeedPaper) -> String {
        format!("{}/papers/{}", self.home_url, paper.id)
    }

    fn link(&self, paper: &FeedPaper) -> String {
        paper.link().unwrap_or_else(|| self.entry_id(paper))
    }

    fn atom(&self) -> atom_syndication::Feed {
        use atom_syndication::{Content, Entry, Feed, Link, Person, Text};
        let entries: Vec<Entry> = self
            .papers
            .iter()
            .map(|paper| {
                let mut entry = Entry::default();
                entry.set_title(Text::plain(paper.title.clone()));
                entry.set_id(self.entry_id(paper));
                entry.set_updated(paper.updated_at);
                entry.set_published(Some(paper.submitted_at));
                entry.set_authors(
                    paper
                        .authors
                        .iter()
                        .map(|author| {
                            let mut person = Person::default();
                            person.set_name(author.name.clone());
                            person
                        })
                        .collect::<Vec<_>>(),
                );
                let mut link = Link::default();
                link.set_href(self.link(paper));
                link.set_rel("alternate");
                entry.set_links(vec![link]);
                entry.set_summary(Some(Text::plain(paper.r#abstract.clone())));
                let mut content = Content::default();
                content.set_content_type(Some("html".to_owned()));
                content.set_value(Some(readable_html(paper)));
                entry.set_content(Some(content));
                entry.set_categories(
                    paper
                        .categories
                        .iter()
                        .map(|category| {
                            let mut term = atom_syndication::Category::default();
                            term.set_term(category.code.clone());
                            term
                        })
                        .collect::<Vec<_>>(),
                );
                entry.set_extensions(atom_upvotes(paper.upvote_count));
                entry
            })
            .collect();
        let mut feed = Feed::default();
        feed.set_title(Text::plain(self.title.clone()));
        feed.set_id(self.self_url.clone());
        feed.set_updated(self.updated);
        let mut own = Link::default();
        own.set_href(self.self_url.clone());
        own.set_rel("self");
        own.set_mime_type(Some("application/atom+xml".to_owned()));
        let mut home = Link::default();
        home.set_href(self.home_url.clone());
        home.set_rel("alternate");
        feed.set_links(vec![own, home]);
        feed.set_namespaces(BTreeMap::from([(PREFIX.to_owned(), NAMESPACE.to_owned())]));
        feed.set_entries(entries);
        feed
    }

    fn rss(&self) -> rss::Channel {
        use rss::extension::dublincore::DublinCoreExtension;
        use rss::{Category, Channel, Guid, Item};
        let items: Vec<Item> = self
            .papers
            .iter()
            .map(|paper| {
                let mut item = Item::default();
                item.set_title(paper.title.clone());
                item.set_link(self.link(paper));
                item.set_description(readable_html(paper));
                let mut guid = Guid::default();
                guid.set_value(self.entry_id(paper));
                guid.set_permalink(false);
                item.set_guid(guid);
                item.set_pub_date(paper.submitted_at.to_rfc2822());
                // RSS's own `author` is an e-mail address: names go in Dublin Core.
                let mut creators = DublinCoreExtension::default();
                creators.set_creators(
                    paper
                        .authors
                        .iter()
                        .map(|author| author.name.clone())
                        .collect::<Vec<_>>(),
                );
                item.set_dublin_core_ext(creators);
                item.set_categories(
                    paper
                        .categories
                        .iter()
                        .map(|category| {
                            let mut term = Category::default();
                            term.set_name(category.code.clone());
                            term
                        })
                        .collect::<Vec<_>>(),
                );
                item.set_extensions(rss_upvotes(paper.upvote_count));
                item
            })
            .collect();
        let mut channel = Channel::default();
        channel.set_title(self.title.clone());
        channel.set_link(self.home_url.clone());
        channel.set_description(format!("{} — Paperboard", self.title));
        channel.set_last_build_date(self.updated.to_rfc2822());
        channel.set_namespaces(BTreeMap::from([
            (PREFIX.to_owned(), NAMESPACE.to_owned()),
            (
                "dc".to_owned(),
                rss::extension::dublincore::NAMESPACE.to_owned(),
            ),
        ]));
        channel.set_items(items);
        channel
    }

    fn json_feed(&self) -> JsonFeed<'_> {
        JsonFeed {
            version: "https://jsonfeed.org/version/1.1",
            title: &self.title,
            home_page_url: &self.home_url,
            feed_url: &self.self_url,
            items: self
                .papers
                .iter()
                .map(|paper| JsonItem {
                    id: self.entry_id(paper),
                    url: self.link(paper),
                    title: &paper.title,
                    content_text: &paper.r#abstract,
                    content_html: readable_html(paper),
                    date_published: paper.submitted_at.to_rfc3339(),
                    date_modified: paper.updated_at.to_rfc3339(),
                    authors: paper
                        .authors
                        .iter()
                        .map(|author| JsonAuthor { name: &author.name })
                        .collect(),
                    tags: paper
                        .categories
                        .iter()
                        .map(|category| category.code.as_str())
                        .collect(),
                    paperboard: JsonExtension {
                        upvotes: paper.upvote_count,
                        arxiv_id: paper.arxiv_id.as_deref(),
                    },
                })
                .collect(),
        }
    }
}

/// What a reader shows: upvotes and authors above the abstract, escaped.
fn readable_html(paper: &FeedPaper) -> String {
    let authors: Vec<&str> = paper
        .authors
        .iter()
        .map(|author| author.name.as_str())
        .collect();
    let upvotes = match paper.upvote_count {
        1 => "1 upvote".to_owned(),
        count => format!("{count} upvotes"),
    };
    format!(
        "<p>{} · {}</p><p>{}</p>",
        upvotes,
        ammonia::clean_text(&authors.join(", ")),
        ammonia::clean_text(&paper.r#abstract),
    )
}

fn atom_upvotes(count: i64) -> atom_syndication::extension::ExtensionMap {
    let mut upvotes = atom_syndication::extension::Extension::default();
    upvotes.set_name(format!("{PREFIX}:upvotes"));
    upvotes.set_value(Some(count.to_string()));
    BTreeMap::from([(
        PREFIX.to_owned(),
        BTreeMap::from([("upvotes".to_owned(), vec![upvotes])]),
    )])
}

fn rss_upvotes(count: i64) -> rss::extension::ExtensionMap {
    let mut upvotes = rss::extension::Extension::default();
    upvotes.set_name(format!("{PREFIX}:upvotes"));
    upvotes.set_value(Some(count.to_string()));
    BTreeMap::from([(
        PREFIX.to_owned(),
        BTreeMap::from([("upvotes".to_owned(), vec![upvotes])]),
    )])
}

#[derive(Serialize)]
struct JsonFeed<'a> {
    version: &'static str,
    title: &'a str,
    home_page_url: &'a str,
    feed_url: &'a str,
    items: Vec<JsonItem<'a>>,
}

#[derive(Serialize)]
struct JsonItem<'a> {
    id: String,
    url: String,
    title: &'a str,
    content_text: &'a str,
    content_html: String,
    date_published: String,
    date_modified: String,
    authors: Vec<JsonAuthor<'a>>,
    tags: Vec<&'a str>,
    /// JSON Feed's extension convention: keys starting with `_`.
    #[serde(rename = "_paperboard")]
    paperboard: JsonExtension<'a>,
}

#[derive(Serialize)]
struct JsonAuthor<'a> {
    name: &'a str,
}

#[derive(Serialize)]
struct JsonExtension<'a> {
    upvotes: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    arxiv_id: Option<&'a str>,
}
