//! Staff accounts, their roles and the role policy: what each role may do ([`Role::access`]),
//! one table checked server-side before any route or WebSocket action does anything.

use crate::UserId;
use serde::{Deserialize, Serialize};
use std::fmt;
use thiserror::Error;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    // The order is the column order of the policy table in `Role::access`.
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

/// Defines [`Permission`], its `ALL` list and one marker type per permission in [`can`], from one
/// list of names.
macro_rules! permissions {
    ($( $(#[$doc:meta])* $name:ident ),* $(,)?) => {
        /// Something a staff member may be allowed to do. Every staff route and WebSocket action
        /// names exactly one; [`Role::access`] is the one table that says who may.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
        #[serde(rename_all = "snake_case")]
        pub enum Permission {
            $( $(#[$doc])* $name, )*
        }

        impl Permission {
            pub const ALL: &'static [Permission] = &[$(Permission::$name),*];
        }

        /// One type per [`Permission`], so a handler's signature says what it needs
        /// (`Can<can::Moderate>` in the server).
        pub mod can {
            $(
                #[derive(Debug)]
                pub struct $name;
                impl super::Needs for $name {
                    const PERMISSION: super::Permission = super::Permission::$name;
                }
            )*
        }
    };
}

/// A permission named as a type (see [`can`]).
pub trait Needs {
    const PERMISSION: Permission;
}

permissions!(
    /// Their own account: who am I, sign out.
    OwnAccount,
    /// Read sessions, their queues, questions and platform actions.
    ViewSessions,
    /// Follow a session's staff event stream over the WebSocket.
    FollowStaffStream,
    /// Create sessions, change their status, sources and specialists.
    RunSessions,
    /// Triage: approve (and reword), reject, merge, hide at source.
    Moderate,
    /// Put a question on air and take it off air.
    PutOnAir,
    /// Answer on air and correct a published answer.
    Answer,
    /// Read one session's audit trail.
    ReadSessionAudit,
    /// Read and export the whole audit log.
    ReadAudit,
    /// Staff accounts and their roles.
    ManageStaff,
    /// Retention: purge old commenter data, erase one commenter's data.
    GovernData,
);

/// How far a role's permission reaches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Access {
    Denied,
    /// Every session.
    Everywhere,
    /// Only sessions the staff member is assigned to (`session_specialists`).
    AssignedSessions,
}

impl Role {
    /// The role policy, as one table. Specialists act only on the sessions they are assigned
    /// to; admins and producers are not limited.
    pub fn access(self, permission: Permission) -> Access {
        use Access::{AssignedSessions as Assigned, Denied as No, Everywhere as Yes};
        use Permission as P;
        //                                      admin  producer moderator specialist
        let row = match permission {
            P::OwnAccount => [Yes, Yes, Yes, Yes],
            P::ViewSessions => [Yes, Yes, Yes, Yes],
            P::FollowStaffStream => [Yes, Yes, Yes, Yes],
            P::RunSessions => [Yes, Yes, No, No],
            P::Moderate => [Yes, Yes, Yes, No],
            P::PutOnAir => [Yes, Yes, No, Assigned],
            P::Answer => [Yes, No, No, Assigned],
            P::ReadSessionAudit => [Yes, Yes, No, No],
            P::ReadAudit => [Yes, No, No, No],
            P::ManageStaff => [Yes, No, No, No],
            P::GovernData => [Yes, No, No, No],
        };
        row[self as usize]
    }

    /// Whether this role may do `permission` at all (perhaps only in assigned sessions).
    pub fn may(self, permission: Permission) -> bool {
        self.access(permission) != Access::Denied
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

    /// The policy, spelled out: a change to the table must change this test too.
    #[test]
    fn the_role_policy_is_this_table() {
        use Access::{AssignedSessions as S, Denied as N, Everywhere as Y};
        use Permission as P;
        let expected: [(Permission, [Access; 4]); 11] = [
            (P::OwnAccount, [Y, Y, Y, Y]),
            (P::ViewSessions, [Y, Y, Y, Y]),
            (P::FollowStaffStream, [Y, Y, Y, Y]),
            (P::RunSessions, [Y, Y, N, N]),
            (P::Moderate, [Y, Y, Y, N]),
            (P::PutOnAir, [Y, Y, N, S]),
            (P::Answer, [Y, N, N, S]),
            (P::ReadSessionAudit, [Y, Y, N, N]),
            (P::ReadAudit, [Y, N, N, N]),
            (P::ManageStaff, [Y, N, N, N]),
            (P::GovernData, [Y, N, N, N]),
        ];
        assert_eq!(expected.len(), Permission::ALL.len());
        for (p, row) in expected {
            for (role, want) in Role::ALL.into_iter().zip(row) {
                assert_eq!(role.access(p), want, "{role} × {p:?}");
                assert_eq!(role.may(p), want != N);
            }
        }
    }

    #[test]
    fn only_specialists_are_limited_to_their_sessions() {
        for &p in Permission::ALL {
            for role in [Role::Admin, Role::Producer, Role::Moderator] {
                assert_ne!(role.access(p), Access::AssignedSessions, "{role} × {p:?}");
            }
        }
    }
}
