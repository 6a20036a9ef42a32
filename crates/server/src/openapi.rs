//! The OpenAPI 3.1 description of the staff API, generated from the handlers' annotations.

use crate::api::{audit, notes, questions, retention, safety, sessions, users};
use crate::auth;
use axum::response::IntoResponse;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

#[derive(OpenApi)]
#[openapi(
    info(title = "Curbside staff API", description = "Live patient Q&A: sessions, the question queue, answers."),
    paths(
        auth::login, auth::logout, auth::me,
        sessions::create, sessions::list, sessions::get, sessions::patch, sessions::outbox, sessions::audit,
        sessions::assign_specialist, sessions::unassign_specialist, sessions::set_source_token,
        questions::list, questions::get, questions::approve, questions::reject, questions::merge,
        questions::on_air, questions::off_air, questions::answer, questions::correct, questions::hide_at_source, questions::undo,
        users::create, users::list, users::update,
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

pub async fn serve() -> impl IntoResponse {
    axum::Json(ApiDoc::openapi())
}
