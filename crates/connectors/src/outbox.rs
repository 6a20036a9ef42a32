//! The outbox worker: delivers queued replies, private replies and hides, never twice, with any
//! number of nodes. Each attempt is claimed under a lease (this node, an expiry; committed as
//! `sending`) before the platform is called, and only the holder records the outcome. A claim
//! whose lease ran out (its node died mid-send) is taken over by any node, which first finds out
//! from the platform whether the action happened; if it cannot tell, it asks again later.

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
/// Items claimed or taken over per round.
const BATCH: i64 = 20;
/// Replies read per page when looking for an earlier attempt's reply (Graph's maximum).
const LOOKUP_PAGE_SIZE: &str = "100";
/// Pages read at most per look-up: a thread longer than this cannot be checked, which counts as
/// "cannot tell", never as "not sent".
const LOOKUP_MAX_PAGES: usize = 50;
/// How long to wait before looking again when a look-up could not tell.
const LOOKUP_RETRY: Duration = Duration::from_secs(5);

#[derive(Clone)]
pub struct OutboxWorker {
    pub store: Store,
    pub graph: GraphClient,
    pub metrics: ConnectorMetrics,
    /// Base URL of the public transcript, for the link in each reply.
    pub public_url: String,
    pub poll_every: Duration,
    /// This node's name in outbox leases (`CURBSIDE_NODE_ID`).
    pub node: String,
    /// How long a claim lasts. Every platform call (and every look-up) is cut off at half of it,
    /// so a live node's attempt always ends, recorded, inside its lease: another node takes an
    /// item over only once its holder is surely no longer acting on it.
    pub lease: Duration,
}

/// What the platform shows about an earlier attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Lookup {
    /// It happened (with the platform's id for the reply when known).
    Done(Option<String>),
    /// It did not happen, or it cannot be looked up and repeating it is harmless (a hide; a second
    /// private reply is refused by Meta and counted as delivered in [`classify_outcome`]).
    NotDone,
    /// The look-up failed (Graph or database error, a thread too long): ask again later.
    Unknown(String),
}

impl OutboxWorker {
    pub fn spawn(self, shutdown: CancellationToken) -> tokio::task::JoinHandle<()> {
        tokio::spawn(async move {
            loop {
                // Claims whose lease ran out first: their node died or stalled mid-attempt.
                match self.store.take_over_expired_outbox(&self.node, self.lease, BATCH).await {
                    Ok(items) => {
                        for item in items {
                            self.reconcile(item).await;
                        }
                    }
                    Err(e) => tracing::warn!(error = %e, "cannot take over expired outbox claims"),
                }
                match self.store.claim_due_outbox(&self.node, self.lease, BATCH).await {
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

    /// The longest any one platform call or look-up may take: half the lease.
    fn call_budget(&self) -> Duration {
        self.lease / 2
    }

    /// For an attempt interrupted between sending and recording (taken over from a dead node):
    /// if the platform shows it happened, record it as sent; if it shows it did not, it goes back
    /// to pending; if the platform cannot tell, look again later.
    async fn reconcile(&self, item: OutboxItem) {
        match self.already_done(&item).await {
            Lookup::Done(result_id) => {
                tracing::info!(
                    outbox_id = item.id,
                    "an interrupted reply had reached the platform; recorded once"
                );
                self.record(&item, OutboxOutcome::Sent { result_id }, "sent").await;
            }
            Lookup::NotDone => {
                let outcome = OutboxOutcome::Retry {
                    error: "interrupted; retrying".into(),
                    at: curbside_store::now_millis(),
                };
                self.record(&item, outcome, "retry").await;
            }
            Lookup::Unknown(error) => self.postpone(&item, &error).await,
        }
    }

    /// Leaves `item` `sending` and asks again after [`LOOKUP_RETRY`]: an unanswered look-up is
    /// never taken as "not sent".
    async fn postpone(&self, item: &OutboxItem, error: &str) {
        self.metrics.outbox("undecided");
        tracing::warn!(outbox_id = item.id, error = %error, "cannot tell whether an earlier attempt reached the platform; looking again later");
        let at = curbside_store::now_millis() + LOOKUP_RETRY.as_millis() as i64;
        let message = format!("cannot tell yet whether an earlier attempt was delivered: {error}");
        if let Err(e) = self.store.postpone_outbox_lookup(item.id, &self.node, &message, at).await {
            tracing::warn!(outbox_id = item.id, error = %e, "cannot postpone an outbox look-up; its lease will run out");
        }
    }

    async fn record(&self, item: &OutboxItem, outcome: OutboxOutcome, label: &'static str) {
        self.metrics.outbox(label);
        if let Err(e) = self.store.finish_outbox(item.id, &self.node, outcome).await {
            // The claim stays `sending` until its lease runs out; then a node reconciles it.
            tracing::error!(outbox_id = item.id, error = %e, "cannot record an outbox outcome");
        }
    }

    /// Looks on Facebook for the Page's reply to the target comment. Facebook threads are one
    /// level deep: a reply to a reply is posted under the top-level comment, beside replies to
    /// other comments of the thread. So the thread is the target's parent if it has one, every
    /// page of it is read, and only a Page reply carrying this question's link counts.
    async fn already_done(&self, item: &OutboxItem) -> Lookup {
        if item.kind != OutboxKind::Reply {
            return Lookup::NotDone;
        }
        let session = match self.store.session(item.session_id).await {
            Ok(s) => s,
            Err(e) => return Lookup::Unknown(format!("cannot read the session: {e}")),
        };
        let (source, token) = match self.source_for(&session, item.platform).await {
            Ok(Some(found)) => found,
            // Nothing to post with either: the attempt fails with the reason.
            Ok(None) => return Lookup::NotDone,
            Err(e) => return Lookup::Unknown(format!("cannot read the source: {e}")),
        };
        let SourceSpec::Facebook { page_id, .. } = source else { return Lookup::NotDone };
        match tokio::time::timeout(self.call_budget(), self.find_page_reply(item, &page_id, &token)).await {
            Ok(Ok(Some(id))) => Lookup::Done(Some(id)),
            Ok(Ok(None)) => Lookup::NotDone,
            Ok(Err(e)) => Lookup::Unknown(e),
            Err(_) => Lookup::Unknown("the look-up timed out".into()),
        }
    }

    async fn find_page_reply(
        &self,
        item: &OutboxItem,
        page_id: &str,
        token: &str,
    ) -> Result<Option<String>, String> {
        let target = self
            .graph
            .get(&item.target_id, &[("fields", "id,parent{id}")], token)
            .await
            .map_err(|e| e.to_string())?;
        let target = curbside_meta::parse_rest_fb_comment(&target.body).map_err(|e| e.to_string())?;
        let thread = target.parent_id.unwrap_or(target.comment_id);
        let ours = |message: Option<&str>| match item.question_id {
            Some(q) => message.is_some_and(|m| m.trim_end().ends_with(&format!("#q-{q}"))),
            None => message.is_some_and(|m| {
                item.text.as_deref().is_some_and(|t| !t.trim().is_empty() && m.starts_with(t.trim()))
            }),
        };
        let mut answer = self
            .graph
            .get(
                &format!("{thread}/comments"),
                &[
                    ("fields", "id,from{id},message,parent{id}"),
                    ("filter", "stream"),
                    ("limit", LOOKUP_PAGE_SIZE),
                ],
                token,
            )
            .await
            .map_err(|e| e.to_string())?;
        for _ in 0..LOOKUP_MAX_PAGES {
            let page = curbside_meta::parse_rest_fb_comment_page(&answer.body).map_err(|e| e.to_string())?;
            if let Some(reply) = page
                .comments
                .into_iter()
                .find(|c| c.author_id.as_deref() == Some(page_id) && ours(c.message.as_deref()))
            {
                return Ok(Some(reply.comment_id));
            }
            // A page may be empty and still have `next`: stop only when it is missing.
            let Some(next) = page.next else { return Ok(None) };
            answer = self.graph.get_next(&next, token).await.map_err(|e| e.to_string())?;
        }
        Err(format!("the thread has more than {LOOKUP_MAX_PAGES} pages of replies"))
    }

    async fn source_for(
        &self,
        session: &Session,
        platform: Platform,
    ) -> Result<Option<(SourceSpec, String)>, curbside_store::StoreError> {
        let Some(view) = session.sources.iter().find(|s| s.spec.platform() == platform) else {
            return Ok(None);
        };
        let record = self.store.source(view.id).await?;
        Ok(Some((record.spec, record.access_token)))
    }

    async fn deliver(&self, item: OutboxItem) {
        // A retried public reply may have reached Facebook although the earlier attempt failed
        // (a timeout or a 5xx after the write): look before posting again.
        if item.attempts > 1 {
            match self.already_done(&item).await {
                Lookup::Done(result_id) => {
                    self.record(&item, OutboxOutcome::Sent { result_id }, "sent").await;
                    return;
                }
                Lookup::Unknown(error) => {
                    self.postpone(&item, &error).await;
                    return;
                }
                Lookup::NotDone => {}
            }
        }
        // The call below runs wholly inside a fresh lease, or not at all.
        match self.store.renew_outbox_lease(item.id, &self.node, self.lease).await {
            Ok(true) => {}
            Ok(false) => {
                tracing::info!(outbox_id = item.id, "the outbox claim passed to another node; not sending");
                return;
            }
            Err(e) => {
                tracing::warn!(outbox_id = item.id, error = %e, "cannot renew an outbox claim; its lease will run out");
                return;
            }
        }
        let outcome = match tokio::time::timeout(self.call_budget(), self.attempt(&item)).await {
            Ok(Ok(result_id)) => OutboxOutcome::Sent { result_id },
            Ok(Err(outcome)) => outcome,
            // The platform may have acted: the retry looks first.
            Err(_) => OutboxOutcome::Retry {
                error: "the platform did not answer in time".into(),
                at: curbside_store::now_millis(),
            },
        };
        let label = match &outcome {
            OutboxOutcome::Sent { .. } => "sent",
            OutboxOutcome::Retry { .. } => "retry",
            OutboxOutcome::Failed { .. } => "failed",
            OutboxOutcome::Expired { .. } => "expired",
        };
        tracing::info!(outbox_id = item.id, kind = item.kind.as_str(), outcome = label, "outbox attempt");
        self.record(&item, outcome, label).await;
    }

    async fn attempt(&self, item: &OutboxItem) -> Result<Option<String>, OutboxOutcome> {
        let failed = |error: String| OutboxOutcome::Failed { error };
        let session = self.store.session(item.session_id).await.map_err(|e| failed(e.to_string()))?;
        let (spec, token) = match self.source_for(&session, item.platform).await {
            Ok(Some(found)) => found,
            Ok(None) => return Err(failed(format!("the session has no {} source", item.platform))),
            Err(e) => {
                return Err(OutboxOutcome::Retry {
                    error: e.to_string(),
                    at: curbside_store::now_millis() + 1_000,
                })
            }
        };
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
