//! What the demo prints is true: its "try it" commands run as printed (with `bash`, `curl -f`
//! and `sed`, as a reader would paste them) against a running demo, the URLs it prints answer,
//! the replies reach the simulated platforms, and a second demo on the same port stops before
//! touching the first one's data. (The README's variables are checked against `serve`'s flags
//! in `crates/server/src/cli.rs`; its `curbside` commands in `readme_commands_parse`.)

use curbside_server::demo::{self, DemoOptions};
use serde_json::Value;
use std::time::{Duration, Instant};

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("addr").port()
}

async fn get_json(http: &reqwest::Client, url: &str, token: &str) -> Value {
    let resp = http.get(url).bearer_auth(token).send().await.expect("request");
    assert_eq!(resp.status(), 200, "{url}");
    resp.json().await.expect("json")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_s_commands_run_as_printed_and_a_second_demo_keeps_the_first_one_s_data() {
    let port = free_port();
    let dir = tempfile::tempdir().expect("dir");
    let options = DemoOptions {
        bind: format!("127.0.0.1:{port}"),
        data_dir: dir.path().join("curbside-demo"),
        speed: 20.0,
    };
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let running = tokio::spawn(demo::run(options.clone(), async move {
        let _ = stopped.await;
    }));
    let base = format!("http://127.0.0.1:{port}");
    let http =
        reqwest::Client::builder().timeout(Duration::from_secs(20)).no_proxy().build().expect("client");
    let started = Instant::now();
    while http.get(format!("{base}/readyz")).send().await.map(|r| r.status() != 200).unwrap_or(true) {
        assert!(started.elapsed() < Duration::from_secs(30), "the demo did not start");
        assert!(!running.is_finished(), "the demo stopped: {:?}", running.await);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // A second demo on the same address stops before recreating the data folder.
    let err = demo::run(options.clone(), async {}).await.expect_err("the port is taken");
    assert!(format!("{err:#}").contains(&format!("cannot listen on 127.0.0.1:{port}")), "{err:#}");
    assert!(options.data_dir.join("curbside.db").exists(), "the running demo's database is still there");

    // The URLs the banner prints answer (staff pages send a signed-out browser to /login).
    for path in
        ["/login", "/console/1", "/tablet/1", "/s/heart-health-live", "/api/openapi.json", "/metrics", "/"]
    {
        let resp = http.get(format!("{base}{path}")).send().await.expect("request");
        assert_eq!(resp.status(), 200, "{path}");
    }

    // Wait (bounded) for the script to bring in a few questions, as a reader would.
    let login = http
        .post(format!("{base}/api/login"))
        .json(&serde_json::json!({"email": "moderator@demo.curbside.test", "password": "demo-moderator-password"}))
        .send()
        .await
        .expect("login");
    assert_eq!(login.status(), 200, "the printed moderator sign-in works");
    let token = login.json::<Value>().await.expect("json")["token"].as_str().expect("token").to_owned();
    let queue = format!("{base}/api/sessions/1/questions?state=new");
    while get_json(&http, &queue, &token).await["questions"].as_array().map_or(0, Vec::len) < 3 {
        assert!(started.elapsed() < Duration::from_secs(90), "no questions arrived");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let session = get_json(&http, &format!("{base}/api/sessions/1"), &token).await;
    let overlay = session["overlay_url"].as_str().expect("overlay_url").to_owned();
    assert_eq!(http.get(&overlay).send().await.expect("overlay").status(), 200, "{overlay}");

    // The "try it" lines, exactly as printed, in one shell.
    let script = format!("set -euo pipefail\n{}\necho\necho \"Q=$Q E=$E\"", demo::try_it(&base, 1));
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new("bash").arg("-c").arg(script).output()
    })
    .await
    .expect("join")
    .expect("bash runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "the printed commands failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let ids = stdout.lines().last().unwrap_or_default().to_owned();
    let (q, e) = ids
        .strip_prefix("Q=")
        .and_then(|r| r.split_once(" E="))
        .map(|(q, e)| (q.parse::<i64>().expect("Q is an id"), e.parse::<i64>().expect("E is an id")))
        .unwrap_or_else(|| panic!("{ids}"));
    assert_ne!(q, e, "the crisis reply went to another question than the answered one");
    let answered = get_json(&http, &format!("{base}/api/questions/{q}"), &token).await;
    assert_eq!(answered["state"], "answered", "{answered}");

    // The replies reach the simulated platforms (the outbox says sent).
    let outbox = format!("{base}/api/sessions/1/outbox");
    loop {
        let items = get_json(&http, &outbox, &token).await["items"].as_array().cloned().unwrap_or_default();
        let sent = items.iter().filter(|i| i["status"] == "sent").count();
        if sent >= 2 {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(120), "replies were not sent: {items:?}");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }

    let _ = stop.send(());
    tokio::time::timeout(Duration::from_secs(30), running)
        .await
        .expect("the demo stops")
        .expect("join")
        .expect("the demo ends cleanly");
}
