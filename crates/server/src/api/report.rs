//! The after-session report for producers: comments per minute by platform, questions by state
//! and flag, time from comment to answer, the most asked topics, and the approved questions left
//! unanswered as a follow-up list (also as CSV that spreadsheets open safely).
//! Distinct from `/follow-ups` (api/safety.rs), which lists emergencies awaiting an outcome.

use crate::api::audit::{csv_cell, iso_time};
use crate::auth::{can, Can};
use crate::error::{ApiJson, ApiPath, ApiResult};
use crate::state::AppState;
use axum::extract::State;
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use curbside_domain::{SessionId, SessionReport, UnansweredQuestion};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/sessions/{id}/report", get(report))
        .route("/api/sessions/{id}/report/unanswered.csv", get(unanswered_csv))
}

/// The session's report (any time; most useful once it has ended).
#[utoipa::path(get, path = "/api/sessions/{id}/report", tag = "sessions",
    params(("id" = i64, Path)), responses((status = 200, body = SessionReport), (status = 404, body = crate::error::ErrorBody)))]
pub async fn report(
    State(state): State<AppState>,
    _staff: Can<can::RunSessions>,
    ApiPath(id): ApiPath<SessionId>,
) -> ApiResult<ApiJson<SessionReport>> {
    Ok(ApiJson(state.db("session.report", state.store.session_report(id)).await?))
}

/// The approved but unanswered questions as CSV (public wording only; cells that a spreadsheet
/// would run as a formula are defused).
#[utoipa::path(get, path = "/api/sessions/{id}/report/unanswered.csv", tag = "sessions",
    params(("id" = i64, Path)), responses((status = 200, content_type = "text/csv", body = String)))]
pub async fn unanswered_csv(
    State(state): State<AppState>,
    _staff: Can<can::RunSessions>,
    ApiPath(id): ApiPath<SessionId>,
) -> ApiResult<Response> {
    let report = state.db("session.report", state.store.session_report(id)).await?;
    let mut resp = unanswered_rows(&report.unanswered).into_response();
    let h = resp.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/csv; charset=utf-8"));
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"session-{id}-unanswered.csv\"")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(resp)
}

fn unanswered_rows(questions: &[UnansweredQuestion]) -> String {
    let mut out = String::from("question_id,asked_at,asked_by,platforms,question\r\n");
    for q in questions {
        let platforms: Vec<&str> = q.platforms.iter().map(|p| p.as_str()).collect();
        let cells = [
            q.id.to_string(),
            iso_time(q.created_at),
            q.asked_by_count.to_string(),
            platforms.join(" "),
            q.public_text.clone(),
        ];
        let cells: Vec<String> = cells.iter().map(|c| csv_cell(c)).collect();
        out.push_str(&cells.join(","));
        out.push_str("\r\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use curbside_domain::{Platform, QuestionId};

    #[test]
    fn unanswered_csv_quotes_cells_and_defuses_formulas() {
        let q = UnansweredQuestion {
            id: QuestionId(7),
            public_text: "=HYPERLINK(\"http://x\") is \"safe\"?".into(),
            asked_by_count: 2,
            platforms: vec![Platform::Facebook, Platform::Instagram],
            created_at: 0,
        };
        let csv = unanswered_rows(&[q]);
        assert_eq!(
            csv,
            "question_id,asked_at,asked_by,platforms,question\r\n\
             \"7\",\"1970-01-01T00:00:00Z\",\"2\",\"facebook instagram\",\"'=HYPERLINK(\"\"http://x\"\") is \"\"safe\"\"?\"\r\n"
        );
    }
}
