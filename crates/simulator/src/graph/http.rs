//! The fake's HTTP face: one axum fallback handler that parses any path, hands it to the state
//! under the lock, then (outside the lock) holds, sends echo webhooks and writes the response.

use super::state::{Incoming, OutBody};
use super::{Shared, GRAPH_VERSION};
use crate::time::now_unix;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::header::{CONTENT_TYPE, WWW_AUTHENTICATE};
use axum::http::{HeaderMap, HeaderValue, Method, Uri};
use axum::response::{IntoResponse, Response};
use axum::Router;
use std::sync::Arc;

pub(crate) fn router(shared: Arc<Shared>) -> Router {
    Router::new().fallback(handle).with_state(shared)
}

async fn handle(
    State(shared): State<Arc<Shared>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let content_type = headers.get(CONTENT_TYPE).and_then(|v| v.to_str().ok());
    let request = Incoming::read(method, uri.path(), uri.query(), content_type, &body);
    let mut outcome = shared.lock().process(request, &shared.base, now_unix());

    if let Some((sender, webhook)) = outcome.echo.take() {
        // Meta's own webhook for the Page's action arrives on its own schedule, not in this response.
        tokio::spawn(async move {
            if let Err(error) = sender.send(&webhook).await {
                tracing::debug!(%error, "echo webhook not delivered");
            }
        });
    }
    if let Some(hold) = outcome.hold {
        tokio::select! {
            () = tokio::time::sleep(hold) => {}
            () = shared.shutdown.cancelled() => {}
        }
    }

    let mut response = match outcome.body {
        OutBody::Json(value) => (
            outcome.status,
            [(CONTENT_TYPE, HeaderValue::from_static("application/json; charset=UTF-8"))],
            value.to_string(),
        )
            .into_response(),
        OutBody::Html(page) => {
            (outcome.status, [(CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"))], page)
                .into_response()
        }
    };
    let headers = response.headers_mut();
    headers.insert("facebook-api-version", HeaderValue::from_static(GRAPH_VERSION));
    let mut set = |name: &'static str, value: Option<String>| {
        if let Some(value) = value.and_then(|v| HeaderValue::from_str(&v).ok()) {
            headers.insert(name, value);
        }
    };
    set("x-fb-trace-id", Some(outcome.trace_id));
    set("x-app-usage", outcome.app_usage);
    set("x-business-use-case-usage", outcome.business_usage);
    if outcome.status == 400 && outcome.www_authenticate {
        headers.insert(
            WWW_AUTHENTICATE,
            HeaderValue::from_static(
                "OAuth \"Facebook Platform\" \"invalid_token\" \"Invalid OAuth access token\"",
            ),
        );
    }
    response
}
