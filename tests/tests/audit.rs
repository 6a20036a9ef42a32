//! The audit log: complete (sign-ins, failed sign-ins, sign-outs, accounts, roles, tokens,
//! question actions, with role, client address, before and after), append-only in the database
//! itself, readable with filters and paging, exportable as safe CSV. On SQLite and PostgreSQL.

use curbside_tests::{ingest, on_both_backends, Backend, TestApp};
use serde_json::{json, Value};

async fn entries(app: &mut TestApp, query: &str) -> Value {
    let admin = app.admin().await;
    let (status, page) = app.call("GET", &format!("/api/audit{query}"), Some(&admin), None).await;
    assert_eq!(status, 200, "{page}");
    page
}

fn actions(page: &Value) -> Vec<String> {
    page["entries"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|e| e["action"].as_str().map(str::to_owned))
        .collect()
}

async fn every_staff_action_is_audited_with_who_role_where_and_before_after(backend: Backend) {
    let mut app = TestApp::spawn(backend).await;
    let admin = app.admin().await;
    // A failed sign-in records the attempted email, never the password.
    let (status, _) = app
        .call(
            "POST",
            "/api/login",
            None,
            Some(json!({"email": "Mallory@Example.org", "password": "hunter2-guess-xyz"})),
        )
        .await;
    assert_eq!(status, 401);
    let (status, user) = app
        .call(
            "POST",
            "/api/users",
            Some(&admin),
            Some(json!({
                "email": "mod@x.test", "name": "Mo", "role": "moderator", "password": "long-enough-password"
            })),
        )
        .await;
    assert_eq!(status, 201, "{user}");
    let uid = user["id"].as_i64().expect("id");
    let (status, changed) = app
        .call("PATCH", &format!("/api/users/{uid}"), Some(&admin), Some(json!({"role": "producer"})))
        .await;
    assert_eq!((status, changed["role"].clone()), (200, json!("producer")), "{changed}");
    let (status, body) =
        app.call("PATCH", "/api/users/1", Some(&admin), Some(json!({"disabled": true}))).await;
    assert_eq!(status, 409, "an admin cannot lock themselves out: {body}");
    let token = app.login("mod@x.test", "long-enough-password").await;
    let (status, _) = app.call("POST", "/api/logout", Some(&token), None).await;
    assert_eq!(status, 204);

    let s = app.create_session("Audited").await;
    let sid = s["id"].as_i64().expect("id");
    let source = s["sources"][0]["id"].as_i64().expect("source id");
    let (status, body) = app
        .call(
            "PUT",
            &format!("/api/sessions/{sid}/sources/{source}/token"),
            Some(&admin),
            Some(json!({"access_token": "EAAB-rotated-secret"})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    ingest(&app.store().await, sid, "a", 1).await;
    let qid = app.questions(sid).await[0]["id"].as_i64().expect("qid");
    let (status, _) = app
        .call(
            "POST",
            &format!("/api/questions/{qid}/approve"),
            Some(&admin),
            Some(json!({"public_text": "Is salt bad?"})),
        )
        .await;
    assert_eq!(status, 200);

    let all = entries(&mut app, "?limit=1000").await;
    let raw = all.to_string();
    assert!(!raw.contains("hunter2"), "no password in the audit log");
    assert!(
        !raw.contains("EAAB-rotated-secret") && !raw.contains("EAAB-test-page-token"),
        "no token in the audit log"
    );
    assert!(!raw.contains("password_hash") && !raw.contains("$argon2"), "no password hash");
    let find = |action: &str| {
        all["entries"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|e| e["action"] == action)
            .cloned()
            .unwrap_or_else(|| panic!("{action} missing from {:?}", actions(&all)))
    };
    let failed = find("auth.sign_in_failed");
    assert_eq!(
        (failed["detail"]["email"].clone(), failed["actor_id"].clone()),
        (json!("mallory@example.org"), Value::Null)
    );
    assert_eq!(failed["client_addr"], "127.0.0.1");
    let signed_in = find("auth.sign_in");
    assert_eq!(
        (signed_in["actor_name"].clone(), signed_in["actor_role"].clone()),
        (json!("Administrator"), json!("admin"))
    );
    assert_eq!(find("auth.sign_out")["actor_id"], uid);
    let created = all["entries"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|e| e["action"] == "user.create" && e["after"]["email"] == "mod@x.test")
        .cloned()
        .expect("the moderator's creation");
    assert_eq!(created["after"]["role"], "moderator");
    assert_eq!(created["actor_role"], "admin");
    let role = find("user.role");
    assert_eq!(
        (role["before"]["role"].clone(), role["after"]["role"].clone()),
        (json!("moderator"), json!("producer"))
    );
    assert_eq!(role["client_addr"], "127.0.0.1");
    let tok = find("source.token");
    assert_eq!((tok["session_id"].clone(), tok["detail"]["source_id"].clone()), (json!(sid), json!(source)));
    let approve = find("question.approve");
    assert_eq!(approve["before"]["state"], "new");
    assert_eq!(
        (approve["after"]["state"].clone(), approve["after"]["public_text"].clone()),
        (json!("approved"), json!("Is salt bad?"))
    );
    let created = find("session.create");
    assert_eq!(created["detail"]["sources"][0]["platform"], "facebook", "{created}");

    // Filters and paging.
    let auth = entries(&mut app, "?action=auth.").await;
    assert!(actions(&auth).iter().all(|a| a.starts_with("auth.")) && actions(&auth).len() >= 4, "{auth}");
    let by_session = entries(&mut app, &format!("?session_id={sid}")).await;
    assert!(by_session["entries"].as_array().into_iter().flatten().all(|e| e["session_id"] == sid));
    let mut seen = Vec::new();
    let mut query = "?limit=2".to_owned();
    loop {
        let page = entries(&mut app, &query).await;
        seen.extend(page["entries"].as_array().into_iter().flatten().filter_map(|e| e["id"].as_i64()));
        match page["next_after_id"].as_i64() {
            Some(after) => query = format!("?limit=2&after_id={after}"),
            None => break,
        }
    }
    let every: Vec<i64> =
        all["entries"].as_array().into_iter().flatten().filter_map(|e| e["id"].as_i64()).collect();
    assert_eq!(seen, every, "paging walks every entry once, in order");
    let (status, _) = app.call("GET", "/api/audit?limit=0", Some(&admin), None).await;
    assert_eq!(status, 400);
    app.finish().await;
}

async fn the_csv_export_is_complete_and_safe_in_spreadsheets(backend: Backend) {
    let mut app = TestApp::spawn(backend).await;
    let admin = app.admin().await;
    let (status, _) = app
        .call("POST", "/api/users", Some(&admin), Some(json!({
            "email": "evil@x.test", "name": "=HYPERLINK(\"http://evil\",\"x\")", "role": "moderator", "password": "long-enough-password"
        })))
        .await;
    assert_eq!(status, 201);
    app.login("evil@x.test", "long-enough-password").await;
    let resp = app.http.get(app.url("/api/audit.csv")).bearer_auth(&admin).send().await.expect("csv");
    assert_eq!(resp.status(), 200);
    assert!(resp.headers()["content-type"].to_str().unwrap_or_default().starts_with("text/csv"));
    let csv = resp.text().await.expect("text");
    let mut lines = csv.lines();
    assert_eq!(
        lines.next(),
        Some("id,at,actor_id,actor_name,actor_role,client_addr,action,session_id,question_id,before,after,detail")
    );
    assert!(csv.contains("\"'=HYPERLINK(\"\"http://evil\"\",\"\"x\"\")\""), "{csv}");
    assert!(!csv.contains(",\"=HYPERLINK"), "{csv}");
    assert!(csv.contains("\"auth.sign_in\""));
    assert_eq!(
        lines.count(),
        entries(&mut app, "?limit=1000").await["entries"].as_array().map(Vec::len).unwrap_or(0)
    );
    app.finish().await;
}

async fn the_database_refuses_to_change_or_delete_audit_entries(backend: Backend) {
    let mut app = TestApp::spawn(backend).await;
    app.admin().await;
    let before = entries(&mut app, "").await;
    assert!(before["entries"].as_array().is_some_and(|e| !e.is_empty()));
    for sql in [
        "UPDATE audit_log SET actor_name = 'someone else'",
        "DELETE FROM audit_log",
        "DELETE FROM audit_log WHERE id = 1",
    ] {
        let err = app.db.execute(sql).await.expect_err(sql);
        assert!(err.to_string().contains("append-only"), "{sql}: {err}");
    }
    if backend == Backend::Postgres {
        let err = app.db.execute("TRUNCATE audit_log").await.expect_err("truncate");
        assert!(err.to_string().contains("append-only"), "{err}");
    }
    assert_eq!(entries(&mut app, "").await, before, "every entry is as it was");
    app.finish().await;
}

on_both_backends!(
    every_staff_action_is_audited_with_who_role_where_and_before_after,
    the_csv_export_is_complete_and_safe_in_spreadsheets,
    the_database_refuses_to_change_or_delete_audit_entries,
);
