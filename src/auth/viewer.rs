//! The viewer of a request: anonymous, or a signed-in user with a role.

/// A user's role.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    User,
    /// Moderates discussion: hides and deletes comments, bans users, removes papers.
    Moderator,
    Admin,
}

impl Role {
    /// The stored form (`USER`, `MODERATOR` or `ADMIN`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::User => "USER",
            Self::Moderator => "MODERATOR",
            Self::Admin => "ADMIN",
        }
    }

    /// Parses the stored form; anything unknown has no privileges.
    pub fn from_stored(value: &str) -> Self {
        match value {
            "ADMIN" => Self::Admin,
            "MODERATOR" => Self::Moderator,
            _ => Self::User,
        }
    }

    /// Whether this role grants everything `required` does: each role grants what the
    /// ones below it do.
    pub fn includes(self, required: Role) -> bool {
        self.rank() >= required.rank()
    }

    fn rank(self) -> u8 {
        match self {
            Self::User => 0,
            Self::Moderator => 1,
            Self::Admin => 2,
        }
    }
}

/// Who a request acts for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Viewer {
    /// No credentials: reads only.
    #[default]
    Anonymous,
    /// A user with a valid access token; `banned` while the account may not write.
    User { id: i64, role: Role, banned: bool },
}

impl Viewer {
    /// The signed-in user's id.
    pub fn user_id(self) -> Option<i64> {
        match self {
            Self::Anonymous => None,
            Self::User { id, .. } => Some(id),
        }
    }

    /// Whether the viewer moderates (moderators and admins).
    pub fn is_moderator(self) -> bool {
        matches!(self, Self::User { role, .. } if role.includes(Role::Moderator))
    }

    /// Whether the viewer may see private fields of user `user_id`.
    pub fn can_see_private_fields_of(self, user_id: i64) -> bool {
        match self {
            Self::Anonymous => false,
            Self::User { id, role, .. } => id == user_id || role == Role::Admin,
        }
    }
}
