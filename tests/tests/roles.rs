//! The role policy as the server enforces it: every route of the OpenAPI document and the
//! WebSocket's staff subscription, for every role and for anonymous callers, driven from one
//! table, plus per-session assignment of specialists. On SQLite and PostgreSQL.

use curbside_domain::Permission;
use curbside_tests::{ingest, on_both_backends, Backend, Role, TestApp};
use serde_json::{json, Value};
use std::collections::BTreeSet;

/// Every route of the staff API with the permission it needs (`None`: open to anyone). A route
/// in the OpenAPI document that is missing here fails the test: a new route must say who may
/// call it.
const ROUTES: &[(&str, &str, Option<Permission>)] = &[
    ("POST", "/api/login", None),
    ("POST", "/api/logout", Some(Permission::OwnAccount)),
    ("GET", "/api/me", Some(Permission::OwnAccount)),
    ("GET", "/api/sessions", Some(Permission::ViewSessions)),
    ("POST", "/api/sessions", Some(Permission::RunSessions)),
    ("GET", "/api/sessions/{id}", Some(Permission::ViewSessions)),
    ("PATCH", "/api/sessions/{id}", Some(Permission::RunSessions)),
    ("GET", "/api/sessions/{id}/questions", Some(Permission::ViewSessions)),
    ("GET", "/api/sessions/{id}/outbox", Some(Permission::ViewSessions)),
    ("GET", "/api/sessions/{id}/audit", Some(Permission::ReadSessionAudit)),
    ("POST", "/api/sessions/{id}/specialists", Some(Permission::RunSessions)),
    ("DELETE", "/api/sessions/{id}/specialists/{user_id}", Some(Permission::RunSessions)),
    ("PUT", "/api/sessions/{id}/sources/{source_id}/token", Some(Permission::RunSessions)),
    ("POST", "/api/sessions/{id}/sources", Some(Permission::RunSessions)),
    ("GET", "/api/specialists", Some(Permission::ViewSessions)),
    ("GET", "/api/sessions/{id}/report", Some(Permission::RunSessions)),
    ("GET", "/api/sessions/{id}/report/unanswered.csv", Some(Permission::RunSessions)),
    ("POST", "/api/me/password", Some(Permission::OwnAccount)),
    ("GET", "/api/questions/{id}", Some(Permission::ViewSessions)),
    ("POST", "/api/questions/{id}/approve", Some(Permission::Moderate)),
    ("POST", "/api/questions/{id}/reject", Some(Permission::Moderate)),
    ("POST", "/api/questions/{id}/merge", Some(Permission::Moderate)),
    ("POST", "/api/questions/{id}/hide-at-source", Some(Permission::Moderate)),
    ("POST", "/api/questions/{id}/on-air", Some(Permission::PutOnAir)),
    ("POST", "/api/questions/{id}/off-air", Some(Permission::PutOnAir)),
    ("POST", "/api/questions/{id}/answer", Some(Permission::Answer)),
    ("POST", "/api/questions/{id}/correct", Some(Permission::Answer)),
    ("POST", "/api/questions/{id}/undo", Some(Permission::Moderate)),
    ("POST", "/api/questions/{id}/assign", Some(Permission::Moderate)),
    ("POST", "/api/questions/{id}/crisis-reply", Some(Permission::Moderate)),
    ("POST", "/api/questions/{id}/redirect-reply", Some(Permission::Moderate)),
    ("POST", "/api/questions/{id}/outcome", Some(Permission::Moderate)),
    ("GET", "/api/sessions/{id}/follow-ups", Some(Permission::ViewSessions)),
    ("PUT", "/api/sessions/{id}/auto-handling", Some(Permission::RunSessions)),
    ("POST", "/api/sessions/{id}/overlay-key", Some(Permission::RunSessions)),
    ("GET", "/api/sessions/{id}/on-air", Some(Permission::ViewSessions)),
    ("GET", "/api/sessions/{id}/notes", Some(Permission::ViewSessions)),
    ("POST", "/api/sessions/{id}/notes", Some(Permission::Moderate)),
    ("POST", "/api/notes/{id}/read", Some(Permission::PutOnAir)),
    ("GET", "/api/users", Some(Permission::ManageStaff)),
    ("POST", "/api/users", Some(Permission::ManageStaff)),
    ("PATCH", "/api/users/{id}", Some(Permission::ManageStaff)),
    ("GET", "/api/audit", Some(Permission::ReadAudit)),
    ("GET", "/api/audit.csv", Some(Permission::ReadAudit)),
    ("POST", "/api/admin/purge", Some(Permission::GovernData)),
    ("POST", "/api/admin/erase", Some(Permission::GovernData)),
    // Last: it removes the source the routes above name.
    ("DELETE", "/api/sessions/{id}/sources/{source_id}", Some(Permission::RunSessions)),
];

/// A valid body for each route (so an allowed role gets past body parsing).
fn body_for(method: &str, path: &str, qid: i64) -> Option<Value> {
    if method == "GET" {
        return None;
    }
    Some(if path.ends_with("/merge") {
        json!({"into": qid + 1000})
    } else if path.ends_with("/answer") || path.ends_with("/correct") {
        json!({"text": "An answer."})
    } else if path == "/api/sessions" {
        json!({"title": "Role check"})
    } else if path == "/api/users" {
        json!({"email": "x@y.test", "name": "X", "role": "moderator", "password": "long-enough-password"})
    } else if path.ends_with("/notes") {
        json!({"text": "Keep it short"})
    } else if path.ends_with("/specialists") {
        json!({"user_id": 1})
    } else if path.ends_with("/assign") {
        json!({"user_id": null})
    } else if path.ends_with("/sources") {
        json!({"platform": "instagram", "ig_user_id": "1784", "media_id": "1790", "access_token": "IGAA-role-check"})
    } else if path == "/api/me/password" {
        json!({"current_password": "not-the-password", "new_password": "a-new-long-password"})
    } else if path.ends_with("/token") {
        json!({"access_token": "EAAB-new-token"})
    } else if path.starts_with("/api/users/") {
        json!({"role": "moderator"})
    } else if path == "/api/admin/erase" {
        json!({"author_id": "no-such-commenter"})
    } else if path == "/api/login" {
        json!({"email": "nobody@x.test", "password": "not-the-password"})
    } else {
        json!({})
    })
}

fn operations(doc: &Value) -> BTreeSet<(String, String)> {
    let mut out = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().into_iter().flatten() {
        for method in item.as_object().into_iter().flatten().map(|(m, _)| m) {
            if ["get", "post", "put", "patch", "delete"].contains(&method.as_str()) {
                out.insert((method.to_uppercase(), path.clone()));
            }
        }
    }
    out
}

/// A raw request with a body that is not even JSON: a refused role must get 403, not 400.
async fn garbage(app: &TestApp, method: &str, path: &str, token: &str) -> (u16, Value) {
    let resp = app
        .http
        .request(reqwest::Method::from_bytes(method.as_bytes()).expect("method"), app.url(path))
        .bearer_auth(token)
        .header("content-type", "application/json")
        .body("{\"not json")
        .send()
        .await
        .expect("request");
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Value::Null))
}

async fn every_route_and_role_follows_the_policy_table(backend: Backend) {
    let mut app = TestApp::spawn(backend).await;
    let admin = app.admin().await;
    let (_, doc) = app.call("GET", "/api/openapi.json", None, None).await;
    let documented = operations(&doc);
    let tabled: BTreeSet<(String, String)> =
        ROUTES.iter().map(|(m, p, _)| (m.to_string(), p.to_string())).collect();
    assert_eq!(documented, tabled, "the OpenAPI document and the policy table list different routes");

    let mut tokens = vec![(Role::Admin, admin.clone())];
    for role in [Role::Producer, Role::Moderator, Role::Specialist] {
        tokens.push((role, app.staff(role).await));
    }
    let moderator_id =
        app.call("GET", "/api/me", Some(&tokens[2].1), None).await.1["id"].as_i64().expect("id");
    let specialist_id =
        app.call("GET", "/api/me", Some(&tokens[3].1), None).await.1["id"].as_i64().expect("id");
    let s = app.create_session("Roles").await;
    let sid = s["id"].as_i64().expect("session id");
    let source_id = s["sources"][0]["id"].as_i64().expect("source id");
    let (status, body) = app
        .call(
            "POST",
            &format!("/api/sessions/{sid}/specialists"),
            Some(&admin),
            Some(json!({"user_id": specialist_id})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    ingest(&app.store().await, sid, "r", 1).await;
    let qid = app.questions(sid).await[0]["id"].as_i64().expect("question id");

    for &(method, pattern, permission) in ROUTES {
        let id = if pattern.starts_with("/api/questions") {
            qid
        } else if pattern.starts_with("/api/users") {
            moderator_id
        } else {
            sid
        };
        let path = pattern
            .replace("{id}", &id.to_string())
            .replace("{user_id}", &moderator_id.to_string())
            .replace("{source_id}", &source_id.to_string());
        let body = body_for(method, &path, qid);
        let Some(permission) = permission else {
            let (status, _) = app.call(method, &path, None, body).await;
            assert!(status != 403 && status < 500, "anonymous {method} {path}: {status}");
            continue;
        };
        let (status, reply) = app.call(method, &path, None, body.clone()).await;
        assert_eq!(
            (status, reply["error"].clone()),
            (401, json!("unauthenticated")),
            "anonymous {method} {path}"
        );
        let (status, _) = app.call(method, &path, Some("not-a-real-token"), body.clone()).await;
        assert_eq!(status, 401, "bad token {method} {path}");
        for (role, token) in &tokens {
            if path.ends_with("/logout") {
                continue; // would sign the role out for the rest of the table
            }
            if role.may(permission) {
                let (status, reply) = app.call(method, &path, Some(token), body.clone()).await;
                // A 403 that is not about the role (a wrong current password) is allowed.
                let refused = status == 401 || status == 403 && reply["error"] == "forbidden";
                assert!(!refused, "{role} must be allowed {method} {path}: {reply}");
            } else {
                let (status, reply) = garbage(&app, method, &path, token).await;
                assert_eq!(status, 403, "{role} must be refused {method} {path} before its body: {reply}");
                assert_eq!(reply["error"], "forbidden");
            }
        }
    }

    // The WebSocket's staff audience: staff whose role may follow it, never anonymous viewers.
    for (role, token) in tokens.iter().map(|(r, t)| (Some(*r), Some(t.as_str()))).chain([(None, None)]) {
        let mut ws = app.ws(token).await;
        ws.send(json!({"type": "subscribe", "session_id": sid, "audience": "staff"})).await;
        let frame = ws.next_json().await.expect("a reply to subscribe");
        let allowed = role.is_some_and(|r| r.may(Permission::FollowStaffStream));
        if allowed {
            assert_eq!(frame["type"], "subscribed", "{role:?}: {frame}");
        } else {
            assert_eq!((frame["type"].clone(), frame["code"].clone()), (json!("error"), json!("forbidden")));
        }
    }
    app.finish().await;
}

async fn specialists_act_only_in_sessions_they_are_assigned_to(backend: Backend) {
    let mut app = TestApp::spawn(backend).await;
    let admin = app.admin().await;
    let specialist = app.staff(Role::Specialist).await;
    let producer = app.staff(Role::Producer).await;
    let me = app.call("GET", "/api/me", Some(&specialist), None).await.1["id"].clone();
    let mut sessions = Vec::new();
    for (title, specialists) in [("Mine", json!([me])), ("Not mine", json!([]))] {
        let (status, s) = app
            .call(
                "POST",
                "/api/sessions",
                Some(&admin),
                Some(json!({"title": title, "specialists": specialists})),
            )
            .await;
        assert_eq!(status, 201, "{s}");
        let sid = s["id"].as_i64().expect("id");
        ingest(&app.store().await, sid, title, 2).await;
        let qs: Vec<i64> = app.questions(sid).await.iter().filter_map(|q| q["id"].as_i64()).collect();
        for q in &qs {
            let (status, _) =
                app.call("POST", &format!("/api/questions/{q}/approve"), Some(&admin), None).await;
            assert_eq!(status, 200);
        }
        sessions.push(qs);
    }
    let (mine, theirs) = (&sessions[0], &sessions[1]);

    // Not assigned: refused, before the body is read, with a reason.
    let (status, body) =
        app.call("POST", &format!("/api/questions/{}/on-air", theirs[0]), Some(&specialist), None).await;
    assert_eq!(status, 403, "{body}");
    assert!(body["message"].as_str().unwrap_or_default().contains("not assigned"), "{body}");
    let (status, _) =
        garbage(&app, "POST", &format!("/api/questions/{}/answer", theirs[0]), &specialist).await;
    assert_eq!(status, 403);
    // Reading is not limited: a specialist sees every session's queue.
    let (status, _) =
        app.call("GET", &format!("/api/questions/{}", theirs[0]), Some(&specialist), None).await;
    assert_eq!(status, 200);

    // Assigned: on air, answer, correct.
    let q = mine[0];
    for (step, body) in [
        ("on-air", None),
        ("answer", Some(json!({"text": "Yes."}))),
        ("correct", Some(json!({"text": "Yes, usually."}))),
    ] {
        let (status, reply) =
            app.call("POST", &format!("/api/questions/{q}/{step}"), Some(&specialist), body).await;
        assert_eq!(status, 200, "{step}: {reply}");
    }
    // Producers and admins are not limited to sessions.
    let (status, reply) =
        app.call("POST", &format!("/api/questions/{}/on-air", theirs[1]), Some(&producer), None).await;
    assert_eq!(status, 200, "{reply}");
    let (status, reply) = app
        .call(
            "POST",
            &format!("/api/questions/{}/answer", theirs[1]),
            Some(&admin),
            Some(json!({"text": "Ok."})),
        )
        .await;
    assert_eq!(status, 200, "{reply}");
    // An unknown question is a 404, not a 403.
    let (status, _) = app.call("POST", "/api/questions/999999/on-air", Some(&specialist), None).await;
    assert_eq!(status, 404);
    app.finish().await;
}

on_both_backends!(
    every_route_and_role_follows_the_policy_table,
    specialists_act_only_in_sessions_they_are_assigned_to,
);
