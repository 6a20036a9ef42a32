//! `curbside demo`: the whole product on one machine with no internet. The hub on embedded
//! SQLite, the Meta simulator playing a scripted cardiology Q&A through the production webhook
//! and polling paths, a live session, staff accounts, and a live status line in the terminal.

use crate::api::users::new_user;
use crate::config::Settings;
use crate::Application;
use anyhow::Context;
use curbside_domain::{Role, SessionStatus, SourceSpec};
use curbside_simulator::{FakeGraph, GraphConfig, Player, Script, SimIds};
use curbside_store::{Actor, NewSession, Store};
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::time::Duration;

#[derive(Debug, Clone, clap::Args)]
pub struct DemoOptions {
    /// Listen address of the hub.
    #[arg(long, env = "CURBSIDE_BIND", default_value = crate::config::DEFAULT_BIND)]
    pub bind: String,
    /// Folder for the demo's database; recreated on each run.
    #[arg(long, default_value = "curbside-demo")]
    pub data_dir: PathBuf,
    /// How many times faster than real time the scripted 20-minute session plays.
    #[arg(long, default_value_t = 4.0)]
    pub speed: f64,
}

/// The demo's sign-ins. Demo only: printed on the terminal, never used elsewhere.
const DEMO_ACCOUNTS: &[(&str, &str, Role, &str, &str)] = &[
    ("admin@demo.curbside.test", "Demo Admin", Role::Admin, "", "demo-admin-password"),
    ("producer@demo.curbside.test", "Sam Producer", Role::Producer, "", "demo-producer-password"),
    ("moderator@demo.curbside.test", "Maya Moderator", Role::Moderator, "", "demo-moderator-password"),
    (
        "dr.lee@demo.curbside.test",
        "Dr Ada Lee",
        Role::Specialist,
        "MD, Cardiology",
        "demo-specialist-password",
    ),
];

pub async fn run(
    options: DemoOptions,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    // A demo already running on this address keeps its database: the port is checked before
    // the data folder is recreated.
    check_port_free(&options.bind)?;
    let db_path = prepare_data_dir(&options.data_dir)?;
    let ids = SimIds::default();
    let graph =
        FakeGraph::start(GraphConfig::new(ids.clone())).await.context("cannot start the Meta simulator")?;

    let mut settings = Settings::defaults();
    settings.bind = options.bind.clone();
    settings.database_url = format!("sqlite://{}", db_path.display());
    settings.meta_app_secret = Some(ids.app_secret.clone());
    settings.meta_verify_token = Some("curbside-demo-verify-token".into());
    settings.graph_url = graph.url();
    settings.poll_interval_ms = "1500".into();
    let config = settings.check()?;
    let base = config.public_url.clone();
    let app = Application::build(config).await?;
    let store = app.state().store.clone();
    let specialists = seed_accounts(&store).await?;
    let session = store
        .create_session(
            NewSession {
                title: "Heart health: your questions answered".into(),
                slug: Some(
                    curbside_domain::Slug::parse("heart-health-live").map_err(|e| anyhow::anyhow!("{e}"))?,
                ),
                disclaimer: None,
                sources: vec![
                    (
                        SourceSpec::Facebook {
                            page_id: ids.page_id.clone(),
                            live_video_id: ids.live_video_id.clone(),
                            video_id: Some(ids.video_id.clone()),
                        },
                        ids.page_token.clone(),
                    ),
                    (
                        SourceSpec::Instagram {
                            ig_user_id: ids.ig_user_id.clone(),
                            media_id: ids.ig_media_id.clone(),
                        },
                        ids.ig_token.clone(),
                    ),
                ],
                specialists,
            },
            &Actor::system("demo"),
        )
        .await?;
    store.set_session_status(session.id, SessionStatus::Live, &Actor::system("demo")).await?;

    let server = tokio::spawn(app.run(shutdown));
    let webhook_url = url::Url::parse(&format!("{base}/webhooks/meta"))?;
    let player =
        Player::new(Script::cardiology(2026), &graph, webhook_url, ids.app_secret.as_bytes(), ids.clone())
            .with_end_grace(Duration::from_secs(5));
    let progress = player.progress();
    let speed = options.speed;
    tokio::spawn(async move { player.run(speed).await });

    print_banner(&base, session.id.0, &session.overlay_key, &graph.url(), speed);
    let tty = std::io::stdout().is_terminal();
    let mut ticks: u64 = 0;
    let mut shown_replies = 0;
    while !server.is_finished() {
        tokio::time::sleep(Duration::from_secs(1)).await;
        ticks += 1;
        // Every reply the simulator received, as the viewer would read it, above the status line.
        let replies = received_replies(&graph);
        for reply in replies.iter().skip(shown_replies) {
            if tty {
                print!("\r\x1b[2K");
            }
            println!("{reply}");
        }
        shown_replies = replies.len();
        if !tty && ticks % 5 != 0 {
            continue;
        }
        let Ok(stats) = store.session_stats(session.id).await else { continue };
        let line = status_line(
            &stats,
            &progress.snapshot(),
            graph.fb_replies().len(),
            graph.ig_private_replies().len(),
        );
        if tty {
            print!("\r\x1b[2K{line}");
        } else {
            println!("{line}");
        }
        let _ = std::io::stdout().flush();
    }
    println!();
    server.await.context("the hub task failed")??;
    graph.stop().await;
    Ok(())
}

/// Fails with the serve command's wording when `bind` is taken (e.g. by a running demo).
fn check_port_free(bind: &str) -> anyhow::Result<()> {
    let addr: std::net::SocketAddr =
        bind.parse().with_context(|| format!("--bind {bind:?} is not an address like 127.0.0.1:8080"))?;
    std::net::TcpListener::bind(addr).map(drop).map_err(|e| {
        anyhow::anyhow!(
            "cannot listen on {addr}: {e} (is another demo running? stop it, or choose another --bind); \
             the demo's data folder was left as it is"
        )
    })
}

/// Recreates the demo folder, refusing to touch one that holds anything but a demo database.
fn prepare_data_dir(dir: &PathBuf) -> anyhow::Result<PathBuf> {
    if dir.exists() {
        let foreign = std::fs::read_dir(dir)
            .with_context(|| format!("cannot read {}", dir.display()))?
            .filter_map(Result::ok)
            .any(|e| !e.file_name().to_string_lossy().starts_with("curbside.db"));
        if foreign {
            anyhow::bail!("{} holds other files; choose another --data-dir for the demo", dir.display());
        }
        std::fs::remove_dir_all(dir).with_context(|| format!("cannot clear {}", dir.display()))?;
    }
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    Ok(dir.join("curbside.db"))
}

/// Creates the demo's accounts; returns the specialists, to assign to the demo session.
async fn seed_accounts(store: &Store) -> anyhow::Result<Vec<curbside_domain::UserId>> {
    let mut specialists = Vec::new();
    for (email, name, role, credentials, password) in DEMO_ACCOUNTS {
        let new =
            new_user(email, name, *role, credentials, password).await.map_err(|e| anyhow::anyhow!("{e}"))?;
        let user = store.create_user(new, &Actor::system("demo")).await?;
        if user.role == Role::Specialist {
            specialists.push(user.id);
        }
    }
    Ok(specialists)
}

fn print_banner(base: &str, session: i64, overlay_key: &str, graph: &str, speed: f64) {
    println!("Curbside demo: a scripted 20-minute cardiology Q&A on Facebook Live and Instagram Live,");
    println!("played {speed}x faster through signed webhooks and Graph polling (simulator at {graph}).\n");
    println!("  Sign in          {base}/login");
    println!("  Moderator        {base}/console/{session}");
    println!("  Specialist       {base}/tablet/{session}");
    println!("  OBS overlay      {base}/overlay/heart-health-live?key={overlay_key}");
    println!("  Hub              {base}");
    println!("  Staff API        {base}/api/openapi.json");
    println!("  Question queue   {base}/api/sessions/{session}/questions");
    println!(
        "  Live events      {base}/s/heart-health-live/events  (public SSE)  ·  ws://{}/ws (staff)",
        base.trim_start_matches("http://")
    );
    println!("  Transcript       {base}/s/heart-health-live  (public page: answers appear here)");
    println!("  Metrics          {base}/metrics\n");
    println!("  Sign-ins (demo only):");
    for (email, _, role, _, password) in DEMO_ACCOUNTS {
        println!("    {:<11} {email:<32} {password}", role.as_str());
    }
    print_try_it(base, session);
    println!("  Ctrl-C stops the demo.\n");
}

/// One working sequence per role, as a shell would run it: the moderator triages (approves the
/// oldest new question, sends the crisis reply to the most urgent one), the specialist puts the
/// approved question on air and answers it. Every line runs as printed (`curl -f` fails loudly);
/// `tests/tests/documented.rs` runs them against a demo.
pub fn try_it(base: &str, session: i64) -> String {
    let auth = |who: &str| format!("curl -fsS -H \"Authorization: Bearer ${who}\"");
    let queue = format!("{base}/api/sessions/{session}/questions");
    [
        format!(
            "login() {{ curl -fsS {base}/api/login -H 'content-type: application/json' \\\n  \
             -d \"{{\\\"email\\\":\\\"$1\\\",\\\"password\\\":\\\"$2\\\"}}\" | sed 's/.*\"token\":\"\\([^\"]*\\)\".*/\\1/'; }}"
        ),
        "first() { sed 's/^{\"questions\":\\[{\"id\":\\([0-9]*\\).*/\\1/'; }".to_owned(),
        "MOD=$(login moderator@demo.curbside.test demo-moderator-password)".to_owned(),
        "DOC=$(login dr.lee@demo.curbside.test demo-specialist-password)".to_owned(),
        "# moderator: approve the oldest new question as worded (its redacted wording airs)".to_owned(),
        format!("Q=$({} '{queue}?state=new' | first)", auth("MOD")),
        format!("{} -X POST {base}/api/questions/$Q/approve", auth("MOD")),
        "# moderator: the queue with emergencies first; the one-click crisis reply to the first".to_owned(),
        format!("E=$({} '{queue}?state=new&order=priority' | first)", auth("MOD")),
        format!("{} -X POST {base}/api/questions/$E/crisis-reply", auth("MOD")),
        format!("{} {base}/api/sessions/{session}/follow-ups", auth("MOD")),
        "# specialist: on air, then the answer (replies go to Facebook and Instagram)".to_owned(),
        format!("{} -X POST {base}/api/questions/$Q/on-air", auth("DOC")),
        format!(
            "{} -X POST -H 'content-type: application/json' -d '{{\"text\":\"Your answer\"}}' {base}/api/questions/$Q/answer",
            auth("DOC")
        ),
    ]
    .join("\n")
}

fn print_try_it(base: &str, session: i64) {
    println!("\n  Try it from a shell (the screens above do the same):");
    for line in try_it(base, session).lines() {
        println!("    {line}");
    }
    println!("  The replies the simulator receives are printed here as they arrive.\n");
}

/// The replies the simulated platforms received, oldest first, one line each with the whole
/// text (the answer, the disclaimer and the transcript link).
fn received_replies(graph: &FakeGraph) -> Vec<String> {
    let mut replies: Vec<(std::time::Instant, String)> = graph
        .fb_replies()
        .into_iter()
        .map(|r| {
            (
                r.at,
                format!("  Facebook reply to comment {}: {}", r.comment_id, r.message.replace('\n', " / ")),
            )
        })
        .chain(graph.private_replies().into_iter().map(|r| {
            (
                r.at,
                format!(
                    "  {} private reply to comment {}: {}",
                    r.platform,
                    r.comment_id,
                    r.text.replace('\n', " / ")
                ),
            )
        }))
        .collect();
    replies.sort_by_key(|(at, _)| *at);
    replies.into_iter().map(|(_, line)| line).collect()
}

/// `fb 120 (webhook 110, poll 10) · ig 70 (…) · waiting 150 · answered 2 · replies fb 1 ig 1`
fn status_line(
    stats: &curbside_store::SessionStats,
    sim: &curbside_simulator::ProgressSnapshot,
    fb_replies: usize,
    ig_replies: usize,
) -> String {
    let count = |platform: &str, via: Option<&str>| -> i64 {
        stats
            .comments
            .iter()
            .filter(|(p, v, _)| p == platform && via.is_none_or(|w| v == w))
            .map(|(_, _, n)| n)
            .sum()
    };
    let state = |s: &str| -> i64 { stats.questions.iter().filter(|(q, _)| q == s).map(|(_, n)| n).sum() };
    let platform = |p: &str, short: &str| {
        format!(
            "{short} {} (webhook {}, poll {})",
            count(p, None),
            count(p, Some("webhook")),
            count(p, Some("poll"))
        )
    };
    let clock = sim.stream_time.as_secs();
    let flagged: Vec<String> = stats.flagged.iter().map(|(f, n)| format!("{f} {n}")).collect();
    let flagged =
        if flagged.is_empty() { String::new() } else { format!(" · flagged: {}", flagged.join(", ")) };
    format!(
        "[stream {:02}:{:02}{}] {} · {} · waiting {} · approved {} · answered {}{flagged} · replies: fb {fb_replies}, ig {ig_replies}",
        clock / 60,
        clock % 60,
        if sim.finished { " ended" } else { "" },
        platform("facebook", "fb"),
        platform("instagram", "ig"),
        state("new"),
        state("approved"),
        state("answered") + state("corrected"),
    )
}
