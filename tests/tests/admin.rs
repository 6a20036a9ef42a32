//! What the producer and admin set-up page (`/admin`) relies on, through the staff API: full
//! session edits with per-field errors and no partial writes, sources added (token sealed),
//! re-authorised and removed, staff accounts disabled and passwords reset or changed, and the
//! after-session report with its CSV. On SQLite and PostgreSQL.

use curbside_domain::SourceId;
use curbside_tests::{ingest, on_both_backends, Backend, Role, TestApp, STAFF_PASSWORD};
use serde_json::{json, Value};

async fn user(app: &mut TestApp, role: Role, email: &str) -> i64 {
    let admin = app.admin().await;
    let (s, u) = app
        .call("POST", "/api/users", Some(&admin), Some(json!({
            "email": email, "name": "Dr Ana Ruiz", "role": role.as_str(), "credentials": "MD", "password": STAFF_PASSWORD
        })))
        .await;
    assert_eq!(s, 201, "{u}");
    u["id"].as_i64().expect("user id")
}

async fn change_own_password(app: &TestApp, token: &str, current: &str, new: &str) -> (u16, Value) {
    let body = json!({"current_password": current, "new_password": new});
    app.call("POST", "/api/me/password", Some(token), Some(body)).await
}

async fn a_session_is_edited_in_full_and_a_bad_field_is_named_and_changes_nothing(backend: Backend) {
    let mut app = TestApp::spawn(backend).await;
    let admin = app.admin().await;
    let producer = app.staff(Role::Producer).await;
    let specialist = user(&mut app, Role::Specialist, "ana@hospital.test").await;
    let first = app.create_session("Heart health").await;
    let second = app.create_session("Diabetes").await;
    let id = second["id"].as_i64().expect("id");
    let path = format!("/api/sessions/{id}");

    // The producer's specialist list carries names, not emails.
    let (s, list) = app.call("GET", "/api/specialists", Some(&producer), None).await;
    assert_eq!(s, 200, "{list}");
    assert_eq!(list["specialists"], json!([{"id": specialist, "name": "Dr Ana Ruiz", "credentials": "MD"}]));

    let (s, e) = app
        .call("PATCH", &path, Some(&producer), Some(json!({"title": "Renamed", "slug": first["slug"]})))
        .await;
    assert_eq!((s, e["field"].clone()), (409, json!("slug")), "{e}");
    assert_eq!(
        e["message"],
        json!(format!("the slug \"{}\" is already in use", first["slug"].as_str().unwrap_or("")))
    );
    let (s, e) = app.call("PATCH", &path, Some(&producer), Some(json!({"slug": "Not A Slug"}))).await;
    assert_eq!((s, e["field"].clone()), (422, json!("slug")), "{e}");
    let (s, e) = app
        .call(
            "PATCH",
            &path,
            Some(&producer),
            Some(json!({"title": "Renamed", "recording_url": "javascript:alert(1)"})),
        )
        .await;
    assert_eq!((s, e["field"].clone()), (422, json!("recording_url")), "{e}");
    let (s, e) = app.call("PATCH", &path, Some(&producer), Some(json!({"title": "  "}))).await;
    assert_eq!((s, e["field"].clone()), (422, json!("title")), "{e}");
    let (s, e) = app
        .call("PATCH", &path, Some(&producer), Some(json!({"title": "Renamed", "specialists": [999_999]})))
        .await;
    assert_eq!((s, e["field"].clone()), (409, json!("specialists")), "{e}");
    let (_, unchanged) = app.call("GET", &path, Some(&producer), None).await;
    assert_eq!(unchanged["title"], "Diabetes", "a refused edit writes nothing");

    let (s, e) = app
        .call(
            "POST",
            "/api/sessions",
            Some(&producer),
            Some(json!({"title": "Clash", "slug": first["slug"]})),
        )
        .await;
    assert_eq!((s, e["field"].clone()), (409, json!("slug")), "creating with a taken slug: {e}");

    let (s, edited) = app
        .call("PATCH", &path, Some(&producer), Some(json!({
            "title": "Diabetes: your questions", "slug": "diabetes-q-and-a", "disclaimer": "General information only.",
            "starts_at": 1_800_000_000_000_i64, "recording_url": "https://video.example/rec", "specialists": [specialist]
        })))
        .await;
    assert_eq!(s, 200, "{edited}");
    assert_eq!(edited["title"], "Diabetes: your questions");
    assert_eq!(edited["slug"], "diabetes-q-and-a");
    assert_eq!(edited["disclaimer"], "General information only.");
    assert_eq!(edited["starts_at"], 1_800_000_000_000_i64);
    assert_eq!(edited["specialists"], json!([specialist]));
    assert!(
        edited["overlay_url"].as_str().unwrap_or("").contains("/overlay/diabetes-q-and-a?key="),
        "{edited}"
    );
    let (s, _) = app.call("GET", "/s/diabetes-q-and-a", None, None).await;
    assert_eq!(s, 200, "the public page answers at the new slug");

    let (s, edited) = app.call("PATCH", &path, Some(&producer), Some(json!({"specialists": []}))).await;
    assert_eq!((s, edited["specialists"].clone()), (200, json!([])));
    let (_, audit) = app.call("GET", &format!("{path}/audit"), Some(&admin), None).await;
    let actions: Vec<&str> =
        audit["entries"].as_array().into_iter().flatten().filter_map(|e| e["action"].as_str()).collect();
    assert!(actions.contains(&"session.details") && actions.contains(&"session.specialists"), "{actions:?}");
    let details =
        audit["entries"].as_array().into_iter().flatten().find(|e| e["action"] == "session.details");
    let details = details.expect("a details entry");
    assert_eq!(
        (details["before"]["title"].clone(), details["after"]["slug"].clone()),
        (json!("Diabetes"), json!("diabetes-q-and-a"))
    );
    app.finish().await;
}

async fn sources_are_added_sealed_reauthorised_and_removed(backend: Backend) {
    let mut app = TestApp::spawn(backend).await;
    let producer = app.staff(Role::Producer).await;
    let session = app.create_session("Sources").await;
    let id = session["id"].as_i64().expect("id");
    let path = format!("/api/sessions/{id}/sources");

    let (s, e) = app
        .call("POST", &path, Some(&producer), Some(json!({"platform": "instagram", "ig_user_id": "17841", "media_id": "x y", "access_token": "IGAA-new"})))
        .await;
    assert_eq!((s, e["field"].clone()), (422, json!("media_id")), "{e}");
    let (s, e) = app
        .call("POST", &path, Some(&producer), Some(json!({"platform": "instagram", "ig_user_id": "17841", "media_id": "1790", "access_token": " "})))
        .await;
    assert_eq!((s, e["field"].clone()), (422, json!("access_token")), "{e}");

    let (s, added) = app
        .call("POST", &path, Some(&producer), Some(json!({"platform": "instagram", "ig_user_id": "17841", "media_id": "1790", "access_token": "IGAA-added-token"})))
        .await;
    assert_eq!(s, 201, "{added}");
    assert!(!added.to_string().contains("IGAA-added-token"), "the token is never returned: {added}");
    let source = added["source_id"].as_i64().expect("source id");
    assert_eq!(added["session"]["sources"].as_array().map(Vec::len), Some(3));
    let stored = app.db.rows(&format!("SELECT id, access_token FROM sources WHERE id = {source}")).await;
    let sealed = stored[0].1.clone().unwrap_or_default();
    assert!(sealed.starts_with("v1:") && !sealed.contains("IGAA"), "sealed like every token: {sealed}");
    let store = app.store().await;
    assert_eq!(store.source(SourceId(source)).await.expect("source").access_token, "IGAA-added-token");

    let (s, e) = app
        .call("POST", &path, Some(&producer), Some(json!({"platform": "instagram", "ig_user_id": "17841", "media_id": "1790", "access_token": "IGAA-again"})))
        .await;
    assert_eq!((s, e["field"].clone()), (409, json!("media_id")), "the same object twice: {e}");

    // An expired token: the source says so, and a new token brings it back.
    app.db
        .execute(&format!(
            "UPDATE sources SET state = 'needs_reauth', last_error = 'expired' WHERE id = {source}"
        ))
        .await
        .expect("update");
    let (s, fixed) = app
        .call(
            "PUT",
            &format!("{path}/{source}/token"),
            Some(&producer),
            Some(json!({"access_token": "IGAA-renewed"})),
        )
        .await;
    assert_eq!(s, 200, "{fixed}");
    let health = fixed["sources"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|s| s["id"] == source)
        .map(|s| s["health"]["state"].clone());
    assert_eq!(health, Some(json!("idle")));

    ingest(&store, id, "src", 1).await;
    let (s, after) = app.call("DELETE", &format!("{path}/{source}"), Some(&producer), None).await;
    assert_eq!((s, after["sources"].as_array().map(Vec::len)), (200, Some(2)), "{after}");
    let (s, _) = app.call("DELETE", &format!("{path}/{source}"), Some(&producer), None).await;
    assert_eq!(s, 404, "removing twice");
    assert_eq!(app.questions(id).await.len(), 1, "questions stay when their source goes");
    app.finish().await;
}

async fn accounts_are_disabled_reset_and_change_their_own_password(backend: Backend) {
    let mut app = TestApp::spawn(backend).await;
    let admin = app.admin().await;
    let id = user(&mut app, Role::Moderator, "mo@hospital.test").await;
    let token = app.login("mo@hospital.test", STAFF_PASSWORD).await;

    let (s, _) =
        app.call("PATCH", &format!("/api/users/{id}"), Some(&admin), Some(json!({"disabled": true}))).await;
    assert_eq!(s, 200);
    let (s, _) = app.call("GET", "/api/me", Some(&token), None).await;
    assert_eq!(s, 401, "a disabled account's sign-ins stop working");
    let (s, _) = app
        .call(
            "POST",
            "/api/login",
            None,
            Some(json!({"email": "mo@hospital.test", "password": STAFF_PASSWORD})),
        )
        .await;
    assert_eq!(s, 401, "a disabled account cannot sign in");
    let (_, list) = app.call("GET", "/api/users", Some(&admin), None).await;
    assert!(list["users"].as_array().into_iter().flatten().all(|u| u["id"] != id));
    let disabled = list["disabled"].as_array().cloned().unwrap_or_default();
    assert_eq!((disabled.len(), disabled[0]["id"].clone()), (1, json!(id)), "{list}");
    assert!(disabled[0]["disabled_at"].as_i64().is_some());

    let (s, _) =
        app.call("PATCH", &format!("/api/users/{id}"), Some(&admin), Some(json!({"disabled": false}))).await;
    assert_eq!(s, 200);
    let (s, e) = app
        .call("PATCH", &format!("/api/users/{id}"), Some(&admin), Some(json!({"password": "short"})))
        .await;
    assert_eq!((s, e["field"].clone()), (422, json!("password")), "{e}");
    // An admin's own password is changed with the current one, never reset (which would sign
    // this browser out too).
    let (_, me) = app.call("GET", "/api/me", Some(&admin), None).await;
    let (s, e) = app
        .call(
            "PATCH",
            &format!("/api/users/{}", me["id"]),
            Some(&admin),
            Some(json!({"password": "a-long-new-password"})),
        )
        .await;
    assert_eq!((s, e["field"].clone()), (409, json!("password")), "{e}");
    assert_eq!(app.call("GET", "/api/me", Some(&admin), None).await.0, 200, "still signed in");
    let old = app.login("mo@hospital.test", STAFF_PASSWORD).await;
    let (s, _) = app
        .call(
            "PATCH",
            &format!("/api/users/{id}"),
            Some(&admin),
            Some(json!({"password": "reset-by-the-admin"})),
        )
        .await;
    assert_eq!(s, 200);
    let (s, _) = app.call("GET", "/api/me", Some(&old), None).await;
    assert_eq!(s, 401, "a reset signs the account out everywhere");
    let (s, _) = app
        .call(
            "POST",
            "/api/login",
            None,
            Some(json!({"email": "mo@hospital.test", "password": STAFF_PASSWORD})),
        )
        .await;
    assert_eq!(s, 401, "the old password no longer works");

    let here = app.login("mo@hospital.test", "reset-by-the-admin").await;
    let elsewhere = app.login("mo@hospital.test", "reset-by-the-admin").await;
    let (s, e) = change_own_password(&app, &here, "wrong-wrong-wrong", "my-own-new-password").await;
    assert_eq!((s, e["field"].clone()), (403, json!("current_password")), "{e}");
    let (s, e) = change_own_password(&app, &here, "reset-by-the-admin", "short").await;
    assert_eq!((s, e["field"].clone()), (422, json!("new_password")), "{e}");
    let (s, _) = change_own_password(&app, &here, "reset-by-the-admin", "my-own-new-password").await;
    assert_eq!(s, 204);
    assert_eq!(app.call("GET", "/api/me", Some(&here), None).await.0, 200, "this sign-in stays");
    assert_eq!(app.call("GET", "/api/me", Some(&elsewhere), None).await.0, 401, "other sign-ins end");
    app.login("mo@hospital.test", "my-own-new-password").await;

    let (_, audit) = app.call("GET", "/api/audit", Some(&admin), None).await;
    let text = audit.to_string();
    for action in ["user.disable", "user.enable", "user.password_reset", "user.password_change"] {
        assert!(text.contains(action), "{action} is audited");
    }
    assert!(
        !text.contains("reset-by-the-admin") && !text.contains("my-own-new-password"),
        "no password in the audit"
    );
    app.finish().await;
}

async fn the_report_counts_the_session_and_lists_unanswered_questions_as_safe_csv(backend: Backend) {
    let mut app = TestApp::spawn(backend).await;
    let admin = app.admin().await;
    let session = app.create_session("Report").await;
    let id = session["id"].as_i64().expect("id");
    let specialist = app.assigned_specialist(id).await;
    ingest(&app.store().await, id, "rep", 4).await;
    let qs: Vec<i64> = app.questions(id).await.iter().filter_map(|q| q["id"].as_i64()).collect();
    let approve = |text: &str| json!({"public_text": text});
    for (q, text) in
        qs.iter().zip(["Is cholesterol genetic?", "=cmd|' /C calc'!A0 cholesterol", "Do statins hurt?"])
    {
        let (s, b) =
            app.call("POST", &format!("/api/questions/{q}/approve"), Some(&admin), Some(approve(text))).await;
        assert_eq!(s, 200, "{b}");
    }
    let (s, b) =
        app.call("POST", &format!("/api/questions/{}/reject", qs[3]), Some(&admin), Some(json!({}))).await;
    assert_eq!(s, 200, "{b}");
    let (s, b) = app
        .call(
            "POST",
            &format!("/api/questions/{}/answer", qs[0]),
            Some(&specialist),
            Some(json!({"text": "Partly."})),
        )
        .await;
    assert_eq!(s, 200, "{b}");

    let (s, r) = app.call("GET", &format!("/api/sessions/{id}/report"), Some(&admin), None).await;
    assert_eq!(s, 200, "{r}");
    assert_eq!(r["comments"], 4);
    let per_minute: i64 = r["comments_per_minute"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|m| m["facebook"].as_i64().unwrap_or(0))
        .sum();
    assert_eq!(per_minute, 4);
    let by_state: Vec<(String, i64)> = r["questions_by_state"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|c| (c["name"].as_str().unwrap_or("").to_owned(), c["count"].as_i64().unwrap_or(0)))
        .collect();
    assert_eq!(by_state, vec![("answered".into(), 1), ("approved".into(), 2), ("rejected".into(), 1)]);
    assert_eq!(r["answer_times"]["answered"], 1);
    assert!(r["answer_times"]["median_ms"].as_i64().is_some_and(|m| m >= 0), "{r}");
    assert_eq!(r["topics"][0], json!({"name": "cholesterol", "count": 2}), "{r}");
    let unanswered: Vec<i64> =
        r["unanswered"].as_array().into_iter().flatten().filter_map(|q| q["id"].as_i64()).collect();
    assert_eq!(unanswered, vec![qs[1], qs[2]]);
    assert_eq!(r["unanswered"][0]["platforms"], json!(["facebook"]));

    let resp = app
        .http
        .get(app.url(&format!("/api/sessions/{id}/report/unanswered.csv")))
        .bearer_auth(&admin)
        .send()
        .await
        .expect("csv");
    assert_eq!(resp.status(), 200);
    assert!(resp.headers()["content-type"].to_str().unwrap_or("").starts_with("text/csv"));
    let csv = resp.text().await.expect("body");
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines[0], "question_id,asked_at,asked_by,platforms,question");
    assert_eq!(lines.len(), 3, "{csv}");
    assert!(lines[1].ends_with("\"'=cmd|' /C calc'!A0 cholesterol\""), "a formula is defused: {csv}");
    let moderator = app.staff(Role::Moderator).await;
    let (s, e): (u16, Value) =
        app.call("GET", &format!("/api/sessions/{id}/report"), Some(&moderator), None).await;
    assert_eq!(s, 403, "{e}");
    app.finish().await;
}

async fn a_moderator_assigns_a_question_to_one_of_the_sessions_specialists(backend: Backend) {
    let mut app = TestApp::spawn(backend).await;
    let admin = app.admin().await;
    let moderator = app.staff(Role::Moderator).await;
    let session = app.create_session("Assign").await;
    let id = session["id"].as_i64().expect("id");
    let specialist = app.assigned_specialist(id).await;
    let (_, me) = app.call("GET", "/api/me", Some(&specialist), None).await;
    let outsider = user(&mut app, Role::Specialist, "not-here@hospital.test").await;
    ingest(&app.store().await, id, "as", 1).await;
    let q = app.questions(id).await[0]["id"].as_i64().expect("question");
    let path = format!("/api/questions/{q}/assign");

    let (s, listed) = app.call("GET", "/api/specialists", Some(&moderator), None).await;
    assert_eq!(s, 200, "the console names the specialists: {listed}");
    let (s, e) = app.call("POST", &path, Some(&moderator), Some(json!({"user_id": outsider}))).await;
    assert_eq!((s, e["field"].clone()), (409, json!("user_id")), "only the session's specialists: {e}");
    let mut ws = app.ws(Some(&specialist)).await;
    ws.send(json!({"type": "subscribe", "session_id": id, "audience": "staff"})).await;
    ws.expect("subscribed").await;
    let (s, assigned) = app.call("POST", &path, Some(&moderator), Some(json!({"user_id": me["id"]}))).await;
    assert_eq!((s, assigned["assigned_to"].clone()), (200, me["id"].clone()), "{assigned}");
    let events = ws.events(1).await;
    let event = &events[0].1;
    assert_eq!(
        (event["change"].clone(), event["question"]["assigned_to"].clone()),
        (json!("assign"), me["id"].clone()),
        "{event}"
    );
    let (s, q_now) = app.call("GET", &format!("/api/questions/{q}"), Some(&specialist), None).await;
    assert_eq!((s, q_now["assigned_to"].clone()), (200, me["id"].clone()));
    let (s, cleared) = app.call("POST", &path, Some(&moderator), Some(json!({"user_id": null}))).await;
    assert_eq!((s, cleared["assigned_to"].clone()), (200, Value::Null));
    let (s, _) = app.call("POST", &path, Some(&specialist), Some(json!({"user_id": null}))).await;
    assert_eq!(s, 403, "specialists do not assign");
    let (_, audit) = app.call("GET", &format!("/api/sessions/{id}/audit"), Some(&admin), None).await;
    let assigns = audit["entries"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|e| e["action"] == "question.assign")
        .count();
    assert_eq!(assigns, 2);
    app.finish().await;
}

on_both_backends!(
    a_moderator_assigns_a_question_to_one_of_the_sessions_specialists,
    a_session_is_edited_in_full_and_a_bad_field_is_named_and_changes_nothing,
    sources_are_added_sealed_reauthorised_and_removed,
    accounts_are_disabled_reset_and_change_their_own_password,
    the_report_counts_the_session_and_lists_unanswered_questions_as_safe_csv,
);
