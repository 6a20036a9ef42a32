//! Graph request and response plumbing: merged parameters, `fields=` lists, opaque paging cursors
//! and the `{"error":{…}}` envelope with the messages Meta really sends.

use axum::http::StatusCode;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde_json::{json, Value};
use std::collections::BTreeMap;

/// Query, form and JSON body parameters merged into one map; the body wins over the query.
/// Nested JSON values (`recipient`, `message`) are kept as their JSON text, as if they had been
/// sent as form fields, which the Send API also accepts.
pub(crate) fn merge_params(
    query: Option<&str>,
    content_type: Option<&str>,
    body: &[u8],
) -> Result<BTreeMap<String, String>, GraphFailure> {
    let mut params: BTreeMap<String, String> = BTreeMap::new();
    if let Some(query) = query {
        params.extend(url::form_urlencoded::parse(query.as_bytes()).into_owned());
    }
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(params);
    }
    let content_type = content_type.unwrap_or("").to_ascii_lowercase();
    let looks_json = body.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{');
    if content_type.starts_with("application/json") || (!content_type.contains("form") && looks_json) {
        let value: Value = serde_json::from_slice(body)
            .map_err(|_| GraphFailure::invalid_parameter("(#100) The request body is not valid JSON"))?;
        let Value::Object(map) = value else {
            return Err(GraphFailure::invalid_parameter("(#100) The request body must be a JSON object"));
        };
        for (key, value) in map {
            let text = match value {
                Value::Null => continue,
                Value::String(s) => s,
                Value::Bool(b) => b.to_string(),
                Value::Number(n) => n.to_string(),
                nested => nested.to_string(),
            };
            params.insert(key, text);
        }
    } else {
        params.extend(url::form_urlencoded::parse(body).into_owned());
    }
    Ok(params)
}

/// One entry of a `fields=` list: `from{id,name}` is `from` with sub-fields `id` and `name`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Field {
    pub(crate) name: String,
    pub(crate) sub: Vec<Field>,
}

/// Parses `id,from{id,name},replies.limit(5){id,text}`. Modifiers (`.limit(…)`) are dropped.
pub(crate) fn parse_fields(list: &str) -> Vec<Field> {
    let mut chars = list.chars().peekable();
    parse_field_list(&mut chars)
}

fn parse_field_list(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) -> Vec<Field> {
    let mut fields = Vec::new();
    let mut name = String::new();
    let mut sub = Vec::new();
    let mut in_modifier = 0usize;
    while let Some(c) = chars.next() {
        match c {
            '(' => in_modifier += 1,
            ')' => in_modifier = in_modifier.saturating_sub(1),
            _ if in_modifier > 0 => {}
            '{' => sub = parse_field_list(chars),
            '}' => break,
            ',' => push_field(&mut fields, &mut name, &mut sub),
            c if c.is_whitespace() => {}
            c => name.push(c),
        }
    }
    push_field(&mut fields, &mut name, &mut sub);
    fields
}

fn push_field(fields: &mut Vec<Field>, name: &mut String, sub: &mut Vec<Field>) {
    let base = name.split('.').next().unwrap_or("").to_owned();
    if !base.is_empty() {
        fields.push(Field { name: base, sub: std::mem::take(sub) });
    }
    name.clear();
    sub.clear();
}

/// Where a paging sequence stands: after which comment, and how many pages it has served (the
/// empty-page rule needs that). Opaque to clients, like Meta's base64 cursors.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Cursor {
    pub(crate) created_time: i64,
    pub(crate) seq: u64,
    pub(crate) pages: u64,
    pub(crate) last_was_empty: bool,
}

impl Cursor {
    pub(crate) fn encode(&self) -> String {
        let raw =
            format!("c:{}:{}:{}:{}", self.created_time, self.seq, self.pages, u8::from(self.last_was_empty));
        URL_SAFE_NO_PAD.encode(raw)
    }

    pub(crate) fn decode(text: &str) -> Option<Cursor> {
        let raw = String::from_utf8(URL_SAFE_NO_PAD.decode(text.trim_end_matches('=')).ok()?).ok()?;
        let mut parts = raw.strip_prefix("c:")?.split(':');
        let cursor = Cursor {
            created_time: parts.next()?.parse().ok()?,
            seq: parts.next()?.parse().ok()?,
            pages: parts.next()?.parse().ok()?,
            last_was_empty: parts.next()? == "1",
        };
        parts.next().is_none().then_some(cursor)
    }
}

/// A Graph error response before it gets its `fbtrace_id`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct GraphFailure {
    pub(crate) status: StatusCode,
    pub(crate) code: i64,
    pub(crate) subcode: Option<i64>,
    pub(crate) error_type: &'static str,
    pub(crate) message: String,
    pub(crate) is_transient: Option<bool>,
    pub(crate) user_title: Option<&'static str>,
    pub(crate) user_message: Option<&'static str>,
}

impl GraphFailure {
    pub(crate) fn new(status: StatusCode, code: i64, message: impl Into<String>) -> GraphFailure {
        GraphFailure {
            status,
            code,
            subcode: None,
            error_type: "OAuthException",
            message: message.into(),
            is_transient: None,
            user_title: None,
            user_message: None,
        }
    }

    pub(crate) fn subcode(mut self, subcode: i64) -> GraphFailure {
        self.subcode = Some(subcode);
        self
    }

    pub(crate) fn of_type(mut self, error_type: &'static str) -> GraphFailure {
        self.error_type = error_type;
        self
    }

    pub(crate) fn transient(mut self, transient: bool) -> GraphFailure {
        self.is_transient = Some(transient);
        self
    }

    pub(crate) fn invalid_parameter(message: impl Into<String>) -> GraphFailure {
        GraphFailure::new(StatusCode::BAD_REQUEST, 100, message)
    }

    /// What Graph says for an id it does not know, cannot show this token, or that has no such
    /// edge or operation.
    pub(crate) fn unsupported(method: &str, id: &str) -> GraphFailure {
        let verb = method.to_ascii_lowercase();
        GraphFailure::invalid_parameter(format!(
            "Unsupported {verb} request. Object with ID '{id}' does not exist, cannot be loaded due to \
             missing permissions, or does not support this operation. Please read the Graph API \
             documentation at https://developers.facebook.com/docs/graph-api"
        ))
        .subcode(33)
        .of_type("GraphMethodException")
    }

    pub(crate) fn missing_token() -> GraphFailure {
        GraphFailure::new(
            StatusCode::BAD_REQUEST,
            104,
            "An access token is required to request this resource.",
        )
    }

    pub(crate) fn missing_proof() -> GraphFailure {
        GraphFailure::invalid_parameter("API calls from the server require an appsecret_proof argument")
            .of_type("GraphMethodException")
    }

    pub(crate) fn wrong_proof() -> GraphFailure {
        GraphFailure::invalid_parameter("Invalid appsecret_proof provided in the API argument")
            .of_type("GraphMethodException")
    }

    pub(crate) fn unknown_token() -> GraphFailure {
        GraphFailure::new(
            StatusCode::BAD_REQUEST,
            190,
            "Invalid OAuth access token - Cannot parse access token",
        )
    }

    pub(crate) fn expired_token() -> GraphFailure {
        let mut failure = GraphFailure::new(
            StatusCode::BAD_REQUEST,
            190,
            "Error validating access token: Session has expired on Thursday, 01-Jan-2026 12:00:00 PST. \
             The current time is later.",
        )
        .subcode(463);
        failure.user_title = Some("Session expired");
        failure.user_message = Some("Your session has expired. Please log in again.");
        failure
    }

    pub(crate) fn permission_denied(code: i64) -> GraphFailure {
        let message = if code == 10 {
            "(#10) Application does not have permission for this action".to_owned()
        } else {
            format!("(#{code}) Permissions error")
        };
        GraphFailure::new(StatusCode::FORBIDDEN, code, message)
    }

    pub(crate) fn throttled(code: i64) -> GraphFailure {
        let message = match code {
            4 => "(#4) Application request limit reached",
            17 => "(#17) User request limit reached",
            32 => "(#32) Page request limit reached",
            613 => "(#613) Calls to this api have exceeded the rate limit.",
            80001 => {
                "(#80001) There have been too many calls to this Page account. Wait a bit and try again. \
                 For more info, please refer to https://developers.facebook.com/docs/graph-api/overview/rate-limiting."
            }
            _ => "Rate limit reached",
        };
        GraphFailure::new(StatusCode::BAD_REQUEST, code, message).transient(true)
    }

    pub(crate) fn unknown_error() -> GraphFailure {
        GraphFailure::new(StatusCode::INTERNAL_SERVER_ERROR, 1, "An unknown error has occurred.")
            .transient(true)
    }

    pub(crate) fn service_unavailable() -> GraphFailure {
        GraphFailure::new(StatusCode::SERVICE_UNAVAILABLE, 2, "Service temporarily unavailable")
            .transient(true)
    }

    pub(crate) fn body(&self, fbtrace_id: &str) -> Value {
        let mut error = json!({
            "message": self.message,
            "type": self.error_type,
            "code": self.code,
        });
        if let Some(map) = error.as_object_mut() {
            if let Some(subcode) = self.subcode {
                map.insert("error_subcode".into(), json!(subcode));
            }
            if let Some(transient) = self.is_transient {
                map.insert("is_transient".into(), json!(transient));
            }
            if let Some(title) = self.user_title {
                map.insert("error_user_title".into(), json!(title));
            }
            if let Some(message) = self.user_message {
                map.insert("error_user_msg".into(), json!(message));
            }
            map.insert("fbtrace_id".into(), json!(fbtrace_id));
        }
        json!({ "error": error })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_lists_with_nesting_and_modifiers_parse() {
        let fields =
            parse_fields("id, from{id,name},message,replies.limit(5){id,text,from{username}},parent{id}");
        let names: Vec<&str> = fields.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(names, ["id", "from", "message", "replies", "parent"]);
        assert_eq!(fields[3].sub.len(), 3);
        assert_eq!(fields[3].sub[2].sub[0].name, "username");
        assert!(parse_fields("").is_empty());
    }

    #[test]
    fn cursors_round_trip_and_junk_is_refused() {
        let c = Cursor { created_time: 1_767_225_600, seq: 42, pages: 3, last_was_empty: true };
        assert_eq!(Cursor::decode(&c.encode()), Some(c));
        for junk in ["", "x", "QUFB", "%%%"] {
            assert_eq!(Cursor::decode(junk), None, "{junk}");
        }
    }

    #[test]
    fn json_and_form_bodies_merge_over_the_query() {
        let p = merge_params(
            Some("access_token=a&x=1"),
            Some("application/json"),
            br#"{"x":2,"recipient":{"comment_id":"9"},"message":{"text":"hi"}}"#,
        )
        .expect("test input is valid");
        assert_eq!(p["x"], "2");
        assert_eq!(p["access_token"], "a");
        assert_eq!(p["recipient"], r#"{"comment_id":"9"}"#);
        let p =
            merge_params(None, Some("application/x-www-form-urlencoded"), b"message=a+b%21&is_hidden=true")
                .expect("test input is valid");
        assert_eq!(p["message"], "a b!");
        assert!(merge_params(None, Some("application/json"), b"[1]").is_err());
    }
}
