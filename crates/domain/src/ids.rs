//! Typed identifiers. A `QuestionId` cannot be passed where a `SessionId` is expected,
//! and every id serialises as a plain JSON number.

use serde::{Deserialize, Serialize};
use std::fmt;

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
            utoipa::ToSchema,
        )]
        #[serde(transparent)]
        #[schema(value_type = i64)]
        pub struct $name(pub i64);

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl From<i64> for $name {
            fn from(v: i64) -> Self {
                Self(v)
            }
        }
    };
}

id_type!(
    /// A Q&A session.
    SessionId
);
id_type!(
    /// A triage item: one question gathers one or more comments.
    QuestionId
);
id_type!(
    /// A stored platform comment (Curbside's own id, not the platform's).
    CommentId
);
id_type!(
    /// A platform source of a session (one Facebook live video, one Instagram live media).
    SourceId
);
id_type!(
    /// A staff account.
    UserId
);

/// The position of an event in its session's log. Offsets start at 1 and increase by exactly one
/// per event, assigned by the database in the transaction that makes the change.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Default,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(transparent)]
#[schema(value_type = i64)]
pub struct Offset(pub i64);

impl Offset {
    /// "Nothing seen yet": `since=0` replays a session's whole log.
    pub const START: Offset = Offset(0);

    pub fn next(self) -> Offset {
        Offset(self.0 + 1)
    }
}

impl fmt::Display for Offset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}
