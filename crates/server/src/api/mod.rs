//! The staff API under `/api`: sessions, the question queue and its actions, staff accounts.
//! Every handler checks its role policy first; bodies are JSON with clear 4xx on bad input.

pub mod audit;
pub mod notes;
pub mod questions;
pub mod report;
pub mod retention;
pub mod safety;
pub mod sessions;
pub mod users;

use crate::app::REQUEST_TIMEOUT;
use crate::auth;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use axum::extract::{DefaultBodyLimit, Request};
use axum::http::{header, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use bytes::Bytes;
use serde::de::DeserializeOwned;
use tower_http::timeout::TimeoutLayer;

/// API bodies are small; webhooks get their own, larger limit.
const API_BODY_LIMIT: usize = 64 * 1024;

/// Everything under `/api`: sign-in, then one router per resource.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/login", post(auth::login))
        .route("/api/logout", post(auth::logout))
        .route("/api/me", get(auth::me))
        .merge(sessions::router())
        .merge(questions::router())
        .merge(users::router())
        .merge(audit::router())
        .merge(retention::router())
        .merge(notes::router())
        .merge(safety::router())
        .merge(report::router())
        .route("/api/openapi.json", get(crate::openapi::serve))
        .fallback(|| async { ApiError::NotFound("API route".into()) })
        .layer(DefaultBodyLimit::max(API_BODY_LIMIT))
        .layer(middleware::from_fn(refuse_oversized_body))
        .layer(TimeoutLayer::with_status_code(StatusCode::REQUEST_TIMEOUT, REQUEST_TIMEOUT))
}

/// A declared `Content-Length` over the limit is refused at once with 413, before any of the
/// body is read (and whatever the handler would do with it). Chunked bodies without a length
/// are capped by `DefaultBodyLimit` as they arrive.
async fn refuse_oversized_body(req: Request, next: Next) -> Response {
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|n| n > API_BODY_LIMIT as u64) {
        return ApiError::PayloadTooLarge.into_response();
    }
    next.run(req).await
}

/// Parses an optional JSON body: empty means `T::default()` (for actions whose fields are all
/// optional, so `curl -X POST` without a body works too).
pub(crate) fn optional_json<T: DeserializeOwned + Default>(body: &Bytes) -> ApiResult<T> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    parse_json(body)
}

/// Parses a required JSON body read as bytes: for handlers that check the caller's access to
/// the path's resource before reading the body.
pub(crate) fn required_json<T: DeserializeOwned>(body: &Bytes) -> ApiResult<T> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::BadRequest("this action needs a JSON body".into()));
    }
    parse_json(body)
}

/// Parses a request body: malformed JSON is a 400; a body that is not an object, or whose
/// fields have the wrong types, a 422 naming the field. Whole numbers written with a fraction
/// or an exponent (`3.0`, `1e3`) are whole numbers, as JSON Schema's `integer` says.
pub(crate) fn parse_json<T: DeserializeOwned>(body: &[u8]) -> ApiResult<T> {
    let mut value: serde_json::Value =
        serde_json::from_slice(body).map_err(|e| ApiError::BadRequest(format!("malformed JSON: {e}")))?;
    if !value.is_object() {
        return Err(ApiError::Unprocessable("invalid request body: it must be a JSON object".into()));
    }
    whole_numbers(&mut value);
    serde_path_to_error::deserialize(value)
        .map_err(|e| ApiError::Unprocessable(format!("invalid request body: {}: {}", e.path(), e.inner())))
}

/// Rewrites floating-point numbers with no fractional part (within `i64`) as integers.
fn whole_numbers(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::Number(n) if n.is_f64() => {
            if let Some(f) = n.as_f64() {
                // 2^63 as f64: every whole f64 strictly inside is an exact i64.
                if f.fract() == 0.0 && f.abs() < 9_223_372_036_854_775_808.0 {
                    *value = serde_json::Value::from(f as i64);
                }
            }
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(whole_numbers),
        serde_json::Value::Object(fields) => fields.values_mut().for_each(whole_numbers),
        _ => {}
    }
}
