//! Faults a test can arm on the fake Graph API: which requests they hit, how many times, and
//! what Meta-shaped failure they produce (5xx, throttling, expired tokens, timeouts, …).

use axum::http::Method;
use std::time::Duration;

/// Which requests a rule applies to. Paths are compared without the version prefix, so
/// `"/comments"` matches `GET /v25.0/123/comments`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Matcher {
    pub method: Option<Method>,
    pub path_contains: Option<String>,
}

impl Matcher {
    /// Every authenticated request.
    pub fn any() -> Matcher {
        Matcher::default()
    }

    /// Requests whose path contains `fragment`, any method.
    pub fn path(fragment: impl Into<String>) -> Matcher {
        Matcher { method: None, path_contains: Some(fragment.into()) }
    }

    /// Requests with this method, any path.
    pub fn method(method: Method) -> Matcher {
        Matcher { method: Some(method), path_contains: None }
    }

    /// Requests with this method whose path contains `fragment`.
    pub fn method_path(method: Method, fragment: impl Into<String>) -> Matcher {
        Matcher { method: Some(method), path_contains: Some(fragment.into()) }
    }

    pub(crate) fn matches(&self, method: &Method, path: &str) -> bool {
        self.method.as_ref().is_none_or(|m| m == method)
            && self.path_contains.as_deref().is_none_or(|f| path.contains(f))
    }
}

/// A Meta-shaped failure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// 500 and 503 carry Graph's envelope (code 1 "unknown error", code 2 "service temporarily
    /// unavailable", `is_transient`); any other status gets a proxy's HTML page, as a load balancer
    /// in front of Graph would send.
    ServerError(u16),
    /// A rate-limit error (4, 17, 32, 613, 80001, or any other code given) with usage headers at
    /// `usage_percent` and `estimated_time_to_regain_access` = `regain_minutes`.
    Throttle { code: i64, regain_minutes: u32, usage_percent: u32 },
    /// 190 with subcode 463, "Session has expired".
    ExpiredToken,
    /// 10 ("Application does not have permission") or 200–299 ("Permissions error"), HTTP 403.
    PermissionDenied(i64),
    /// 100, "Invalid parameter".
    InvalidParameter,
    /// Holds the request this long (at most [`GraphConfig::max_hold`](super::GraphConfig)), then
    /// answers 504 without doing anything: a client timeout shorter than this sees a hang.
    Timeout(Duration),
    /// Does the request's side effect (the reply is posted, the comment hidden) and then answers 500,
    /// as when the connection dies after Meta acted: the "crash between send and record" case.
    AcceptThenDrop,
    /// Does the request's side effect, then holds the answer this long (at most
    /// [`GraphConfig::max_hold`](super::GraphConfig)) and answers 504: the caller is still waiting
    /// when the platform has acted, which is when a test kills it ("died mid-send").
    AcceptThenHold(Duration),
}

/// A fault, the requests it applies to, and how many times it fires before it is spent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FaultRule {
    pub matcher: Matcher,
    /// Firings left; `usize::MAX` means every time.
    pub times: usize,
    pub fault: Fault,
}

impl FaultRule {
    /// Fires once.
    pub fn new(matcher: Matcher, fault: Fault) -> FaultRule {
        FaultRule { matcher, times: 1, fault }
    }

    pub fn times(mut self, times: usize) -> FaultRule {
        self.times = times;
        self
    }

    /// Fires on every matching request until cleared.
    pub fn always(mut self) -> FaultRule {
        self.times = usize::MAX;
        self
    }
}

/// Names an armed rule, to ask how often it fired.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FaultId(pub(crate) u64);

#[derive(Debug)]
pub(crate) struct ArmedFault {
    pub(crate) id: FaultId,
    pub(crate) rule: FaultRule,
    pub(crate) fired: usize,
}

impl ArmedFault {
    pub(crate) fn is_spent(&self) -> bool {
        self.rule.times != usize::MAX && self.fired >= self.rule.times
    }
}
