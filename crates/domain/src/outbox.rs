//! Platform actions Curbside owes: public replies, Instagram private replies, hides at source.
//! Each is delivered at most once per target comment; its status is visible to staff, and every
//! change of status goes through one transition function, [`OutboxStatus::apply`].

use crate::{Platform, QuestionId, SessionId, UnixMillis};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum OutboxKind {
    /// A public reply comment (Facebook).
    Reply,
    /// A private reply (Instagram live comments allow no public reply), only while live.
    PrivateReply,
    /// Hide the comment on the platform (it exposes private information).
    Hide,
}

impl OutboxKind {
    pub fn as_str(self) -> &'static str {
        match self {
            OutboxKind::Reply => "reply",
            OutboxKind::PrivateReply => "private_reply",
            OutboxKind::Hide => "hide",
        }
    }

    pub fn parse(s: &str) -> Option<OutboxKind> {
        Some(match s {
            "reply" => OutboxKind::Reply,
            "private_reply" => OutboxKind::PrivateReply,
            "hide" => OutboxKind::Hide,
            _ => return None,
        })
    }

    /// The reply kind a platform allows for a live comment.
    pub fn reply_for(platform: Platform) -> Option<OutboxKind> {
        match platform {
            Platform::Facebook => Some(OutboxKind::Reply),
            Platform::Instagram => Some(OutboxKind::PrivateReply),
            Platform::Web => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum OutboxStatus {
    Pending,
    /// An attempt is under way (or was, when the process stopped: reconciled at start).
    Sending,
    Sent,
    /// Gave up: the platform refused for good (the Graph error is in `last_error`).
    Failed,
    /// No longer allowed (e.g. an Instagram private reply after the broadcast ended).
    Expired,
}

impl OutboxStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            OutboxStatus::Pending => "pending",
            OutboxStatus::Sending => "sending",
            OutboxStatus::Sent => "sent",
            OutboxStatus::Failed => "failed",
            OutboxStatus::Expired => "expired",
        }
    }

    pub fn parse(s: &str) -> Option<OutboxStatus> {
        Some(match s {
            "pending" => OutboxStatus::Pending,
            "sending" => OutboxStatus::Sending,
            "sent" => OutboxStatus::Sent,
            "failed" => OutboxStatus::Failed,
            "expired" => OutboxStatus::Expired,
            _ => return None,
        })
    }
}

/// What moves an outbox item. Claims are leases (a node and an expiry, kept by the store): a
/// `sending` item belongs to its holder until the lease runs out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OutboxStep {
    /// A worker takes a due `pending` item; the claim is committed before the platform is called.
    Claim,
    /// A worker takes over a `sending` item whose lease ran out (its node died or stalled). What
    /// the platform did is unknown, so the taker looks before anything is sent again.
    TakeOver,
    /// The holder could not find out whether the platform acted (the look-up failed): the item
    /// stays `sending`, and the look-up is retried when the shortened lease runs out. Never
    /// taken as "not sent".
    Undecided,
    /// The platform did it, or shows that an earlier attempt did.
    Deliver,
    /// Not done; try again later (throttled, a 5xx, or a look-up showed it never happened).
    Retry,
    /// The platform refused for good.
    Fail,
    /// No longer allowed (an Instagram private reply after the broadcast).
    Expire,
}

impl OutboxStep {
    pub fn as_str(self) -> &'static str {
        match self {
            OutboxStep::Claim => "claim",
            OutboxStep::TakeOver => "take_over",
            OutboxStep::Undecided => "undecided",
            OutboxStep::Deliver => "deliver",
            OutboxStep::Retry => "retry",
            OutboxStep::Fail => "fail",
            OutboxStep::Expire => "expire",
        }
    }
}

/// A step the item's status does not allow (e.g. recording an outcome for an item nobody claimed).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("an outbox item that is {} cannot {}", from.as_str(), step.as_str())]
pub struct OutboxTransitionError {
    pub from: OutboxStatus,
    pub step: OutboxStep,
}

impl OutboxStatus {
    /// The outbox lifecycle, the only place it is written down:
    /// `pending → sending` (claim), `sending → sending` (take over an expired lease, or an
    /// undecided look-up), `sending → sent | pending | failed | expired` (the outcome).
    /// `sent`, `failed` and `expired` are final.
    pub fn apply(self, step: OutboxStep) -> Result<OutboxStatus, OutboxTransitionError> {
        use OutboxStatus::*;
        use OutboxStep::*;
        Ok(match (self, step) {
            (Pending, Claim) => Sending,
            (Sending, TakeOver | Undecided) => Sending,
            (Sending, Deliver) => Sent,
            (Sending, Retry) => Pending,
            (Sending, Fail) => Failed,
            (Sending, Expire) => Expired,
            (from, step) => return Err(OutboxTransitionError { from, step }),
        })
    }

    /// Whether nothing more will happen to the item.
    pub fn is_final(self) -> bool {
        matches!(self, OutboxStatus::Sent | OutboxStatus::Failed | OutboxStatus::Expired)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct OutboxItem {
    pub id: i64,
    pub session_id: SessionId,
    pub question_id: Option<QuestionId>,
    pub platform: Platform,
    pub kind: OutboxKind,
    /// The platform comment the action targets.
    pub target_id: String,
    /// The answer text a reply carries (the disclaimer and link are added when sending).
    pub text: Option<String>,
    pub status: OutboxStatus,
    pub attempts: i64,
    pub last_error: Option<String>,
    /// The platform's id for what was created (reply comment id, message id).
    pub result_id: Option<String>,
    pub created_at: UnixMillis,
    pub updated_at: UnixMillis,
}

#[cfg(test)]
mod tests {
    use super::*;
    use OutboxStatus::*;
    use OutboxStep::*;

    const STEPS: [OutboxStep; 7] = [Claim, TakeOver, Undecided, Deliver, Retry, Fail, Expire];

    #[test]
    fn an_item_is_claimed_then_finished_once() {
        assert_eq!(Pending.apply(Claim), Ok(Sending));
        assert_eq!(Sending.apply(Deliver), Ok(Sent));
        assert_eq!(Sending.apply(Retry), Ok(Pending));
        assert_eq!(Sending.apply(Fail), Ok(Failed));
        assert_eq!(Sending.apply(Expire), Ok(Expired));
    }

    #[test]
    fn only_a_sending_item_is_taken_over_or_left_undecided() {
        assert_eq!(Sending.apply(TakeOver), Ok(Sending));
        assert_eq!(Sending.apply(Undecided), Ok(Sending));
        assert!(Pending.apply(TakeOver).is_err());
        assert!(Pending.apply(Undecided).is_err());
    }

    #[test]
    fn an_unclaimed_item_has_no_outcome_and_a_claimed_one_cannot_be_claimed_again() {
        for step in [Deliver, Retry, Fail, Expire] {
            assert_eq!(Pending.apply(step), Err(OutboxTransitionError { from: Pending, step }));
        }
        assert!(Sending.apply(Claim).is_err());
    }

    #[test]
    fn final_states_accept_nothing() {
        for from in [Sent, Failed, Expired] {
            assert!(from.is_final());
            for step in STEPS {
                assert!(from.apply(step).is_err(), "{from:?} + {step:?}");
            }
        }
        assert_eq!(Sent.apply(Claim).unwrap_err().to_string(), "an outbox item that is sent cannot claim");
    }
}
