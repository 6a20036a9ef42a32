//! From parsed platform data to the store: match each comment to its session's source, skip
//! what the hospital itself wrote, store new comments in one transaction, apply edits,
//! removals and hides, and follow Facebook live status changes.

use crate::metrics::ConnectorMetrics;
use curbside_domain::{Platform, SessionStatus};
use curbside_meta::{Change, CommentVerb, FacebookComment, InstagramComment, LiveStatus, Notification};
use curbside_store::{Actor, IncomingComment, SourceChange, SourceRecord, Store, StoreError};
use std::collections::HashMap;

/// What one webhook body or poll round did, for metrics, logs and the demo's status line.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct IngestReport {
    pub stored: usize,
    pub duplicates: usize,
    /// Written by the Page or IG account itself (our own replies, host comments).
    pub self_authored: usize,
    /// Comments on objects no session listens to.
    pub unmatched: usize,
    /// Edits, removals, hides applied to known comments.
    pub changes: usize,
    pub status_changes: usize,
    /// Changes that are not comments (reactions, posts, mentions, …).
    pub ignored: usize,
}

/// Source lookups for one batch: most bodies name one object many times.
#[derive(Default)]
struct SourceCache {
    by_key: HashMap<(Platform, String), Vec<SourceRecord>>,
}

impl SourceCache {
    async fn get(
        &mut self,
        store: &Store,
        platform: Platform,
        key: &str,
    ) -> Result<&[SourceRecord], StoreError> {
        let k = (platform, key.to_owned());
        if !self.by_key.contains_key(&k) {
            let found = store.sources_by_match_key(platform, key).await?;
            self.by_key.insert(k.clone(), found);
        }
        Ok(self.by_key.get(&k).map(Vec::as_slice).unwrap_or_default())
    }
}

/// Stores what a verified webhook body carries. When this returns `Ok`, every comment in the
/// body is durable; an `Err` means nothing was acknowledged and Meta will deliver it again.
pub async fn ingest_notification(
    store: &Store,
    metrics: &ConnectorMetrics,
    notification: &Notification,
) -> Result<IngestReport, StoreError> {
    let mut report = IngestReport::default();
    let mut cache = SourceCache::default();
    let mut new_comments = Vec::new();
    let mut changes: Vec<(Platform, String, SourceChange)> = Vec::new();
    let mut edits: Vec<(String, String, IncomingComment)> = Vec::new();
    let mut statuses: Vec<(String, LiveStatus)> = Vec::new();
    for indexed in &notification.changes {
        match &indexed.change {
            Change::FacebookComment(c) => {
                if c.is_from_page() {
                    report.self_authored += 1;
                    continue;
                }
                let sources = cache.get(store, Platform::Facebook, &c.post_id).await?;
                let Some(source) = sources.first() else {
                    report.unmatched += 1;
                    continue;
                };
                if c.author_id.as_deref() == Some(source.owner_id()) {
                    report.self_authored += 1;
                    continue;
                }
                match c.verb {
                    CommentVerb::Add => new_comments.push(facebook_comment(source, c)),
                    CommentVerb::Edited => {
                        if let Some(text) = &c.message {
                            edits.push((c.comment_id.clone(), text.clone(), facebook_comment(source, c)));
                        }
                    }
                    CommentVerb::Remove => {
                        changes.push((Platform::Facebook, c.comment_id.clone(), SourceChange::Removed))
                    }
                    CommentVerb::Hide => {
                        changes.push((Platform::Facebook, c.comment_id.clone(), SourceChange::Hidden))
                    }
                    CommentVerb::Unhide => {
                        changes.push((Platform::Facebook, c.comment_id.clone(), SourceChange::Unhidden))
                    }
                }
            }
            Change::InstagramComment(c) => {
                if c.is_from_account() {
                    report.self_authored += 1;
                    continue;
                }
                let Some(media) = c.media_id.as_deref() else {
                    report.unmatched += 1;
                    continue;
                };
                let sources = cache.get(store, Platform::Instagram, media).await?;
                match sources.first() {
                    Some(source) if c.author_id.as_deref() == Some(source.owner_id()) => {
                        report.self_authored += 1
                    }
                    Some(source) => new_comments.push(instagram_comment(source, c)),
                    None => report.unmatched += 1,
                }
            }
            Change::LiveVideoStatus(s) => statuses.push((s.live_video_id.clone(), s.status.clone())),
            Change::Ignored { .. } => report.ignored += 1,
        }
    }
    let outcome = store.ingest_comments(new_comments).await?;
    report.stored = outcome.stored;
    report.duplicates = outcome.duplicates;
    // Edits first, then removals and hides (which may concern a comment an edit just stored).
    // An edit of a comment never seen (its `add` was lost) is stored as a new comment instead.
    let mut unseen = Vec::new();
    for (comment_id, text, as_new) in edits {
        if store
            .comment_changed_at_source(Platform::Facebook, &comment_id, SourceChange::Edited { text })
            .await?
        {
            report.changes += 1;
        } else {
            unseen.push(as_new);
        }
    }
    report.stored += store.ingest_comments(unseen).await?.stored;
    for (platform, comment_id, change) in changes {
        if store.comment_changed_at_source(platform, &comment_id, change).await? {
            report.changes += 1;
        }
    }
    for (live_video_id, status) in statuses {
        report.status_changes += follow_live_status(store, &live_video_id, &status).await?;
    }
    metrics.record_ingest("webhook", &report);
    Ok(report)
}

/// Moves the sessions listening to a Facebook live video along with its broadcast.
pub async fn follow_live_status(
    store: &Store,
    live_video_id: &str,
    status: &LiveStatus,
) -> Result<usize, StoreError> {
    let target = match status {
        LiveStatus::Live => SessionStatus::Live,
        s if s.has_ended() => SessionStatus::Ended,
        other => {
            tracing::info!(live_video_id, status = ?other, "live video status not acted on");
            return Ok(0);
        }
    };
    let mut changed = 0;
    for source in store.sources_by_object(Platform::Facebook, live_video_id).await? {
        if source.session_status != target {
            store.set_session_status(source.session_id, target, &Actor::system("facebook")).await?;
            changed += 1;
        }
    }
    Ok(changed)
}

fn facebook_comment(source: &SourceRecord, c: &FacebookComment) -> IncomingComment {
    IncomingComment {
        session_id: source.session_id,
        source_id: Some(source.id),
        platform: Platform::Facebook,
        platform_comment_id: c.comment_id.clone(),
        author_id: c.author_id.clone(),
        author_name: c.author_name.clone(),
        text: comment_text(c.message.as_deref(), c.has_attachment),
        parent_id: c.parent_id.clone().filter(|_| !c.is_top_level()),
        platform_time: c.created_at_millis(),
        via: "webhook".into(),
    }
}

fn instagram_comment(source: &SourceRecord, c: &InstagramComment) -> IncomingComment {
    IncomingComment {
        session_id: source.session_id,
        source_id: Some(source.id),
        platform: Platform::Instagram,
        platform_comment_id: c.comment_id.clone(),
        author_id: c.author_id.clone(),
        author_name: c.username.clone(),
        text: c.text.clone(),
        parent_id: c.parent_id.clone(),
        platform_time: c.created_at_millis(),
        via: "webhook".into(),
    }
}

/// The text a question starts from. Attachments never air; a comment that is only a photo
/// still becomes a question so a moderator sees it (and can hide it).
pub(crate) fn comment_text(message: Option<&str>, has_attachment: bool) -> String {
    match message.map(str::trim).filter(|m| !m.is_empty()) {
        Some(m) => m.to_owned(),
        None if has_attachment => "[attachment without text]".to_owned(),
        None => "[empty comment]".to_owned(),
    }
}
