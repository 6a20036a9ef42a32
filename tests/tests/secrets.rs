//! Platform access tokens at rest: sealed in the database (a dump reveals none), readable by
//! the connectors, rotated to a new key in one transaction, kept in a key file without
//! `CURBSIDE_SECRET_KEY`, and a node with another key refuses to start. On SQLite and PostgreSQL.

use curbside_domain::SourceId;
use curbside_store::SecretKey;
use curbside_tests::{on_both_backends, Backend, TestApp, TestDb, TEST_SECRET_KEY};
use serde_json::json;

const PAGE_TOKEN: &str = "EAAB-test-page-token";
const IG_TOKEN: &str = "IGAA-test-token";

async fn raw_tokens(db: &TestDb) -> Vec<(i64, String)> {
    let rows = db.rows("SELECT id, access_token FROM sources ORDER BY id").await;
    rows.into_iter().map(|(id, token)| (id, token.unwrap_or_default())).collect()
}

async fn raw_exec(db: &TestDb, sql: &str) {
    db.execute(sql).await.expect(sql);
}

async fn opened(app: &TestApp, id: i64) -> String {
    app.store().await.source(SourceId(id)).await.expect("source").access_token
}

async fn a_database_dump_reveals_no_platform_token(backend: Backend) {
    let mut app = TestApp::spawn(backend).await;
    let s = app.create_session("Sealed").await;
    let sid = s["id"].as_i64().expect("id");
    let rows = raw_tokens(&app.db).await;
    assert_eq!(rows.len(), 2);
    for (id, stored) in &rows {
        assert!(stored.starts_with("v1:"), "{stored}");
        assert!(!stored.contains("EAAB") && !stored.contains("IGAA"), "{stored}");
        assert!(
            [PAGE_TOKEN, IG_TOKEN].contains(&opened(&app, *id).await.as_str()),
            "connectors read the token"
        );
    }
    // Replacing a token seals the new one too.
    let admin = app.admin().await;
    let (status, body) = app
        .call(
            "PUT",
            &format!("/api/sessions/{sid}/sources/{}/token", rows[0].0),
            Some(&admin),
            Some(json!({"access_token": "EAAB-renewed"})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert!(!body.to_string().contains("EAAB-renewed"), "write-only");
    let stored = &raw_tokens(&app.db).await[0].1;
    assert!(stored.starts_with("v1:") && !stored.contains("EAAB"), "{stored}");
    assert_eq!(opened(&app, rows[0].0).await, "EAAB-renewed");
    if backend == Backend::Sqlite {
        // The whole file (and its write-ahead log), byte for byte.
        let path = app.db.url.trim_start_matches("sqlite://").to_owned();
        for file in [path.clone(), format!("{path}-wal")] {
            let bytes = std::fs::read(&file).unwrap_or_default();
            let text = String::from_utf8_lossy(&bytes);
            for token in [PAGE_TOKEN, IG_TOKEN, "EAAB-renewed"] {
                assert!(!text.contains(token), "{token} in {file}");
            }
        }
    }
    app.finish().await;
}

async fn rotation_re_encrypts_every_token_and_old_plaintext_rows_are_sealed_at_start(backend: Backend) {
    let mut app = TestApp::spawn(backend).await;
    app.create_session("Rotate").await;
    let before = raw_tokens(&app.db).await;
    // A row stored in the clear by a release before encryption at rest.
    raw_exec(
        &app.db,
        &format!("UPDATE sources SET access_token = 'legacy-plain' WHERE id = {}", before[1].0),
    )
    .await;
    let db = app.stop().await;

    let new = SecretKey::generate();
    let old = SecretKey::parse(TEST_SECRET_KEY).expect("key");
    let message = curbside_server::secrets::rotate(&db.url, Some(old.clone()), None, new.clone())
        .await
        .expect("rotate");
    assert!(message.starts_with("re-encrypted 2 token(s)"), "{message}");
    let after = raw_tokens(&db).await;
    for ((_, a), (_, b)) in before.iter().zip(&after) {
        assert_ne!(a, b);
        assert!(b.starts_with("v1:"));
    }
    // The old key opens nothing any more; the new one everything.
    assert!(old.open(&after[0].1).is_err());
    assert_eq!(new.open(&after[0].1).expect("open"), PAGE_TOKEN);
    assert_eq!(new.open(&after[1].1).expect("open"), "legacy-plain");
    // Rotating with the wrong current key changes nothing.
    let wrong = curbside_server::secrets::rotate(&db.url, Some(old), None, SecretKey::generate()).await;
    assert!(wrong.expect_err("wrong key").to_string().starts_with("nothing was changed"));
    assert_eq!(raw_tokens(&db).await, after);

    // A restart with the new key reads them; a plaintext row is sealed at start.
    raw_exec(&db, &format!("UPDATE sources SET access_token = 'legacy-again' WHERE id = {}", after[1].0))
        .await;
    let key = new.to_base64();
    let app = TestApp::spawn_with(db, move |s| s.secret_key = Some(key)).await;
    assert_eq!(opened(&app, after[0].0).await, PAGE_TOKEN);
    let resealed = raw_tokens(&app.db).await;
    assert!(resealed[1].1.starts_with("v1:"), "{}", resealed[1].1);
    assert_eq!(opened(&app, after[1].0).await, "legacy-again");
    app.finish().await;
}

async fn without_a_key_the_server_keeps_a_key_file_and_a_node_with_another_key_refuses_to_start(
    backend: Backend,
) {
    let dir = tempfile::tempdir().expect("tempdir");
    // SQLite: the default file next to the database. PostgreSQL: the default would be the
    // working directory, so the test names one.
    let key_file = match backend {
        Backend::Sqlite => None,
        Backend::Postgres => Some(dir.path().join("curbside-secret.key")),
    };
    let chosen = key_file.clone();
    let mut app = TestApp::spawn_with(TestDb::fresh(backend).await, move |s| {
        s.secret_key = None;
        s.secret_key_file = chosen.map(|p| p.display().to_string());
    })
    .await;
    let admin = app.admin().await;
    let session = json!({"title": "No key", "sources": [
        {"platform": "instagram", "ig_user_id": "17841400000000001", "media_id": "17900000000000002", "access_token": IG_TOKEN}
    ]});
    let (status, body) = app.call("POST", "/api/sessions", Some(&admin), Some(session)).await;
    assert_eq!(status, 201, "{body}");
    let key_file =
        key_file.unwrap_or_else(|| format!("{}.key", app.db.url.trim_start_matches("sqlite://")).into());
    let key = SecretKey::parse(&std::fs::read_to_string(&key_file).expect("key file")).expect("a key");
    assert_eq!(key.open(&raw_tokens(&app.db).await[0].1).expect("open"), IG_TOKEN);
    let db = app.stop().await;

    // A second node started with another key would fail on every reply: it refuses to start.
    let mut settings = curbside_server::config::Settings::defaults();
    settings.bind = "127.0.0.1:0".into();
    settings.database_url = db.url.clone();
    settings.secret_key = Some(SecretKey::generate().to_base64());
    let config = settings.check().expect("valid configuration");
    let err = curbside_server::app::Application::build(config).await.err().expect("refused").to_string();
    assert!(err.contains("sealed with another key") && err.contains("CURBSIDE_SECRET_KEY"), "{err}");

    // With the right key it starts and reads the token.
    let key = key.to_base64();
    let app = TestApp::spawn_with(db, move |s| s.secret_key = Some(key)).await;
    assert_eq!(opened(&app, raw_tokens(&app.db).await[0].0).await, IG_TOKEN);
    app.finish().await;
}

on_both_backends!(
    a_database_dump_reveals_no_platform_token,
    rotation_re_encrypts_every_token_and_old_plaintext_rows_are_sealed_at_start,
    without_a_key_the_server_keeps_a_key_file_and_a_node_with_another_key_refuses_to_start,
);
