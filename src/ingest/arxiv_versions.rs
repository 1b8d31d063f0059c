//! The latest version numbers of harvested papers, asked of the arXiv API.
//!
//! OAI-PMH's `arXiv` format says that a paper was replaced (it has `updated`) but not which
//! version is current; the API's Atom ids do (`…/abs/2501.00001v3`). A harvest asks only for
//! the records that would change a stored paper, a hundred ids a request, in the same turns
//! as its pages.

use std::collections::HashMap;
use std::sync::Arc;

use crate::config::SourcesConfig;

use super::arxiv_atom::{AtomError, parse_feed};
use super::pacer::Pacer;
use super::polite::{PoliteClient, PoliteError, RetryPolicy, Unusable};

/// Ids asked for in one request (a URL of about 1.2 KB).
pub const IDS_PER_REQUEST: usize = 100;

/// Why versions could not be looked up.
#[derive(Debug, thiserror::Error)]
pub enum VersionsError {
    #[error("PAPERBOARD_ARXIV_API_URL {0:?} is not a URL")]
    Url(String),
    #[error("cannot set up the HTTP client: {0}")]
    Client(#[from] reqwest::Error),
    #[error(transparent)]
    Request(#[from] PoliteError<AtomError>),
}

/// The arXiv API, asked for version numbers by a batch job.
pub struct VersionLookup {
    query_url: url::Url,
    client: PoliteClient,
}

impl VersionLookup {
    /// A lookup through `sources`' API endpoint, taking its turns from `pacer`.
    ///
    /// # Errors
    /// A malformed endpoint URL or a TLS set-up failure.
    pub fn new(
        sources: &SourcesConfig,
        pacer: Arc<Pacer>,
        retry: RetryPolicy,
    ) -> Result<Self, VersionsError> {
        let query_url = url::Url::parse(&sources.arxiv_api_url)
            .map_err(|_| VersionsError::Url(sources.arxiv_api_url.clone()))?;
        Ok(Self {
            query_url,
            client: PoliteClient::new(sources, pacer, retry)?,
        })
    }

    /// The latest version of each of `ids` that arXiv names; ids it does not know are
    /// absent from the answer.
    ///
    /// # Errors
    /// [`VersionsError::Request`] once a request's retries are spent; versions found by the
    /// earlier requests are lost with it (the harvest stores those papers without one).
    pub async fn latest(&self, ids: &[String]) -> Result<HashMap<String, i32>, VersionsError> {
        let mut versions = HashMap::with_capacity(ids.len());
        for batch in ids.chunks(IDS_PER_REQUEST) {
            let url = self.batch_url(batch);
            let what = format!("versions of {} paper(s)", batch.len());
            let found = self.client.fetch(&url, &what, read_versions).await?;
            versions.extend(found);
        }
        Ok(versions)
    }

    fn batch_url(&self, ids: &[String]) -> url::Url {
        let mut url = self.query_url.clone();
        url.query_pairs_mut()
            .append_pair("id_list", &ids.join(","))
            .append_pair("max_results", &ids.len().to_string());
        url
    }
}

/// arXiv id → version, from a feed's entries that carry one.
fn read_versions(feed: &str) -> Result<HashMap<String, i32>, Unusable<AtomError>> {
    let entries = parse_feed(feed).map_err(|error| Unusable::Transient(error.to_string()))?;
    Ok(entries
        .into_iter()
        .filter_map(|entry| Some((entry.arxiv_id, entry.version?)))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_are_read_from_entry_ids() {
        let feed = r#"<feed xmlns="http://www.w3.org/2005/Atom">
<entry><id>http://arxiv.org/abs/2501.00001v3</id><title>A</title><summary>S</summary></entry>
<entry><id>http://arxiv.org/abs/hep-th/9901001v2</id><title>B</title><summary>S</summary></entry>
</feed>"#;
        let Ok(versions) = read_versions(feed) else {
            panic!("the feed is readable");
        };
        assert_eq!(versions.get("2501.00001"), Some(&3));
        assert_eq!(versions.get("hep-th/9901001"), Some(&2));
        assert!(matches!(
            read_versions(&feed[..60]),
            Err(Unusable::Transient(_))
        ));
    }
}
