//! One error type for the HTTP layer: clients get a JSON body with a stable `error` code and a
//! human message; 5xx details are logged with their cause chain, never sent.

use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use curbside_store::StoreError;
use serde::Serialize;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("sign in first")]
    Unauthenticated,
    /// A sign-in with an unknown email or a wrong password (which of the two is not said).
    #[error("wrong email or password")]
    WrongCredentials,
    #[error("{0}")]
    Forbidden(String),
    #[error("{0} not found")]
    NotFound(String),
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    Unprocessable(String),
    #[error("{0}")]
    Conflict(String),
    /// One form field is wrong (422), clashes with what is stored (409, e.g. a taken slug), or
    /// is a credential that does not match (403, e.g. the current password): the body names the
    /// field, so a form shows the message next to it.
    #[error("{message}")]
    Field { field: &'static str, message: String, kind: FieldError },
    #[error("the request body is larger than this endpoint accepts")]
    PayloadTooLarge,
    #[error("too many attempts; try again in {retry_after_secs} s")]
    TooManyRequests { retry_after_secs: u64 },
    /// Load shedding: every place for this kind of work is taken. Nothing was done.
    #[error("the server is busy with other requests of this kind; try again in {retry_after_secs} s")]
    Busy { retry_after_secs: u64 },
    #[error("{0}")]
    Unavailable(String),
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
}

/// What is wrong with a field, which decides the status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldError {
    /// Breaks a rule (422).
    Invalid,
    /// Clashes with what is stored (409).
    Conflict,
    /// A credential that does not match (403).
    Refused,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    /// A stable code: `unauthenticated`, `wrong_credentials`, `forbidden`, `not_found`, `bad_request`, `invalid`,
    /// `conflict`, `too_large`, `rate_limited`, `busy`, `unavailable`, `internal`.
    pub error: &'static str,
    pub message: String,
    /// The request field the message is about (e.g. `slug`), when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<&'static str>,
}

impl ApiError {
    /// A wrong value in one field (422).
    pub fn field(field: &'static str, message: impl Into<String>) -> ApiError {
        ApiError::Field { field, message: message.into(), kind: FieldError::Invalid }
    }

    /// A value in one field that clashes with what is stored (409).
    pub fn field_conflict(field: &'static str, message: impl Into<String>) -> ApiError {
        ApiError::Field { field, message: message.into(), kind: FieldError::Conflict }
    }

    /// A credential in one field that does not match, such as the current password (403).
    pub fn field_refused(field: &'static str, message: impl Into<String>) -> ApiError {
        ApiError::Field { field, message: message.into(), kind: FieldError::Refused }
    }

    /// Names the field a store error is about: a conflict or an invalid value becomes a field
    /// error for `field`; anything else stays as it is.
    pub fn store_field(field: &'static str, e: StoreError) -> ApiError {
        match e {
            StoreError::Conflict(m) => ApiError::field_conflict(field, m),
            StoreError::Invalid(m) => ApiError::field(field, m),
            other => other.into(),
        }
    }

    fn status_and_code(&self) -> (StatusCode, &'static str) {
        match self {
            ApiError::Unauthenticated => (StatusCode::UNAUTHORIZED, "unauthenticated"),
            ApiError::WrongCredentials => (StatusCode::UNAUTHORIZED, "wrong_credentials"),
            ApiError::Forbidden(_) => (StatusCode::FORBIDDEN, "forbidden"),
            ApiError::NotFound(_) => (StatusCode::NOT_FOUND, "not_found"),
            ApiError::BadRequest(_) => (StatusCode::BAD_REQUEST, "bad_request"),
            ApiError::Unprocessable(_) => (StatusCode::UNPROCESSABLE_ENTITY, "invalid"),
            ApiError::Conflict(_) => (StatusCode::CONFLICT, "conflict"),
            ApiError::Field { kind: FieldError::Conflict, .. } => (StatusCode::CONFLICT, "conflict"),
            ApiError::Field { kind: FieldError::Invalid, .. } => {
                (StatusCode::UNPROCESSABLE_ENTITY, "invalid")
            }
            ApiError::Field { kind: FieldError::Refused, .. } => (StatusCode::FORBIDDEN, "wrong_credentials"),
            ApiError::PayloadTooLarge => (StatusCode::PAYLOAD_TOO_LARGE, "too_large"),
            ApiError::TooManyRequests { .. } => (StatusCode::TOO_MANY_REQUESTS, "rate_limited"),
            ApiError::Busy { .. } => (StatusCode::TOO_MANY_REQUESTS, "busy"),
            ApiError::Unavailable(_) => (StatusCode::SERVICE_UNAVAILABLE, "unavailable"),
            ApiError::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code) = self.status_and_code();
        if let ApiError::Internal(e) = &self {
            tracing::error!(error = format!("{e:#}"), "request failed");
        }
        let field = match &self {
            ApiError::Field { field, .. } => Some(*field),
            _ => None,
        };
        let body = ErrorBody { error: code, message: self.to_string(), field };
        let mut resp = (status, axum::Json(body)).into_response();
        match &self {
            ApiError::Unauthenticated | ApiError::WrongCredentials => {
                resp.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            }
            // The unread rest of the body is still on the wire: the connection cannot be
            // reused, so say so (a client that reused it would see its next request cut off).
            ApiError::PayloadTooLarge => {
                resp.headers_mut().insert(header::CONNECTION, HeaderValue::from_static("close"));
            }
            ApiError::TooManyRequests { retry_after_secs } | ApiError::Busy { retry_after_secs } => {
                if let Ok(v) = HeaderValue::from_str(&retry_after_secs.to_string()) {
                    resp.headers_mut().insert(header::RETRY_AFTER, v);
                }
            }
            // Load shedding or a database hiccup: worth retrying soon.
            ApiError::Unavailable(_) => {
                resp.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
            }
            _ => {}
        }
        resp
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound(what) => ApiError::NotFound(what.to_owned()),
            StoreError::Conflict(m) => ApiError::Conflict(m),
            StoreError::Invalid(m) => ApiError::Unprocessable(m),
            other => ApiError::Internal(other.into()),
        }
    }
}

impl From<JsonRejection> for ApiError {
    fn from(r: JsonRejection) -> Self {
        match r {
            JsonRejection::JsonDataError(e) => {
                ApiError::Unprocessable(format!("invalid request body: {}", e.body_text()))
            }
            JsonRejection::JsonSyntaxError(e) => {
                ApiError::BadRequest(format!("malformed JSON: {}", e.body_text()))
            }
            JsonRejection::MissingJsonContentType(_) => {
                ApiError::BadRequest("send the body as JSON with Content-Type: application/json".into())
            }
            other if other.status() == StatusCode::PAYLOAD_TOO_LARGE => ApiError::PayloadTooLarge,
            other => ApiError::BadRequest(other.body_text()),
        }
    }
}

/// A path whose id is not a number names no resource: 404, like an id that does not exist.
impl From<PathRejection> for ApiError {
    fn from(r: PathRejection) -> Self {
        tracing::debug!(rejection = %r.body_text(), "path names no resource");
        ApiError::NotFound("resource".into())
    }
}

impl From<QueryRejection> for ApiError {
    fn from(r: QueryRejection) -> Self {
        ApiError::BadRequest(format!("bad query string: {}", r.body_text()))
    }
}

impl From<curbside_domain::TextError> for ApiError {
    fn from(e: curbside_domain::TextError) -> Self {
        ApiError::Unprocessable(e.to_string())
    }
}

pub type ApiResult<T> = Result<T, ApiError>;

/// A JSON request body (or response) whose rejections become [`ApiError`]s with a JSON body:
/// `Content-Type: application/json` required, then parsed by [`crate::api::parse_json`].
#[derive(Debug, Clone, Copy, Default)]
pub struct ApiJson<T>(pub T);

impl<T: serde::de::DeserializeOwned, S: Send + Sync> axum::extract::FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: axum::extract::Request, state: &S) -> Result<Self, Self::Rejection> {
        let json = req.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).is_some_and(is_json);
        if !json {
            return Err(ApiError::BadRequest(
                "send the body as JSON with Content-Type: application/json".into(),
            ));
        }
        let body = bytes::Bytes::from_request(req, state).await.map_err(|r| {
            if r.status() == StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::PayloadTooLarge
            } else {
                ApiError::BadRequest(r.body_text())
            }
        })?;
        crate::api::parse_json(&body).map(ApiJson)
    }
}

/// Whether a `Content-Type` is JSON (`application/json`, `application/ld+json`, with parameters).
fn is_json(content_type: &str) -> bool {
    let essence = content_type.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
    essence == "application/json" || (essence.starts_with("application/") && essence.ends_with("+json"))
}
impl<T: Serialize> IntoResponse for ApiJson<T> {
    fn into_response(self) -> Response {
        axum::Json(self.0).into_response()
    }
}

/// `Path` whose rejections become [`ApiError`]s.
#[derive(Debug, axum::extract::FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(ApiError))]
pub struct ApiPath<T>(pub T);

/// `Query` whose rejections become [`ApiError`]s.
#[derive(Debug, axum::extract::FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(ApiError))]
pub struct ApiQuery<T>(pub T);
