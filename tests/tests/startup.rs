//! Start-up failures explain themselves: the port before the database, and an unreachable
//! PostgreSQL named with its address and the cause, quickly.

use curbside_server::{Application, Settings};
use std::time::{Duration, Instant};

fn settings(bind: &str, database_url: &str) -> Settings {
    let mut s = Settings::defaults();
    s.bind = bind.into();
    s.database_url = database_url.into();
    s
}

#[tokio::test]
async fn a_port_in_use_is_reported_before_any_database_file_is_created() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = taken.local_addr().expect("addr");
    let dir = tempfile::tempdir().expect("dir");
    let db = dir.path().join("curbside.db");
    let config = settings(&addr.to_string(), &format!("sqlite://{}", db.display())).check().expect("valid");
    let err = Application::build(config).await.err().expect("the port is taken");
    let message = format!("{err:#}");
    assert!(message.contains(&format!("cannot listen on {addr}")), "{message}");
    assert!(message.contains("CURBSIDE_BIND"), "{message}");
    assert!(!db.exists(), "no database file was created");
}

#[tokio::test]
async fn an_unreachable_postgres_is_named_with_its_address_and_cause_within_3_s() {
    // A port nothing listens on: bind one, note it, let it go.
    let port = std::net::TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("addr").port();
    let config = settings("127.0.0.1:0", &format!("postgres://postgres@127.0.0.1:{port}/curbside"))
        .check()
        .expect("valid");
    let started = Instant::now();
    let err = Application::build(config).await.err().expect("no PostgreSQL there");
    let message = format!("{err:#}");
    assert!(started.elapsed() < Duration::from_secs(4), "took {:?}", started.elapsed());
    assert_eq!(
        message,
        format!(
            "cannot reach PostgreSQL at 127.0.0.1:{port}: connection refused (is it running? check CURBSIDE_DATABASE_URL)"
        )
    );
}
