//! Scopes: what a token may do beyond public reads.
//!
//! First-party tokens (`login`, `register`) hold every scope; OAuth apps and personal access
//! tokens hold the scopes granted to them. Stored and sent space-separated, as OAuth does.

use std::fmt;

/// One grantable permission.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// The viewer's private data: email, saved papers, notifications, private collections.
    Read,
    Vote,
    Submit,
    Comment,
    Collections,
    Follow,
    /// Reading and marking notifications.
    Notifications,
    /// Moderator actions, for moderators' own tools.
    Moderate,
}

impl Scope {
    /// Every scope, in their documented order.
    pub const ALL: [Scope; 8] = [
        Scope::Read,
        Scope::Vote,
        Scope::Submit,
        Scope::Comment,
        Scope::Collections,
        Scope::Follow,
        Scope::Notifications,
        Scope::Moderate,
    ];

    /// The wire form, e.g. `vote`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Read => "read",
            Self::Vote => "vote",
            Self::Submit => "submit",
            Self::Comment => "comment",
            Self::Collections => "collections",
            Self::Follow => "follow",
            Self::Notifications => "notifications",
            Self::Moderate => "moderate",
        }
    }

    /// Parses the wire form.
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|scope| scope.as_str() == text)
    }

    fn bit(self) -> u16 {
        1 << (self as u16)
    }
}

/// A set of scopes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Scopes(u16);

/// Why a scope list was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("unknown scope `{0}`")]
pub struct UnknownScope(pub String);

impl Scopes {
    /// No scope: public reads only.
    pub const NONE: Scopes = Scopes(0);

    /// Every scope (a first-party sign-in).
    pub fn all() -> Self {
        Self::from_iter(Scope::ALL)
    }

    /// Parses a space-separated list (OAuth's `scope`), refusing unknown names. Repeats
    /// and extra spaces are allowed.
    ///
    /// # Errors
    /// [`UnknownScope`] naming the first unknown scope.
    pub fn parse(text: &str) -> Result<Self, UnknownScope> {
        text.split_ascii_whitespace()
            .map(|name| Scope::parse(name).ok_or_else(|| UnknownScope(name.to_owned())))
            .collect()
    }

    /// Parses a stored list; unknown names (from a future version) grant nothing.
    pub fn from_stored(text: &str) -> Self {
        text.split_ascii_whitespace()
            .filter_map(Scope::parse)
            .collect()
    }

    pub fn contains(self, scope: Scope) -> bool {
        self.0 & scope.bit() != 0
    }

    /// Whether every scope of `other` is in `self`.
    pub fn covers(self, other: Scopes) -> bool {
        self.0 & other.0 == other.0
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The scopes in documented order.
    pub fn iter(self) -> impl Iterator<Item = Scope> {
        Scope::ALL
            .into_iter()
            .filter(move |scope| self.contains(*scope))
    }
}

impl FromIterator<Scope> for Scopes {
    fn from_iter<I: IntoIterator<Item = Scope>>(scopes: I) -> Self {
        Self(scopes.into_iter().fold(0, |bits, scope| bits | scope.bit()))
    }
}

/// The stored and wire form: names in documented order, space-separated.
impl fmt::Display for Scopes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = self.iter().map(Scope::as_str).collect();
        f.write_str(&names.join(" "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_round_trip_in_documented_order() {
        let scopes = Scopes::parse("  vote read vote ").unwrap_or_default();
        assert_eq!(scopes.to_string(), "read vote");
        assert_eq!(Scopes::from_stored(&scopes.to_string()), scopes);
        assert!(scopes.contains(Scope::Vote));
        assert!(!scopes.contains(Scope::Submit));
    }

    #[test]
    fn unknown_names_are_refused_when_requested_and_ignored_when_stored() {
        assert_eq!(
            Scopes::parse("read admin"),
            Err(UnknownScope("admin".to_owned()))
        );
        assert_eq!(
            Scopes::from_stored("read admin"),
            Scopes::from_iter([Scope::Read])
        );
    }

    #[test]
    fn covering_is_inclusion() {
        let all = Scopes::all();
        let vote = Scopes::from_iter([Scope::Vote]);
        assert!(all.covers(vote));
        assert!(!vote.covers(all));
        assert!(vote.covers(Scopes::NONE));
    }
}
