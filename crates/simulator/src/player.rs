//! Plays a [`Script`] in scaled real time: at each item's moment the comment appears in the fake
//! Graph API (for polling) and its signed webhook goes to Curbside, batched like Meta batches.
//!
//! The broadcast starts with a `live_videos` `live` webhook and ends with `live_stopped` (and the
//! IG media going off air). Items delivered `PollOnly` get no webhook; `WebhookOnly` ones are
//! hidden from the comments edge; redeliveries are sent again later in their own body. Counters
//! in [`ProgressHandle`] feed the demo's status line.

use crate::graph::{BroadcastStatus, GraphHandle, NewComment};
use crate::ids::SimIds;
use crate::script::{CommentKey, Delivery, Script, ScriptComment, ScriptEvent, ScriptItem, WebhookStyle};
use crate::time::now_unix;
use crate::webhook::{
    AuthorForm, CommentVerb, FeedComment, IgComment, IgIdKey, WebhookBody, WebhookChange, WebhookEntry,
    WebhookSender, MAX_BATCH,
};
use curbside_domain::Platform;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use url::Url;

/// Failed webhook deliveries are retried this many times (Meta retries at once, then backs off).
const DELIVERY_ATTEMPTS: u32 = 3;

/// Where comment timestamps come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TimeBase {
    /// The wall clock when each item plays: what a live demo shows.
    #[default]
    Wall,
    /// `start_unix` plus the item's stream time: identical timestamps on every run.
    Fixed { start_unix: i64 },
}

/// Live counters, readable while the player runs.
#[derive(Debug, Clone, Default)]
pub struct ProgressHandle(Arc<Progress>);

#[derive(Debug, Default)]
struct Progress {
    comments: AtomicUsize,
    facebook: AtomicUsize,
    instagram: AtomicUsize,
    via_webhook: AtomicUsize,
    webhook_only: AtomicUsize,
    poll_only: AtomicUsize,
    edits: AtomicUsize,
    removals: AtomicUsize,
    hides: AtomicUsize,
    redeliveries: AtomicUsize,
    webhook_bodies: AtomicUsize,
    webhook_failures: AtomicUsize,
    stream_millis: AtomicU64,
    finished: AtomicBool,
}

/// A copy of the counters at one moment.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ProgressSnapshot {
    /// Comments played so far (each appears in the fake and/or a webhook).
    pub comments: usize,
    pub facebook: usize,
    pub instagram: usize,
    /// Comments sent in a webhook (`Both` and `WebhookOnly`).
    pub via_webhook: usize,
    pub webhook_only: usize,
    /// Comments left out of the webhooks on purpose: only polling can find them.
    pub poll_only: usize,
    pub edits: usize,
    pub removals: usize,
    /// Hides and unhides.
    pub hides: usize,
    /// Webhook changes sent a second time (Meta's retries).
    pub redeliveries: usize,
    /// Webhook bodies Curbside answered with a 2xx.
    pub webhook_bodies: usize,
    /// Bodies still refused or unanswered after every retry.
    pub webhook_failures: usize,
    pub stream_time: Duration,
    pub finished: bool,
}

impl ProgressHandle {
    pub fn snapshot(&self) -> ProgressSnapshot {
        let p = &self.0;
        let get = |a: &AtomicUsize| a.load(Ordering::Relaxed);
        ProgressSnapshot {
            comments: get(&p.comments),
            facebook: get(&p.facebook),
            instagram: get(&p.instagram),
            via_webhook: get(&p.via_webhook),
            webhook_only: get(&p.webhook_only),
            poll_only: get(&p.poll_only),
            edits: get(&p.edits),
            removals: get(&p.removals),
            hides: get(&p.hides),
            redeliveries: get(&p.redeliveries),
            webhook_bodies: get(&p.webhook_bodies),
            webhook_failures: get(&p.webhook_failures),
            stream_time: Duration::from_millis(p.stream_millis.load(Ordering::Relaxed)),
            finished: p.finished.load(Ordering::Relaxed),
        }
    }

    fn bump(counter: &AtomicUsize) {
        counter.fetch_add(1, Ordering::Relaxed);
    }
}

/// Plays one script against one fake Graph and one webhook endpoint.
#[derive(Debug)]
pub struct Player {
    script: Arc<Script>,
    graph: GraphHandle,
    sender: WebhookSender,
    ids: SimIds,
    progress: ProgressHandle,
    time_base: TimeBase,
    end_grace: Duration,
}

/// The platform id the player gives a scripted comment: Facebook `{video_id}_{15 digits}`,
/// Instagram 17 digits. Distinct from the ids the fake makes for the Page's own replies.
pub fn scripted_comment_id(ids: &SimIds, platform: Platform, key: CommentKey) -> String {
    match platform {
        Platform::Instagram => (17_865_000_000_000_000u64 + key.0 as u64).to_string(),
        _ => format!("{}_{}", ids.video_id, 912_000_000_000_000u64 + key.0 as u64),
    }
}

impl Player {
    /// `webhook_target` is Curbside's `POST /webhooks/meta` URL; `app_secret` signs the webhooks
    /// (pass another secret than `ids.app_secret` to test rejection).
    pub fn new(
        script: Script,
        graph: &GraphHandle,
        webhook_target: Url,
        app_secret: impl AsRef<[u8]>,
        ids: SimIds,
    ) -> Player {
        Player {
            script: Arc::new(script),
            graph: graph.clone(),
            sender: WebhookSender::new(webhook_target, app_secret),
            ids,
            progress: ProgressHandle::default(),
            time_base: TimeBase::Wall,
            end_grace: Duration::ZERO,
        }
    }

    pub fn with_time_base(mut self, time_base: TimeBase) -> Player {
        self.time_base = time_base;
        self
    }

    /// Extra wall time between the script's end and going off air, so pollers can catch up.
    pub fn with_end_grace(mut self, grace: Duration) -> Player {
        self.end_grace = grace;
        self
    }

    pub fn script(&self) -> &Script {
        &self.script
    }

    pub fn progress(&self) -> ProgressHandle {
        self.progress.clone()
    }

    pub fn ids(&self) -> &SimIds {
        &self.ids
    }

    /// The platform comment id of a scripted comment.
    pub fn comment_id(&self, key: CommentKey) -> Option<String> {
        self.script.comment(key).map(|(item, _)| scripted_comment_id(&self.ids, item.platform, key))
    }

    /// Plays the whole script, `speed` times faster than real time (`f64::INFINITY`: no waiting;
    /// zero, negative or NaN: real time). Run once per fake: a second run's comments already exist.
    pub async fn run(&self, speed: f64) -> ProgressSnapshot {
        let speed = if speed.is_nan() || speed <= 0.0 { 1.0 } else { speed };
        let clock = Clock { started: Instant::now(), speed };
        let comments: HashMap<CommentKey, (Platform, &ScriptComment)> =
            self.script.comments().map(|(item, c)| (c.key, (item.platform, c))).collect();

        self.graph.set_live_status(&self.ids.live_video_id, BroadcastStatus::Live);
        self.graph.set_ig_media_live(&self.ids.ig_media_id, true);
        let time = self.timestamp(Duration::ZERO);
        self.deliver(WebhookBody::page().with_entry(
            &self.ids.page_id,
            time,
            vec![WebhookChange::live_video_status(&self.ids.live_video_id, "live")],
        ))
        .await;

        let items = self.script.items();
        let mut next = 0;
        let mut retries: Vec<(Duration, WebhookBody)> = Vec::new();
        let mut batch = 0usize;
        loop {
            let next_item = items.get(next).map(|i| i.at);
            let next_retry = retries.iter().map(|(at, _)| *at).min();
            let Some(due) = [next_item, next_retry].into_iter().flatten().min() else { break };
            clock.sleep_until(due).await;
            let now = clock.stream_time().max(due);

            let mut facebook = WebhookBody::page();
            let mut instagram = WebhookBody::instagram();
            while let Some(item) = items.get(next).filter(|i| i.at <= now) {
                self.play(item, &comments, batch, &mut facebook, &mut instagram, &mut retries);
                next += 1;
            }
            batch += 1;
            for body in [facebook, instagram] {
                if !body.is_empty() {
                    self.deliver(body).await;
                }
            }
            let (due_now, later): (Vec<_>, Vec<_>) = retries.into_iter().partition(|(at, _)| *at <= now);
            retries = later;
            for (_, body) in due_now {
                ProgressHandle::bump(&self.progress.0.redeliveries);
                self.deliver(body).await;
            }
            let shown = now.min(self.script.duration).as_millis().min(u64::MAX as u128) as u64;
            self.progress.0.stream_millis.store(shown, Ordering::Relaxed);
        }

        clock.sleep_until(self.script.duration).await;
        if !self.end_grace.is_zero() {
            tokio::time::sleep(self.end_grace).await;
        }
        self.graph.set_live_status(&self.ids.live_video_id, BroadcastStatus::LiveStopped);
        self.graph.set_ig_media_live(&self.ids.ig_media_id, false);
        let time = self.timestamp(self.script.duration);
        self.deliver(WebhookBody::page().with_entry(
            &self.ids.page_id,
            time,
            vec![WebhookChange::live_video_status(&self.ids.live_video_id, "live_stopped")],
        ))
        .await;
        let millis = self.script.duration.as_millis().min(u64::MAX as u128) as u64;
        self.progress.0.stream_millis.store(millis, Ordering::Relaxed);
        self.progress.0.finished.store(true, Ordering::Relaxed);
        self.progress.snapshot()
    }

    fn timestamp(&self, at: Duration) -> i64 {
        match self.time_base {
            TimeBase::Wall => now_unix(),
            TimeBase::Fixed { start_unix } => start_unix + at.as_secs() as i64,
        }
    }

    /// Applies one item to the fake and adds its webhook change to the batch.
    fn play(
        &self,
        item: &ScriptItem,
        comments: &HashMap<CommentKey, (Platform, &ScriptComment)>,
        batch: usize,
        facebook: &mut WebhookBody,
        instagram: &mut WebhookBody,
        retries: &mut Vec<(Duration, WebhookBody)>,
    ) {
        let time = self.timestamp(item.at);
        let progress = &self.progress.0;
        let change = match &item.event {
            ScriptEvent::Comment(comment) => {
                ProgressHandle::bump(&progress.comments);
                self.play_comment(item, comment, time)
            }
            event => {
                let key = event.target();
                let Some(&(platform, comment)) = comments.get(&key) else {
                    tracing::debug!(key = key.0, "scripted event about an unknown comment; skipped");
                    return;
                };
                self.play_event(event, platform, comment, item.style, time)
            }
        };
        let Some(change) = change else { return };
        let (body, entry_id) = match item.platform {
            Platform::Instagram => (instagram, &self.ids.ig_user_id),
            _ => (facebook, &self.ids.page_id),
        };
        if let Some(after) = item.redeliver_after {
            let retry =
                WebhookBody::new(body.object.clone()).with_entry(entry_id, time, vec![change.clone()]);
            retries.push((item.at + after, retry));
        }
        // Meta sometimes puts each change in its own entry, sometimes all in one: alternate.
        if batch % 2 == 1 {
            body.entries.push(WebhookEntry { id: entry_id.clone(), time, changes: vec![change] });
        } else {
            body.push(entry_id, time, change);
        }
    }

    fn play_comment(&self, item: &ScriptItem, comment: &ScriptComment, time: i64) -> Option<WebhookChange> {
        let progress = &self.progress.0;
        let id = scripted_comment_id(&self.ids, item.platform, comment.key);
        let parent = comment.reply_to.map(|k| scripted_comment_id(&self.ids, item.platform, k));
        let object = match item.platform {
            Platform::Instagram => &self.ids.ig_media_id,
            _ => &self.ids.live_video_id,
        };
        let mut new = NewComment::new(object, &comment.author.id, &comment.author.name, &comment.text)
            .with_id(&id)
            .at(time);
        if let Some(parent) = &parent {
            new = new.reply_to(parent);
        }
        if item.delivery == Delivery::WebhookOnly {
            new = new.webhook_only();
        }
        if let Err(error) = self.graph.add_comment(new) {
            tracing::debug!(%error, "scripted comment not added to the fake Graph API");
        }
        match item.platform {
            Platform::Instagram => ProgressHandle::bump(&progress.instagram),
            _ => ProgressHandle::bump(&progress.facebook),
        }
        match item.delivery {
            Delivery::PollOnly => {
                ProgressHandle::bump(&progress.poll_only);
                return None;
            }
            Delivery::WebhookOnly => ProgressHandle::bump(&progress.webhook_only),
            Delivery::Both => {}
        }
        ProgressHandle::bump(&progress.via_webhook);
        Some(match item.platform {
            Platform::Instagram => {
                let mut change =
                    IgComment::live(object, &id, &comment.author.id, &comment.author.name, &comment.text);
                if let Some(parent) = parent {
                    change = change.reply_to(parent);
                }
                if item.style == WebhookStyle::IgCommentIdKey {
                    change = change.with_id_key(IgIdKey::CommentId);
                }
                WebhookChange::Instagram(change)
            }
            _ => {
                let mut change = FeedComment::add(
                    self.ids.post_id(),
                    &id,
                    &comment.author.id,
                    &comment.author.name,
                    &comment.text,
                    time,
                )
                .with_form(author_form(item.style));
                if let Some(parent) = parent {
                    change = change.reply_to(parent);
                }
                WebhookChange::Feed(change)
            }
        })
    }

    /// Edits, removals and hides change the fake; on Facebook they also send a `feed` webhook.
    /// Instagram sends no webhook for them, so there they only show in polling.
    fn play_event(
        &self,
        event: &ScriptEvent,
        platform: Platform,
        comment: &ScriptComment,
        style: WebhookStyle,
        time: i64,
    ) -> Option<WebhookChange> {
        let progress = &self.progress.0;
        let id = scripted_comment_id(&self.ids, platform, comment.key);
        let (verb, text) = match event {
            ScriptEvent::Edit { text, .. } => {
                ProgressHandle::bump(&progress.edits);
                self.report(self.graph.edit_comment(&id, text.clone()));
                (CommentVerb::Edited, text.clone())
            }
            ScriptEvent::Remove { .. } => {
                ProgressHandle::bump(&progress.removals);
                self.report(self.graph.remove_comment(&id));
                (CommentVerb::Remove, String::new())
            }
            ScriptEvent::Hide { .. } | ScriptEvent::Unhide { .. } => {
                ProgressHandle::bump(&progress.hides);
                let hidden = matches!(event, ScriptEvent::Hide { .. });
                self.report(self.graph.set_comment_hidden(&id, hidden));
                let verb = if hidden { CommentVerb::Hide } else { CommentVerb::Unhide };
                (verb, self.graph.comment(&id).map(|c| c.text).unwrap_or_else(|| comment.text.clone()))
            }
            ScriptEvent::Comment(_) => return None,
        };
        if platform == Platform::Instagram {
            return None;
        }
        let created = self.graph.comment(&id).map_or(time, |c| c.created_time);
        let mut change = FeedComment::add(
            self.ids.post_id(),
            &id,
            &comment.author.id,
            &comment.author.name,
            text,
            created,
        )
        .with_form(author_form(style));
        if let Some(parent) = comment.reply_to {
            change = change.reply_to(scripted_comment_id(&self.ids, platform, parent));
        }
        Some(WebhookChange::Feed(change.with_verb(verb)))
    }

    fn report(&self, result: Result<(), crate::graph::SetupError>) {
        if let Err(error) = result {
            tracing::debug!(%error, "scripted event not applied to the fake Graph API");
        }
    }

    /// Sends a body (split to Meta's batch limit), retrying refusals and network errors.
    async fn deliver(&self, body: WebhookBody) {
        for part in body.split(MAX_BATCH) {
            let bytes = bytes::Bytes::from(part.to_bytes());
            let mut delivered = false;
            for attempt in 0..DELIVERY_ATTEMPTS {
                if attempt > 0 {
                    tokio::time::sleep(Duration::from_millis(50 << attempt)).await;
                }
                match self.sender.send_bytes(bytes.clone()).await {
                    Ok(outcome) if outcome.is_success() => {
                        delivered = true;
                        break;
                    }
                    Ok(outcome) => tracing::debug!(status = %outcome.status, "webhook refused"),
                    Err(error) => tracing::debug!(%error, "webhook not delivered"),
                }
            }
            let counter =
                if delivered { &self.progress.0.webhook_bodies } else { &self.progress.0.webhook_failures };
            ProgressHandle::bump(counter);
        }
    }
}

fn author_form(style: WebhookStyle) -> AuthorForm {
    match style {
        WebhookStyle::LegacySender => AuthorForm::SenderId,
        WebhookStyle::WithPost => AuthorForm::FromWithPost,
        _ => AuthorForm::From,
    }
}

/// Stream time against wall time at a given speed.
struct Clock {
    started: Instant,
    speed: f64,
}

impl Clock {
    fn wall(&self, stream: Duration) -> Duration {
        Duration::try_from_secs_f64(stream.as_secs_f64() / self.speed).unwrap_or(Duration::ZERO)
    }

    fn stream_time(&self) -> Duration {
        if self.speed.is_infinite() {
            return Duration::MAX;
        }
        Duration::try_from_secs_f64(self.started.elapsed().as_secs_f64() * self.speed)
            .unwrap_or(Duration::MAX)
    }

    async fn sleep_until(&self, stream: Duration) {
        let deadline = self.started + self.wall(stream);
        tokio::time::sleep_until(deadline.into()).await;
    }
}
