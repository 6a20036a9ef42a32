//! Staff accounts and their roles. Roles are checked server-side on every route; this module
//! only names them and says what each may do.

use crate::UserId;
use serde::{Deserialize, Serialize};
use std::fmt;
use thiserror::Error;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Everything, including staff accounts.
    Admin,
    /// Runs the event: sessions, sources, the queue and the overlay.
    Producer,
    /// Triages the queue: approve, reword, reject, merge.
    Moderator,
    /// Answers on air.
    Specialist,
}

impl Role {
    pub const ALL: [Role; 4] = [Role::Admin, Role::Producer, Role::Moderator, Role::Specialist];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Producer => "producer",
            Role::Moderator => "moderator",
            Role::Specialist => "specialist",
        }
    }

    pub fn parse(s: &str) -> Result<Role, RoleParseError> {
        Role::ALL.into_iter().find(|r| r.as_str() == s).ok_or_else(|| RoleParseError(s.to_owned()))
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("unknown role {0:?}: expected one of admin, producer, moderator, specialist")]
pub struct RoleParseError(pub String);

/// A staff account as the API shows it (never with its password hash).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct StaffUser {
    pub id: UserId,
    pub email: String,
    pub name: String,
    pub role: Role,
    /// Shown with the specialist's answers, e.g. "MD, Cardiology".
    pub credentials: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_round_trip_and_unknown_ones_are_named() {
        for r in Role::ALL {
            assert_eq!(Role::parse(r.as_str()), Ok(r));
        }
        assert_eq!(
            Role::parse("root").unwrap_err().to_string(),
            "unknown role \"root\": expected one of admin, producer, moderator, specialist"
        );
    }
}
