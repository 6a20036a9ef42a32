//! The audit log: entries written inside the transaction of the action they record (or on
//! their own, for sign-ins), and read back with filters and paging. The database refuses to
//! change or delete an entry (triggers in migration 0003), so this module only inserts.

use crate::{now_millis, Actor, Result, Store, StoreError};
use curbside_domain::{AuditEntry, QuestionId, Role, SessionId, UserId};
use serde_json::Value;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

/// What to read from the audit log. Every field narrows; none means everything.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub actor_id: Option<UserId>,
    /// An exact action (`question.approve`) or a family ending in a dot (`auth.`).
    pub action: Option<String>,
    pub session_id: Option<SessionId>,
    pub question_id: Option<QuestionId>,
    /// Unix milliseconds, inclusive.
    pub since: Option<i64>,
    /// Unix milliseconds, exclusive.
    pub until: Option<i64>,
    /// Paging: only entries with a larger id than this (the last id of the previous page).
    pub after_id: Option<i64>,
    pub limit: i64,
}

/// What an action changed, for the audit log.
#[derive(Debug, Clone, Default)]
pub struct AuditRecord<'a> {
    pub action: &'a str,
    pub session: Option<SessionId>,
    pub question: Option<QuestionId>,
    pub before: Value,
    pub after: Value,
    pub detail: Value,
}

const AUDIT_COLUMNS: &str = "id, at, actor_id, actor_name, actor_role, client_addr, action, session_id, \
     question_id, before_json, after_json, detail_json";

fn entry_from_row(r: &AnyRow) -> Result<AuditEntry> {
    let json = |col: &str| -> Result<Value> {
        let raw: Option<String> = r.try_get(col)?;
        Ok(match raw {
            Some(s) => serde_json::from_str(&s)?,
            None => Value::Null,
        })
    };
    let role: Option<String> = r.try_get("actor_role")?;
    Ok(AuditEntry {
        id: r.try_get("id")?,
        at: r.try_get("at")?,
        actor_id: r.try_get::<Option<i64>, _>("actor_id")?.map(UserId),
        actor_name: r.try_get("actor_name")?,
        actor_role: role
            .map(|r| Role::parse(&r).map_err(|e| StoreError::Corrupt(e.to_string())))
            .transpose()?,
        client_addr: r.try_get("client_addr")?,
        action: r.try_get("action")?,
        session_id: r.try_get::<Option<i64>, _>("session_id")?.map(SessionId),
        question_id: r.try_get::<Option<i64>, _>("question_id")?.map(QuestionId),
        before: json("before_json")?,
        after: json("after_json")?,
        detail: json("detail_json")?,
    })
}

impl Store {
    /// A session's audit trail, oldest first.
    pub async fn audit_log(&self, session: SessionId) -> Result<Vec<AuditEntry>> {
        let rows =
            sqlx::query(&format!("SELECT {AUDIT_COLUMNS} FROM audit_log WHERE session_id = $1 ORDER BY id"))
                .bind(session.0)
                .fetch_all(self.read_pool())
                .await?;
        rows.iter().map(entry_from_row).collect()
    }

    /// Entries matching `filter`, oldest first, at most `filter.limit` of them.
    pub async fn audit_entries(&self, filter: &AuditFilter) -> Result<Vec<AuditEntry>> {
        let mut clauses: Vec<String> = Vec::new();
        let mut ints: Vec<i64> = Vec::new();
        let mut text: Option<String> = None;
        let mut int = |clause: &str, v: i64, clauses: &mut Vec<String>| {
            ints.push(v);
            clauses.push(clause.replace('?', &format!("${}", ints.len())));
        };
        if let Some(v) = filter.actor_id {
            int("actor_id = ?", v.0, &mut clauses);
        }
        if let Some(v) = filter.session_id {
            int("session_id = ?", v.0, &mut clauses);
        }
        if let Some(v) = filter.question_id {
            int("question_id = ?", v.0, &mut clauses);
        }
        if let Some(v) = filter.since {
            int("at >= ?", v, &mut clauses);
        }
        if let Some(v) = filter.until {
            int("at < ?", v, &mut clauses);
        }
        if let Some(v) = filter.after_id {
            int("id > ?", v, &mut clauses);
        }
        let limit_param = ints.len() + 1;
        if let Some(action) = filter.action.as_deref().filter(|a| !a.is_empty()) {
            let n = ints.len() + 2;
            match action.strip_suffix('.') {
                // A family: compare the prefix (no LIKE, so `_` and `%` in input mean nothing).
                Some(family) => {
                    clauses.push(format!("SUBSTR(action, 1, {}) = ${n}", family.len() + 1));
                    text = Some(format!("{family}."));
                }
                None => {
                    clauses.push(format!("action = ${n}"));
                    text = Some(action.to_owned());
                }
            }
        }
        let filter_sql =
            if clauses.is_empty() { String::new() } else { format!("WHERE {}", clauses.join(" AND ")) };
        let sql =
            format!("SELECT {AUDIT_COLUMNS} FROM audit_log {filter_sql} ORDER BY id LIMIT ${limit_param}");
        let mut q = sqlx::query(&sql);
        for v in &ints {
            q = q.bind(*v);
        }
        q = q.bind(filter.limit.max(1));
        if let Some(t) = &text {
            q = q.bind(t.clone());
        }
        let rows = q.fetch_all(self.read_pool()).await?;
        rows.iter().map(entry_from_row).collect()
    }

    /// Records an action that changes nothing else in the database (a sign-in, a refused
    /// sign-in, a sign-out), on its own.
    pub async fn record_audit(&self, actor: &Actor, record: AuditRecord<'_>) -> Result<()> {
        let mut conn = self.write_pool().acquire().await?;
        audit_entry(
            &mut conn,
            actor,
            record.action,
            record.session,
            record.question,
            &record.before,
            &record.after,
            &record.detail,
        )
        .await
    }
}

/// Appends an audit entry; called inside the transaction of the action it records.
pub(crate) async fn audit(
    conn: &mut AnyConnection,
    actor: &Actor,
    action: &str,
    session: Option<SessionId>,
    question: Option<QuestionId>,
    detail: Value,
) -> Result<()> {
    audit_entry(conn, actor, action, session, question, &Value::Null, &Value::Null, &detail).await
}

/// An audit entry with the state before and after the action (a role, a status, a list).
pub(crate) async fn audit_change(
    conn: &mut AnyConnection,
    actor: &Actor,
    action: &str,
    session: Option<SessionId>,
    question: Option<QuestionId>,
    before: Value,
    after: Value,
) -> Result<()> {
    audit_entry(conn, actor, action, session, question, &before, &after, &Value::Null).await
}

#[allow(clippy::too_many_arguments)]
pub(crate) async fn audit_entry(
    conn: &mut AnyConnection,
    actor: &Actor,
    action: &str,
    session: Option<SessionId>,
    question: Option<QuestionId>,
    before: &Value,
    after: &Value,
    detail: &Value,
) -> Result<()> {
    let json = |v: &Value| (!v.is_null()).then(|| v.to_string());
    sqlx::query(
        "INSERT INTO audit_log (at, actor_id, actor_name, actor_role, client_addr, action, session_id, \
         question_id, before_json, after_json, detail_json) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    )
    .bind(now_millis())
    .bind(actor.user_id.map(|u| u.0))
    .bind(&actor.name)
    .bind(actor.role.map(|r| r.as_str()))
    .bind(&actor.client_addr)
    .bind(action)
    .bind(session.map(|s| s.0))
    .bind(question.map(|q| q.0))
    .bind(json(before))
    .bind(json(after))
    .bind(if detail.is_null() { "{}".to_owned() } else { detail.to_string() })
    .execute(&mut *conn)
    .await?;
    Ok(())
}
