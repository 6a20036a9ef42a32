//! Cross-node news of the event log (PostgreSQL only): every append notifies `curbside_log`
//! with the session and its new head, in the writing transaction, so other nodes hear of a
//! commit exactly when it is visible and then read the events from the log themselves.
//!
//! A notification is only a hint. A listener that loses its connection misses what was sent
//! meanwhile; the caller then re-reads each followed session's head (see the hub's follower).

use crate::{Result, Store};
use curbside_domain::{Offset, SessionId};
use sqlx::postgres::{PgConnectOptions, PgListener, PgPoolOptions};
use std::str::FromStr;

/// The PostgreSQL channel every append notifies.
pub const LOG_CHANNEL: &str = "curbside_log";

/// How the listener's connection shows in `pg_stat_activity` (operators, and the test that
/// cuts it, find it by this name).
pub const LISTENER_APPLICATION_NAME: &str = "curbside-log-listener";

/// "Session `session`'s log now ends at `head`."
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LogAdvance {
    pub session: SessionId,
    pub head: Offset,
}

/// The notification payload: `{session}:{head}`, a few bytes (NOTIFY allows 8000).
pub(crate) fn payload(session: SessionId, head: Offset) -> String {
    format!("{}:{}", session.0, head.0)
}

fn parse_payload(payload: &str) -> Option<LogAdvance> {
    let (session, head) = payload.split_once(':')?;
    Some(LogAdvance { session: SessionId(session.parse().ok()?), head: Offset(head.parse().ok()?) })
}

/// A connection that listens on [`LOG_CHANNEL`].
pub struct LogListener {
    listener: PgListener,
}

/// What [`LogListener::next`] heard.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogNews {
    Advanced(LogAdvance),
    /// The connection was lost and has been re-established, listening again: notifications
    /// sent in between are gone, so every followed session must be re-read.
    Reconnected,
}

impl Store {
    /// Opens a listener on the log's notifications; `None` on SQLite, where one process is the
    /// only writer and its commits reach its hub directly.
    pub async fn listen_to_log(&self) -> Result<Option<LogListener>> {
        let Some(url) = self.postgres_url() else { return Ok(None) };
        let options = PgConnectOptions::from_str(url)?.application_name(LISTENER_APPLICATION_NAME);
        let pool = PgPoolOptions::new()
            .max_connections(1)
            .acquire_timeout(std::time::Duration::from_secs(5))
            .connect_lazy_with(options);
        let mut listener = PgListener::connect_with(&pool).await?;
        listener.listen(LOG_CHANNEL).await?;
        Ok(Some(LogListener { listener }))
    }
}

impl LogListener {
    /// Waits for the next notification. An error means the connection is gone and could not be
    /// re-established: drop this listener and open a new one.
    pub async fn next(&mut self) -> Result<LogNews> {
        loop {
            match self.listener.try_recv().await? {
                None => return Ok(LogNews::Reconnected),
                Some(n) => match parse_payload(n.payload()) {
                    Some(advance) => return Ok(LogNews::Advanced(advance)),
                    None => {
                        tracing::warn!(
                            channel = LOG_CHANNEL,
                            "ignored a notification that is not {{session}}:{{offset}}"
                        )
                    }
                },
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payloads_round_trip_and_garbage_is_refused() {
        let p = payload(SessionId(12), Offset(345));
        assert_eq!(p, "12:345");
        assert_eq!(parse_payload(&p), Some(LogAdvance { session: SessionId(12), head: Offset(345) }));
        assert_eq!(parse_payload("12"), None);
        assert_eq!(parse_payload("a:1"), None);
    }
}
