//! A small Graph API client: one pinned version, `appsecret_proof` on every call, the error
//! envelope and usage headers read on every answer. Tokens never reach a log or an error text.

use curbside_meta::{
    appsecret_proof, parse_graph_error, parse_rest_fb_comment_page, parse_rest_ig_comment_page,
    redact_secrets, CommentPage, ErrorClass, FbRestComment, GraphError, IgRestComment, Usage,
};
use std::time::Duration;

/// The Graph API version every call is pinned to; change it on purpose.
pub const GRAPH_VERSION: &str = "v25.0";
const CALL_TIMEOUT: Duration = Duration::from_secs(15);

/// What a failed Graph call means for the caller.
#[derive(Debug, Clone, thiserror::Error)]
pub enum GraphCallError {
    /// Meta answered with its error envelope.
    #[error("Graph error {}", .error)]
    Graph { error: Box<GraphError>, usage: Option<Usage> },
    /// An HTTP error without a Graph envelope (e.g. a proxy's 502).
    #[error("HTTP {status} from the Graph API")]
    Http { status: u16 },
    #[error("the Graph API did not answer in time")]
    Timeout,
    #[error("cannot reach the Graph API: {0}")]
    Transport(String),
    #[error("unexpected answer from the Graph API: {0}")]
    Unexpected(String),
}

impl GraphCallError {
    /// How to react, per Meta's error table (see the reference, §6.2).
    pub fn class(&self) -> ErrorClass {
        match self {
            GraphCallError::Graph { error, .. } => error.class(),
            GraphCallError::Http { status } if *status == 429 => ErrorClass::Throttled,
            GraphCallError::Http { status } if *status >= 500 => ErrorClass::Transient,
            GraphCallError::Http { .. } | GraphCallError::Unexpected(_) => ErrorClass::InvalidRequest,
            GraphCallError::Timeout | GraphCallError::Transport(_) => ErrorClass::Transient,
        }
    }

    pub fn usage(&self) -> Option<Usage> {
        match self {
            GraphCallError::Graph { usage, .. } => *usage,
            _ => None,
        }
    }

    /// The Graph error code and subcode, when Meta gave one.
    pub fn code(&self) -> Option<(i64, Option<i64>)> {
        match self {
            GraphCallError::Graph { error, .. } => Some((error.code, error.subcode)),
            _ => None,
        }
    }
}

/// A successful answer: the body and whatever usage the headers reported.
#[derive(Debug)]
pub struct GraphAnswer {
    pub body: Vec<u8>,
    pub usage: Option<Usage>,
}

#[derive(Clone)]
pub struct GraphClient {
    http: reqwest::Client,
    base: String,
    app_secret: Vec<u8>,
}

impl std::fmt::Debug for GraphClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GraphClient").field("base", &self.base).finish_non_exhaustive()
    }
}

impl GraphClient {
    pub fn new(base: &str, app_secret: &str) -> Result<GraphClient, GraphCallError> {
        let http = reqwest::Client::builder()
            .timeout(CALL_TIMEOUT)
            .connect_timeout(Duration::from_secs(5))
            .user_agent(concat!("curbside/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| GraphCallError::Transport(e.to_string()))?;
        Ok(GraphClient {
            http,
            base: base.trim_end_matches('/').to_owned(),
            app_secret: app_secret.as_bytes().to_vec(),
        })
    }

    fn url(&self, path: &str) -> String {
        format!("{}/{GRAPH_VERSION}/{}", self.base, path.trim_start_matches('/'))
    }

    fn auth(&self, token: &str) -> [(&'static str, String); 2] {
        [("access_token", token.to_owned()), ("appsecret_proof", appsecret_proof(&self.app_secret, token))]
    }

    pub async fn get(
        &self,
        path: &str,
        params: &[(&str, &str)],
        token: &str,
    ) -> Result<GraphAnswer, GraphCallError> {
        let req = self.http.get(self.url(path)).query(params).query(&self.auth(token));
        self.send(req).await
    }

    /// Follows a `paging.next` URL. It must point at the configured Graph host (never send a
    /// token elsewhere); the proof is recomputed rather than trusted from the URL.
    pub async fn get_next(&self, next: &str, token: &str) -> Result<GraphAnswer, GraphCallError> {
        let mut url =
            url::Url::parse(next).map_err(|e| GraphCallError::Unexpected(format!("bad paging.next: {e}")))?;
        let base = url::Url::parse(&self.base).map_err(|e| GraphCallError::Unexpected(e.to_string()))?;
        if url.host_str() != base.host_str() || url.port_or_known_default() != base.port_or_known_default() {
            return Err(GraphCallError::Unexpected("paging.next points at another host".into()));
        }
        let kept: Vec<(String, String)> = url
            .query_pairs()
            .filter(|(k, _)| k != "access_token" && k != "appsecret_proof")
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        url.set_query(None);
        let req = self.http.get(url).query(&kept).query(&self.auth(token));
        self.send(req).await
    }

    pub async fn post(
        &self,
        path: &str,
        form: &[(&str, &str)],
        token: &str,
    ) -> Result<GraphAnswer, GraphCallError> {
        let mut all: Vec<(&str, String)> = form.iter().map(|(k, v)| (*k, (*v).to_owned())).collect();
        all.extend(self.auth(token));
        self.send(self.http.post(self.url(path)).form(&all)).await
    }

    pub async fn post_json(
        &self,
        path: &str,
        body: &serde_json::Value,
        token: &str,
    ) -> Result<GraphAnswer, GraphCallError> {
        let req = self.http.post(self.url(path)).query(&self.auth(token)).json(body);
        self.send(req).await
    }

    async fn send(&self, req: reqwest::RequestBuilder) -> Result<GraphAnswer, GraphCallError> {
        let resp = req.send().await.map_err(|e| {
            if e.is_timeout() {
                GraphCallError::Timeout
            } else {
                // reqwest's message can include the URL, which carries the token: redact it.
                GraphCallError::Transport(redact_secrets(&e.without_url().to_string()))
            }
        })?;
        let status = resp.status().as_u16();
        let usage = Usage::from_headers(resp.headers().iter().map(|(k, v)| (k.as_str(), v.as_bytes())));
        let body = resp.bytes().await.map_err(|e| {
            if e.is_timeout() {
                GraphCallError::Timeout
            } else {
                GraphCallError::Transport(redact_secrets(&e.without_url().to_string()))
            }
        })?;
        if (200..300).contains(&status) {
            // Meta sometimes answers 200 with an error envelope.
            if let Ok(error) = parse_graph_error(&body) {
                return Err(GraphCallError::Graph { error: Box::new(error), usage });
            }
            return Ok(GraphAnswer { body: body.to_vec(), usage });
        }
        match parse_graph_error(&body) {
            Ok(error) => Err(GraphCallError::Graph { error: Box::new(error), usage }),
            Err(_) => Err(GraphCallError::Http { status }),
        }
    }

    /// One page of a Facebook live video's comments, every comment in time order.
    pub async fn fb_comments(
        &self,
        live_video_id: &str,
        since: Option<i64>,
        token: &str,
    ) -> Result<(CommentPage<FbRestComment>, Option<Usage>), GraphCallError> {
        let since = since.map(|s| s.to_string());
        let mut params = vec![
            ("fields", "id,from{id,name},message,created_time,attachment,parent{id},is_hidden"),
            ("filter", "stream"),
            ("order", "chronological"),
            ("live_filter", "no_filter"),
            ("limit", "100"),
        ];
        if let Some(s) = since.as_deref() {
            params.push(("since", s));
        }
        let answer = self.get(&format!("{live_video_id}/comments"), &params, token).await?;
        let page = parse_rest_fb_comment_page(&answer.body)
            .map_err(|e| GraphCallError::Unexpected(e.to_string()))?;
        Ok((page, answer.usage))
    }

    pub async fn fb_comments_next(
        &self,
        next: &str,
        token: &str,
    ) -> Result<(CommentPage<FbRestComment>, Option<Usage>), GraphCallError> {
        let answer = self.get_next(next, token).await?;
        let page = parse_rest_fb_comment_page(&answer.body)
            .map_err(|e| GraphCallError::Unexpected(e.to_string()))?;
        Ok((page, answer.usage))
    }

    /// One page of an Instagram media's comments (replies nested under each).
    pub async fn ig_comments(
        &self,
        media_id: &str,
        next: Option<&str>,
        token: &str,
    ) -> Result<(CommentPage<IgRestComment>, Option<Usage>), GraphCallError> {
        let answer = match next {
            Some(n) => self.get_next(n, token).await?,
            None => {
                let fields = [(
                    "fields",
                    "id,text,timestamp,username,from,hidden,replies{id,text,timestamp,username,from}",
                )];
                self.get(&format!("{media_id}/comments"), &fields, token).await?
            }
        };
        let page = parse_rest_ig_comment_page(&answer.body)
            .map_err(|e| GraphCallError::Unexpected(e.to_string()))?;
        Ok((page, answer.usage))
    }

    /// The video behind a live video: webhooks name comments by `{page_id}_{video_id}`.
    pub async fn live_video_video_id(
        &self,
        live_video_id: &str,
        token: &str,
    ) -> Result<String, GraphCallError> {
        let answer = self.get(live_video_id, &[("fields", "id,status,video{id}")], token).await?;
        let v: serde_json::Value =
            serde_json::from_slice(&answer.body).map_err(|e| GraphCallError::Unexpected(e.to_string()))?;
        v["video"]["id"]
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| GraphCallError::Unexpected("the live video has no video.id".into()))
    }

    /// A public reply under a Facebook comment; returns the new comment's id.
    pub async fn fb_reply(
        &self,
        comment_id: &str,
        message: &str,
        token: &str,
    ) -> Result<String, GraphCallError> {
        let answer = self.post(&format!("{comment_id}/comments"), &[("message", message)], token).await?;
        id_field(&answer.body, "id")
    }

    /// An Instagram private reply to a comment; returns the message id.
    pub async fn ig_private_reply(
        &self,
        ig_user_id: &str,
        comment_id: &str,
        text: &str,
        token: &str,
    ) -> Result<String, GraphCallError> {
        let body = serde_json::json!({"recipient": {"comment_id": comment_id}, "message": {"text": text}});
        let answer = self.post_json(&format!("{ig_user_id}/messages"), &body, token).await?;
        id_field(&answer.body, "message_id")
    }

    /// Hides (or unhides) a comment: Facebook `is_hidden`, Instagram `hide`.
    pub async fn hide(&self, instagram: bool, comment_id: &str, token: &str) -> Result<(), GraphCallError> {
        let param = if instagram { "hide" } else { "is_hidden" };
        self.post(comment_id, &[(param, "true")], token).await.map(|_| ())
    }
}

fn id_field(body: &[u8], field: &str) -> Result<String, GraphCallError> {
    let v: serde_json::Value =
        serde_json::from_slice(body).map_err(|e| GraphCallError::Unexpected(e.to_string()))?;
    v[field]
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| GraphCallError::Unexpected(format!("no `{field}` in the answer")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_without_an_envelope_are_classified_by_what_they_mean() {
        assert_eq!(GraphCallError::Timeout.class(), ErrorClass::Transient);
        assert_eq!(GraphCallError::Transport("reset".into()).class(), ErrorClass::Transient);
        assert_eq!(GraphCallError::Http { status: 502 }.class(), ErrorClass::Transient);
        assert_eq!(GraphCallError::Http { status: 429 }.class(), ErrorClass::Throttled);
        assert_eq!(GraphCallError::Http { status: 404 }.class(), ErrorClass::InvalidRequest);
        assert_eq!(GraphCallError::Unexpected("no id".into()).class(), ErrorClass::InvalidRequest);
    }

    #[test]
    fn paging_links_to_another_host_are_not_followed_with_the_token() {
        let client = GraphClient::new("http://127.0.0.1:9", "secret").expect("client");
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
        let err = rt
            .block_on(
                client.get_next("https://evil.example/v25.0/1/comments?after=x&access_token=leak", "tok"),
            )
            .expect_err("refused");
        assert!(matches!(err, GraphCallError::Unexpected(_)), "{err}");
        assert!(!err.to_string().contains("tok"));
    }
}
