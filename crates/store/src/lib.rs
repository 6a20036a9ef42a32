//! Curbside's storage: the per-session event log and the tables it keeps in step, on embedded
//! SQLite (the default) or PostgreSQL, through one code path (sqlx's `Any` driver).
//!
//! Every write that changes a session appends its events in the same transaction, with offsets
//! taken from `sessions.last_offset`; after the commit the events go to the [`EventSink`] (the hub).
//! Nothing else may change a session's state: there is no second path around the log.

mod audit;
mod comments;
mod db;
mod events;
mod followups;
mod notes;
mod notify;
mod outbox;
mod questions;
mod report;
mod retention;
mod screening;
mod secrets;
mod sessions;
mod sources;
mod transcript;
mod users;

pub use audit::{AuditFilter, AuditRecord};
pub use comments::{IncomingComment, IngestOutcome};
pub use db::{Backend, Store, StoreOptions, DEFAULT_REPLY_CAP};
pub use followups::CannedReply;
pub use notify::{LogAdvance, LogListener, LogNews, LISTENER_APPLICATION_NAME, LOG_CHANNEL};
pub use outbox::OutboxOutcome;
pub use retention::RetentionReport;
pub use screening::SCREENING_ACTOR;
pub use secrets::{SecretKey, SecretKeyError};
pub use sessions::{NewSession, SessionStats};
pub use sources::{SourceChange, SourceRecord};
pub use transcript::{PublicSessionSummary, PublicTranscript, SearchHit, SessionDetails};
pub use users::{normalise_email, Login, NewUser, UserChange};

use curbside_domain::{Role, StoredEvent, UserId};
use thiserror::Error;

/// Receives every batch of events right after the transaction that wrote them commits.
/// Called synchronously on the writer's task: implementations must not block.
pub trait EventSink: Send + Sync + 'static {
    fn committed(&self, events: &[StoredEvent]);
}

/// Who is making a change, for the audit log and "already approved by …".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    /// `None` for the system itself (connectors, the simulator).
    pub user_id: Option<UserId>,
    pub name: String,
    /// The staff member's role at the time of the action (`None` for the system).
    pub role: Option<Role>,
    /// The client address the action came from (`None` for the system and the CLI).
    pub client_addr: Option<String>,
}

impl Actor {
    pub fn system(what: &str) -> Actor {
        Actor { user_id: None, name: what.to_owned(), role: None, client_addr: None }
    }

    pub fn staff(user_id: UserId, name: &str) -> Actor {
        Actor { user_id: Some(user_id), name: name.to_owned(), role: None, client_addr: None }
    }

    pub fn with_role(mut self, role: Role) -> Actor {
        self.role = Some(role);
        self
    }

    pub fn from_address(mut self, addr: Option<std::net::IpAddr>) -> Actor {
        self.client_addr = addr.map(|a| a.to_string());
        self
    }
}

/// What can go wrong in storage, split by who must act: the caller (NotFound, Conflict, Invalid)
/// or the operator (Database, Migration).
#[derive(Debug, Error)]
pub enum StoreError {
    #[error("{0} not found")]
    NotFound(&'static str),
    /// The request clashes with what is stored (a taken slug or email, a stale version,
    /// an illegal transition). The message is meant for the person who asked.
    #[error("{0}")]
    Conflict(String),
    /// The request is malformed in a way only storage can tell (e.g. a merge across sessions).
    #[error("{0}")]
    Invalid(String),
    #[error("unsupported database URL {0:?}: use sqlite://path/to/file.db or postgres://user@host/db")]
    UnsupportedUrl(String),
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("migration failed: {0}")]
    Migration(#[from] sqlx::migrate::MigrateError),
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
}

impl StoreError {
    /// Whether the database refused because of a concurrent writer (PostgreSQL serialization
    /// failure or deadlock, SQLite busy): the whole transaction may simply be retried.
    pub(crate) fn is_retryable(&self) -> bool {
        match self {
            StoreError::Database(sqlx::Error::Database(e)) => {
                matches!(e.code().as_deref(), Some("40001" | "40P01" | "5" | "6" | "517"))
            }
            _ => false,
        }
    }
}

impl From<curbside_domain::OutboxTransitionError> for StoreError {
    fn from(e: curbside_domain::OutboxTransitionError) -> Self {
        StoreError::Conflict(e.to_string())
    }
}

impl From<curbside_domain::TransitionError> for StoreError {
    fn from(e: curbside_domain::TransitionError) -> Self {
        StoreError::Conflict(e.to_string())
    }
}

impl From<serde_json::Error> for StoreError {
    fn from(e: serde_json::Error) -> Self {
        StoreError::Corrupt(e.to_string())
    }
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// The current time in unix milliseconds.
pub fn now_millis() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}
