//! The viewer of a request: anonymous, or a signed-in user with a role.

/// A user's role.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    User,
    Admin,
}

impl Role {
    /// The stored form (`USER` or `ADMIN`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::User => "USER",
            Self::Admin => "ADMIN",
        }
    }

    /// Parses the stored form; anything unknown has no privileges.
    pub fn from_stored(value: &str) -> Self {
        if value == "ADMIN" {
            Self::Admin
        } else {
            Self::User
        }
    }

    /// Whether this role grants everything `required` does.
    pub fn includes(self, required: Role) -> bool {
        self == Self::Admin || required == Self::User
    }
}

/// Who a request acts for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Viewer {
    /// No credentials: reads only.
    #[default]
    Anonymous,
    /// A user with a valid access token.
    User { id: i64, role: Role },
}

impl Viewer {
    /// The signed-in user's id.
    pub fn user_id(self) -> Option<i64> {
        match self {
            Self::Anonymous => None,
            Self::User { id, .. } => Some(id),
        }
    }

    /// Whether the viewer may see private fields of user `user_id`.
    pub fn can_see_private_fields_of(self, user_id: i64) -> bool {
        match self {
            Self::Anonymous => false,
            Self::User { id, role } => id == user_id || role == Role::Admin,
        }
    }
}
