//! The two GraphQL-over-WebSocket subprotocols: `graphql-transport-ws` (the graphql-ws
//! library's protocol) and the legacy `graphql-ws` (subscriptions-transport-ws).
//! Messages are parsed into one vocabulary; replies are written in the socket's dialect.

use serde::Deserialize;
use serde_json::{Value, json};

/// Which subprotocol a socket speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    /// `graphql-transport-ws`.
    TransportWs,
    /// `graphql-ws`, the legacy protocol.
    LegacyWs,
}

impl Protocol {
    /// Subprotocol names, in order of preference.
    pub const NAMES: [&'static str; 2] = ["graphql-transport-ws", "graphql-ws"];

    /// The protocol with this `Sec-WebSocket-Protocol` name.
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "graphql-transport-ws" => Some(Self::TransportWs),
            "graphql-ws" => Some(Self::LegacyWs),
            _ => None,
        }
    }
}

/// A client message, whichever protocol it came in.
#[derive(Debug)]
pub enum ClientMessage {
    ConnectionInit(Option<Value>),
    Ping(Option<Value>),
    Pong,
    /// Start an operation (`subscribe`, or legacy `start`).
    Subscribe {
        id: String,
        payload: Box<async_graphql::Request>,
    },
    /// Stop an operation (`complete`, or legacy `stop`).
    Complete {
        id: String,
    },
    /// Legacy `connection_terminate`.
    Terminate,
}

#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
enum TransportWsMessage {
    ConnectionInit {
        #[serde(default)]
        payload: Option<Value>,
    },
    Ping {
        #[serde(default)]
        payload: Option<Value>,
    },
    Pong {
        #[serde(default)]
        #[expect(dead_code, reason = "a pong's payload carries nothing for the server")]
        payload: Option<Value>,
    },
    Subscribe {
        id: String,
        payload: Box<async_graphql::Request>,
    },
    Complete {
        id: String,
    },
}

#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
enum LegacyMessage {
    ConnectionInit {
        #[serde(default)]
        payload: Option<Value>,
    },
    Start {
        id: String,
        payload: Box<async_graphql::Request>,
    },
    Stop {
        id: String,
    },
    ConnectionTerminate,
}

/// Longest operation id accepted.
const MAX_ID_BYTES: usize = 128;

impl Protocol {
    /// Parses a text frame; `None` when it is not a valid message of this protocol.
    pub fn parse(self, text: &str) -> Option<ClientMessage> {
        let message = match self {
            Self::TransportWs => match serde_json::from_str(text).ok()? {
                TransportWsMessage::ConnectionInit { payload } => {
                    ClientMessage::ConnectionInit(payload)
                }
                TransportWsMessage::Ping { payload } => ClientMessage::Ping(payload),
                TransportWsMessage::Pong { .. } => ClientMessage::Pong,
                TransportWsMessage::Subscribe { id, payload } => {
                    ClientMessage::Subscribe { id, payload }
                }
                TransportWsMessage::Complete { id } => ClientMessage::Complete { id },
            },
            Self::LegacyWs => match serde_json::from_str(text).ok()? {
                LegacyMessage::ConnectionInit { payload } => ClientMessage::ConnectionInit(payload),
                LegacyMessage::Start { id, payload } => ClientMessage::Subscribe { id, payload },
                LegacyMessage::Stop { id } => ClientMessage::Complete { id },
                LegacyMessage::ConnectionTerminate => ClientMessage::Terminate,
            },
        };
        let id_ok = match &message {
            ClientMessage::Subscribe { id, .. } | ClientMessage::Complete { id } => {
                !id.is_empty() && id.len() <= MAX_ID_BYTES
            }
            _ => true,
        };
        id_ok.then_some(message)
    }

    /// `connection_ack`.
    pub fn ack(self) -> String {
        json!({ "type": "connection_ack" }).to_string()
    }

    /// A keep-alive: `ping` (answered by the client) or legacy `ka`.
    pub fn keep_alive(self) -> String {
        match self {
            Self::TransportWs => json!({ "type": "ping" }).to_string(),
            Self::LegacyWs => json!({ "type": "ka" }).to_string(),
        }
    }

    /// The answer to a client `ping` (legacy clients do not ping).
    pub fn pong(self, payload: Option<Value>) -> String {
        match payload {
            Some(payload) => json!({ "type": "pong", "payload": payload }).to_string(),
            None => json!({ "type": "pong" }).to_string(),
        }
    }

    /// One result of operation `id` (`payload`: the result's JSON): `next`, or legacy
    /// `data`. Written directly: this runs once per subscriber for every event.
    pub fn next(self, id: &str, payload: &str) -> String {
        let kind = match self {
            Self::TransportWs => "next",
            Self::LegacyWs => "data",
        };
        // The id as a JSON string (`Value`'s text form escapes it and cannot fail).
        let id = Value::String(id.to_owned());
        let mut text = String::with_capacity(48 + payload.len());
        text.push_str(r#"{"type":""#);
        text.push_str(kind);
        text.push_str(r#"","id":"#);
        text.push_str(&id.to_string());
        text.push_str(r#","payload":"#);
        text.push_str(payload);
        text.push('}');
        text
    }

    /// Operation `id` failed before producing results.
    pub fn error(self, id: &str, errors: &[async_graphql::ServerError]) -> String {
        match self {
            Self::TransportWs => {
                json!({ "type": "error", "id": id, "payload": errors }).to_string()
            }
            Self::LegacyWs => {
                json!({ "type": "error", "id": id, "payload": { "errors": errors } }).to_string()
            }
        }
    }

    /// Operation `id` is over.
    pub fn complete(self, id: &str) -> String {
        json!({ "type": "complete", "id": id }).to_string()
    }

    /// Legacy protocols announce a refused connection before closing.
    pub fn connection_error(self, message: &str) -> Option<String> {
        match self {
            Self::TransportWs => None,
            Self::LegacyWs => Some(
                json!({ "type": "connection_error", "payload": { "message": message } })
                    .to_string(),
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_dialects_parse_into_one_vocabulary() {
        let modern = Protocol::TransportWs
            .parse(r#"{"type":"subscribe","id":"1","payload":{"query":"{ __typename }"}}"#);
        assert!(matches!(modern, Some(ClientMessage::Subscribe { ref id, .. }) if id == "1"));
        let legacy = Protocol::LegacyWs
            .parse(r#"{"type":"start","id":"1","payload":{"query":"{ __typename }"}}"#);
        assert!(matches!(legacy, Some(ClientMessage::Subscribe { .. })));
        assert!(matches!(
            Protocol::LegacyWs.parse(r#"{"type":"stop","id":"1"}"#),
            Some(ClientMessage::Complete { .. })
        ));
    }

    #[test]
    fn results_are_well_formed_json() {
        let text = Protocol::TransportWs.next("a\"b", r#"{"data":"x"}"#);
        let parsed: Value = serde_json::from_str(&text).unwrap_or_default();
        assert_eq!(
            parsed,
            json!({ "type": "next", "id": "a\"b", "payload": { "data": "x" } })
        );
    }

    #[test]
    fn invalid_messages_are_rejected() {
        for text in [
            "",
            "not json",
            "{}",
            r#"{"type":"start","id":"1","payload":{}}"#,
            r#"{"type":"subscribe","id":"","payload":{"query":"{ a }"}}"#,
            r#"{"type":"subscribe","payload":{"query":"{ a }"}}"#,
            r#"{"type":"complete"}"#,
            r#"{"type":"bogus"}"#,
        ] {
            assert!(Protocol::TransportWs.parse(text).is_none(), "{text:?}");
        }
        let long_id = format!(r#"{{"type":"complete","id":"{}"}}"#, "x".repeat(200));
        assert!(Protocol::TransportWs.parse(&long_id).is_none());
    }
}
