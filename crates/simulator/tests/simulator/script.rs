//! The cardiology script: deterministic, realistic in mix, and internally consistent.

use curbside_domain::Platform;
use curbside_simulator::{CommentKind, Delivery, Script, ScriptEvent, WebhookStyle};
use std::collections::HashMap;
use std::time::Duration;

#[test]
fn the_same_seed_gives_the_same_script_and_another_seed_another() {
    assert_eq!(Script::cardiology(7), Script::cardiology(7));
    assert_ne!(Script::cardiology(7), Script::cardiology(8));
}

#[test]
fn the_cardiology_script_has_every_variant_in_realistic_numbers() {
    for seed in [1, 7, 2026, u64::MAX] {
        let script = Script::cardiology(seed);
        let s = script.summary();
        assert_eq!(script.duration, Duration::from_secs(20 * 60));
        assert!((250..=400).contains(&s.comments), "seed {seed}: {} comments", s.comments);
        assert!(s.facebook > s.instagram && s.instagram > s.comments / 4, "seed {seed}: {s:?}");
        for kind in [
            CommentKind::Greeting,
            CommentKind::Question,
            CommentKind::Rephrase,
            CommentKind::Phi,
            CommentKind::PersonalAdvice,
            CommentKind::Spam,
            CommentKind::Reply,
            CommentKind::Chatter,
            CommentKind::Goodbye,
            CommentKind::DoublePost,
        ] {
            assert!(s.kind(kind) > 0, "seed {seed}: no {kind:?}");
        }
        assert_eq!((s.kind(CommentKind::Emergency), s.kind(CommentKind::Crisis)), (1, 1));
        assert_eq!((s.emergencies, s.crises), (2, 1), "the crisis is also an emergency");

        let poll_only = s.delivery(Delivery::PollOnly) as f64 / s.comments as f64;
        assert!((0.09..=0.11).contains(&poll_only), "seed {seed}: poll-only share {poll_only}");
        assert!(s.delivery(Delivery::WebhookOnly) >= 8);
        assert!(s.delivery(Delivery::Both) > s.comments * 4 / 5);
        assert!(s.redeliveries >= 8);

        assert!(s.phi >= 15 && s.personal_advice >= 15 && s.spam >= 10, "seed {seed}: {s:?}");
        assert!(s.spanish >= 15, "seed {seed}: {} in Spanish", s.spanish);
        assert!(s.threaded_replies >= 5, "seed {seed}: {s:?}");
        assert!(
            s.topics_asked_more_than_once >= 20 && s.topics_on_both_platforms >= 10,
            "seed {seed}: {s:?}"
        );
        assert_eq!((s.edits, s.removals, s.hides, s.unhides), (6, 5, 4, 1));
        for style in [WebhookStyle::Standard, WebhookStyle::WithPost, WebhookStyle::LegacySender] {
            assert!(s.by_style.get(&style).is_some_and(|&n| n > 0), "seed {seed}: no {style:?}");
        }
        assert!(s.last_comment_at < script.duration);
    }
}

#[test]
fn the_listed_situations_are_all_there() {
    let script = Script::cardiology(1);
    let texts: Vec<&str> = script.comments().map(|(_, c)| c.text.as_str()).collect();
    let has = |fragment: &str| texts.iter().any(|t| t.contains(fragment));
    assert!(has("should I double my lisinopril"));
    assert!(has("crushing chest pain right now") && has("left arm is numb"));
    assert!(has("555-01") && has("@example.com") && has("MRN"));
    assert!(has("cholesterol") && has("blood pressure") && has("statin") && has("AFib"));
    assert!(has("stent") && has("salt") && has("coffee") && has("palpitations"));
    assert!(has("http") || has("www."));
    assert!(has("¿"));

    let (emergency_item, _) =
        script.comments().find(|(_, c)| c.kind == CommentKind::Emergency).expect("emergency");
    assert_eq!((emergency_item.platform, emergency_item.delivery), (Platform::Facebook, Delivery::Both));
    let (crisis_item, _) = script.comments().find(|(_, c)| c.kind == CommentKind::Crisis).expect("crisis");
    assert_eq!((crisis_item.platform, crisis_item.delivery), (Platform::Instagram, Delivery::Both));
    let edited_to_phi = script
        .items()
        .iter()
        .any(|i| matches!(&i.event, ScriptEvent::Edit { text, .. } if text.contains("555-0198")));
    assert!(edited_to_phi, "one edit adds a phone number");
}

#[test]
fn events_and_replies_follow_what_they_refer_to() {
    for seed in [1, 99] {
        let script = Script::cardiology(seed);
        let comments: HashMap<_, _> = script.comments().map(|(item, c)| (c.key, (item, c))).collect();
        assert_eq!(comments.len(), script.summary().comments, "keys are unique");
        let mut last = Duration::ZERO;
        for item in script.items() {
            assert!(item.at >= last, "items are in time order");
            last = item.at;
            match &item.event {
                ScriptEvent::Comment(c) => {
                    if let Some(parent) = c.reply_to {
                        let (parent_item, parent_comment) = comments[&parent];
                        assert!(parent_item.at < item.at && parent_item.platform == item.platform);
                        assert!(parent_comment.reply_to.is_none(), "Facebook threads are one level deep");
                        assert_eq!(item.platform, Platform::Facebook);
                    }
                    if item.platform == Platform::Instagram && item.delivery == Delivery::PollOnly {
                        assert!(
                            item.at < Duration::from_secs(1_080),
                            "IG poll-only comments come before the end"
                        );
                    }
                }
                event => {
                    let (target, _) = comments[&event.target()];
                    assert!(target.at < item.at, "seed {seed}: an event after its comment");
                    assert_eq!(target.platform, Platform::Facebook);
                    assert_eq!(
                        target.delivery,
                        Delivery::Both,
                        "edited, hidden and removed comments are in both"
                    );
                    assert!(target.redeliver_after.is_none());
                }
            }
        }
    }
}

#[test]
fn hand_built_scripts_keep_time_order_and_fresh_keys() {
    let mut script = Script::new("tiny", Duration::from_secs(10));
    let viewer = curbside_simulator::Viewer::new("1", "A");
    let late = script.add_comment(
        Duration::from_secs(5),
        Platform::Facebook,
        Delivery::Both,
        viewer.clone(),
        "late",
    );
    let early =
        script.add_comment(Duration::from_secs(1), Platform::Instagram, Delivery::PollOnly, viewer, "early");
    script.add_event(Duration::from_secs(6), Platform::Facebook, ScriptEvent::Remove { key: late });
    assert_ne!(late, early);
    let order: Vec<Duration> = script.items().iter().map(|i| i.at).collect();
    assert_eq!(order, [Duration::from_secs(1), Duration::from_secs(5), Duration::from_secs(6)]);
    assert_eq!(script.summary().removals, 1);
}
