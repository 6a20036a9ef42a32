//! The staff API over real HTTP: the lifecycle, refusals with reasons, bad input, probes and
//! headers, sign-in rules (the role table is in `roles.rs`). Each test on SQLite and PostgreSQL.

use curbside_tests::{ingest, on_both_backends, Backend, Role, TestApp, ADMIN_EMAIL};
use serde_json::{json, Value};

fn id(v: &Value) -> i64 {
    v["id"].as_i64().unwrap_or_else(|| panic!("no id in {v}"))
}

async fn questions(app: &TestApp, token: &str, session: i64) -> Vec<Value> {
    let (status, body) =
        app.call("GET", &format!("/api/sessions/{session}/questions"), Some(token), None).await;
    assert_eq!(status, 200, "{body}");
    body["questions"].as_array().cloned().unwrap_or_default()
}

async fn question_moves_from_new_to_answered_and_refuses_illegal_steps(backend: Backend) {
    let mut app = TestApp::spawn(backend).await;
    let s = app.create_session("Heart health Q&A").await;
    let sid = id(&s);
    assert!(s["overlay_url"].as_str().unwrap_or_default().contains("/overlay/heart-health-q-a?key="), "{s}");
    assert!(s["sources"][0].get("access_token").is_none(), "tokens are write-only: {s}");
    let store = app.store().await;
    ingest(&store, sid, "lc", 3).await;
    let moderator = app.staff(Role::Moderator).await;
    let specialist = app.assigned_specialist(sid).await;
    let qs = questions(&app, &moderator, sid).await;
    assert_eq!(qs.len(), 3);
    assert!(qs.iter().all(|q| q["state"] == "new" && q["asked_by_count"] == 1));
    let (q1, q2, q3) = (id(&qs[0]), id(&qs[1]), id(&qs[2]));

    // Illegal before approval.
    let (status, body) =
        app.call("POST", &format!("/api/questions/{q1}/on-air"), Some(&specialist), None).await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(
        body["message"],
        "cannot put on air a question that is new: a moderator must approve it first"
    );

    let (status, body) = app
        .call(
            "POST",
            &format!("/api/questions/{q1}/approve"),
            Some(&moderator),
            Some(json!({"public_text": "What lowers LDL?"})),
        )
        .await;
    assert_eq!(
        (status, body["state"].clone(), body["public_text"].clone()),
        (200, json!("approved"), json!("What lowers LDL?"))
    );
    let (status, body) =
        app.call("POST", &format!("/api/questions/{q1}/approve"), Some(&moderator), Some(json!({}))).await;
    assert_eq!(status, 409);
    assert!(
        body["message"]
            .as_str()
            .unwrap_or_default()
            .starts_with("cannot approve a question that is approved"),
        "{body}"
    );

    let (status, _) = app
        .call("POST", &format!("/api/questions/{q2}/merge"), Some(&moderator), Some(json!({"into": q1})))
        .await;
    assert_eq!(status, 200);
    let (status, body) = app
        .call(
            "POST",
            &format!("/api/questions/{q3}/reject"),
            Some(&moderator),
            Some(json!({"reason": "off topic"})),
        )
        .await;
    assert_eq!((status, body["state"].clone()), (200, json!("rejected")));
    let (status, _) = app.call("POST", &format!("/api/questions/{q3}/approve"), Some(&moderator), None).await;
    assert_eq!(status, 409);

    for step in ["on-air", "off-air", "on-air"] {
        let (status, body) =
            app.call("POST", &format!("/api/questions/{q1}/{step}"), Some(&specialist), None).await;
        assert_eq!(status, 200, "{step}: {body}");
    }
    let (status, body) = app
        .call(
            "POST",
            &format!("/api/questions/{q1}/answer"),
            Some(&specialist),
            Some(json!({"text": "Soluble fibre."})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["state"], "answered");
    assert_eq!(body["asked_by_count"], 2);
    assert_eq!(body["answer"]["answered_by"]["credentials"], "MD, Cardiology");
    let (status, _) = app
        .call(
            "POST",
            &format!("/api/questions/{q1}/answer"),
            Some(&specialist),
            Some(json!({"text": "again"})),
        )
        .await;
    assert_eq!(status, 409);
    let (status, body) = app
        .call(
            "POST",
            &format!("/api/questions/{q1}/correct"),
            Some(&specialist),
            Some(json!({"text": "Soluble fibre, e.g. oats."})),
        )
        .await;
    assert_eq!((status, body["state"].clone()), (200, json!("corrected")));
    assert_eq!(body["answer"]["history"][0]["text"], "Soluble fibre.");

    // Every step is in the audit trail, with who did it.
    let admin = app.admin().await;
    let (status, audit) = app.call("GET", &format!("/api/sessions/{sid}/audit"), Some(&admin), None).await;
    assert_eq!(status, 200);
    let actions: Vec<&str> =
        audit["entries"].as_array().into_iter().flatten().filter_map(|e| e["action"].as_str()).collect();
    for want in [
        "session.create",
        "question.approve",
        "question.merge",
        "question.reject",
        "question.put_on_air",
        "question.answer",
        "question.correct",
    ] {
        assert!(actions.contains(&want), "{want} missing from {actions:?}");
    }
    let answer = audit["entries"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|e| e["action"] == "question.answer")
        .expect("answer entry");
    assert_eq!(answer["actor_name"], "Test specialist");
    assert_eq!(answer["detail"]["from"], "on_air");

    // The queue filter and its refusal of unknown states.
    let (status, body) =
        app.call("GET", &format!("/api/sessions/{sid}/questions?state=merged"), Some(&moderator), None).await;
    assert_eq!((status, body["questions"].as_array().map(Vec::len)), (200, Some(1)));
    let (status, body) = app
        .call("GET", &format!("/api/sessions/{sid}/questions?state=pending"), Some(&moderator), None)
        .await;
    assert_eq!(status, 400, "{body}");
    app.finish().await;
}

async fn malformed_input_gets_a_clear_4xx(backend: Backend) {
    let mut app = TestApp::spawn(backend).await;
    let admin = app.admin().await;
    let raw = |body: &'static str, ctype: &'static str| {
        app.http
            .post(app.url("/api/sessions"))
            .bearer_auth(&admin)
            .header("content-type", ctype)
            .body(body)
            .send()
    };
    let resp = raw("{\"title\": ", "application/json").await.expect("send");
    assert_eq!(resp.status(), 400);
    let body: Value = resp.json().await.expect("json error body");
    assert!(body["message"].as_str().unwrap_or_default().starts_with("malformed JSON"), "{body}");
    let resp = raw("{\"title\": 42}", "application/json").await.expect("send");
    assert_eq!(resp.status(), 422);
    let resp = raw("title=x", "application/x-www-form-urlencoded").await.expect("send");
    assert_eq!(resp.status(), 400);
    let resp = raw("\u{0}\u{1}", "application/json").await.expect("send");
    assert!(resp.status().is_client_error());
    let big = "x".repeat(200 * 1024);
    let resp = app
        .http
        .post(app.url("/api/sessions"))
        .bearer_auth(&admin)
        .json(&json!({"title": big}))
        .send()
        .await
        .expect("send");
    assert_eq!(resp.status(), 413);
    let (status, body) = app.call("POST", "/api/sessions", Some(&admin), Some(json!({"title": "   "}))).await;
    assert_eq!((status, body["message"].clone()), (422, json!("`title` must not be empty")));
    let (status, body) = app
        .call("POST", "/api/sessions", Some(&admin), Some(json!({"title": "x", "slug": "Bad Slug"})))
        .await;
    assert_eq!(status, 422, "{body}");
    let (status, body) = app
        .call("POST", "/api/sessions", Some(&admin), Some(json!({"title": "x", "sources": [{"platform": "facebook", "page_id": "abc", "live_video_id": "1", "access_token": "t"}]})))
        .await;
    assert_eq!(status, 422, "{body}");
    let (status, body) = app.call("GET", "/api/questions/not-a-number", Some(&admin), None).await;
    assert_eq!(
        (status, body["error"].clone()),
        (404, json!("not_found")),
        "a path id that is not a number names nothing: {body}"
    );
    let (status, _) = app.call("GET", "/api/questions/999999", Some(&admin), None).await;
    assert_eq!(status, 404);
    let (status, _) = app.call("GET", "/api/no-such-route", Some(&admin), None).await;
    assert_eq!(status, 404);
    app.finish().await;
}

async fn probes_metrics_openapi_and_security_headers(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let resp = app.http.get(app.url("/healthz")).send().await.expect("healthz");
    assert_eq!(resp.status(), 200);
    let h = resp.headers();
    assert!(h["content-security-policy"].to_str().unwrap_or_default().contains("frame-ancestors 'none'"));
    assert!(!h["content-security-policy"].to_str().unwrap_or_default().contains("unsafe-inline"));
    assert_eq!(h["x-content-type-options"], "nosniff");
    assert_eq!(app.http.get(app.url("/readyz")).send().await.expect("readyz").status(), 200);
    let (status, _) = app.call("GET", "/api/sessions", None, None).await;
    assert_eq!(status, 401);
    let metrics =
        app.http.get(app.url("/metrics")).send().await.expect("metrics").text().await.expect("text");
    assert!(metrics.contains("# TYPE curbside_http_requests"), "{metrics}");
    assert!(metrics.contains("route=\"/api/sessions\""), "{metrics}");
    assert!(metrics.contains("curbside_db_seconds"), "{metrics}");
    let (status, doc) = app.call("GET", "/api/openapi.json", None, None).await;
    assert_eq!(status, 200);
    assert!(doc["openapi"].as_str().unwrap_or_default().starts_with("3.1"), "{}", doc["openapi"]);
    for path in ["/api/sessions", "/api/questions/{id}/approve", "/api/questions/{id}/answer", "/api/login"] {
        assert!(doc["paths"].get(path).is_some(), "{path} missing from the OpenAPI document");
    }
    app.finish().await;
}

async fn cookie_sign_in_needs_the_csrf_token_for_writes(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let resp = app
        .http
        .post(app.url("/api/login"))
        .json(&json!({"email": ADMIN_EMAIL, "password": curbside_tests::ADMIN_PASSWORD}))
        .send()
        .await
        .expect("login");
    let cookie = resp.headers()["set-cookie"].to_str().expect("cookie").to_owned();
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"), "{cookie}");
    let body: Value = resp.json().await.expect("json");
    let csrf = body["csrf_token"].as_str().expect("csrf").to_owned();
    let session_cookie = cookie.split(';').next().expect("pair").to_owned();
    let get = app.http.get(app.url("/api/me")).header("cookie", &session_cookie).send().await.expect("me");
    assert_eq!(get.status(), 200);
    let post = |csrf: Option<&str>| {
        let mut r = app
            .http
            .post(app.url("/api/sessions"))
            .header("cookie", &session_cookie)
            .json(&json!({"title": "By cookie"}));
        if let Some(c) = csrf {
            r = r.header("x-csrf-token", c);
        }
        r.send()
    };
    assert_eq!(post(None).await.expect("post").status(), 403);
    assert_eq!(post(Some("forged")).await.expect("post").status(), 403);
    assert_eq!(post(Some(&csrf)).await.expect("post").status(), 201);
    app.finish().await;
}

async fn repeated_wrong_passwords_are_rate_limited(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let mut statuses = Vec::new();
    for _ in 0..6 {
        let (status, _) = app
            .call(
                "POST",
                "/api/login",
                None,
                Some(json!({"email": ADMIN_EMAIL, "password": "wrong-password!"})),
            )
            .await;
        statuses.push(status);
    }
    assert_eq!(statuses, [401, 401, 401, 401, 401, 429]);
    let (status, _) = app
        .call(
            "POST",
            "/api/login",
            None,
            Some(json!({"email": "nobody@x.test", "password": "whatever-it-is"})),
        )
        .await;
    assert_eq!(status, 401, "other accounts are not locked out");
    app.finish().await;
}

async fn a_token_from_one_node_works_on_another(backend: Backend) {
    let mut first = TestApp::spawn(backend).await;
    let second = TestApp::spawn_on(first.db.shared()).await;
    let token = first.admin().await;
    let (status, body) = second.call("GET", "/api/me", Some(&token), None).await;
    assert_eq!((status, body["email"].clone()), (200, json!(ADMIN_EMAIL)));
    let (status, _) = second.call("POST", "/api/logout", Some(&token), None).await;
    assert_eq!(status, 204);
    let (status, _) = first.call("GET", "/api/me", Some(&token), None).await;
    assert_eq!(status, 401, "signing out on one node signs out everywhere");
    second.finish().await;
    first.finish().await;
}

on_both_backends!(
    question_moves_from_new_to_answered_and_refuses_illegal_steps,
    malformed_input_gets_a_clear_4xx,
    probes_metrics_openapi_and_security_headers,
    cookie_sign_in_needs_the_csrf_token_for_writes,
    repeated_wrong_passwords_are_rate_limited,
    a_token_from_one_node_works_on_another,
);
