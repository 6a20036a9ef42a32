//! The public pages as maud templates (checked at compile time, escaping by default): the
//! session page, one answer's permalink, the list of sessions, search results, the ask form's
//! answers, and the 404 and error pages. Markup stays lean: 200 answers fit in under 100 KB.

use super::assets;
use super::export::inert;
use super::i18n::{clock, iso, Lang};
use curbside_domain::{PublicEntry, Session, SessionStatus};
use curbside_store::{PublicSessionSummary, PublicTranscript, SearchHit};
use maud::{html, Markup, PreEscaped, DOCTYPE};

/// What a page's `<head>` says about it, for browsers, crawlers and link previews.
pub struct Head<'a> {
    pub title: String,
    pub description: String,
    /// The page's absolute URL (canonical, `og:url`).
    pub url: String,
    /// The page's path, for the language switch and `hreflang` alternates.
    pub path: &'a str,
    /// Extra query kept by the language switch (e.g. `q=…` on search pages), already encoded.
    pub query: Option<String>,
    pub json_ld: Option<String>,
    /// Error pages are not indexed.
    pub noindex: bool,
}

fn lang_href(head: &Head, l: Lang) -> String {
    match &head.query {
        Some(q) => format!("{}?{q}&lang={}", head.path, l.code()),
        None => format!("{}?lang={}", head.path, l.code()),
    }
}

/// Text for `og:description`: the first 200 characters.
pub fn excerpt(s: &str) -> String {
    let s = inert(s);
    let mut out: String = s.chars().take(200).collect();
    if s.chars().count() > 200 {
        out.push('…');
    }
    out
}

/// JSON for a `<script type="application/ld+json">` block: `<`, `>` and `&` written as
/// `\u00XX` so no text can close the element (`</script>`) or open a comment (`<!--`).
pub fn script_json(v: &serde_json::Value) -> String {
    let raw = v.to_string();
    let mut out = String::with_capacity(raw.len() + 16);
    for c in raw.chars() {
        match c {
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c => out.push(c),
        }
    }
    out
}

/// Answers in the session page's `FAQPage` JSON-LD: what search engines show of a page is a
/// handful, and repeating every answer would double a long page; each permalink carries its own.
pub const FAQ_ON_PAGE: usize = 10;

/// schema.org `FAQPage` for answers.
pub fn faq_json_ld(name: &str, entries: &[&PublicEntry]) -> String {
    let main: Vec<serde_json::Value> = entries
        .iter()
        .map(|e| {
            serde_json::json!({"@type": "Question", "name": inert(&e.question),
                "acceptedAnswer": {"@type": "Answer", "text": inert(&e.answer.text)}})
        })
        .collect();
    script_json(&serde_json::json!({
        "@context": "https://schema.org", "@type": "FAQPage", "name": inert(name), "mainEntity": main
    }))
}

pub fn layout(lang: Lang, head: &Head, main_attrs: MainAttrs, body: Markup) -> Markup {
    let t = lang.t();
    html! {
        (DOCTYPE)
        html lang=(lang.code()) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (inert(&head.title)) " · " (t.site) }
                meta name="description" content=(head.description);
                @if head.noindex { meta name="robots" content="noindex"; }
                link rel="canonical" href=(head.url);
                @for l in Lang::ALL { link rel="alternate" hreflang=(l.code()) href=(lang_href(head, l)); }
                meta property="og:type" content="article";
                meta property="og:site_name" content=(t.site);
                meta property="og:title" content=(inert(&head.title));
                meta property="og:description" content=(head.description);
                meta property="og:url" content=(head.url);
                meta property="og:locale" content=(if lang == Lang::Es { "es_ES" } else { "en_US" });
                meta name="twitter:card" content="summary";
                meta name="twitter:title" content=(inert(&head.title));
                meta name="twitter:description" content=(head.description);
                meta name="color-scheme" content="light dark";
                link rel="stylesheet" href=(assets::CSS.url());
                @if main_attrs.live.is_some() { script src=(assets::JS.url()) defer {} }
                @if let Some(ld) = &head.json_ld { script type="application/ld+json" { (PreEscaped(ld)) } }
            }
            body {
                a.skip href="#main" { (t.skip) }
                header.top {
                    a.site href="/s" { (t.site) }
                    nav aria-label=(t.language) {
                        @for l in Lang::ALL {
                            @if l == lang { span lang=(l.code()) aria-current="true" { (l.name()) } }
                            @else { a lang=(l.code()) hreflang=(l.code()) href=(lang_href(head, l)) { (l.name()) } }
                            " "
                        }
                    }
                }
                @match &main_attrs.live {
                    Some(live) => main #main tabindex="-1" data-slug=(live.slug) data-offset=(live.offset)
                        data-new-one=(t.new_one) data-new-many=(t.new_many) data-corrected=(t.corrected_one)
                        data-show=(t.show_new) data-reload=(t.reload) { (body) },
                    None => main #main tabindex="-1" { (body) },
                }
                footer { p { (t.footer) } p { a href="/s" { (t.sessions) } } }
            }
        }
    }
}

/// What the live script needs from a page that follows the stream.
#[derive(Default)]
pub struct MainAttrs {
    pub live: Option<LiveAttrs>,
}

pub struct LiveAttrs {
    pub slug: String,
    pub offset: i64,
}

pub fn status_line(lang: Lang, s: &Session) -> Markup {
    let t = lang.t();
    html! {
        p #status.status {
            @match s.status {
                SessionStatus::Live => {
                    strong.badge.live { (t.live) }
                    @if let Some(at) = s.started_at { " · " (t.started) " " time datetime=(iso(at)) { (lang.datetime(at)) } }
                }
                SessionStatus::Scheduled => {
                    strong.badge { (t.upcoming) } " · "
                    @match s.starts_at {
                        Some(at) => { (t.starts) " " time datetime=(iso(at)) { (lang.datetime(at)) } }
                        None => (t.start_tbd),
                    }
                }
                SessionStatus::Ended => {
                    strong.badge.ended { (t.ended) }
                    @if let Some(at) = s.started_at.or(s.starts_at) { " · " time datetime=(iso(at)) { (lang.datetime(at)) } }
                }
            }
        }
    }
}

/// A link to the moment a question went on air in the recording: `{t}` in the URL is replaced
/// by the second, otherwise a media fragment `#t=` is appended.
pub fn recording_link(session: &Session, seconds: i64) -> Option<String> {
    let url = session.recording_url.as_deref()?;
    if url.contains("{t}") {
        Some(url.replace("{t}", &seconds.to_string()))
    } else {
        let base = url.split('#').next().unwrap_or(url);
        Some(format!("{base}#t={seconds}"))
    }
}

/// One answer. In the session's list (`in_list`) the question is a heading linking to the
/// permalink and the time is the time of day (the page shows the date once); markup is kept to
/// a minimum there, since a long session repeats it hundreds of times.
fn entry(lang: Lang, s: &Session, e: &PublicEntry, in_list: bool) -> Markup {
    let t = lang.t();
    let by = &e.answer.answered_by;
    let at = e.answer.answered_at;
    html! {
        @if in_list { h3 { a href={ "/s/" (s.slug) "/q/" (e.id) } { (inert(&e.question)) } } }
        p { (inert(&e.answer.text)) }
        p.m {
            (lang.asked_by(e.asked_by_count, &e.platforms)) " · "
            (t.answered_by) " " (inert(&by.name))
            @if !by.credentials.is_empty() { ", " (inert(&by.credentials)) }
            " · "
            // In the list a plain time of day (the date is at the top; exports and permalinks
            // carry the machine-readable time): 200 `<time>` elements would cost 7 KB.
            @if in_list { (lang.time_of_day(at)) } @else { time datetime=(iso_minute(at)) { (lang.datetime(at)) } }
        }
        @if let Some(m) = &e.myth_addressed {
            p.myth { strong { (t.myth_addressed) ": " } (inert(&m.topic))
                @if let Some(src) = &m.source {
                    ". " (t.myth_source) " "
                    @match src.url.as_deref().filter(|u| u.starts_with("https://") || u.starts_with("http://")) {
                        Some(url) => a href=(url) rel="noopener" { (inert(&src.name)) },
                        None => (inert(&src.name)),
                    }
                }
            }
        }
        @if let Some(c) = e.answer.corrected_at {
            p.corr { (t.corrected_on) " " time datetime=(iso_minute(c)) { (lang.datetime(c)) } }
        }
        @if let Some(url) = e.video_offset_seconds.and_then(|sec| recording_link(s, sec)) {
            p.m { a href=(url) { (t.watch) " (" (clock(e.video_offset_seconds.unwrap_or(0))) ")" } }
        }
    }
}

/// `2026-12-02T15:33Z`: a valid HTML global date and time, shorter than RFC 3339 with seconds.
fn iso_minute(at: curbside_domain::UnixMillis) -> String {
    let full = iso(at);
    match full.len() {
        20 => format!("{}Z", &full[..16]),
        _ => full,
    }
}

fn disclaimer(lang: Lang, s: &Session) -> Markup {
    html! {
        aside #disclaimer.disc aria-label=(lang.t().disclaimer) { p { strong { (lang.t().disclaimer) ": " } (inert(&s.disclaimer)) } }
    }
}

pub fn search_form(lang: Lang, action: &str, label: &str, value: &str) -> Markup {
    let t = lang.t();
    html! {
        form.search role="search" method="get" action=(action) {
            label for="q" { (label) }
            input #q type="search" name="q" value=(value) maxlength="200" autocomplete="off";
            input type="hidden" name="lang" value=(lang.code());
            button type="submit" { (t.search_button) }
        }
    }
}

pub fn ask_form(lang: Lang, slug: &str, text: &str, error: Option<&str>) -> Markup {
    let t = lang.t();
    html! {
        section.ask aria-labelledby="ask-h" {
            h2 #ask-h { (t.ask) }
            p { (t.ask_intro) }
            form method="post" action={ "/s/" (slug) "/ask" } {
                @if let Some(err) = error { p #ask-err.err role="alert" { (err) } }
                label for="question" { (t.ask_label) }
                p #ask-hint.m { (t.ask_hint) " " (t.ask_privacy) }
                textarea #question name="question" rows="4" maxlength="500" required
                    aria-describedby=(if error.is_some() { "ask-hint ask-err" } else { "ask-hint" })
                    aria-invalid=(if error.is_some() { "true" } else { "false" }) { (text) }
                div.hp aria-hidden="true" {
                    label for="website" { (t.honeypot) }
                    input #website type="text" name="website" tabindex="-1" autocomplete="off";
                }
                input type="hidden" name="lang" value=(lang.code());
                button type="submit" { (t.ask_button) }
            }
        }
    }
}

/// `/s/{slug}`: the whole transcript.
pub fn session_page(lang: Lang, base: &str, tr: &PublicTranscript) -> Markup {
    let t = lang.t();
    let s = &tr.session;
    let path = format!("/s/{}", s.slug);
    let description = match tr.entries.first() {
        Some(e) => excerpt(&format!("{} — {}", inert(&e.question), lang.count_answers(tr.entries.len()))),
        None => excerpt(&s.disclaimer),
    };
    let entries: Vec<&PublicEntry> = tr.entries.iter().collect();
    let head = Head {
        title: s.title.clone(),
        description,
        url: format!("{base}{path}"),
        path: &path,
        query: None,
        json_ld: (!entries.is_empty())
            .then(|| faq_json_ld(&s.title, &entries[..entries.len().min(FAQ_ON_PAGE)])),
        noindex: false,
    };
    let live = (s.status != SessionStatus::Ended)
        .then(|| LiveAttrs { slug: s.slug.to_string(), offset: tr.offset.0 });
    let body = html! {
        h1 { (inert(&s.title)) }
        (status_line(lang, s))
        @if !tr.specialists.is_empty() {
            section aria-labelledby="sp-h" {
                h2 #sp-h { (t.specialists) }
                ul.sp { @for sp in &tr.specialists {
                    li { (inert(&sp.name)) @if !sp.credentials.is_empty() { ", " (inert(&sp.credentials)) } }
                } }
            }
        }
        (disclaimer(lang, s))
        (search_form(lang, &format!("{path}/search"), t.search_this, ""))
        section aria-labelledby="ans-h" {
            h2 #ans-h { (t.answers) " (" (tr.entries.len()) ")" }
            div #live-notice.notice role="status" aria-live="polite" {}
            @if tr.entries.is_empty() { p #none { (t.no_answers_yet) } }
            ol #entries.entries {
                @for e in &tr.entries { li #{ "q-" (e.id) } { (entry(lang, s, e, true)) } }
            }
        }
        @if s.status != SessionStatus::Ended { (ask_form(lang, s.slug.as_str(), "", None)) }
        (downloads(lang, &path))
    };
    layout(lang, &head, MainAttrs { live }, body)
}

fn downloads(lang: Lang, path: &str) -> Markup {
    let t = lang.t();
    html! {
        section aria-labelledby="dl-h" {
            h2 #dl-h { (t.downloads) }
            ul.dl {
                li { a href={ (path) "/transcript.json" } download { (t.dl_json) } }
                li { a href={ (path) "/transcript.md" } download { (t.dl_md) } }
                li { a href={ (path) "/transcript.csv" } download { (t.dl_csv) } }
                li { a href={ (path) "/chapters.vtt" } download { (t.dl_vtt) } }
            }
        }
    }
}

/// `/s/{slug}/q/{id}`: one answer, shareable.
pub fn question_page(lang: Lang, base: &str, tr: &PublicTranscript, e: &PublicEntry) -> Markup {
    let t = lang.t();
    let s = &tr.session;
    let path = format!("/s/{}/q/{}", s.slug, e.id);
    let head = Head {
        title: e.question.clone(),
        description: excerpt(&e.answer.text),
        url: format!("{base}{path}"),
        path: &path,
        query: None,
        json_ld: Some(faq_json_ld(&e.question, &[e])),
        noindex: false,
    };
    let body = html! {
        p.m { a href={ "/s/" (s.slug) } { (inert(&s.title)) } }
        article #{ "q-" (e.id) } {
            h1 { (inert(&e.question)) }
            (entry(lang, s, e, false))
        }
        (disclaimer(lang, s))
        p { a href={ "/s/" (s.slug) "#q-" (e.id) } { (t.all_answers) } }
    };
    layout(lang, &head, MainAttrs::default(), body)
}

fn session_item(lang: Lang, s: &PublicSessionSummary) -> Markup {
    let t = lang.t();
    html! {
        li {
            a href={ "/s/" (s.slug) } { (inert(&s.title)) }
            br;
            span.m {
                @match s.status {
                    SessionStatus::Live => { strong.badge.live { (t.live) } }
                    SessionStatus::Scheduled => {
                        @match s.starts_at {
                            Some(at) => { (t.starts) " " time datetime=(iso(at)) { (lang.datetime(at)) } }
                            None => (t.start_tbd),
                        }
                    }
                    SessionStatus::Ended => {
                        @let at = s.started_at.or(s.starts_at).unwrap_or(s.created_at);
                        time datetime=(iso(at)) { (lang.datetime(at)) }
                    }
                }
                " · " (lang.count_answers(s.answers as usize))
            }
        }
    }
}

fn hits(lang: Lang, found: &[SearchHit], with_session: bool) -> Markup {
    let t = lang.t();
    html! {
        @if found.is_empty() { p { (t.no_results) } }
        ol.entries {
            @for h in found {
                li {
                    h3 { a href={ "/s/" (h.slug) "/q/" (h.id) } { (inert(&h.question)) } }
                    @if with_session { p.m { a href={ "/s/" (h.slug) } { (inert(&h.title)) } } }
                    p { (excerpt(&h.answer)) }
                }
            }
        }
    }
}

/// `/s`: sessions live now, upcoming and past, and search across all of them (`?q=`).
pub fn list_page(
    lang: Lang,
    base: &str,
    sessions: &[PublicSessionSummary],
    search: Option<(&str, &[SearchHit])>,
) -> Markup {
    let t = lang.t();
    let query = search.map(|(q, _)| format!("q={}", url_encode(q)));
    let head = Head {
        title: t.sessions.to_owned(),
        description: t.footer.to_owned(),
        url: format!("{base}/s"),
        path: "/s",
        query,
        json_ld: None,
        noindex: search.is_some(),
    };
    let of = |st: SessionStatus| sessions.iter().filter(move |s| s.status == st);
    let mut upcoming: Vec<&PublicSessionSummary> = of(SessionStatus::Scheduled).collect();
    upcoming.sort_by_key(|s| (s.starts_at.unwrap_or(i64::MAX), s.created_at));
    let body = html! {
        h1 { (t.sessions) }
        (search_form(lang, "/s", t.search_all, search.map(|(q, _)| q).unwrap_or("")))
        @if let Some((q, found)) = search {
            section aria-labelledby="res-h" {
                h2 #res-h { (t.results_for) " “" (q) "”" }
                (hits(lang, found, true))
            }
        }
        @if sessions.is_empty() { p { (t.no_sessions) } }
        @for (title, list) in [
            (t.live_list, of(SessionStatus::Live).collect::<Vec<_>>()),
            (t.upcoming_list, upcoming),
            (t.past_list, of(SessionStatus::Ended).collect::<Vec<_>>()),
        ] {
            @if !list.is_empty() {
                section { h2 { (title) } ul.list { @for s in list { (session_item(lang, s)) } } }
            }
        }
    };
    layout(lang, &head, MainAttrs::default(), body)
}

/// `/s/{slug}/search?q=`: matching answers of one session.
pub fn search_page(lang: Lang, base: &str, s: &Session, q: &str, found: &[SearchHit]) -> Markup {
    let t = lang.t();
    let path = format!("/s/{}/search", s.slug);
    let head = Head {
        title: format!("{} “{}”", t.results_for, q),
        description: inert(&s.title).into_owned(),
        url: format!("{base}{path}"),
        path: &path,
        query: Some(format!("q={}", url_encode(q))),
        json_ld: None,
        noindex: true,
    };
    let body = html! {
        p.m { a href={ "/s/" (s.slug) } { (inert(&s.title)) } }
        h1 { (t.results_for) " “" (q) "”" }
        (search_form(lang, &path, t.search_this, q))
        (hits(lang, found, false))
    };
    layout(lang, &head, MainAttrs::default(), body)
}

/// The ask form alone, with what was wrong and the text kept (never stored until it is right).
pub fn ask_page(lang: Lang, base: &str, s: &Session, text: &str, error: &str) -> Markup {
    let path = format!("/s/{}", s.slug);
    let head = message_head(lang, base, &path, lang.t().ask);
    let body = html! {
        p.m { a href=(path) { (inert(&s.title)) } }
        h1 { (lang.t().ask) }
        @if s.status == SessionStatus::Ended { p.err role="alert" { (error) } }
        @else { (ask_form(lang, s.slug.as_str(), text, Some(error))) }
    };
    layout(lang, &head, MainAttrs::default(), body)
}

/// The confirmation after a question was stored.
pub fn asked_page(lang: Lang, base: &str, s: &Session) -> Markup {
    let t = lang.t();
    let path = format!("/s/{}", s.slug);
    let head = message_head(lang, base, &path, t.asked_title);
    let body = html! {
        h1 { (t.asked_title) }
        p { (t.asked_body) }
        p { (t.asked_where) }
        p { a href={ (path) "?lang=" (lang.code()) } { (t.asked_back) ": " (inert(&s.title)) } }
    };
    layout(lang, &head, MainAttrs::default(), body)
}

fn message_head<'a>(lang: Lang, base: &str, path: &'a str, title: &str) -> Head<'a> {
    Head {
        title: title.to_owned(),
        description: lang.t().footer.to_owned(),
        url: format!("{base}{path}"),
        path,
        query: None,
        json_ld: None,
        noindex: true,
    }
}

/// The 404 page (unknown session or answer) and the error page: no detail of the request.
pub fn message_page(lang: Lang, base: &str, title: &str, text: &str) -> Markup {
    let head = message_head(lang, base, "/s", title);
    let body = html! { h1 { (title) } p { (text) } p { a href="/s" { (lang.t().sessions) } } };
    layout(lang, &head, MainAttrs::default(), body)
}

/// Percent-encodes a query value (for the language switch on search pages).
pub fn url_encode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}
