//! The fake Graph API, called over HTTP and read back with `curbside_meta`'s parsers.

use crate::support::{start_graph, start_graph_with, Client, Receiver};
use axum::http::Method;
use curbside_domain::Platform;
use curbside_meta::{
    parse_notification, parse_rest_fb_comment_page, parse_rest_ig_comment_page, verify_signature, Change,
    CommentPage, ErrorClass, FbRestComment, Usage,
};
use curbside_simulator::{
    BroadcastStatus, Fault, FaultRule, GraphConfig, Matcher, NewComment, SimIds, UsageConfig,
};
use std::time::Duration;

const FB_FIELDS: &str =
    "id,from{id,name},message,created_time,attachment,parent{id},live_broadcast_timestamp";
const BASE_TIME: i64 = 1_767_225_600;

fn ids() -> SimIds {
    SimIds::default()
}

fn comments_path() -> String {
    format!("/{}/comments", ids().live_video_id)
}

/// Seven Facebook comments, the fourth and sixth replies, one second apart from `BASE_TIME`.
fn add_fb_comments(graph: &curbside_simulator::FakeGraph) -> Vec<String> {
    let mut added: Vec<String> = Vec::new();
    for i in 0..7 {
        let mut comment = NewComment::new(
            &ids().live_video_id,
            format!("55252409510515{i}"),
            format!("Viewer {i}"),
            format!("comment {i}"),
        )
        .at(BASE_TIME + i);
        if i == 3 || i == 5 {
            comment = comment.reply_to(&added[0]);
        }
        added.push(graph.add_comment(comment).expect("comment added"));
    }
    added
}

fn fb_page(body: &[u8]) -> CommentPage<FbRestComment> {
    parse_rest_fb_comment_page(body).expect("a comment page curbside_meta can read")
}

async fn read_all_fb(client: &Client, params: &[(&str, &str)]) -> (Vec<FbRestComment>, usize, usize) {
    let first = client.get(&comments_path(), params).await;
    assert_eq!(first.status, 200, "{:?}", first.body);
    let mut page = fb_page(&first.body);
    let (mut comments, mut pages, mut empty) = (Vec::new(), 1, 0);
    loop {
        empty += usize::from(page.comments.is_empty());
        comments.extend(page.comments.clone());
        let Some(next) = page.next.clone() else { break };
        assert!(pages < 50, "paging does not terminate");
        let reply = client.get_url(&next).await;
        assert_eq!(reply.status, 200);
        page = fb_page(&reply.body);
        pages += 1;
    }
    (comments, pages, empty)
}

#[tokio::test]
async fn paging_with_empty_pages_terminates_and_returns_every_comment_in_order() {
    let graph = start_graph_with(GraphConfig::default().with_empty_pages_every(2)).await;
    let added = add_fb_comments(&graph);
    let client = Client::page(&graph);
    let params = [
        ("fields", FB_FIELDS),
        ("filter", "stream"),
        ("order", "chronological"),
        ("live_filter", "no_filter"),
        ("limit", "2"),
    ];
    let (comments, pages, empty) = read_all_fb(&client, &params).await;
    let ids: Vec<&str> = comments.iter().map(|c| c.comment_id.as_str()).collect();
    assert_eq!(ids, added.iter().map(String::as_str).collect::<Vec<_>>());
    assert!(empty >= 2, "empty pages carrying `next` were served ({empty} of {pages})");
    assert_eq!(comments[0].created_at, Some(BASE_TIME * 1_000));
    assert_eq!(comments[0].author_name.as_deref(), Some("Viewer 0"));
    assert_eq!(comments[3].parent_id.as_deref(), Some(added[0].as_str()));
    assert!(comments[0].comment_id.starts_with(&format!("{}_", self::ids().video_id)));

    // The `next` links point back at this fake, keep the version and carry the token and proof.
    let first = fb_page(&client.get(&comments_path(), &params).await.body);
    let next = first.next.expect("a next link");
    assert!(next.starts_with(&graph.versioned_url()), "{next}");
    assert!(next.contains("appsecret_proof=") && next.contains("after="));
}

#[tokio::test]
async fn since_is_exclusive_and_toplevel_leaves_out_replies() {
    let graph = start_graph().await;
    add_fb_comments(&graph);
    let client = Client::page(&graph);
    let since = (BASE_TIME + 4).to_string();
    let (comments, _, _) =
        read_all_fb(&client, &[("filter", "stream"), ("live_filter", "no_filter"), ("since", &since)]).await;
    assert_eq!(
        comments.iter().map(|c| c.message.clone().unwrap_or_default()).collect::<Vec<_>>(),
        ["comment 5", "comment 6"]
    );

    let (top, _, _) = read_all_fb(&client, &[("filter", "toplevel")]).await;
    assert_eq!(top.len(), 5, "two of seven are replies");

    let (reversed, _, _) =
        read_all_fb(&client, &[("filter", "stream"), ("order", "reverse_chronological")]).await;
    assert_eq!(reversed.first().and_then(|c| c.message.clone()).as_deref(), Some("comment 6"));
}

#[tokio::test]
async fn live_filter_other_than_its_two_values_is_error_100() {
    let graph = start_graph().await;
    let reply = Client::page(&graph).get(&comments_path(), &[("live_filter", "stream")]).await;
    assert_eq!(reply.status, 400);
    assert_eq!(reply.error_code().0, 100);
    let unknown_field = Client::page(&graph).get(&comments_path(), &[("fields", "id,nonsense")]).await;
    assert_eq!(unknown_field.error_code().0, 100);
}

#[tokio::test]
async fn instagram_pages_parse_newest_first_with_replies_nested() {
    let graph = start_graph().await;
    let media = ids().ig_media_id;
    let first = graph
        .add_comment(NewComment::new(&media, "6745000000000001", "linda.carter", "first").at(BASE_TIME))
        .expect("added");
    graph
        .add_comment(NewComment::new(&media, "6745000000000002", "nurse.mary", "second").at(BASE_TIME + 5))
        .expect("added");
    graph
        .add_comment(
            NewComment::new(&media, "6745000000000003", "tony_runs12", "a reply")
                .at(BASE_TIME + 9)
                .reply_to(&first),
        )
        .expect("added");
    let reply = Client::instagram(&graph)
        .get(
            &format!("/{media}/comments"),
            &[("fields", "id,text,timestamp,username,from{id,username},replies{id,text,timestamp,username}")],
        )
        .await;
    assert_eq!(reply.status, 200, "{:?}", reply.body);
    let page = parse_rest_ig_comment_page(&reply.body).expect("an IG page curbside_meta can read");
    assert!(page.skipped.is_empty(), "{:?}", page.skipped);
    let texts: Vec<&str> = page.comments.iter().map(|c| c.text.as_str()).collect();
    assert_eq!(texts, ["second", "first"], "top level only, newest first");
    let first = &page.comments[1];
    assert_eq!(first.username.as_deref(), Some("linda.carter"));
    assert_eq!(first.author_id.as_deref(), Some("6745000000000001"));
    assert_eq!(first.created_at, Some(BASE_TIME * 1_000));
    assert_eq!(first.replies.len(), 1);
    assert_eq!(first.replies[0].parent_id.as_deref(), Some(first.comment_id.as_str()));

    // Once the broadcast ends, Instagram's API has no live comments any more.
    graph.set_ig_media_live(&media, false);
    let after = Client::instagram(&graph).get(&format!("/{media}/comments"), &[]).await;
    assert!(parse_rest_ig_comment_page(&after.body).expect("page").comments.is_empty());
}

#[tokio::test]
async fn appsecret_proof_and_tokens_are_enforced() {
    let graph = start_graph().await;
    let http = reqwest::Client::new();
    let url = format!("{}{}", graph.versioned_url(), comments_path());
    let token = ids().page_token;

    let no_proof = http.get(&url).query(&[("access_token", &token)]).send().await.expect("answer");
    assert_eq!(no_proof.status(), 400);
    let e = curbside_meta::parse_graph_error(&no_proof.bytes().await.expect("body")).expect("envelope");
    assert_eq!(e.code, 100);

    let wrong = http
        .get(&url)
        .query(&[("access_token", token.as_str()), ("appsecret_proof", &"0".repeat(64))])
        .send()
        .await
        .expect("answer");
    assert_eq!(wrong.status(), 400);
    let e = curbside_meta::parse_graph_error(&wrong.bytes().await.expect("body")).expect("envelope");
    assert_eq!((e.code, e.message.as_str()), (100, "Invalid appsecret_proof provided in the API argument"));

    let unknown = Client::new(&graph, "EAAGnotAtokenThisFakeKnowsAbout").get(&comments_path(), &[]).await;
    assert_eq!(unknown.error_code().0, 190);
    assert!(unknown.headers.contains_key("www-authenticate"));

    let no_token = http.get(&url).send().await.expect("answer");
    assert_eq!(
        curbside_meta::parse_graph_error(&no_token.bytes().await.expect("body")).expect("envelope").code,
        104
    );

    // The Instagram token cannot see the Page's video: Graph says "does not exist".
    let cross = Client::instagram(&graph).get(&comments_path(), &[]).await;
    assert_eq!(cross.error_code(), (100, Some(33)));

    graph.expire_token(&token);
    assert_eq!(Client::page(&graph).get(&comments_path(), &[]).await.error_code(), (190, Some(463)));

    // Every call is recorded, refused ones included, with the path free of its version.
    let recorded = graph.requests();
    assert_eq!(recorded.len(), 6);
    assert!(recorded.iter().all(|r| r.path == comments_path()));
    assert_eq!(recorded[0].status, 400);
}

#[tokio::test]
async fn the_version_prefix_is_optional() {
    let graph = start_graph().await;
    let mut client = Client::page(&graph);
    client.base = graph.url();
    assert_eq!(client.get(&format!("/{}", ids().live_video_id), &[]).await.status, 200);
    client.base = format!("{}/v19.0", graph.url());
    assert_eq!(client.get(&format!("/{}", ids().live_video_id), &[]).await.status, 200);
    assert!(graph.requests().iter().all(|r| r.path == format!("/{}", ids().live_video_id)));
}

#[tokio::test]
async fn live_video_and_live_media_follow_the_broadcast_status() {
    let graph = start_graph().await;
    let page = Client::page(&graph);
    let live = page
        .get(&format!("/{}", ids().live_video_id), &[("fields", "id,status,video{id},permalink_url,title")])
        .await
        .json();
    assert_eq!(live["status"], "LIVE");
    assert_eq!(live["video"]["id"], ids().video_id.as_str());
    assert_eq!(live["permalink_url"], ids().permalink_path().as_str());
    assert_eq!(live["title"], ids().title.as_str());

    let listed = page
        .get(
            &format!("/{}/live_videos", ids().page_id),
            &[("broadcast_status", r#"["LIVE"]"#), ("fields", "id,status")],
        )
        .await
        .json();
    assert_eq!(listed["data"][0]["id"], ids().live_video_id.as_str());
    let media = Client::instagram(&graph)
        .get(&format!("/{}/live_media", ids().ig_user_id), &[("fields", "id,media_product_type")])
        .await
        .json();
    assert_eq!(media["data"][0]["media_product_type"], "LIVE");

    assert!(graph.set_live_status(&ids().live_video_id, BroadcastStatus::LiveStopped));
    graph.set_ig_media_live(&ids().ig_media_id, false);
    let live = page.get(&format!("/{}", ids().live_video_id), &[("fields", "status")]).await.json();
    assert_eq!(live["status"], "LIVE_STOPPED");
    let listed = page
        .get(&format!("/{}/live_videos", ids().page_id), &[("broadcast_status", r#"["LIVE"]"#)])
        .await
        .json();
    assert_eq!(listed["data"].as_array().map(Vec::len), Some(0));
    let media = Client::instagram(&graph).get(&format!("/{}/live_media", ids().ig_user_id), &[]).await.json();
    assert_eq!(media["data"].as_array().map(Vec::len), Some(0));
    let bad =
        page.get(&format!("/{}/live_videos", ids().page_id), &[("broadcast_status", r#"["ON_AIR"]"#)]).await;
    assert_eq!(bad.error_code().0, 100);
}

#[tokio::test]
async fn a_page_reply_is_recorded_and_polling_sees_it_as_the_pages_comment() {
    let graph = start_graph().await;
    let added = add_fb_comments(&graph);
    let page = Client::page(&graph);
    // Replying to a reply joins the top-level comment's thread, as on Facebook.
    let reply = page
        .post_form(&format!("/{}/comments", added[3]), &[("message", "Good question: see the transcript.")])
        .await;
    assert_eq!(reply.status, 200, "{:?}", reply.body);
    let reply_id = reply.json()["id"].as_str().expect("an id").to_owned();

    let replies = graph.fb_replies();
    assert_eq!(replies.len(), 1);
    assert_eq!(
        (replies[0].reply_id.as_str(), replies[0].comment_id.as_str()),
        (reply_id.as_str(), added[3].as_str())
    );
    assert_eq!(replies[0].message, "Good question: see the transcript.");

    let (comments, _, _) = read_all_fb(&page, &[("filter", "stream"), ("fields", FB_FIELDS)]).await;
    let ours = comments.iter().find(|c| c.comment_id == reply_id).expect("the reply is polled");
    assert_eq!(ours.author_id.as_deref(), Some(ids().page_id.as_str()));
    assert_eq!(ours.parent_id.as_deref(), Some(added[0].as_str()));

    let json = page
        .post_json(&format!("/{}/comments", added[1]), serde_json::json!({"message": "JSON works too"}))
        .await;
    assert_eq!(json.status, 200);
    let empty = page.post_form(&format!("/{}/comments", added[1]), &[("message", "  ")]).await;
    assert_eq!(empty.error_code().0, 100);
    assert_eq!(graph.fb_replies().len(), 2);
}

fn private_reply_body(comment_id: &str, text: &str) -> serde_json::Value {
    serde_json::json!({"recipient": {"comment_id": comment_id}, "message": {"text": text}})
}

#[tokio::test]
async fn an_instagram_private_reply_is_sent_once_and_only_while_live() {
    let graph = start_graph().await;
    let media = ids().ig_media_id;
    let first =
        graph.add_comment(NewComment::new(&media, "6745000000000001", "linda.carter", "q1")).expect("added");
    let second =
        graph.add_comment(NewComment::new(&media, "6745000000000002", "nurse.mary", "q2")).expect("added");
    let ig = Client::instagram(&graph);
    let path = format!("/{}/messages", ids().ig_user_id);

    let sent = ig.post_json(&path, private_reply_body(&first, "Thanks for asking! Answer: …")).await;
    assert_eq!(sent.status, 200, "{:?}", sent.body);
    assert_eq!(sent.json()["recipient_id"], "6745000000000001");
    assert!(sent.json()["message_id"].as_str().is_some_and(|m| !m.is_empty()));

    let again = ig.post_json(&path, private_reply_body(&first, "again")).await;
    assert_eq!(again.status, 400);
    assert_eq!(again.error_code(), (10900, Some(2534014)));

    graph.set_ig_media_live(&media, false);
    // Form-encoded JSON fields, as the Send API also accepts.
    let late = ig
        .post_form(
            &path,
            &[("recipient", &format!(r#"{{"comment_id":"{second}"}}"#)), ("message", r#"{"text":"late"}"#)],
        )
        .await;
    assert_eq!(late.status, 403);
    assert_eq!(late.error_code(), (10, Some(2534022)));
    let parsed = curbside_meta::parse_graph_error(&late.body).expect("envelope");
    assert_eq!(parsed.class(), ErrorClass::PermissionDenied);

    let sent = graph.ig_private_replies();
    assert_eq!(sent.len(), 1);
    assert_eq!((sent[0].comment_id.as_str(), sent[0].platform), (first.as_str(), Platform::Instagram));

    // Public replies to live comments do not exist on Instagram.
    let public = ig.post_form(&format!("/{first}/replies"), &[("message", "hi")]).await;
    assert_eq!(public.error_code().0, 100);
}

#[tokio::test]
async fn hide_unhide_and_delete_are_recorded_and_change_what_polling_returns() {
    let graph = start_graph().await;
    let added = add_fb_comments(&graph);
    let ig_comment = graph
        .add_comment(NewComment::new(&ids().ig_media_id, "6745000000000009", "spam.bot", "buy"))
        .expect("added");
    let page = Client::page(&graph);
    assert_eq!(
        page.post_form(&format!("/{}", added[2]), &[("is_hidden", "true")]).await.json()["success"],
        true
    );
    assert_eq!(page.post_form(&format!("/{}", added[2]), &[("is_hidden", "false")]).await.status, 200);
    let ig = Client::instagram(&graph);
    assert_eq!(ig.post_form(&format!("/{ig_comment}"), &[("hide", "true")]).await.json()["success"], true);
    assert_eq!(page.post_form(&format!("/{}", added[2]), &[("hide", "true")]).await.error_code().0, 100);

    let hidden = graph.hidden();
    assert_eq!(
        hidden.iter().map(|h| (h.comment_id.as_str(), h.hidden, h.platform)).collect::<Vec<_>>(),
        [
            (added[2].as_str(), true, Platform::Facebook),
            (added[2].as_str(), false, Platform::Facebook),
            (ig_comment.as_str(), true, Platform::Instagram),
        ]
    );

    assert_eq!(page.delete(&format!("/{}", added[1])).await.json()["success"], true);
    assert_eq!(graph.deleted(), vec![added[1].clone()]);
    let (comments, _, _) = read_all_fb(&page, &[("filter", "stream")]).await;
    assert_eq!(comments.len(), 6);
    assert!(comments.iter().all(|c| c.comment_id != added[1]));
    assert_eq!(page.delete(&format!("/{}", added[1])).await.error_code(), (100, Some(33)));
}

#[tokio::test]
async fn faults_fire_the_configured_number_of_times() {
    let graph = start_graph().await;
    let page = Client::page(&graph);
    let id = graph.inject(FaultRule::new(Matcher::path("/comments"), Fault::ServerError(500)).times(2));
    let statuses = [
        page.get(&comments_path(), &[]).await.status,
        page.get(&comments_path(), &[]).await.status,
        page.get(&comments_path(), &[]).await.status,
    ];
    assert_eq!(statuses, [500, 500, 200]);
    assert_eq!(graph.fault_hits(id), 2);
    assert_eq!(graph.requests().iter().filter(|r| r.fault.is_some()).count(), 2);

    // A method filter leaves other calls alone.
    graph.inject(FaultRule::new(Matcher::method(Method::POST), Fault::PermissionDenied(200)));
    assert_eq!(page.get(&comments_path(), &[]).await.status, 200);
    let denied = page.post_form(&format!("/{}/comments", ids().video_id), &[("message", "x")]).await;
    assert_eq!((denied.status, denied.error_code().0), (403, 200));

    graph.inject(FaultRule::new(Matcher::any(), Fault::ExpiredToken));
    assert_eq!(page.get(&comments_path(), &[]).await.error_code(), (190, Some(463)));

    graph.inject(FaultRule::new(Matcher::any(), Fault::InvalidParameter));
    assert_eq!(page.get(&comments_path(), &[]).await.error_code().0, 100);

    graph.inject(FaultRule::new(Matcher::any(), Fault::ServerError(502)));
    let proxy = page.get(&comments_path(), &[]).await;
    assert_eq!(proxy.status, 502);
    assert!(curbside_meta::parse_graph_error(&proxy.body).is_err(), "a proxy page, not an envelope");

    graph.inject(FaultRule::new(Matcher::any(), Fault::ServerError(503)));
    let unavailable = page.get(&comments_path(), &[]).await;
    assert_eq!((unavailable.status, unavailable.error_code().0), (503, 2));
}

#[tokio::test]
async fn a_throttle_carries_its_code_and_usage_headers() {
    let graph = start_graph().await;
    let page = Client::page(&graph);
    for code in [4, 17, 32, 613, 80001] {
        graph.inject(FaultRule::new(
            Matcher::any(),
            Fault::Throttle { code, regain_minutes: 7, usage_percent: 100 },
        ));
        let reply = page.get(&comments_path(), &[]).await;
        let e = curbside_meta::parse_graph_error(&reply.body).expect("envelope");
        assert_eq!((reply.status, e.code, e.class()), (400, code, ErrorClass::Throttled));
        let usage =
            Usage::from_headers(reply.headers.iter().map(|(name, value)| (name.as_str(), value.as_bytes())))
                .expect("usage headers");
        assert_eq!(usage.max_percent, 100.0);
        assert_eq!(usage.regain_after, Some(Duration::from_secs(7 * 60)));
    }

    // Ordinary responses carry the configured usage, the BUC header keyed by the Page.
    graph.set_usage(UsageConfig { app_percent: Some(80), business_percent: Some(40), regain_minutes: 0 });
    let reply = page.get(&comments_path(), &[]).await;
    let buc = reply.headers.get("x-business-use-case-usage").expect("BUC header").to_str().expect("text");
    let buc: serde_json::Value = serde_json::from_str(buc).expect("json");
    assert_eq!(buc[ids().page_id.as_str()][0]["type"], "pages");
    let usage =
        Usage::from_headers(reply.headers.iter().map(|(n, v)| (n.as_str(), v.as_bytes()))).expect("usage");
    assert_eq!(usage.max_percent, 80.0);
}

#[tokio::test]
async fn a_timeout_holds_past_the_client_deadline_and_stays_bounded() {
    let config = GraphConfig { max_hold: Duration::from_millis(400), ..GraphConfig::default() };
    let graph = start_graph_with(config).await;
    graph.inject(FaultRule::new(Matcher::path("/comments"), Fault::Timeout(Duration::from_secs(60))));
    let secret = graph.app_secret();
    let token = ids().page_token;
    let proof = curbside_meta::appsecret_proof(&secret, &token);
    let url = format!("{}{}", graph.versioned_url(), comments_path());
    let impatient = reqwest::Client::builder().timeout(Duration::from_millis(100)).build().expect("client");
    let result =
        impatient.get(&url).query(&[("access_token", &token), ("appsecret_proof", &proof)]).send().await;
    assert!(result.is_err_and(|e| e.is_timeout()));

    // The hold is capped by `max_hold`, then the fake answers 504 having done nothing.
    graph.inject(FaultRule::new(Matcher::path("/comments"), Fault::Timeout(Duration::from_secs(60))));
    let started = std::time::Instant::now();
    let reply = Client::page(&graph).get(&comments_path(), &[]).await;
    assert_eq!(reply.status, 504);
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[tokio::test]
async fn accept_then_drop_posts_the_reply_but_the_caller_sees_a_500() {
    let graph = start_graph().await;
    let added = add_fb_comments(&graph);
    graph.inject(FaultRule::new(Matcher::method_path(Method::POST, "/comments"), Fault::AcceptThenDrop));
    let reply =
        Client::page(&graph).post_form(&format!("/{}/comments", added[0]), &[("message", "answer")]).await;
    assert_eq!(reply.status, 500);
    assert_eq!(reply.error_code().0, 1);
    assert_eq!(graph.fb_replies().len(), 1, "Meta acted even though the caller saw a failure");
}

#[tokio::test]
async fn the_pages_own_actions_echo_as_signed_feed_webhooks() {
    let receiver = Receiver::start().await;
    let graph = start_graph_with(GraphConfig::default().with_echo_webhooks_to(receiver.url.clone())).await;
    let added = add_fb_comments(&graph);
    let page = Client::page(&graph);
    page.post_form(&format!("/{}/comments", added[0]), &[("message", "answer")]).await;
    page.post_form(&format!("/{}", added[1]), &[("is_hidden", "true")]).await;
    let received = receiver.wait_for(2).await;
    assert_eq!(received.len(), 2);
    let secret = graph.app_secret();
    let mut verbs = Vec::new();
    for delivery in &received {
        verify_signature(&secret, &delivery.body, delivery.signature.as_deref()).expect("signed like Meta");
        for change in parse_notification(&delivery.body).expect("parses").changes {
            match change.change {
                Change::FacebookComment(c) => verbs.push((c.verb.as_str(), c.is_from_page())),
                other => panic!("unexpected {other:?}"),
            }
        }
    }
    verbs.sort();
    assert_eq!(verbs, [("add", true), ("hide", false)]);
}

#[tokio::test]
async fn stopping_the_fake_closes_its_port_promptly() {
    let graph = start_graph().await;
    let url = graph.versioned_url();
    let client = Client::page(&graph);
    assert_eq!(client.get(&comments_path(), &[]).await.status, 200);
    let started = std::time::Instant::now();
    graph.stop().await;
    assert!(started.elapsed() < Duration::from_secs(2), "stop took {:?}", started.elapsed());
    assert!(reqwest::get(format!("{url}{}", comments_path())).await.is_err());
}
