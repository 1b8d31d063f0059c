//! A browser as far as OAuth needs one: it keeps cookies, does not follow redirects (the
//! test reads where it is sent), and submits the page's form with its hidden fields.

use std::collections::HashMap;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use reqwest::StatusCode;
use reqwest::header::{COOKIE, HeaderMap, LOCATION, SET_COOKIE};
use sha2::{Digest, Sha256};

use super::TestApp;

/// A page or a redirect the browser received.
pub struct Visit {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
}

impl Visit {
    /// Where a redirect points.
    pub fn location(&self) -> Option<url::Url> {
        let value = self.headers.get(LOCATION)?.to_str().ok()?;
        url::Url::parse(value).ok()
    }

    /// A query parameter of the redirect.
    pub fn redirect_param(&self, name: &str) -> Option<String> {
        self.location()?
            .query_pairs()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.into_owned())
    }

    /// The hidden fields of the page's form, decoded.
    pub fn hidden_fields(&self) -> Vec<(String, String)> {
        self.body
            .split("<input type=\"hidden\" ")
            .skip(1)
            .filter_map(|tag| {
                let name = between(tag, "name=\"", "\"")?;
                let value = between(tag, "value=\"", "\"")?;
                Some((name.to_owned(), decode_entities(value)))
            })
            .collect()
    }
}

fn between<'a>(text: &'a str, start: &str, end: &str) -> Option<&'a str> {
    let from = text.find(start)? + start.len();
    let to = text[from..].find(end)? + from;
    Some(&text[from..to])
}

/// Decodes the character references an HTML escaper writes (`&#32;`, `&amp;`, …).
fn decode_entities(text: &str) -> String {
    let mut decoded = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('&') {
        decoded.push_str(&rest[..at]);
        let Some(end) = rest[at..].find(';') else {
            decoded.push_str(&rest[at..]);
            return decoded;
        };
        let entity = &rest[at + 1..at + end];
        let character = match entity {
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            numeric => numeric
                .strip_prefix('#')
                .and_then(|digits| digits.parse::<u32>().ok())
                .and_then(char::from_u32),
        };
        match character {
            Some(character) => decoded.push(character),
            None => decoded.push_str(&rest[at..=at + end]),
        }
        rest = &rest[at + end + 1..];
    }
    decoded.push_str(rest);
    decoded
}

/// A browser with its cookie jar.
pub struct Browser<'a> {
    app: &'a TestApp,
    client: reqwest::Client,
    pub cookies: HashMap<String, String>,
}

impl<'a> Browser<'a> {
    pub fn new(app: &'a TestApp) -> Self {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        Self {
            app,
            client,
            cookies: HashMap::new(),
        }
    }

    fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(name, value)| format!("{name}={value}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    fn keep_cookies(&mut self, headers: &HeaderMap) {
        for value in headers.get_all(SET_COOKIE) {
            let text = value.to_str().unwrap();
            let pair = text.split(';').next().unwrap();
            let (name, value) = pair.split_once('=').unwrap();
            self.cookies.insert(name.to_owned(), value.to_owned());
        }
    }

    async fn visit(&mut self, response: reqwest::Response) -> Visit {
        let status = response.status();
        let headers = response.headers().clone();
        self.keep_cookies(&headers);
        let body = response.text().await.unwrap();
        Visit {
            status,
            headers,
            body,
        }
    }

    /// GET `path_and_query` on the server.
    pub async fn get(&mut self, path_and_query: &str) -> Visit {
        let response = self
            .client
            .get(self.app.url(path_and_query))
            .header(COOKIE, self.cookie_header())
            .send()
            .await
            .unwrap();
        self.visit(response).await
    }

    /// Submits the consent form of `page` with its hidden fields plus `fields`.
    pub async fn submit(&mut self, page: &Visit, fields: &[(&str, &str)]) -> Visit {
        let mut form = page.hidden_fields();
        form.extend(
            fields
                .iter()
                .map(|(name, value)| ((*name).to_owned(), (*value).to_owned())),
        );
        self.post_form("/oauth/authorize", &form).await
    }

    /// POSTs `form` to `path` with the browser's cookies.
    pub async fn post_form(&mut self, path: &str, form: &[(String, String)]) -> Visit {
        let response = self
            .client
            .post(self.app.url(path))
            .header(COOKIE, self.cookie_header())
            .form(form)
            .send()
            .await
            .unwrap();
        self.visit(response).await
    }
}

/// A PKCE verifier and its `S256` challenge.
pub fn pkce_pair(seed: &str) -> (String, String) {
    let verifier = format!("{seed}-verifier-{}", "x".repeat(43));
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    (verifier, challenge)
}

/// The query of an authorization request.
pub fn authorize_path(client_id: &str, redirect_uri: &str, scope: &str, challenge: &str) -> String {
    let query: String = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("response_type", "code")
        .append_pair("client_id", client_id)
        .append_pair("redirect_uri", redirect_uri)
        .append_pair("scope", scope)
        .append_pair("state", "opaque state & more")
        .append_pair("code_challenge", challenge)
        .append_pair("code_challenge_method", "S256")
        .finish();
    format!("/oauth/authorize?{query}")
}
