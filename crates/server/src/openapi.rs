//! The OpenAPI 3.1 description of the staff API, generated from the handlers' annotations and
//! then completed by rules that hold for every operation, so that a new route gets them too:
//!
//! - every operation documents every error status the API can answer ([`ERROR_STATUSES`]) with
//!   the error body, and is signed-in only unless listed in [`PUBLIC_OPERATIONS`];
//! - `operationId`s are `{tag}_{handler}`, unique across the document;
//! - request fields carry the rules the server checks ([`FIELD_RULES`], from the same
//!   constants the handlers use), so a request the schema allows is one the server accepts.
//!
//! `tests/tests/openapi.rs` checks these invariants on the served document, and the schema
//! fuzzer (`scripts/fuzz-api.sh`, run by `.ci/run`) checks them against the server.

use crate::api::{audit, notes, questions, report, retention, safety, sessions, users};
use crate::auth;
use axum::response::IntoResponse;
use curbside_domain::TextLimit;
use serde_json::{json, Map, Value};
use std::sync::LazyLock;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

#[derive(OpenApi)]
#[openapi(
    info(title = "Curbside staff API", description = "Live patient Q&A: sessions, the question queue, answers."),
    paths(
        auth::login, auth::logout, auth::me,
        sessions::create, sessions::list, sessions::get, sessions::patch, sessions::outbox, sessions::audit,
        sessions::assign_specialist, sessions::unassign_specialist, sessions::set_source_token,
        sessions::add_source, sessions::remove_source, sessions::specialists,
        report::report, report::unanswered_csv,
        questions::list, questions::get, questions::approve, questions::reject, questions::merge,
        questions::on_air, questions::off_air, questions::answer, questions::correct, questions::hide_at_source, questions::undo, questions::assign,
        users::create, users::list, users::update, users::change_own_password,
        audit::list, audit::export_csv, retention::purge, retention::erase,
        crate::web::overlay::rotate_key, crate::web::overlay::on_air_now,
        notes::list, notes::send, notes::read,
        safety::crisis_reply, safety::redirect_reply, safety::outcome, safety::follow_ups,
        safety::set_auto_handling,
    ),
    modifiers(&Security),
    security(("bearer" = []), ("cookie" = [])),
)]
pub struct ApiDoc;

struct Security;

impl Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
        components.add_security_scheme(
            "cookie",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
                auth::SESSION_COOKIE,
                "Set by /api/login. Writes also need the X-CSRF-Token header.",
            ))),
        );
    }
}

/// Every error status an `/api` operation can answer, each with the JSON error body
/// (`ErrorBody`): what the shared extractors, limits and the store produce, whatever the route.
pub const ERROR_STATUSES: [(u16, &str); 9] = [
    (400, "Malformed request: JSON syntax or query string (the message says which)."),
    (401, "Not signed in or the sign-in expired; on /api/login, a wrong email or password."),
    (403, "The role may not do this (the message names the roles that may), or a cookie-authenticated write lacks X-CSRF-Token."),
    (404, "No such resource (also a path id that is not a number)."),
    (409, "Refused by the current state: a stale `version`, a decision already made, a duplicate."),
    (413, "The body is larger than the API accepts (64 KiB)."),
    (422, "Well-formed JSON that breaks a rule; the message names the field and the rule."),
    (429, "Too many sign-in attempts, or every place for this kind of work is taken; see Retry-After."),
    (503, "The database is unavailable or overloaded; see Retry-After."),
];

/// Operations that need no sign-in (method, path).
pub const PUBLIC_OPERATIONS: &[(&str, &str)] = &[("post", "/api/login")];

/// What the server checks in a request field, written into its schema.
#[derive(Clone, Copy)]
enum Rule {
    /// Staff-written text: [`TextLimit::required`].
    Text(TextLimit),
    /// Text where a blank value means "absent": [`TextLimit::optional`].
    OptionalText(TextLimit),
    /// A string: `pattern` must be found in it, `refused` must not (JSON Schema `not`), and its
    /// length in characters is within `min..=max` (`usize::MAX`: unbounded).
    String { pattern: Option<&'static str>, refused: Option<&'static str>, min: usize, max: usize },
    /// A whole number within bounds.
    Range { min: i64, max: i64 },
}

/// Graph API ids: digits, optionally joined by `_`, not starting with `_` (`SourceSpec::validate`).
/// Written as a positive pattern, so a generator can produce such ids directly; the `not` only
/// refuses the final line break Python's `$` lets through.
const GRAPH_ID: Rule = Rule::String { pattern: Some("^[0-9][0-9_]*$"), refused: Some("\n"), min: 1, max: 64 };
/// Something other than white space (platform tokens and ids, which are checked no further).
const NOT_BLANK: Rule =
    Rule::String { pattern: Some(curbside_domain::NON_SPACE), refused: None, min: 1, max: usize::MAX };

/// The request fields the server checks beyond their JSON type: (schema, property, rule).
const FIELD_RULES: &[(&str, &str, Rule)] = &[
    ("CreateSession", "title", Rule::Text(TextLimit::TITLE)),
    ("CreateSession", "disclaimer", Rule::OptionalText(TextLimit::DISCLAIMER)),
    // Empty means "derive one from the title".
    (
        "CreateSession",
        "slug",
        Rule::String { pattern: None, refused: SLUG_REFUSED, min: 0, max: curbside_domain::Slug::MAX_LEN },
    ),
    ("SourceInput", "access_token", NOT_BLANK),
    ("SourceToken", "access_token", NOT_BLANK),
    ("SourceSpec", "page_id", GRAPH_ID),
    ("SourceSpec", "live_video_id", GRAPH_ID),
    ("SourceSpec", "video_id", GRAPH_ID),
    ("SourceSpec", "ig_user_id", GRAPH_ID),
    ("SourceSpec", "media_id", GRAPH_ID),
    ("PatchSession", "starts_at", Rule::Range { min: 0, max: i64::MAX }),
    (
        "PatchSession",
        "recording_url",
        Rule::String {
            pattern: Some(sessions::RECORDING_URL_PATTERN),
            // Python's `$` also matches before a final line break.
            refused: Some("\n"),
            min: 0,
            max: sessions::RECORDING_URL_MAX,
        },
    ),
    ("ApproveBody", "public_text", Rule::OptionalText(TextLimit::PUBLIC_TEXT)),
    ("OverrideBody", "reason", Rule::Text(TextLimit::REASON)),
    ("RejectBody", "reason", Rule::OptionalText(TextLimit::REASON)),
    ("AnswerBody", "text", Rule::Text(TextLimit::ANSWER)),
    ("NewNote", "text", Rule::Text(TextLimit::NOTE)),
    ("CrisisReplyBody", "text", Rule::OptionalText(TextLimit::ANSWER)),
    ("OutcomeBody", "outcome", Rule::Text(TextLimit::REASON)),
    (
        "EraseBody",
        "author_id",
        Rule::String {
            pattern: Some(curbside_domain::NON_SPACE),
            refused: None,
            min: 1,
            max: retention::AUTHOR_ID_MAX,
        },
    ),
    ("PurgeBody", "older_than_days", Rule::Range { min: 1, max: 3650 }),
    (
        "CreateUser",
        "email",
        Rule::String {
            pattern: Some("@"),
            // White space and control characters (`char::is_whitespace`, `char::is_control`).
            refused: Some(r"[\u0000-\u0020\u007f-\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]"),
            min: 1,
            max: users::EMAIL_MAX,
        },
    ),
    ("CreateUser", "name", Rule::Text(TextLimit::NAME)),
    ("CreateUser", "credentials", Rule::OptionalText(TextLimit::NAME)),
    ("CreateUser", "password", PASSWORD),
    ("UpdateUser", "password", PASSWORD),
    ("ChangePassword", "new_password", PASSWORD),
    ("PatchSession", "title", Rule::Text(TextLimit::TITLE)),
    ("PatchSession", "disclaimer", Rule::Text(TextLimit::DISCLAIMER)),
    ("PatchSession", "slug", SLUG),
];

/// A new password: [`users::PASSWORD_MIN`] to [`users::PASSWORD_MAX`] characters.
const PASSWORD: Rule =
    Rule::String { pattern: None, refused: None, min: users::PASSWORD_MIN, max: users::PASSWORD_MAX };
/// A session slug as sent ([`curbside_domain::Slug::parse`]); empty only where noted.
const SLUG: Rule =
    Rule::String { pattern: None, refused: SLUG_REFUSED, min: 1, max: curbside_domain::Slug::MAX_LEN };
/// What a slug may not contain: anything but `a-z`, `0-9` and single inner hyphens.
const SLUG_REFUSED: Option<&str> = Some("[^a-z0-9-]|^-|-$|--");

/// The document as served: built once.
static DOCUMENT: LazyLock<Value> = LazyLock::new(document);

/// The completed OpenAPI document (see the module comment).
pub fn document() -> Value {
    let mut doc = serde_json::to_value(ApiDoc::openapi()).unwrap_or_else(|_| json!({}));
    if let Some(schemas) = doc.pointer_mut("/components/schemas").and_then(Value::as_object_mut) {
        for (schema, property, rule) in FIELD_RULES {
            if let Some(s) = schemas.get_mut(*schema) {
                for_property(s, property, &mut |p| apply(p, *rule));
            }
        }
    }
    let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) else { return doc };
    for (path, item) in paths.iter_mut() {
        let Some(item) = item.as_object_mut() else { continue };
        for (method, op) in item.iter_mut() {
            let Some(op) = op.as_object_mut() else { continue };
            complete_operation(method, path, op);
        }
    }
    doc
}

fn complete_operation(method: &str, path: &str, op: &mut Map<String, Value>) {
    let tag = op.get("tags").and_then(|t| t.get(0)).and_then(Value::as_str).unwrap_or("api").to_owned();
    if let Some(Value::String(id)) = op.get_mut("operationId") {
        if !id.starts_with(&format!("{tag}_")) {
            *id = format!("{tag}_{id}");
        }
    }
    if PUBLIC_OPERATIONS.contains(&(method, path)) {
        op.insert("security".into(), json!([]));
    }
    // Bodies documented as "optional" (read with `api::optional_json`) may be left out.
    if let Some(body) = op.get_mut("requestBody").and_then(Value::as_object_mut) {
        let optional = body.get("description").and_then(Value::as_str) == Some("optional");
        body.insert("required".into(), json!(!optional));
    }
    let responses = op.entry("responses").or_insert_with(|| json!({}));
    let Some(responses) = responses.as_object_mut() else { return };
    for (status, description) in ERROR_STATUSES {
        let entry = responses.entry(status.to_string()).or_insert_with(|| json!({}));
        entry["description"] = json!(description);
        entry["content"] =
            json!({"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}});
    }
}

/// Calls `f` on every definition of `name` in an object schema, also inside `allOf`, `oneOf`
/// and `anyOf` (flattened and tagged types).
fn for_property(schema: &mut Value, name: &str, f: &mut dyn FnMut(&mut Value)) {
    if let Some(p) = schema.get_mut("properties").and_then(|p| p.get_mut(name)) {
        f(p);
    }
    for key in ["allOf", "oneOf", "anyOf"] {
        if let Some(parts) = schema.get_mut(key).and_then(Value::as_array_mut) {
            for part in parts {
                for_property(part, name, f);
            }
        }
    }
}

/// Writes `rule` into a property's schema. A nullable property (`type: [T, "null"]`) keeps
/// accepting `null`: the keywords apply to strings and numbers only.
fn apply(property: &mut Value, rule: Rule) {
    let Some(p) = property.as_object_mut() else { return };
    let (pattern, refused, min, max) = match rule {
        Rule::Text(limit) => {
            (Some(curbside_domain::NON_SPACE), Some(limit.refused_pattern()), 1, limit.max_chars)
        }
        Rule::OptionalText(limit) => (None, Some(limit.refused_pattern()), 0, limit.max_chars),
        Rule::String { pattern, refused, min, max } => (pattern, refused, min, max),
        Rule::Range { min, max } => {
            p.insert("minimum".into(), json!(min));
            if max < i64::MAX {
                p.insert("maximum".into(), json!(max));
            }
            return;
        }
    };
    if let Some(pattern) = pattern {
        p.insert("pattern".into(), json!(pattern));
    }
    if let Some(refused) = refused {
        p.insert("not".into(), json!({"type": "string", "pattern": refused}));
    }
    if min > 0 {
        p.insert("minLength".into(), json!(min));
    }
    if max < usize::MAX {
        p.insert("maxLength".into(), json!(max));
    }
}

pub async fn serve() -> impl IntoResponse {
    axum::Json(DOCUMENT.clone())
}
