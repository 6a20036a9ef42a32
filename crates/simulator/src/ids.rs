//! The identities one simulated broadcast is made of: Page, live video, Instagram account and
//! media, their access tokens and the app secret, so the fake, the player and the tests agree.

/// Who and what is broadcasting. The defaults look like real Meta ids (digits of realistic
/// length, tokens with Meta's prefixes) but belong to nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimIds {
    pub page_id: String,
    pub page_name: String,
    /// The LiveVideo object: what `GET /{live-video-id}/comments` polls.
    pub live_video_id: String,
    /// The Video behind the broadcast: webhooks name the post `{page_id}_{video_id}`.
    pub video_id: String,
    pub title: String,
    /// The Instagram professional account (`entry.id` of Instagram webhooks).
    pub ig_user_id: String,
    pub ig_username: String,
    /// The IG Live media (`media.id` of `live_comments`).
    pub ig_media_id: String,
    /// Page access token: reads and writes the Page's live video and its comments.
    pub page_token: String,
    /// Instagram token: reads the account's live media and comments, sends private replies.
    pub ig_token: String,
    /// Signs webhooks and keys `appsecret_proof`.
    pub app_secret: String,
}

impl SimIds {
    /// `{page_id}_{video_id}`: the `post_id` of every `feed` comment on the broadcast.
    pub fn post_id(&self) -> String {
        format!("{}_{}", self.page_id, self.video_id)
    }

    /// The LiveVideo `permalink_url` as Graph returns it: relative to facebook.com.
    pub fn permalink_path(&self) -> String {
        format!("/{}/videos/{}/", self.page_id, self.video_id)
    }
}

impl Default for SimIds {
    fn default() -> SimIds {
        SimIds {
            page_id: "104857600123456".into(),
            page_name: "Riverside Heart Institute".into(),
            live_video_id: "1203994857723411".into(),
            video_id: "1203994851056745".into(),
            title: "Heart health: your questions answered".into(),
            ig_user_id: "17841405822304914".into(),
            ig_username: "riversideheart".into(),
            ig_media_id: "18034567890123456".into(),
            page_token: "EAAGsimulatedPageToken4Curbside0123456789".into(),
            ig_token: "IGAAsimulatedIgToken4Curbside0123456789".into(),
            app_secret: "5f2b6c8e9a0d4e1f7a3b2c6d8e9f0a1b".into(),
        }
    }
}
