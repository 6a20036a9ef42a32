//! The audit log for admins: every staff action, sign-in and data-governance step, filtered and
//! paged as JSON, or exported as CSV that spreadsheets open safely (no formula injection).

use crate::auth::{can, Can};
use crate::error::{ApiError, ApiJson, ApiQuery, ApiResult};
use crate::state::AppState;
use axum::extract::State;
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use curbside_domain::{AuditEntry, QuestionId, SessionId, UserId};
use curbside_store::AuditFilter;
use serde::{Deserialize, Serialize};

/// `/api/audit` and its CSV export.
pub fn router() -> Router<AppState> {
    Router::new().route("/api/audit", get(list)).route("/api/audit.csv", get(export_csv))
}

/// A page holds at most this many entries.
const MAX_PAGE: i64 = 1000;
/// The CSV export stops here; narrow the filters (e.g. `since`/`until`) for more.
const MAX_EXPORT: usize = 100_000;

/// An `action` filter is at most this many characters.
pub const ACTION_MAX: usize = 100;

#[derive(Deserialize, Default, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// Only actions by this staff account.
    pub actor_id: Option<i64>,
    /// An exact action (`question.approve`) or a family ending in a dot (`auth.`, `user.`).
    #[param(max_length = 100)]
    pub action: Option<String>,
    pub session_id: Option<i64>,
    pub question_id: Option<i64>,
    /// Unix milliseconds, inclusive.
    pub since: Option<i64>,
    /// Unix milliseconds, exclusive.
    pub until: Option<i64>,
    /// The `next_after_id` of the previous page.
    pub after_id: Option<i64>,
    /// Entries per page, 1 to 1000 (default 100).
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<i64>,
}

impl AuditQuery {
    /// The page size asked for (100 when absent), checked on both the list and the CSV export
    /// (which ignores it: the export is every page), as the schema says.
    fn page_limit(&self) -> ApiResult<i64> {
        let limit = self.limit.unwrap_or(100);
        if !(1..=MAX_PAGE).contains(&limit) {
            return Err(ApiError::BadRequest(format!("`limit` must be between 1 and {MAX_PAGE}")));
        }
        Ok(limit)
    }

    fn filter(&self, limit: i64) -> ApiResult<AuditFilter> {
        if let Some(a) = self.action.as_deref() {
            if a.chars().count() > ACTION_MAX {
                return Err(ApiError::BadRequest("`action` is at most 100 characters".into()));
            }
        }
        Ok(AuditFilter {
            actor_id: self.actor_id.map(UserId),
            action: self.action.clone(),
            session_id: self.session_id.map(SessionId),
            question_id: self.question_id.map(QuestionId),
            since: self.since,
            until: self.until,
            after_id: self.after_id,
            limit,
        })
    }
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct AuditPage {
    /// Oldest first.
    pub entries: Vec<AuditEntry>,
    /// Pass as `after_id` for the next page; absent on the last page.
    pub next_after_id: Option<i64>,
}

/// The audit log, oldest first, filtered and paged.
#[utoipa::path(get, path = "/api/audit", tag = "audit", params(AuditQuery),
    responses((status = 200, body = AuditPage)))]
pub async fn list(
    State(state): State<AppState>,
    _staff: Can<can::ReadAudit>,
    ApiQuery(q): ApiQuery<AuditQuery>,
) -> ApiResult<ApiJson<AuditPage>> {
    let limit = q.page_limit()?;
    // One more than asked tells whether another page follows.
    let mut entries = state.db("audit.query", state.store.audit_entries(&q.filter(limit + 1)?)).await?;
    let more = entries.len() as i64 > limit;
    entries.truncate(limit as usize);
    let next_after_id = more.then(|| entries.last().map(|e| e.id)).flatten();
    Ok(ApiJson(AuditPage { entries, next_after_id }))
}

/// The audit log as CSV (same filters, every page, up to 100 000 rows).
#[utoipa::path(get, path = "/api/audit.csv", tag = "audit", params(AuditQuery),
    responses((status = 200, content_type = "text/csv", body = String)))]
pub async fn export_csv(
    State(state): State<AppState>,
    _staff: Can<can::ReadAudit>,
    ApiQuery(q): ApiQuery<AuditQuery>,
) -> ApiResult<Response> {
    q.page_limit()?;
    let mut filter = q.filter(MAX_PAGE)?;
    let mut out = String::from(
        "id,at,actor_id,actor_name,actor_role,client_addr,action,session_id,question_id,before,after,detail\r\n",
    );
    let mut rows = 0;
    loop {
        let page = state.db("audit.query", state.store.audit_entries(&filter)).await?;
        for e in &page {
            csv_row(&mut out, e);
        }
        rows += page.len();
        match page.last() {
            Some(last) if page.len() as i64 == MAX_PAGE && rows < MAX_EXPORT => {
                filter.after_id = Some(last.id)
            }
            _ => break,
        }
    }
    let mut resp = out.into_response();
    let h = resp.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/csv; charset=utf-8"));
    h.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_static("attachment; filename=\"curbside-audit.csv\""),
    );
    Ok(resp)
}

fn csv_row(out: &mut String, e: &AuditEntry) {
    let opt = |v: Option<i64>| v.map(|v| v.to_string()).unwrap_or_default();
    let json = |v: &serde_json::Value| if v.is_null() { String::new() } else { v.to_string() };
    let cells = [
        e.id.to_string(),
        iso_time(e.at),
        opt(e.actor_id.map(|u| u.0)),
        e.actor_name.clone(),
        e.actor_role.map(|r| r.as_str().to_owned()).unwrap_or_default(),
        e.client_addr.clone().unwrap_or_default(),
        e.action.clone(),
        opt(e.session_id.map(|s| s.0)),
        opt(e.question_id.map(|q| q.0)),
        json(&e.before),
        json(&e.after),
        json(&e.detail),
    ];
    for (i, cell) in cells.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(&csv_cell(cell));
    }
    out.push_str("\r\n");
}

/// One CSV cell, quoted, and defused: a cell a spreadsheet would read as a formula (starting
/// with `=`, `+`, `-`, `@`, tab or carriage return) gets a leading apostrophe.
pub fn csv_cell(value: &str) -> String {
    let defused = if value.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{value}")
    } else {
        value.to_owned()
    };
    format!("\"{}\"", defused.replace('"', "\"\""))
}

pub(crate) fn iso_time(millis: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(millis) * 1_000_000)
        .ok()
        .and_then(|t| t.format(&time::format_description::well_known::Rfc3339).ok())
        .unwrap_or_else(|| millis.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_cells_are_quoted_and_formulas_defused() {
        assert_eq!(csv_cell("plain"), "\"plain\"");
        assert_eq!(csv_cell("say \"hi\", ok"), "\"say \"\"hi\"\", ok\"");
        assert_eq!(csv_cell("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        for risky in ["+1", "-2+3", "@SUM(A1)", "\tx", "\rx"] {
            assert!(csv_cell(risky).starts_with("\"'"), "{risky:?}");
        }
        assert_eq!(iso_time(0), "1970-01-01T00:00:00Z");
    }
}
