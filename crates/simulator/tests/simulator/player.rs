//! The player end to end: the whole cardiology script through the fake and a webhook receiver.

use crate::support::{start_graph, Client, Receiver};
use curbside_domain::Platform;
use curbside_meta::{
    parse_notification, parse_rest_fb_comment_page, verify_signature, Change, CommentVerb, LiveStatus,
};
use curbside_simulator::player::scripted_comment_id;
use curbside_simulator::{BroadcastStatus, Delivery, Player, Script, ScriptEvent, SimIds, TimeBase, Viewer};
use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

const START: i64 = 1_767_225_600;

#[tokio::test]
async fn the_cardiology_script_reaches_the_fake_and_the_webhook_endpoint_as_scripted() {
    let graph = start_graph().await;
    let receiver = Receiver::start().await;
    let ids = SimIds::default();
    let script = Script::cardiology(2026);
    let summary = script.summary();
    let player = Player::new(script.clone(), &graph, receiver.url.clone(), &ids.app_secret, ids.clone())
        .with_time_base(TimeBase::Fixed { start_unix: START });
    let progress = player.run(f64::INFINITY).await;

    // Every body is signed over its exact bytes and parses; collect what they carried.
    let mut adds: BTreeMap<String, usize> = BTreeMap::new();
    let mut verbs: BTreeMap<&'static str, usize> = BTreeMap::new();
    let mut statuses = Vec::new();
    let received = receiver.received();
    for delivery in &received {
        verify_signature(ids.app_secret.as_bytes(), &delivery.body, delivery.signature.as_deref())
            .expect("signed");
        let n = parse_notification(&delivery.body).expect("parses");
        assert_eq!(n.ignored_count(), 0);
        for change in n.changes {
            match change.change {
                Change::FacebookComment(c) => {
                    *verbs.entry(c.verb.as_str()).or_default() += 1;
                    assert_eq!(c.post_id, ids.post_id());
                    assert!(!c.is_from_page());
                    if c.verb == CommentVerb::Add {
                        *adds.entry(c.comment_id).or_default() += 1;
                    }
                }
                Change::InstagramComment(c) => {
                    assert_eq!(c.media_id.as_deref(), Some(ids.ig_media_id.as_str()));
                    assert_eq!(c.account_id, ids.ig_user_id);
                    *adds.entry(c.comment_id).or_default() += 1;
                }
                Change::LiveVideoStatus(s) => statuses.push(s.status),
                Change::Ignored { reason } => panic!("{reason}"),
            }
        }
    }
    assert_eq!(statuses, [LiveStatus::Live, LiveStatus::LiveStopped]);

    // Exactly the webhook-delivered comments came by webhook, retried ones twice.
    let expected: BTreeSet<String> = script
        .comments()
        .filter(|(item, _)| item.delivery != Delivery::PollOnly)
        .map(|(item, c)| scripted_comment_id(&ids, item.platform, c.key))
        .collect();
    assert_eq!(adds.keys().cloned().collect::<BTreeSet<_>>(), expected);
    assert_eq!(adds.values().filter(|&&n| n == 2).count(), summary.redeliveries);
    assert_eq!(verbs.get("edited").copied(), Some(summary.edits));
    assert_eq!(verbs.get("remove").copied(), Some(summary.removals));
    assert_eq!(verbs.get("hide").copied(), Some(summary.hides));
    assert_eq!(verbs.get("unhide").copied(), Some(summary.unhides));

    // Every comment is in the fake; polling sees all but the webhook-only and removed ones.
    let fb = graph.comments_on(&ids.live_video_id);
    let ig = graph.comments_on(&ids.ig_media_id);
    assert_eq!(fb.len() + ig.len(), summary.comments);
    assert_eq!(fb.len(), summary.facebook);
    assert!(fb.iter().all(|c| c.created_time >= START && c.created_time <= START + 1_200));
    let edited = script.items().iter().find_map(|i| match &i.event {
        ScriptEvent::Edit { key, text } => Some((scripted_comment_id(&ids, i.platform, *key), text.clone())),
        _ => None,
    });
    let (edited_id, edited_text) = edited.expect("the script edits a comment");
    assert_eq!(graph.comment(&edited_id).map(|c| c.text), Some(edited_text));

    let page = Client::page(&graph);
    let mut polled = BTreeSet::new();
    let mut reply = page
        .get(&format!("/{}/comments", ids.live_video_id), &[("filter", "stream"), ("limit", "100")])
        .await;
    loop {
        let parsed = parse_rest_fb_comment_page(&reply.body).expect("page");
        polled.extend(parsed.comments.into_iter().map(|c| c.comment_id));
        match parsed.next {
            Some(next) => reply = page.get_url(&next).await,
            None => break,
        }
    }
    let visible: BTreeSet<String> =
        fb.iter().filter(|c| c.visible_to_polling && !c.deleted).map(|c| c.id.clone()).collect();
    assert_eq!(polled, visible);
    let poll_only_fb: Vec<String> = script
        .comments()
        .filter(|(item, _)| item.delivery == Delivery::PollOnly && item.platform == Platform::Facebook)
        .map(|(item, c)| scripted_comment_id(&ids, item.platform, c.key))
        .collect();
    assert!(!poll_only_fb.is_empty() && poll_only_fb.iter().all(|id| polled.contains(id)));

    // The broadcast is over on both platforms.
    assert_eq!(graph.live_status(&ids.live_video_id), Some(BroadcastStatus::LiveStopped));

    // The counters agree with the script.
    assert!(progress.finished);
    assert_eq!(progress.comments, summary.comments);
    assert_eq!((progress.facebook, progress.instagram), (summary.facebook, summary.instagram));
    assert_eq!(progress.poll_only, summary.delivery(Delivery::PollOnly));
    assert_eq!(progress.webhook_only, summary.delivery(Delivery::WebhookOnly));
    assert_eq!(progress.via_webhook, summary.comments - summary.delivery(Delivery::PollOnly));
    assert_eq!(progress.edits, summary.edits);
    assert_eq!(progress.removals, summary.removals);
    assert_eq!(progress.hides, summary.hides + summary.unhides);
    assert_eq!(progress.redeliveries, summary.redeliveries);
    assert_eq!(progress.webhook_failures, 0);
    assert_eq!(progress.webhook_bodies, received.len());
    assert_eq!(player.progress().snapshot(), progress);
}

#[tokio::test]
async fn items_due_together_share_one_body_and_time_is_scaled() {
    let graph = start_graph().await;
    let receiver = Receiver::start().await;
    let ids = SimIds::default();
    let mut script = Script::new("tiny", Duration::from_secs(3));
    let at = Duration::from_secs(1);
    for n in 0..3 {
        script.add_comment(
            at,
            Platform::Facebook,
            Delivery::Both,
            Viewer::new(format!("{n}"), "A"),
            format!("q{n}"),
        );
    }
    script.add_comment(at, Platform::Instagram, Delivery::Both, Viewer::new("9", "b.b"), "ig");
    script.add_comment(at, Platform::Instagram, Delivery::PollOnly, Viewer::new("8", "c.c"), "poll me");
    let player = Player::new(script, &graph, receiver.url.clone(), &ids.app_secret, ids.clone());

    let started = Instant::now();
    let progress = player.run(10.0).await;
    let elapsed = started.elapsed();
    assert!(elapsed >= Duration::from_millis(290), "3 s of stream at 10x takes 0.3 s, took {elapsed:?}");
    assert!(elapsed < Duration::from_secs(3));

    let bodies: Vec<(String, usize)> = receiver
        .received()
        .iter()
        .map(|d| {
            let n = parse_notification(&d.body).expect("parses");
            (format!("{:?}", n.object), n.changes.len())
        })
        .collect();
    assert_eq!(
        bodies,
        [("Page".into(), 1), ("Page".into(), 3), ("Instagram".into(), 1), ("Page".into(), 1)],
        "live, the three Facebook comments together, the Instagram one, live_stopped"
    );
    assert_eq!((progress.comments, progress.poll_only), (5, 1));
    assert_eq!(graph.comments_on(&ids.ig_media_id).len(), 2);
}

#[tokio::test]
async fn a_refused_webhook_is_retried_and_then_counted_as_failed() {
    let graph = start_graph().await;
    let receiver = Receiver::start().await;
    receiver.answer_with(401);
    let ids = SimIds::default();
    let mut script = Script::new("tiny", Duration::from_millis(10));
    script.add_comment(Duration::ZERO, Platform::Facebook, Delivery::Both, Viewer::new("1", "A"), "q");
    let player = Player::new(script, &graph, receiver.url.clone(), b"not-the-app-secret", ids);
    // The demo runs the player on its own task, so its future must be `Send`.
    let progress =
        tokio::spawn(async move { player.run(f64::INFINITY).await }).await.expect("the player ran");
    assert_eq!((progress.webhook_bodies, progress.webhook_failures), (0, 3));
    assert_eq!(receiver.received().len(), 9, "three bodies, three attempts each");
}
