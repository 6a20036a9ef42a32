//! The transcript's downloads: `transcript.json` (the contract's shape), `transcript.md`,
//! `transcript.csv` (safe to open in a spreadsheet) and `chapters.vtt` (WebVTT chapters at each
//! question's on-air time). Every text passes through [`inert`] first; each format then escapes
//! what is special to it.

use super::i18n::{clock, iso};
use curbside_domain::{PublicEntry, PublicSession};
use curbside_store::PublicTranscript;
use serde::Serialize;
use std::borrow::Cow;
use std::fmt::Write;

/// Text from staff or viewers without the characters that can change how other text displays
/// (bidirectional overrides and isolates, which can make text read backwards or disguise a
/// link) or that terminals and parsers treat as commands (C0/C1 controls other than newline and
/// tab).
pub fn inert(s: &str) -> Cow<'_, str> {
    fn unwanted(c: char) -> bool {
        matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}' | '\u{061C}')
            || (c.is_control() && c != '\n' && c != '\t')
    }
    if s.chars().any(unwanted) {
        Cow::Owned(s.chars().filter(|c| !unwanted(*c)).collect())
    } else {
        Cow::Borrowed(s)
    }
}

/// The contract's "Public transcript JSON".
#[derive(Serialize)]
struct TranscriptJson<'a> {
    session: PublicSession,
    disclaimer: Cow<'a, str>,
    entries: Vec<PublicEntry>,
}

pub fn json(t: &PublicTranscript) -> String {
    let entries = t
        .entries
        .iter()
        .map(|e| {
            let mut e = e.clone();
            e.question = inert(&e.question).into_owned();
            e.answer.text = inert(&e.answer.text).into_owned();
            e.answer.answered_by.name = inert(&e.answer.answered_by.name).into_owned();
            e.answer.answered_by.credentials = inert(&e.answer.answered_by.credentials).into_owned();
            e
        })
        .collect();
    let mut session = PublicSession::from(&t.session);
    session.title = inert(&session.title).into_owned();
    let doc = TranscriptJson { session, disclaimer: inert(&t.session.disclaimer), entries };
    serde_json::to_string_pretty(&doc).unwrap_or_else(|_| "{}".into())
}

/// Escapes Markdown's syntax and HTML so text shows as written in any Markdown viewer.
fn md_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for line in inert(s).lines() {
        if !out.is_empty() {
            out.push_str("  \n");
        }
        for c in line.chars() {
            match c {
                '<' => out.push_str("&lt;"),
                '>' => out.push_str("&gt;"),
                '&' => out.push_str("&amp;"),
                '\\' | '`' | '*' | '_' | '{' | '}' | '[' | ']' | '(' | ')' | '#' | '+' | '-' | '.' | '!'
                | '|' | '~' | '"' | ':' => {
                    out.push('\\');
                    out.push(c);
                }
                c => out.push(c),
            }
        }
    }
    out
}

pub fn markdown(t: &PublicTranscript, base: &str, recording: impl Fn(i64) -> Option<String>) -> String {
    let s = &t.session;
    let mut out = format!("# {}\n\n", md_text(&s.title));
    if let Some(start) = s.started_at {
        let _ = writeln!(out, "{}\n", iso(start));
    }
    let _ = writeln!(out, "_{}_\n", md_text(&s.disclaimer));
    for e in &t.entries {
        let _ = writeln!(out, "## {}\n", md_text(&e.question));
        let _ = writeln!(out, "{}\n", md_text(&e.answer.text));
        let by = &e.answer.answered_by;
        let _ = write!(
            out,
            "— {}, {} · {}",
            md_text(&by.name),
            md_text(&by.credentials),
            iso(e.answer.answered_at)
        );
        if let Some(c) = e.answer.corrected_at {
            let _ = write!(out, " · corrected {}", iso(c));
        }
        let _ = writeln!(out, " · asked by {} · <{base}/s/{}/q/{}>", e.asked_by_count, s.slug, e.id);
        if let Some(url) = e.video_offset_seconds.and_then(&recording) {
            let _ = writeln!(out, "\nRecording at {}: <{url}>", clock(e.video_offset_seconds.unwrap_or(0)));
        }
        out.push('\n');
    }
    out
}

/// One CSV field: quoted, quotes doubled, and a leading character a spreadsheet would run as a
/// formula (`= + - @`, tab, carriage return, and their full-width forms) defused with `'`.
fn csv_field(s: &str) -> String {
    let s = inert(s);
    let risky =
        s.trim_start_matches(' ').starts_with(['=', '+', '-', '@', '\t', '\r', '＝', '＋', '－', '＠']);
    let mut out = String::with_capacity(s.len() + 4);
    out.push('"');
    if risky {
        out.push('\'');
    }
    for c in s.chars() {
        if c == '"' {
            out.push('"');
        }
        out.push(c);
    }
    out.push('"');
    out
}

pub fn csv(t: &PublicTranscript) -> String {
    let mut out = String::from(
        "id,question,asked_by_count,platforms,answer,answered_by,credentials,answered_at,corrected_at,video_offset_seconds\r\n",
    );
    for e in &t.entries {
        let platforms: Vec<&str> = e.platforms.iter().map(|p| p.as_str()).collect();
        let row = [
            e.id.to_string(),
            csv_field(&e.question),
            e.asked_by_count.to_string(),
            csv_field(&platforms.join(" ")),
            csv_field(&e.answer.text),
            csv_field(&e.answer.answered_by.name),
            csv_field(&e.answer.answered_by.credentials),
            iso(e.answer.answered_at),
            e.answer.corrected_at.map(iso).unwrap_or_default(),
            e.video_offset_seconds.map(|s| s.to_string()).unwrap_or_default(),
        ];
        out.push_str(&row.join(","));
        out.push_str("\r\n");
    }
    out
}

/// Cue text on one line with WebVTT's markup characters escaped: no `-->`, no blank line, no
/// tag can come from the text, so it cannot end its cue or start another.
fn vtt_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in inert(s).chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\n' | '\r' | '\t' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

fn vtt_time(seconds: i64) -> String {
    format!("{:02}:{:02}:{:02}.000", seconds / 3600, (seconds / 60) % 60, seconds % 60)
}

/// Chapters: each answered question from its on-air moment to the next one's (the last runs to
/// its answer plus a minute). Questions without a known on-air time are left out.
pub fn chapters(t: &PublicTranscript) -> String {
    let mut timed: Vec<(i64, &PublicEntry)> =
        t.entries.iter().filter_map(|e| e.video_offset_seconds.map(|s| (s, e))).collect();
    timed.sort_by_key(|(s, e)| (*s, e.id));
    let mut out = String::from("WEBVTT\n\n");
    for (i, (start, e)) in timed.iter().enumerate() {
        let answered =
            t.session.started_at.map(|st| (e.answer.answered_at - st) / 1000 + 60).unwrap_or(start + 60);
        let end = timed.get(i + 1).map(|(next, _)| *next).unwrap_or(answered).max(start + 1);
        let _ = write!(
            out,
            "q-{}\n{} --> {}\n{}\n\n",
            e.id,
            vtt_time(*start),
            vtt_time(end),
            vtt_text(&e.question)
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inert_strips_bidi_overrides_and_controls() {
        assert_eq!(inert("abc\u{202E}fdp.exe\u{2066}x\u{0007}\nok"), "abcfdp.exex\nok");
        assert!(matches!(inert("plain"), Cow::Borrowed(_)));
    }

    #[test]
    fn csv_defuses_formulas_and_quotes() {
        assert_eq!(csv_field("=cmd|' /C calc'!A0"), "\"'=cmd|' /C calc'!A0\"");
        assert_eq!(csv_field("  +1"), "\"'  +1\"");
        assert_eq!(csv_field("＠SUM(1)"), "\"'＠SUM(1)\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
    }

    #[test]
    fn vtt_text_cannot_end_a_cue() {
        assert_eq!(
            vtt_text("a\n\n00:00:01.000 --> 00:00:02.000\n<b>x</b>"),
            "a  00:00:01.000 --&gt; 00:00:02.000 &lt;b&gt;x&lt;/b&gt;"
        );
    }

    #[test]
    fn markdown_shows_markup_as_text() {
        assert_eq!(md_text("<script>[x](javascript:y)"), "&lt;script&gt;\\[x\\]\\(javascript\\:y\\)");
    }
}
