//! A small GraphQL-over-HTTP client for tests.

use reqwest::StatusCode;
use serde_json::{Value, json};

use super::app::TestApp;

pub struct GqlRequest<'a> {
    app: &'a TestApp,
    body: Value,
    authorization: Option<String>,
}

impl<'a> GqlRequest<'a> {
    pub fn new(app: &'a TestApp, query: &str) -> Self {
        Self {
            app,
            body: json!({ "query": query }),
            authorization: None,
        }
    }

    pub fn variables(mut self, variables: Value) -> Self {
        self.body["variables"] = variables;
        self
    }

    /// Sends `Authorization: Bearer <token>`.
    pub fn bearer(self, token: &str) -> Self {
        self.authorization(&format!("Bearer {token}"))
    }

    /// Sends this `Authorization` header verbatim.
    pub fn authorization(mut self, value: &str) -> Self {
        self.authorization = Some(value.to_owned());
        self
    }

    pub async fn send(self) -> GqlResponse {
        let mut request = self
            .app
            .client
            .post(self.app.url("/graphql"))
            .json(&self.body);
        if let Some(value) = &self.authorization {
            request = request.header(reqwest::header::AUTHORIZATION, value);
        }
        GqlResponse::read(request.send().await.expect("the server answers")).await
    }
}

/// A response: status, headers and JSON body.
#[derive(Debug)]
pub struct GqlResponse {
    pub status: StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
}

impl GqlResponse {
    pub async fn read(response: reqwest::Response) -> Self {
        let status = response.status();
        let headers = response.headers().clone();
        let text = response.text().await.expect("a body");
        let body = serde_json::from_str(&text)
            .unwrap_or_else(|_| panic!("a JSON body, got {status}: {text}"));
        Self {
            status,
            headers,
            body,
        }
    }

    /// The `data`, asserting there were no errors.
    pub fn expect_ok(self) -> Value {
        assert!(
            self.body.get("errors").is_none(),
            "unexpected errors: {}",
            self.body
        );
        assert_eq!(self.status, StatusCode::OK);
        self.body["data"].clone()
    }

    /// The `extensions.code` of every error, in order.
    pub fn error_codes(&self) -> Vec<String> {
        self.body["errors"]
            .as_array()
            .map(|errors| {
                errors
                    .iter()
                    .map(|error| {
                        error["extensions"]["code"]
                            .as_str()
                            .unwrap_or("<no code>")
                            .to_owned()
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The single error's code, asserting there is exactly one error.
    pub fn error_code(&self) -> String {
        let codes = self.error_codes();
        assert_eq!(codes.len(), 1, "expected one error: {}", self.body);
        codes[0].clone()
    }

    /// The single error's `extensions.field`.
    pub fn error_field(&self) -> Option<String> {
        self.body["errors"][0]["extensions"]["field"]
            .as_str()
            .map(str::to_owned)
    }
}
