//! Reading the event log: replay for resuming clients and gap-filling in the hub.

use crate::{Result, Store};
use curbside_domain::{EventAudience, Offset, SessionId, StoredEvent};
use sqlx::Row;

impl Store {
    /// Up to `limit` events of `session` after `after`, oldest first. The public audience gets
    /// only events that have a public payload; their offsets keep the session's numbering.
    pub async fn events_after(
        &self,
        session: SessionId,
        audience: EventAudience,
        after: Offset,
        limit: i64,
    ) -> Result<Vec<StoredEvent>> {
        let sql = match audience {
            EventAudience::Staff => {
                "SELECT event_offset, at, staff_json, public_json FROM events \
                 WHERE session_id = $1 AND event_offset > $2 ORDER BY event_offset LIMIT $3"
            }
            EventAudience::Public => {
                "SELECT event_offset, at, staff_json, public_json FROM events \
                 WHERE session_id = $1 AND event_offset > $2 AND public_json IS NOT NULL \
                 ORDER BY event_offset LIMIT $3"
            }
        };
        let rows = sqlx::query(sql)
            .bind(session.0)
            .bind(after.0)
            .bind(limit.max(1))
            .fetch_all(self.read_pool())
            .await?;
        rows.iter()
            .map(|r| {
                Ok(StoredEvent {
                    session_id: session,
                    offset: Offset(r.try_get("event_offset")?),
                    at: r.try_get("at")?,
                    staff_json: r.try_get("staff_json")?,
                    public_json: r.try_get("public_json")?,
                })
            })
            .collect()
    }

    /// The offset of the newest event of `session`, or `None` if there is no such session.
    pub async fn last_offset(&self, session: SessionId) -> Result<Option<Offset>> {
        let v: Option<i64> = sqlx::query_scalar("SELECT last_offset FROM sessions WHERE id = $1")
            .bind(session.0)
            .fetch_optional(self.read_pool())
            .await?;
        Ok(v.map(Offset))
    }
}
