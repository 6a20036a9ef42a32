//! `GET /webhooks/meta` (the subscription handshake) and `POST /webhooks/meta` (notifications):
//! verify the signature over the raw bytes, parse, store durably, and only then answer 200.

use crate::app::REQUEST_TIMEOUT;
use crate::state::AppState;
use axum::body::Bytes;
use axum::extract::DefaultBodyLimit;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use curbside_meta::{parse_notification, verify_signature, SIGNATURE_HEADER};
use subtle::ConstantTimeEq;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::timeout::TimeoutLayer;

/// `/webhooks/meta`: the handshake and deliveries, with their own (larger) body limit.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/webhooks/meta", get(handshake).post(receive))
        .layer(DefaultBodyLimit::max(WEBHOOK_BODY_LIMIT))
        // Refuses an oversized Content-Length at once, before reading a byte of the body.
        .layer(RequestBodyLimitLayer::new(WEBHOOK_BODY_LIMIT))
        .layer(TimeoutLayer::with_status_code(StatusCode::REQUEST_TIMEOUT, REQUEST_TIMEOUT))
}

/// Meta batches up to 1000 changes (a few hundred KiB); anything far larger is not Meta.
pub const WEBHOOK_BODY_LIMIT: usize = 4 * 1024 * 1024;

/// The handshake: echo `hub.challenge` when the mode is `subscribe` and the token matches.
/// Parameters are read from the raw query so their dotted names reach us untouched.
pub async fn handshake(State(state): State<AppState>, RawQuery(query): RawQuery) -> Response {
    let mut mode = None;
    let mut token = None;
    let mut challenge = None;
    for (k, v) in url::form_urlencoded::parse(query.unwrap_or_default().as_bytes()) {
        match k.as_ref() {
            "hub.mode" => mode = Some(v.into_owned()),
            "hub.verify_token" => token = Some(v.into_owned()),
            "hub.challenge" => challenge = Some(v.into_owned()),
            _ => {}
        }
    }
    let expected = state.config.meta_verify_token.as_deref().unwrap_or_default();
    let token_ok = !expected.is_empty()
        && bool::from(token.as_deref().unwrap_or_default().as_bytes().ct_eq(expected.as_bytes()));
    match (mode.as_deref(), challenge) {
        (Some("subscribe"), Some(challenge)) if token_ok => {
            tracing::info!("webhook subscription verified");
            (StatusCode::OK, [("content-type", "text/plain")], challenge).into_response()
        }
        _ => {
            tracing::warn!("webhook handshake refused");
            (StatusCode::FORBIDDEN, "verification failed").into_response()
        }
    }
}

pub async fn receive(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let metrics = &state.connectors;
    let Some(secret) = state.config.meta_app_secret.as_deref() else {
        metrics.webhook("not_configured");
        return (StatusCode::UNAUTHORIZED, "webhooks are not configured: set CURBSIDE_META_APP_SECRET")
            .into_response();
    };
    let signature = headers.get(SIGNATURE_HEADER).and_then(|v| v.to_str().ok());
    if let Err(e) = verify_signature(secret.as_bytes(), &body, signature) {
        metrics.webhook("bad_signature");
        tracing::warn!(error = %e, bytes = body.len(), "webhook refused: signature");
        return (StatusCode::UNAUTHORIZED, e.to_string()).into_response();
    }
    let notification = match parse_notification(&body) {
        Ok(n) => n,
        Err(e) => {
            metrics.webhook("malformed");
            // The error text never quotes the body.
            tracing::warn!(error = %e, bytes = body.len(), "webhook refused: malformed");
            return (StatusCode::BAD_REQUEST, e.to_string()).into_response();
        }
    };
    match state
        .db("webhook.ingest", curbside_connectors::ingest_notification(&state.store, metrics, &notification))
        .await
    {
        Ok(report) => {
            metrics.webhook("accepted");
            tracing::debug!(
                stored = report.stored,
                duplicates = report.duplicates,
                self_authored = report.self_authored,
                unmatched = report.unmatched,
                changes = report.changes,
                ignored = report.ignored,
                "webhook accepted"
            );
            (StatusCode::OK, "EVENT_RECEIVED").into_response()
        }
        Err(e) => {
            // Nothing was acknowledged: Meta retries, and redeliveries dedupe.
            metrics.webhook("store_failed");
            tracing::error!(error = %e, "webhook could not be stored");
            (StatusCode::SERVICE_UNAVAILABLE, [("retry-after", "5")], "temporarily unavailable")
                .into_response()
        }
    }
}
