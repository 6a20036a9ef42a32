//! The staff API under `/api`: sessions, the question queue and its actions, staff accounts.
//! Every handler checks its role policy first; bodies are JSON with clear 4xx on bad input.

pub mod questions;
pub mod sessions;
pub mod users;

use crate::error::{ApiError, ApiResult};
use bytes::Bytes;
use serde::de::DeserializeOwned;

/// Parses an optional JSON body: empty means `T::default()` (for actions whose fields are all
/// optional, so `curl -X POST` without a body works too).
pub(crate) fn optional_json<T: DeserializeOwned + Default>(body: &Bytes) -> ApiResult<T> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    let de = &mut serde_json::Deserializer::from_slice(body);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let inner = e.inner();
        if inner.is_syntax() || inner.is_eof() {
            ApiError::BadRequest(format!("malformed JSON: {inner}"))
        } else {
            ApiError::Unprocessable(format!("invalid request body: {}: {inner}", e.path()))
        }
    })
}
