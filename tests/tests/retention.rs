//! Retention: commenter data (raw text, names, platform user ids, raw wording) is purged after
//! the retention period and erased on request — in the tables and in the event log — while the
//! public transcript stays. On SQLite and PostgreSQL.

use curbside_domain::{ERASED_TEXT, PURGED_TEXT};
use curbside_tests::{ingest, on_both_backends, Backend, TestApp, TestDb};
use serde_json::{json, Value};

/// One column of every row, as one text (the query selects an id and the column).
async fn raw_texts(db: &TestDb, sql: &str) -> String {
    db.rows(sql).await.into_iter().filter_map(|(_, t)| t).collect::<Vec<_>>().join("\n")
}

async fn raw_exec(db: &TestDb, sql: &str) {
    db.execute(sql).await.expect(sql);
}

/// Every place commenter data could sit, as one text.
async fn everything_stored(db: &TestDb) -> String {
    let mut all = String::new();
    for sql in [
        "SELECT CAST(0 AS BIGINT) AS id, text FROM comments",
        "SELECT CAST(0 AS BIGINT) AS id, author_name FROM comments",
        "SELECT CAST(0 AS BIGINT) AS id, author_id FROM comments",
        "SELECT CAST(0 AS BIGINT) AS id, first_text FROM comments",
        "SELECT CAST(0 AS BIGINT) AS id, original_text FROM questions",
        "SELECT CAST(0 AS BIGINT) AS id, public_text FROM questions",
        "SELECT CAST(0 AS BIGINT) AS id, staff_json FROM events",
        "SELECT CAST(0 AS BIGINT) AS id, public_json FROM events",
        "SELECT CAST(0 AS BIGINT) AS id, detail_json FROM audit_log",
    ] {
        all.push_str(&raw_texts(db, sql).await);
        all.push('\n');
    }
    all
}

fn by_id(qs: &[Value], id: i64) -> Value {
    qs.iter().find(|q| q["id"] == id).cloned().unwrap_or(Value::Null)
}

async fn purge_removes_old_commenter_data_and_keeps_the_transcript(backend: Backend) {
    let mut app = TestApp::spawn(backend).await;
    let admin = app.admin().await;
    let sid = app.create_session("Retention").await["id"].as_i64().expect("id");
    ingest(&app.store().await, sid, "old", 3).await;
    let qs: Vec<i64> = app.questions(sid).await.iter().filter_map(|q| q["id"].as_i64()).collect();
    let (answered, waiting, merged) = (qs[0], qs[1], qs[2]);
    let call = |path: String, body: Value| (path, body);
    for (path, body) in [
        call(
            format!("/api/questions/{answered}/approve"),
            json!({"public_text": "What lowers LDL cholesterol?"}),
        ),
        call(format!("/api/questions/{merged}/merge"), json!({"into": answered})),
        call(format!("/api/questions/{answered}/answer"), json!({"text": "Soluble fibre and statins."})),
    ] {
        let (status, reply) = app.call("POST", &path, Some(&admin), Some(body)).await;
        assert_eq!(status, 200, "{path}: {reply}");
    }
    // Nothing is old enough yet.
    let (status, report) = app.call("POST", "/api/admin/purge", Some(&admin), None).await;
    assert_eq!((status, report["comments"].clone()), (200, json!(0)), "{report}");
    assert!(everything_stored(&app.db).await.contains("Viewer 1"));

    // Forty days later.
    raw_exec(&app.db, "UPDATE comments SET received_at = received_at - 3456000000").await;
    let (status, report) = app.call("POST", "/api/admin/purge", Some(&admin), Some(json!({}))).await;
    assert_eq!(status, 200, "{report}");
    assert_eq!((report["comments"].clone(), report["questions"].clone()), (json!(3), json!(3)), "{report}");
    assert!(report["events"].as_i64().unwrap_or(0) >= 3, "{report}");

    let stored = everything_stored(&app.db).await;
    for leaked in ["Viewer", "user-", "Question old number"] {
        assert!(!stored.contains(leaked), "{leaked} survived the purge");
    }
    let qs = app.questions(sid).await;
    let a = by_id(&qs, answered);
    assert_eq!(a["public_text"], "What lowers LDL cholesterol?", "the approved wording stays");
    assert_eq!(a["answer"]["text"], "Soluble fibre and statins.");
    assert_eq!((a["original_text"].clone(), a["asked_by_count"].clone()), (json!(PURGED_TEXT), json!(2)));
    assert!(a["sources"]
        .as_array()
        .into_iter()
        .flatten()
        .all(|s| s["author_name"].is_null() && s["text"] == PURGED_TEXT));
    assert_eq!(by_id(&qs, waiting)["public_text"], PURGED_TEXT, "unapproved wording is the commenter's own");
    // The public transcript's payloads are untouched.
    assert!(raw_texts(&app.db, "SELECT CAST(0 AS BIGINT) AS id, public_json FROM events")
        .await
        .contains("What lowers LDL cholesterol?"));

    let (_, again) =
        app.call("POST", "/api/admin/purge", Some(&admin), Some(json!({"older_than_days": 30}))).await;
    assert_eq!(again["comments"], 0, "purging twice finds nothing new");
    let (status, _) =
        app.call("POST", "/api/admin/purge", Some(&admin), Some(json!({"older_than_days": 0}))).await;
    assert_eq!(status, 422);
    let (_, audit) = app.call("GET", "/api/audit?action=retention.purge", Some(&admin), None).await;
    let entries = audit["entries"].as_array().cloned().unwrap_or_default();
    assert!(entries.iter().any(|e| e["detail"]["comments"] == 3 && e["actor_role"] == "admin"), "{audit}");
    app.finish().await;
}

async fn erasure_removes_one_commenter_everywhere_and_only_them(backend: Backend) {
    let mut app = TestApp::spawn(backend).await;
    let admin = app.admin().await;
    let sid = app.create_session("Erasure").await["id"].as_i64().expect("id");
    // Two comments each from `user-0` and `user-1`.
    ingest(&app.store().await, sid, "first", 2).await;
    ingest(&app.store().await, sid, "second", 2).await;
    let mut ws = app.ws(Some(&admin)).await;
    ws.send(json!({"type": "subscribe", "session_id": sid, "audience": "staff"})).await;
    ws.expect("subscribed").await;

    let (status, report) = app
        .call(
            "POST",
            "/api/admin/erase",
            Some(&admin),
            Some(json!({"author_id": "user-0", "platform": "facebook"})),
        )
        .await;
    assert_eq!(status, 200, "{report}");
    assert_eq!((report["comments"].clone(), report["questions"].clone()), (json!(2), json!(2)), "{report}");
    let stored = everything_stored(&app.db).await;
    for gone in ["Viewer 0", "user-0", "Question first number 0", "Question second number 0"] {
        assert!(!stored.contains(gone), "{gone} survived the erasure");
    }
    for kept in ["Viewer 1", "user-1", "Question first number 1"] {
        assert!(stored.contains(kept), "{kept} must stay");
    }
    let erased: Vec<Value> =
        app.questions(sid).await.into_iter().filter(|q| q["original_text"] == ERASED_TEXT).collect();
    assert_eq!(erased.len(), 2);
    // Consoles following the session learn of it.
    let (_, event) = ws.events(1).await.remove(0);
    assert_eq!((event["type"].clone(), event["change"].clone()), (json!("question"), json!("redacted")));
    assert_eq!(event["question"]["original_text"], ERASED_TEXT);

    let (_, audit) = app.call("GET", "/api/audit?action=retention.erase", Some(&admin), None).await;
    assert!(!audit.to_string().contains("user-0"), "the audit log keeps a hash, not the id");
    assert_eq!(audit["entries"][0]["detail"]["author_id_sha256"].as_str().map(str::len), Some(64));
    let (status, _) =
        app.call("POST", "/api/admin/erase", Some(&admin), Some(json!({"author_id": "  "}))).await;
    assert_eq!(status, 422);
    app.finish().await;
}

async fn the_server_purges_on_schedule_with_the_configured_period(backend: Backend) {
    let mut app = TestApp::spawn(backend).await;
    let sid = app.create_session("Schedule").await["id"].as_i64().expect("id");
    ingest(&app.store().await, sid, "aged", 2).await;
    // Eight days old: purged by a server keeping 7 days (the default 30 keeps it: see above).
    raw_exec(&app.db, "UPDATE comments SET received_at = received_at - 691200000").await;
    let db = app.stop().await;
    let app = TestApp::spawn_with(db, |s| s.retention_days = "7".into()).await;
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let texts = raw_texts(&app.db, "SELECT CAST(0 AS BIGINT) AS id, text FROM comments").await;
        if !texts.contains("Question aged") {
            assert_eq!(texts, format!("{PURGED_TEXT}\n{PURGED_TEXT}"));
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "no scheduled purge within 10 s");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    app.finish().await;
}

on_both_backends!(
    purge_removes_old_commenter_data_and_keeps_the_transcript,
    the_server_purges_on_schedule_with_the_configured_period,
    erasure_removes_one_commenter_everywhere_and_only_them,
);
