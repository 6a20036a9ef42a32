//! The outbox worker: delivers queued replies, private replies and hides, never twice. Each
//! attempt is claimed (committed as `sending`) before the platform is called; at start, claims
//! left by a crash are reconciled against the platform before anything is sent again.

use crate::graph::{GraphCallError, GraphClient};
use crate::metrics::ConnectorMetrics;
use curbside_domain::{OutboxItem, OutboxKind, Platform, Session, SessionStatus, SourceSpec};
use curbside_meta::ErrorClass;
use curbside_store::{OutboxOutcome, Store};
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// Facebook comments may be far longer, but a reply people read under a live video should not be.
const FB_REPLY_MAX_CHARS: usize = 2_000;
/// Instagram private replies: keep under 1000 bytes (reference §5.3).
const IG_REPLY_MAX_BYTES: usize = 1_000;
/// Give up after this many attempts of a retryable failure.
const MAX_ATTEMPTS: i64 = 8;
/// Meta's subcode for "this comment already has a private reply" (reference §5.3).
const ALREADY_REPLIED_SUBCODE: i64 = 2_534_014;
/// Meta's subcode for "sent outside of allowed window" (e.g. the Instagram broadcast ended).
const OUTSIDE_WINDOW_SUBCODE: i64 = 2_534_022;

#[derive(Clone)]
pub struct OutboxWorker {
    pub store: Store,
    pub graph: GraphClient,
    pub metrics: ConnectorMetrics,
    /// Base URL of the public transcript, for the link in each reply.
    pub public_url: String,
    pub poll_every: Duration,
}

impl OutboxWorker {
    pub fn spawn(self, shutdown: CancellationToken) -> tokio::task::JoinHandle<()> {
        tokio::spawn(async move {
            if let Err(e) = self.reconcile().await {
                tracing::warn!(error = %e, "outbox reconciliation failed; will retry the claims as pending");
            }
            loop {
                match self.store.claim_due_outbox(20).await {
                    Ok(items) => {
                        for item in items {
                            self.deliver(item).await;
                        }
                    }
                    Err(e) => tracing::warn!(error = %e, "cannot claim outbox items"),
                }
                tokio::select! {
                    _ = shutdown.cancelled() => return,
                    _ = tokio::time::sleep(self.poll_every) => {}
                }
            }
        })
    }

    /// For each attempt interrupted between sending and recording: if the platform shows it
    /// happened, record it as sent; otherwise it goes back to pending.
    async fn reconcile(&self) -> Result<(), curbside_store::StoreError> {
        for item in self.store.unfinished_outbox().await? {
            let outcome = match self.already_done(&item).await {
                Some(result_id) => {
                    tracing::info!(
                        outbox_id = item.id,
                        "an interrupted reply had reached the platform; recorded once"
                    );
                    OutboxOutcome::Sent { result_id: Some(result_id) }
                }
                None => OutboxOutcome::Retry {
                    error: "interrupted; retrying".into(),
                    at: curbside_store::now_millis(),
                },
            };
            self.store.finish_outbox(item.id, outcome).await?;
        }
        Ok(())
    }

    /// Looks on Facebook for a reply by the Page under the target comment. (Curbside posts at
    /// most one, so any is ours.) Instagram private replies and hides cannot be looked up;
    /// a repeated private reply is refused by Meta and recognised in [`classify_outcome`].
    async fn already_done(&self, item: &OutboxItem) -> Option<String> {
        if item.kind != OutboxKind::Reply {
            return None;
        }
        let session = self.store.session(item.session_id).await.ok()?;
        let (source, token) = self.source_for(&session, item.platform).await?;
        let SourceSpec::Facebook { page_id, .. } = source else { return None };
        let answer = self
            .graph
            .get(
                &format!("{}/comments", item.target_id),
                &[("fields", "id,from{id}"), ("filter", "stream")],
                &token,
            )
            .await
            .ok()?;
        let page = curbside_meta::parse_rest_fb_comment_page(&answer.body).ok()?;
        page.comments
            .into_iter()
            .find(|c| c.author_id.as_deref() == Some(page_id.as_str()))
            .map(|c| c.comment_id)
    }

    async fn source_for(&self, session: &Session, platform: Platform) -> Option<(SourceSpec, String)> {
        let view = session.sources.iter().find(|s| s.spec.platform() == platform)?;
        let record = self.store.source(view.id).await.ok()?;
        Some((record.spec, record.access_token))
    }

    async fn deliver(&self, item: OutboxItem) {
        // A retried public reply may have reached Facebook although the earlier attempt failed
        // (a timeout or a 5xx after the write): look before posting again.
        if item.attempts > 1 {
            if let Some(result_id) = self.already_done(&item).await {
                self.metrics.outbox("sent");
                if let Err(e) = self
                    .store
                    .finish_outbox(item.id, OutboxOutcome::Sent { result_id: Some(result_id) })
                    .await
                {
                    tracing::error!(outbox_id = item.id, error = %e, "cannot record an outbox outcome");
                }
                return;
            }
        }
        let outcome = match self.attempt(&item).await {
            Ok(result_id) => OutboxOutcome::Sent { result_id },
            Err(outcome) => outcome,
        };
        let label = match &outcome {
            OutboxOutcome::Sent { .. } => "sent",
            OutboxOutcome::Retry { .. } => "retry",
            OutboxOutcome::Failed { .. } => "failed",
            OutboxOutcome::Expired { .. } => "expired",
        };
        self.metrics.outbox(label);
        tracing::info!(outbox_id = item.id, kind = item.kind.as_str(), outcome = label, "outbox attempt");
        if let Err(e) = self.store.finish_outbox(item.id, outcome).await {
            // The claim stays `sending`; the next start reconciles it.
            tracing::error!(outbox_id = item.id, error = %e, "cannot record an outbox outcome");
        }
    }

    async fn attempt(&self, item: &OutboxItem) -> Result<Option<String>, OutboxOutcome> {
        let failed = |error: String| OutboxOutcome::Failed { error };
        let session = self.store.session(item.session_id).await.map_err(|e| failed(e.to_string()))?;
        let (spec, token) = self
            .source_for(&session, item.platform)
            .await
            .ok_or_else(|| failed(format!("the session has no {} source", item.platform)))?;
        // The answer as it stands now: a correction made before delivery goes out corrected.
        let mut item = item.clone();
        if let Some(q) = item.question_id {
            if let Ok(Some(answer)) = self.store.question(q).await.map(|q| q.answer) {
                item.text = Some(answer.text);
            }
        }
        let item = &item;
        let result = match (item.kind, &spec) {
            (OutboxKind::Reply, SourceSpec::Facebook { .. }) => {
                let message =
                    compose_reply(item, &session, &self.public_url, ReplyLimit::Chars(FB_REPLY_MAX_CHARS));
                self.graph.fb_reply(&item.target_id, &message, &token).await.map(Some)
            }
            (OutboxKind::PrivateReply, SourceSpec::Instagram { ig_user_id, .. }) => {
                if session.status != SessionStatus::Live {
                    return Err(OutboxOutcome::Expired {
                        reason: "the broadcast has ended: Instagram allows private replies to live comments only while live"
                            .into(),
                    });
                }
                let text =
                    compose_reply(item, &session, &self.public_url, ReplyLimit::Bytes(IG_REPLY_MAX_BYTES));
                self.graph.ig_private_reply(ig_user_id, &item.target_id, &text, &token).await.map(Some)
            }
            (OutboxKind::Hide, spec) => self
                .graph
                .hide(matches!(spec, SourceSpec::Instagram { .. }), &item.target_id, &token)
                .await
                .map(|()| None),
            (kind, _) => {
                return Err(failed(format!("{} is not possible on {}", kind.as_str(), item.platform)))
            }
        };
        result.map_err(|e| classify_outcome(item, &e))
    }
}

fn classify_outcome(item: &OutboxItem, e: &GraphCallError) -> OutboxOutcome {
    let error = e.to_string();
    if item.kind == OutboxKind::PrivateReply
        && e.code().is_some_and(|(_, sub)| sub == Some(ALREADY_REPLIED_SUBCODE))
    {
        // The reply exists already (an interrupted earlier attempt got through).
        return OutboxOutcome::Sent { result_id: None };
    }
    if e.code().is_some_and(|(_, sub)| sub == Some(OUTSIDE_WINDOW_SUBCODE)) {
        // Refused for this one action, not for the source: the window to reply has closed.
        return OutboxOutcome::Expired { reason: format!("the platform's reply window has closed: {error}") };
    }
    let retry_at = |delay: Duration| OutboxOutcome::Retry {
        error: error.clone(),
        at: curbside_store::now_millis() + delay.as_millis() as i64,
    };
    match e.class() {
        ErrorClass::Throttled | ErrorClass::Transient if item.attempts < MAX_ATTEMPTS => {
            let regain = e.usage().and_then(|u| u.regain_after).filter(|d| !d.is_zero());
            retry_at(
                regain.unwrap_or_else(|| Duration::from_secs(2u64.pow(item.attempts.clamp(0, 6) as u32))),
            )
        }
        ErrorClass::Blocked if item.attempts < MAX_ATTEMPTS => retry_at(Duration::from_secs(15 * 60)),
        _ => OutboxOutcome::Failed { error },
    }
}

enum ReplyLimit {
    Chars(usize),
    Bytes(usize),
}

/// The reply: the answer, the disclaimer, and the link to the public transcript entry. Never
/// a name: the answer is staff-written and addresses no one. The answer is shortened (with
/// "…") when the whole would not fit; the disclaimer and link always go out.
fn compose_reply(item: &OutboxItem, session: &Session, public_url: &str, limit: ReplyLimit) -> String {
    let answer = item.text.as_deref().unwrap_or_default().trim();
    let anchor = item.question_id.map(|q| format!("#q-{q}")).unwrap_or_default();
    let tail =
        format!("\n\n{}\n\nFull Q&A: {public_url}/s/{}{anchor}", session.disclaimer.trim(), session.slug);
    // What the answer may take: the limit less the tail, in the limit's own unit.
    let (size, budget): (fn(&str) -> usize, usize) = match limit {
        ReplyLimit::Chars(n) => (|s| s.chars().count(), n.saturating_sub(tail.chars().count())),
        ReplyLimit::Bytes(n) => (str::len, n.saturating_sub(tail.len())),
    };
    if size(answer) <= budget {
        return format!("{answer}{tail}");
    }
    // Keep whole characters while they and the ellipsis fit.
    let room = budget.saturating_sub(size("…"));
    let mut used = 0;
    let end = answer
        .char_indices()
        .take_while(|(i, c)| {
            used += size(&answer[*i..*i + c.len_utf8()]);
            used <= room
        })
        .last()
        .map_or(0, |(i, c)| i + c.len_utf8());
    format!("{}…{tail}", answer[..end].trim_end())
}

#[cfg(test)]
mod tests {
    use super::*;
    use curbside_domain::{OutboxStatus, QuestionId, SessionId, Slug};

    fn item(text: &str) -> OutboxItem {
        OutboxItem {
            id: 1,
            session_id: SessionId(1),
            question_id: Some(QuestionId(7)),
            platform: Platform::Instagram,
            kind: OutboxKind::PrivateReply,
            target_id: "c".into(),
            text: Some(text.into()),
            status: OutboxStatus::Sending,
            attempts: 1,
            last_error: None,
            result_id: None,
            created_at: 0,
            updated_at: 0,
        }
    }

    fn session() -> Session {
        Session {
            id: SessionId(1),
            slug: Slug::parse("heart").unwrap(),
            title: "Heart".into(),
            status: SessionStatus::Live,
            disclaimer: "General information only.".into(),
            sources: vec![],
            specialists: vec![],
            created_at: 0,
            started_at: None,
            ended_at: None,
            starts_at: None,
            recording_url: None,
            last_offset: curbside_domain::Offset(0),
            auto_handling: Default::default(),
            overlay_key: String::new(),
        }
    }

    #[test]
    fn a_reply_carries_answer_disclaimer_and_link() {
        let r =
            compose_reply(&item("Oats help."), &session(), "https://qa.example.org", ReplyLimit::Chars(2000));
        assert_eq!(
            r,
            "Oats help.\n\nGeneral information only.\n\nFull Q&A: https://qa.example.org/s/heart#q-7"
        );
    }

    #[test]
    fn long_answers_are_shortened_to_fit_instagram() {
        let long = "é".repeat(2000);
        let r = compose_reply(&item(&long), &session(), "https://qa.example.org", ReplyLimit::Bytes(1000));
        assert!(r.len() <= 1000, "{} bytes", r.len());
        assert!(r.contains("…\n\nGeneral information only."));
        assert!(r.ends_with("/s/heart#q-7"));
    }

    #[test]
    fn long_facebook_replies_use_the_whole_character_budget() {
        let long = "é".repeat(3000);
        let r = compose_reply(&item(&long), &session(), "https://qa.example.org", ReplyLimit::Chars(2000));
        assert_eq!(r.chars().count(), 2000, "filled exactly to the limit");
        assert!(r.contains("é…\n\nGeneral information only."));
    }
}
