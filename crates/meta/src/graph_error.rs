//! Graph API failures: the `{"error":{…}}` envelope, what each code means for a source, and the
//! rate-limit usage headers that say how close the app or Page is to being throttled.
//!
//! Everything here is read defensively. A usage header that is not what we expect is ignored (it
//! is advice, never a reason to fail a call), and error text is scrubbed of anything shaped like
//! an access token before it is stored, so neither `Display` nor `Debug` can leak one.

use crate::lenient::{utf8, JsonError, Object, Scalar};
use serde::Deserialize;
use std::fmt;
use std::time::Duration;
use thiserror::Error;

/// A Graph API error envelope, scrubbed of token-shaped text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GraphError {
    pub code: i64,
    pub subcode: Option<i64>,
    /// `type`, e.g. `OAuthException`.
    pub error_type: Option<String>,
    pub message: String,
    /// Meta's request trace id: quote it in a bug report, log it on every failure.
    pub fbtrace_id: Option<String>,
    pub is_transient: bool,
    pub user_title: Option<String>,
    pub user_message: Option<String>,
}

/// Why a body was not read as a Graph error envelope (e.g. an HTML 502 page from a proxy): the
/// caller then falls back to the HTTP status.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum NotAGraphError {
    #[error("error body is not valid UTF-8")]
    InvalidUtf8,
    #[error("error body is not JSON: {0}")]
    Json(JsonError),
    #[error("error body has no `error` object")]
    NoEnvelope,
    #[error("error envelope has no usable `code`")]
    NoCode,
}

/// What a failure means for the source that made the call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorClass {
    /// 190, 102: the token is invalid or expired. Stop the source and ask staff to re-authorise.
    Reauth,
    /// 10, 200–299: a scope, Page task or App Review approval is missing. Stop the source.
    PermissionDenied,
    /// 4, 17, 32, 341, 613, 80001: back off, honouring the usage headers.
    Throttled,
    /// 1, 2, or `is_transient`: retry with exponential backoff.
    Transient,
    /// 368: blocked for policy violations. Pause for a long time and alert staff.
    Blocked,
    /// 100 and everything else: the request itself is wrong, so retrying cannot help.
    InvalidRequest,
}

impl ErrorClass {
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorClass::Reauth => "reauth",
            ErrorClass::PermissionDenied => "permission_denied",
            ErrorClass::Throttled => "throttled",
            ErrorClass::Transient => "transient",
            ErrorClass::Blocked => "blocked",
            ErrorClass::InvalidRequest => "invalid_request",
        }
    }

    /// Whether the same call may succeed later without anyone changing anything.
    pub fn is_retryable(self) -> bool {
        matches!(self, ErrorClass::Throttled | ErrorClass::Transient)
    }

    /// Whether the source must stop until a person fixes something.
    pub fn needs_staff(self) -> bool {
        matches!(self, ErrorClass::Reauth | ErrorClass::PermissionDenied | ErrorClass::Blocked)
    }
}

/// Classifies a Graph error code. The subcode refines nothing yet (every 190 subcode means
/// re-authorise, and 80001's 2494055 is still throttling) but is taken so callers pass it and
/// future refinements land here.
pub fn classify(code: i64, _subcode: Option<i64>) -> ErrorClass {
    match code {
        190 | 102 => ErrorClass::Reauth,
        10 | 200..=299 => ErrorClass::PermissionDenied,
        4 | 17 | 32 | 341 | 613 | 80001 => ErrorClass::Throttled,
        1 | 2 => ErrorClass::Transient,
        368 => ErrorClass::Blocked,
        _ => ErrorClass::InvalidRequest,
    }
}

impl GraphError {
    /// `classify`, plus Meta's own `is_transient` hint for codes we would otherwise not retry.
    pub fn class(&self) -> ErrorClass {
        match classify(self.code, self.subcode) {
            ErrorClass::InvalidRequest if self.is_transient => ErrorClass::Transient,
            class => class,
        }
    }
}

impl fmt::Display for GraphError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Graph error {}", self.code)?;
        if let Some(subcode) = self.subcode {
            write!(f, "/{subcode}")?;
        }
        if let Some(kind) = &self.error_type {
            write!(f, " ({kind})")?;
        }
        write!(f, ": {}", self.message)?;
        if let Some(trace) = &self.fbtrace_id {
            write!(f, " [fbtrace_id {trace}]")?;
        }
        Ok(())
    }
}

impl std::error::Error for GraphError {}

/// Reads a Graph error body. Only `error.code` is required; everything else is optional.
pub fn parse_graph_error(body: &[u8]) -> Result<GraphError, NotAGraphError> {
    let text = utf8(body).map_err(|_| NotAGraphError::InvalidUtf8)?;
    let raw: Object<RawEnvelope<'_>> =
        serde_json::from_str(text).map_err(|e| NotAGraphError::Json(JsonError::from_serde(&e)))?;
    match raw {
        Object::Present(RawEnvelope { error: Object::Present(error) }) => from_raw(&error),
        _ => Err(NotAGraphError::NoEnvelope),
    }
}

pub(crate) fn from_raw(raw: &RawGraphError<'_>) -> Result<GraphError, NotAGraphError> {
    let code = loose_int(&raw.code).ok_or(NotAGraphError::NoCode)?;
    let text = |s: &Scalar<'_>| match s {
        Scalar::Str(s) if !s.trim().is_empty() => Some(clip(&redact_secrets(s), 1_000)),
        _ => None,
    };
    Ok(GraphError {
        code,
        subcode: loose_int(&raw.error_subcode),
        error_type: text(&raw.error_type),
        message: text(&raw.message).unwrap_or_else(|| "(no message)".to_owned()),
        fbtrace_id: text(&raw.fbtrace_id),
        is_transient: matches!(raw.is_transient, Scalar::Bool(true)),
        user_title: text(&raw.error_user_title),
        user_message: text(&raw.error_user_msg),
    })
}

fn loose_int(s: &Scalar<'_>) -> Option<i64> {
    match s {
        Scalar::Str(s) => s.trim().parse().ok(),
        other => other.int("code").ok().flatten(),
    }
}

fn clip(s: &str, max_chars: usize) -> String {
    match s.char_indices().nth(max_chars) {
        Some((cut, _)) => format!("{}…", &s[..cut]),
        None => s.to_owned(),
    }
}

/// Replaces anything shaped like a Meta access token or app secret with `[redacted]`.
///
/// Graph messages are not supposed to echo tokens, but some (`Malformed access token …`) have been
/// seen to, and these messages end up in logs, the audit trail and the staff API. User tokens
/// start with `EAA`, Instagram ones with `IG`; app secrets are 32 hex characters. Ids are at most
/// ~20 digits and compound ids are split by `_`, so a run of 32+ letters and digits is never one.
pub fn redact_secrets(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut run_start = None;
    for (i, c) in text.char_indices().chain(std::iter::once((text.len(), ' '))) {
        match (c.is_ascii_alphanumeric(), run_start) {
            (true, None) => run_start = Some(i),
            (true, Some(_)) => {}
            (false, start) => {
                if let Some(start) = start {
                    let run = &text[start..i];
                    out.push_str(if looks_secret(run) { "[redacted]" } else { run });
                    run_start = None;
                }
                if i < text.len() {
                    out.push(c);
                }
            }
        }
    }
    out
}

fn looks_secret(run: &str) -> bool {
    let prefixed = ["EAA", "IGQ", "IGAA"].iter().any(|p| run.starts_with(p));
    run.len() >= 32 || (prefixed && run.len() >= 20)
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct RawEnvelope<'a> {
    #[serde(borrow)]
    error: Object<RawGraphError<'a>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct RawGraphError<'a> {
    #[serde(borrow)]
    message: Scalar<'a>,
    #[serde(borrow, rename = "type")]
    error_type: Scalar<'a>,
    #[serde(borrow)]
    code: Scalar<'a>,
    #[serde(borrow)]
    error_subcode: Scalar<'a>,
    #[serde(borrow)]
    fbtrace_id: Scalar<'a>,
    #[serde(borrow)]
    is_transient: Scalar<'a>,
    #[serde(borrow)]
    error_user_title: Scalar<'a>,
    #[serde(borrow)]
    error_user_msg: Scalar<'a>,
}

// Usage headers.

pub const APP_USAGE_HEADER: &str = "X-App-Usage";
pub const PAGE_USAGE_HEADER: &str = "X-Page-Usage";
pub const BUSINESS_USE_CASE_USAGE_HEADER: &str = "X-Business-Use-Case-Usage";

/// How much of a rate-limit budget is used, from whichever usage headers a response carried.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Usage {
    /// The highest percentage (0–100, may exceed 100) among call count, CPU time and total time,
    /// over every header and business object seen.
    pub max_percent: f64,
    /// The longest `estimated_time_to_regain_access` seen, if any is above zero.
    pub regain_after: Option<Duration>,
}

impl Usage {
    /// Reads the usage headers out of a response's headers (names compared case-insensitively).
    /// `None` when none is present and readable: a missing header does not mean zero usage.
    pub fn from_headers<'h, I>(headers: I) -> Option<Usage>
    where
        I: IntoIterator<Item = (&'h str, &'h [u8])>,
    {
        headers
            .into_iter()
            .filter_map(|(name, value)| {
                if name.eq_ignore_ascii_case(APP_USAGE_HEADER) || name.eq_ignore_ascii_case(PAGE_USAGE_HEADER)
                {
                    parse_app_usage(value)
                } else if name.eq_ignore_ascii_case(BUSINESS_USE_CASE_USAGE_HEADER) {
                    parse_business_use_case_usage(value)
                } else {
                    None
                }
            })
            .reduce(Usage::max)
    }

    /// The more pessimistic of two readings.
    pub fn max(self, other: Usage) -> Usage {
        Usage {
            max_percent: self.max_percent.max(other.max_percent),
            regain_after: self.regain_after.max(other.regain_after),
        }
    }
}

/// `X-App-Usage` / `X-Page-Usage`: `{"call_count":91,"total_cputime":15,"total_time":12}`.
pub fn parse_app_usage(value: &[u8]) -> Option<Usage> {
    let json: serde_json::Value = serde_json::from_slice(value).ok()?;
    usage_of(&json)
}

/// `X-Business-Use-Case-Usage`: `{"<object id>":[{"type":"pages","call_count":1,…,
/// "estimated_time_to_regain_access":0}]}`, the wait in minutes.
pub fn parse_business_use_case_usage(value: &[u8]) -> Option<Usage> {
    let json: serde_json::Value = serde_json::from_slice(value).ok()?;
    json.as_object()?
        .values()
        .flat_map(|per_object| match per_object {
            serde_json::Value::Array(items) => items.iter().collect::<Vec<_>>(),
            // Tolerate a bare object where an array of one is documented.
            other => vec![other],
        })
        .filter_map(usage_of)
        .reduce(Usage::max)
}

fn usage_of(json: &serde_json::Value) -> Option<Usage> {
    let object = json.as_object()?;
    let percent = |key: &str| object.get(key).and_then(number_loose);
    let max_percent =
        ["call_count", "total_cputime", "total_time"].into_iter().filter_map(percent).reduce(f64::max);
    let regain_after = percent("estimated_time_to_regain_access")
        .filter(|minutes| *minutes > 0.0)
        .and_then(|minutes| Duration::try_from_secs_f64(minutes * 60.0).ok());
    if max_percent.is_none() && regain_after.is_none() {
        return None;
    }
    Some(Usage { max_percent: max_percent.unwrap_or(0.0), regain_after })
}

fn number_loose(value: &serde_json::Value) -> Option<f64> {
    let n = match value {
        serde_json::Value::Number(n) => n.as_f64()?,
        serde_json::Value::String(s) => s.trim().parse().ok()?,
        _ => return None,
    };
    (n.is_finite() && n >= 0.0).then_some(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOC_ENVELOPE: &[u8] = br#"{"error":{"message":"Message describing the error","type":"OAuthException","code":190,"error_subcode":460,"error_user_title":"A title","error_user_msg":"A message","fbtrace_id":"EJplcsCHuLu"}}"#;

    fn parsed(body: &[u8]) -> GraphError {
        match parse_graph_error(body) {
            Ok(e) => e,
            Err(e) => panic!("not parsed: {e}"),
        }
    }

    #[test]
    fn the_documented_envelope_is_read_field_by_field() {
        assert_eq!(
            parsed(DOC_ENVELOPE),
            GraphError {
                code: 190,
                subcode: Some(460),
                error_type: Some("OAuthException".into()),
                message: "Message describing the error".into(),
                fbtrace_id: Some("EJplcsCHuLu".into()),
                is_transient: false,
                user_title: Some("A title".into()),
                user_message: Some("A message".into()),
            }
        );
    }

    #[test]
    fn display_shows_code_subcode_type_and_trace_id() {
        assert_eq!(
            parsed(DOC_ENVELOPE).to_string(),
            "Graph error 190/460 (OAuthException): Message describing the error [fbtrace_id EJplcsCHuLu]"
        );
    }

    #[test]
    fn a_token_echoed_in_a_message_never_reaches_display_or_debug() {
        let token = "EAAGm0PX4ZCpsBAKZCZBZAx9ZCZCZBv8ZAhN0ZBa3ZCZA9";
        let body = format!(
            r#"{{"error":{{"message":"Malformed access token {token}","type":"OAuthException","code":190,"fbtrace_id":"AbC"}}}}"#
        );
        let err = parsed(body.as_bytes());
        assert!(!err.to_string().contains(token));
        assert!(!format!("{err:?}").contains(token));
        assert!(err.to_string().contains("Malformed access token [redacted]"));
    }

    #[test]
    fn redaction_spares_ids_and_ordinary_words() {
        let text =
            "Unsupported get request. Object with ID '448242228374517_122131676912594941' does not exist";
        assert_eq!(redact_secrets(text), text);
        assert_eq!(redact_secrets("secret 0123456789abcdef0123456789abcdef."), "secret [redacted].");
        assert_eq!(redact_secrets("café IGQVJ0123456789abcdefgh"), "café [redacted]");
    }

    #[test]
    fn codes_map_to_the_documented_classes() {
        use ErrorClass::*;
        let cases = [
            (190, Reauth),
            (102, Reauth),
            (10, PermissionDenied),
            (200, PermissionDenied),
            (250, PermissionDenied),
            (299, PermissionDenied),
            (4, Throttled),
            (17, Throttled),
            (32, Throttled),
            (341, Throttled),
            (613, Throttled),
            (80001, Throttled),
            (1, Transient),
            (2, Transient),
            (368, Blocked),
            (100, InvalidRequest),
            (300, InvalidRequest),
            (0, InvalidRequest),
            (-1, InvalidRequest),
        ];
        for (code, class) in cases {
            assert_eq!(classify(code, None), class, "code {code}");
        }
        assert_eq!(classify(80001, Some(2494055)), Throttled);
        assert_eq!(classify(190, Some(463)), Reauth);
    }

    #[test]
    fn is_transient_upgrades_an_unknown_code_but_not_a_reauth() {
        let transient =
            parsed(br#"{"error":{"message":"x","code":100,"is_transient":true,"fbtrace_id":"t"}}"#);
        assert_eq!(transient.class(), ErrorClass::Transient);
        let reauth = parsed(br#"{"error":{"message":"x","code":190,"is_transient":true}}"#);
        assert_eq!(reauth.class(), ErrorClass::Reauth);
    }

    #[test]
    fn retry_and_stop_follow_the_class() {
        assert!(ErrorClass::Throttled.is_retryable() && ErrorClass::Transient.is_retryable());
        assert!(!ErrorClass::InvalidRequest.is_retryable() && !ErrorClass::Reauth.is_retryable());
        assert!(ErrorClass::Reauth.needs_staff() && ErrorClass::PermissionDenied.needs_staff());
        assert!(!ErrorClass::Throttled.needs_staff());
    }

    #[test]
    fn a_code_sent_as_a_string_is_still_read() {
        assert_eq!(parsed(br#"{"error":{"code":"613","error_subcode":"1996"}}"#).subcode, Some(1996));
    }

    #[test]
    fn bodies_that_are_not_envelopes_are_told_apart() {
        assert_eq!(
            parse_graph_error(b"<html>502</html>").err().map(|e| matches!(e, NotAGraphError::Json(_))),
            Some(true)
        );
        assert_eq!(parse_graph_error(br#"{"data":[]}"#), Err(NotAGraphError::NoEnvelope));
        assert_eq!(parse_graph_error(br#"{"error":"x"}"#), Err(NotAGraphError::NoEnvelope));
        assert_eq!(parse_graph_error(br#"{"error":{"message":"x"}}"#), Err(NotAGraphError::NoCode));
        assert_eq!(parse_graph_error(b"\xff"), Err(NotAGraphError::InvalidUtf8));
    }

    #[test]
    fn app_usage_reports_the_highest_percentage() {
        let usage = parse_app_usage(br#"{"call_count":91,"total_cputime":15,"total_time":12}"#);
        assert_eq!(usage, Some(Usage { max_percent: 91.0, regain_after: None }));
    }

    #[test]
    fn business_use_case_usage_reads_every_object_and_the_wait_in_minutes() {
        let header = br#"{"112130216863063":[{"type":"pages","call_count":1,"total_cputime":1,"total_time":1,"estimated_time_to_regain_access":0,"ads_api_access_tier":"development_access"}],"17841400000000000":[{"type":"instagram","call_count":100,"total_cputime":20,"total_time":30,"estimated_time_to_regain_access":7}]}"#;
        assert_eq!(
            parse_business_use_case_usage(header),
            Some(Usage { max_percent: 100.0, regain_after: Some(Duration::from_secs(7 * 60)) })
        );
    }

    #[test]
    fn headers_combine_into_the_most_pessimistic_reading() {
        let headers: [(&str, &[u8]); 4] = [
            ("x-app-usage", br#"{"call_count":40,"total_cputime":15,"total_time":12}"#),
            ("X-Page-Usage", br#"{"call_count":80,"estimated_time_to_regain_access":2}"#),
            (
                "X-Business-Use-Case-Usage",
                br#"{"1":[{"type":"pages","call_count":5,"estimated_time_to_regain_access":1}]}"#,
            ),
            ("content-type", b"application/json"),
        ];
        assert_eq!(
            Usage::from_headers(headers),
            Some(Usage { max_percent: 80.0, regain_after: Some(Duration::from_secs(120)) })
        );
    }

    #[test]
    fn junk_usage_headers_are_ignored_never_an_error() {
        let junk: [&[u8]; 9] = [
            b"",
            b"not json",
            b"\xff\xfe",
            b"[]",
            b"{}",
            br#"{"call_count":-5}"#,
            br#"{"call_count":"lots"}"#,
            br#"{"call_count":1e999}"#,
            br#"{"estimated_time_to_regain_access":1e300}"#,
        ];
        for value in junk {
            assert_eq!(parse_app_usage(value), None, "{:?}", String::from_utf8_lossy(value));
        }
        assert_eq!(parse_business_use_case_usage(br#"{"1":"x","2":[1,null]}"#), None);
        let headers: [(&str, &[u8]); 2] =
            [("X-App-Usage", b"garbage"), ("X-App-Usage", br#"{"call_count":3}"#)];
        assert_eq!(Usage::from_headers(headers).map(|u| u.max_percent), Some(3.0));
        assert_eq!(Usage::from_headers(std::iter::empty()), None);
    }

    #[test]
    fn a_bare_object_in_place_of_the_documented_array_is_tolerated() {
        let header = br#"{"1":{"type":"pages","call_count":12}}"#;
        assert_eq!(parse_business_use_case_usage(header).map(|u| u.max_percent), Some(12.0));
    }
}
