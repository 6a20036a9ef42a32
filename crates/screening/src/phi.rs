//! Private information as typed spans, with HIPAA Safe Harbor's identifiers as the checklist:
//! phone numbers, emails, personal dates, record/insurance/SSN-like numbers, street addresses,
//! links, @mentions and people's names where commenters name themselves or others.
//!
//! Patterns run on the original text so offsets stay exact; each candidate is checked by a small
//! validator (digit counts, month/day ranges, a list of words that are not names) before it counts.
//! "My mom has diabetes" carries no identifier and yields nothing.

use crate::text::CharIndex;
use curbside_domain::{Span, SpanKind};
use regex::{Captures, Regex};
use std::collections::HashSet;
use std::sync::LazyLock;

fn re(p: &str) -> Regex {
    crate::text::pattern(p)
}

static EMAIL: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)[a-z0-9._%+\-]+@[a-z0-9\-]+(?:\.[a-z0-9\-]+)*\.[a-z]{2,}|\b[a-z0-9._]+\s*(?:\(at\)|\[at\]|\sat\s|\sarroba\s)\s*(?:gmail|yahoo|hotmail|outlook|icloud|aol|live|msn)\s*(?:\.|\sdot\s|\spunto\s)\s*com\b",
    )
});
static URL: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r#"(?i)\b(?:https?://|www\.)[^\s<>"]+|\b[a-z0-9][a-z0-9\-]*(?:\.[a-z0-9\-]+)*\.(?:com|org|net|io|ly|me|co|us|info|biz|es|mx|ar|tv|gg|link|app|site|online|store|shop|xyz|click)(?:/[^\s<>"]*)?\b"#,
    )
});
static MENTION: LazyLock<Regex> =
    LazyLock::new(|| re(r"(?:^|[^\w@.])(@[A-Za-z0-9_](?:[A-Za-z0-9_.]{0,28}[A-Za-z0-9_])?)"));
/// Digit runs with phone separators; `validate_phone` decides.
static PHONE: LazyLock<Regex> = LazyLock::new(|| re(r"\+?\(?\d[\d\s().\-]{5,22}\d"));
static SSN: LazyLock<Regex> = LazyLock::new(|| re(r"\b\d{3}[- ]\d{2}[- ]\d{4}\b"));
static ID_CONTEXT: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)\b(?:mrn|medical\s+record(?:\s+(?:number|no\.?|num|#))?|record\s+(?:number|no\.?|num|#)|chart\s+(?:number|no\.?|#)|patient\s+(?:id|number|no\.?|#)|member\s*(?:id|number|no\.?|#)|insurance\s+(?:id|number|no\.?|num|#)|policy\s+(?:number|no\.?|#)|group\s+(?:number|no\.?|#)|account\s+(?:number|no\.?|#)|acct\s*#?|claim\s+(?:number|no\.?|#)|ssn|social\s+security(?:\s+(?:number|no\.?|#))?|social|medicaid(?:\s+(?:id|number|#))?|medicare(?:\s+(?:id|number|#))?|driver'?s\s+licen[cs]e(?:\s+(?:number|#))?|licen[cs]e\s+(?:number|no\.?|#)|id\s+(?:number|no\.?|#)|my\s+id|case\s+(?:number|no\.?|#)|expediente|n[uú]mero\s+de\s+(?:expediente|seguro(?:\s+social)?|p[oó]liza|afiliaci[oó]n|afiliado|paciente|historia|cuenta|caso|identificaci[oó]n)|historia\s+cl[ií]nica|p[oó]liza|nss|curp|dni|nie|seguro\s+social|afiliado|mi\s+n[uú]mero\s+de\s+\w+)\s*(?:is|es|=|:|#|no\.?|number|n[uú]m(?:ero)?\.?|n[º°o]\.?)?\s*(?:is|es|:|#)?\s*([A-Za-z]{0,4}[\-]?\d[A-Za-z0-9\-]{3,19})",
    )
});
/// Letters and many digits in one token ("XJ4452991"): looks like a member or record id.
static ALNUM_ID: LazyLock<Regex> =
    LazyLock::new(|| re(r"\b[A-Za-z]{1,4}-?\d{6,14}\b|\b\d{6,14}[A-Za-z]{1,3}\b"));
static DATE_FULL: LazyLock<Regex> = LazyLock::new(|| {
    re(r"\b(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4}|\d{2})\b|\b(?:19|20)\d{2}-\d{1,2}-\d{1,2}\b")
});
static DATE_SHORT: LazyLock<Regex> = LazyLock::new(|| re(r"\b(\d{1,2})/(\d{1,2})\b"));
static DATE_CONTEXT: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)\b(?:born|dob|d\.o\.b|birth|birthday|bday|b-day|surgery|surgeries|appointment|appt|admitted|discharged|scheduled|procedure|operation|delivery|due\s+date|induction|colonoscopy|biopsy|mri|scan|visit|cita|operaci[oó]n|cirug[ií]a|naci|nacimiento|cumple|cumpleaños|ingres|alta|parto|programad)",
    )
});
static DATE_MONTH: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)\b(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sept?(?:ember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?\s+\d{1,2}(?:st|nd|rd|th)?\b(?:,?\s+(?:19|20)\d{2}\b)?|\b\d{1,2}(?:st|nd|rd|th)?\s+(?:of\s+)?(?:jan(?:uary)?|feb(?:ruary)?|march|apr(?:il)?|may|june?|july?|aug(?:ust)?|sept?(?:ember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\b(?:,?\s+(?:19|20)\d{2}\b)?|\b\d{1,2}\s+de\s+(?:enero|febrero|marzo|abril|mayo|junio|julio|agosto|sep?tiembre|octubre|noviembre|diciembre)\b(?:\s+(?:de|del)\s+(?:19|20)\d{2}\b)?|\b(?:enero|febrero|marzo|abril|mayo|junio|julio|agosto|sep?tiembre|octubre|noviembre|diciembre)\s+\d{1,2}\b(?:,?\s+(?:19|20)\d{2}\b)?",
    )
});
static ADDRESS_EN: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)\b\d{1,6}\s+(?:[nsew]\.?\s+)?(?:[a-z0-9'.]+\s+){0,3}?(?:street|st|avenue|ave|av|road|rd|boulevard|blvd|lane|ln|drive|dr|court|ct|way|place|pl|terrace|circle|cir|highway|hwy|parkway|pkwy|trail|trl|square|sq)\b\.?(?:,?\s*(?:apt|apartment|unit|suite|ste|#)\.?\s*#?\s*[a-z0-9]+)?",
    )
});
static ADDRESS_ES: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)\b(?:calle|c/|avenida|avda\.?|av\.|carrera|cra\.?|paseo|plaza|camino|colonia|col\.|calzada|privada)\s+(?:[\p{L}.]+\s+){0,4}?(?:n[º°o]\.?\s*|#\s*|num\.?\s*|n[uú]mero\s*)?\d{1,5}\b(?:\s*,?\s*(?:piso|depto|dpto|apto|int\.?|interior)\s*\w+)?",
    )
});
/// "camino 10000 pasos" (I walk 10,000 steps) is not an address.
static UNIT_AFTER: LazyLock<Regex> = LazyLock::new(|| {
    re(r"(?i)^\s*(?:pasos|metros|km|kil[oó]metros|minutos|min|horas|veces|steps|miles|mg|cuadras)\b")
});
static ZIP_OR_ROOM: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)\b(?:zip(?:\s*code)?|zipcode|c\.p\.|cp|c[oó]digo\s+postal)\s*:?\s*\d{5}(?:-\d{4})?\b|\b(?:room|rm|habitaci[oó]n|cuarto|cama|bed)\s*#?\s*\d{1,4}[a-z]?\b",
    )
});
/// Words naming a person the commenter is talking about, in English and Spanish.
const RELATIONS: &str = r"son|daughter|husband|wife|hubby|mom|mum|mother|mama|mommy|dad|father|papa|daddy|brother|sister|bro|sis|grandma|grandpa|granny|grandmother|grandfather|grandson|granddaughter|baby|kid|child|boy|girl|boyfriend|girlfriend|bf|gf|partner|fiance|fiancee|friend|bestie|aunt|auntie|uncle|nephew|niece|cousin|neighbor|neighbour|coworker|stepson|stepdaughter|twins|hijo|hija|hijito|hijita|esposo|esposa|marido|mujer|mama|mamá|madre|papá|padre|hermano|hermana|abuela|abuelo|abuelita|abuelito|nieto|nieta|bebé|bebe|niño|niña|novio|novia|pareja|amigo|amiga|tío|tía|tio|tia|primo|prima|sobrino|sobrina|vecino|vecina|suegra|suegro|cuñado|cuñada";
static NAME_TRIGGER: LazyLock<Regex> = LazyLock::new(|| {
    re(&format!(
        r"(?i)(?:\bmy\s+name\s+is|\bmy\s+names?'?s?|\bname'?s|\bi'?m|\bi\s+am|\bim|\bme\s+llamo|\bmi\s+nombre\s+es|\bsoy|\bse\s+llama|\bnamed|\bcalled|\bllamad[oa]|^\s*(?:hi|hello|hey|hola|buenas)?[,!\s]*this\s+is|\bit'?s|\bes|\bquestion\s+from|\bq\s+from|\bpregunta\s+de|(?:\bmy|\bour|\bmi|\bmis|\bnuestr[oa])\s+(?:(?:little|lil|oldest|youngest|older|younger|big|baby|teenage|teen|step|\d{{1,2}}\s*(?:yo|y/o|yr|year|years|month|mo)(?:\s*-?\s*old)?|\d{{1,2}}-year-old|peque(?:ñ|n)[oa]|mayor|menor|querid[oa])\s+)?(?:{RELATIONS})(?:'s)?)[\s,:]+"
    ))
});
static NAME_TOKEN: LazyLock<Regex> =
    LazyLock::new(|| re(r"^\p{L}[\p{L}'\-]*(?:\s+\p{Lu}\.?(?:\s|$)|\s+\p{Lu}[\p{L}'\-]+)?"));
static SIGNATURE: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?:(?:^|[.!?\n]\s*|\s)[-–—~]\s*|(?i:\b(?:thanks|thank\s+you|thx|ty|gracias|saludos|bendiciones|regards|cheers|love)[,!.]*\s+))(\p{Lu}[\p{Ll}'\-]+(?:\s+\p{Lu}[\p{Ll}'\-]*\.?)?)\s*[.!?😊🙏❤️]*\s*$",
    )
});

static FIRST_NAMES: LazyLock<HashSet<String>> =
    LazyLock::new(|| word_list(include_str!("../data/first_names.txt")));
static NOT_NAMES: LazyLock<HashSet<String>> =
    LazyLock::new(|| word_list(include_str!("../data/not_names.txt")));

fn word_list(text: &str) -> HashSet<String> {
    text.lines()
        .filter(|l| !l.trim_start().starts_with('#'))
        .flat_map(str::split_whitespace)
        .map(crate::text::fold)
        .collect()
}

/// Public numbers that are nobody's private information: emergency lines and US poison control.
const PUBLIC_NUMBERS: &[&str] = &["911", "988", "18002221222", "8002221222", "112", "061"];

/// Every private-information span in `text`, sorted by position, never overlapping.
pub fn detect(text: &str) -> Vec<Span> {
    let idx = CharIndex::new(text);
    let mut found: Vec<(u8, usize, usize, SpanKind)> = Vec::new();
    let mut push = |prio: u8, start: usize, end: usize, kind: SpanKind| found.push((prio, start, end, kind));

    for m in EMAIL.find_iter(text) {
        push(0, m.start(), m.end(), SpanKind::Email);
    }
    for m in URL.find_iter(text) {
        let trimmed = m.as_str().trim_end_matches(['.', ',', '!', '?', ')', ';', ':']);
        push(1, m.start(), m.start() + trimmed.len(), SpanKind::Url);
    }
    for m in SSN.find_iter(text) {
        push(2, m.start(), m.end(), SpanKind::IdNumber);
    }
    for c in ID_CONTEXT.captures_iter(text) {
        if let Some(m) = c.get(1) {
            if m.as_str().chars().filter(char::is_ascii_digit).count() >= 3 {
                push(2, m.start(), m.end(), SpanKind::IdNumber);
            }
        }
    }
    for m in ALNUM_ID.find_iter(text) {
        push(3, m.start(), m.end(), SpanKind::IdNumber);
    }
    for m in PHONE.find_iter(text) {
        if let Some((s, e)) = validate_phone(text, m.start(), m.end()) {
            push(3, s, e, SpanKind::Phone);
        }
    }
    for c in DATE_FULL.captures_iter(text) {
        let Some(m) = c.get(0) else { continue };
        if plausible_day_month(&c) {
            push(4, m.start(), m.end(), SpanKind::Date);
        }
    }
    for m in DATE_MONTH.find_iter(text) {
        push(4, m.start(), m.end(), SpanKind::Date);
    }
    for c in DATE_SHORT.captures_iter(text) {
        let Some(m) = c.get(0) else { continue };
        let window_start = floor_char_boundary(text, m.start().saturating_sub(40));
        if plausible_day_month(&c) && DATE_CONTEXT.is_match(&text[window_start..m.start()]) {
            push(4, m.start(), m.end(), SpanKind::Date);
        }
    }
    for m in ADDRESS_EN.find_iter(text) {
        if plausible_street(m.as_str()) {
            push(5, m.start(), m.end(), SpanKind::Address);
        }
    }
    for m in ADDRESS_ES.find_iter(text).chain(ZIP_OR_ROOM.find_iter(text)) {
        if !UNIT_AFTER.is_match(&text[m.end()..]) {
            push(5, m.start(), m.end(), SpanKind::Address);
        }
    }
    for c in MENTION.captures_iter(text) {
        if let Some(m) = c.get(1) {
            push(6, m.start(), m.end(), SpanKind::Mention);
        }
    }
    for (s, e) in names(text) {
        push(7, s, e, SpanKind::Name);
    }

    // Overlaps: the stronger kind wins (an email is not also a mention), then the longer span.
    found.sort_by_key(|&(prio, s, e, _)| (prio, std::cmp::Reverse(e - s), s));
    let mut kept: Vec<(usize, usize, SpanKind)> = Vec::new();
    for (_, s, e, kind) in found {
        if kept.iter().all(|&(ks, ke, _)| e <= ks || s >= ke) {
            kept.push((s, e, kind));
        }
    }
    kept.sort_by_key(|&(s, _, _)| s);
    kept.into_iter().map(|(s, e, kind)| Span { kind, start: idx.char_at(s), end: idx.char_at(e) }).collect()
}

fn floor_char_boundary(text: &str, mut i: usize) -> usize {
    while i > 0 && !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// A phone number has 7 to 13 digits, is not a public hotline, and is not a decimal reading
/// ("39.5"), a range of years, or part of a longer word.
fn validate_phone(text: &str, start: usize, end: usize) -> Option<(usize, usize)> {
    let s = &text[start..end];
    // Trim an unmatched bracket or separators the greedy pattern may have taken.
    let s_trim = s.trim_end_matches(['(', ' ', '-', '.']);
    let end = start + s_trim.len();
    let digits: String = s_trim.chars().filter(char::is_ascii_digit).collect();
    if !(7..=13).contains(&digits.len()) || PUBLIC_NUMBERS.contains(&digits.as_str()) {
        return None;
    }
    if text[..start].ends_with(|c: char| c.is_alphanumeric() || c == '$' || c == '/')
        || text[end..].starts_with(|c: char| c.is_alphanumeric() || c == '%' || c == '/')
    {
        return None;
    }
    // Groups like "2019-2020" or "120 80 72" (readings) are not phone numbers: a phone number's
    // groups are mostly 2–4 digits and it has at most 5 of them.
    let groups: Vec<&str> = s_trim.split(|c: char| !c.is_ascii_digit()).filter(|g| !g.is_empty()).collect();
    if groups.len() > 6 {
        return None;
    }
    if groups.len() == 2
        && groups.iter().all(|g| g.len() == 4 && (g.starts_with("19") || g.starts_with("20")))
    {
        return None;
    }
    if s_trim.contains('.') && groups.len() == 2 && groups[1].len() <= 2 {
        return None;
    }
    if digits.starts_with("1800222") || digits.starts_with("800222") {
        return None;
    }
    Some((start, end))
}

fn plausible_day_month(c: &Captures<'_>) -> bool {
    let (Some(a), Some(b)) = (c.get(1), c.get(2)) else { return true };
    let (Ok(a), Ok(b)) = (a.as_str().parse::<u32>(), b.as_str().parse::<u32>()) else { return false };
    (1..=12).contains(&a) && (1..=31).contains(&b) || (1..=31).contains(&a) && (1..=12).contains(&b)
}

/// "2 hour drive", "3 times a day st…" are not addresses: no unit of time or dose in the name.
fn plausible_street(m: &str) -> bool {
    const NOT_IN_STREET: &[&str] = &[
        "hour", "hours", "hr", "hrs", "min", "mins", "minute", "minutes", "mile", "miles", "day", "days",
        "week", "weeks", "month", "months", "year", "years", "mg", "times", "pills", "kids", "people", "am",
        "pm", "to", "and", "or", "of", "the", "a", "in", "at", "with", "for", "my", "is", "was", "km",
    ];
    let words: Vec<String> = m.split_whitespace().skip(1).map(|w| w.to_lowercase()).collect();
    let body = &words[..words.len().saturating_sub(1)];
    !body.iter().any(|w| NOT_IN_STREET.contains(&w.trim_matches(|c: char| !c.is_alphanumeric())))
}

/// Names after a trigger ("my name is", "I'm", "my son", "mi hija", "se llama"), before "here"
/// at the start ("Jaxon here, …") and in sign-offs ("thanks, Maria"). Clinicians' names
/// ("Dr. Smith") are not the commenter's private information.
fn names(text: &str) -> Vec<(usize, usize)> {
    let all_caps = text.chars().filter(|c| c.is_alphabetic()).all(|c| !c.is_lowercase());
    let mut out = Vec::new();
    for m in NAME_TRIGGER.find_iter(text) {
        let rest = &text[m.end()..];
        let Some(tok) = NAME_TOKEN.find(rest) else { continue };
        let candidate = tok.as_str().trim_end();
        let first = candidate.split_whitespace().next().unwrap_or_default();
        let trigger = crate::text::fold(m.as_str().trim());
        let relation = RELATION_WORD.is_match(&trigger) || INTRO_WORD.is_match(&trigger);
        if LISTED_ONLY.contains(&trigger.as_str()) && !FIRST_NAMES.contains(&crate::text::fold(first)) {
            continue;
        }
        let after = &rest[tok.start() + first.len()..];
        if !name_after_trigger(first, after, relation, all_caps) {
            continue;
        }
        // Keep a surname only if it looks like one (not "Jake Has").
        let mut len = first.len();
        if let Some(second) = candidate.split_whitespace().nth(1) {
            let bare = second.trim_end_matches('.');
            if bare.chars().next().is_some_and(char::is_uppercase)
                && !NOT_NAMES.contains(&crate::text::fold(bare))
                && !all_caps
            {
                len = candidate.len();
            }
        }
        let start = m.end() + tok.start();
        out.push((start, start + len));
    }
    for c in NAME_BEFORE_DOB.captures_iter(text) {
        if let Some(m) = c.get(1) {
            out.push((m.start(), m.end()));
        }
    }
    if let Some(c) = HERE.captures(text) {
        if let Some(m) = c.get(1) {
            if is_name(m.as_str(), all_caps) {
                out.push((m.start(), m.end()));
            }
        }
    }
    if let Some(c) = SIGNATURE.captures(text) {
        if let Some(m) = c.get(1) {
            let first = m.as_str().split_whitespace().next().unwrap_or_default();
            if is_name(first, all_caps) {
                out.push((m.start(), m.end()));
            }
        }
    }
    out
}

static RELATION_WORD: LazyLock<Regex> = LazyLock::new(|| re(&format!(r"\b(?:{RELATIONS})\b")));
/// Triggers after which any uncommon word is a name ("my name is Rowan").
static INTRO_WORD: LazyLock<Regex> = LazyLock::new(|| re(r"name|nombre|llamo|llama|llamad|named"));
/// Triggers that are everyday words: only a listed first name counts after them.
const LISTED_ONLY: &[&str] = &["es", "it's", "its", "called"];
/// "Greg Hollis, born 1961": a full name right before a birth detail.
static NAME_BEFORE_DOB: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(\p{Lu}\p{Ll}+\s+\p{Lu}\p{Ll}+),?\s+(?:born|b\.|dob|d\.o\.b|age\s+\d|aged|nacid[oa]|fecha\s+de\s+nacimiento)",
    )
});
static HERE: LazyLock<Regex> = LazyLock::new(|| re(r"^\s*(\p{L}[\p{L}'\-]+)\s+(?:here|aqui|aquí)\b"));
/// What may follow a self-introduction: "I'm Maria, …", "im keisha and …", "soy Ana y …".
static INTRO_END: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)^(?:\s*[,.!:;(]|\s+(?:and|y|from|de|here|aqui|aquí|i|yo|a|an|una|un|mom|mama|mamá|mi|my|me)\b|\s*$)",
    )
});

/// Whether `word` after a trigger is a name. After a relation ("my son Jake") any word that is
/// not a common word counts; after "I'm" / "soy" only a listed first name, or a word followed
/// by what ends an introduction ("I'm Tasha, …" but not "I'm Catholic can I …").
fn name_after_trigger(word: &str, after: &str, relation: bool, all_caps: bool) -> bool {
    let folded = crate::text::fold(word);
    if folded.chars().count() < 2 || NOT_NAMES.contains(&folded) || folded.chars().any(|c| c.is_ascii_digit())
    {
        return false;
    }
    if FIRST_NAMES.contains(&folded) {
        return true;
    }
    if relation {
        return is_name(word, false) || all_caps && folded.chars().count() >= 3;
    }
    const ADJECTIVE_ENDINGS: &[&str] = &[
        "ing", "ed", "ly", "ic", "al", "ous", "ive", "ful", "ble", "ado", "ada", "ido", "ida", "oso", "osa",
        "ico", "ica", "ante", "ente", "ista", "ian", "ese", "ish",
    ];
    if ADJECTIVE_ENDINGS.iter().any(|e| folded.ends_with(e)) || all_caps {
        return false;
    }
    INTRO_END.is_match(after)
}

fn is_name(word: &str, all_caps: bool) -> bool {
    let folded = crate::text::fold(word);
    if folded.chars().count() < 2 || NOT_NAMES.contains(&folded) || folded.chars().any(|c| c.is_ascii_digit())
    {
        return false;
    }
    if FIRST_NAMES.contains(&folded) {
        return true;
    }
    let mut chars = word.chars();
    let capital = chars.next().is_some_and(char::is_uppercase);
    let rest_lower = chars.all(|c| !c.is_uppercase());
    capital && rest_lower && !all_caps && !folded.ends_with("ing") && !folded.ends_with("ly")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(text: &str) -> Vec<(SpanKind, String)> {
        detect(text).iter().map(|s| (s.kind, curbside_domain::screening::span_text(text, s))).collect()
    }

    #[test]
    fn phone_numbers_in_us_international_and_spanish_formats() {
        assert_eq!(kinds("call me at (555) 123-4567 pls"), vec![(SpanKind::Phone, "(555) 123-4567".into())]);
        assert_eq!(kinds("text 555.123.4567"), vec![(SpanKind::Phone, "555.123.4567".into())]);
        assert_eq!(kinds("mi cel es +34 612 34 56 78"), vec![(SpanKind::Phone, "+34 612 34 56 78".into())]);
        assert_eq!(kinds("llámame al 612345678 porfa"), vec![(SpanKind::Phone, "612345678".into())]);
    }

    #[test]
    fn hotlines_readings_and_doses_are_not_phone_numbers() {
        for t in [
            "call 911 or 988",
            "poison control 1-800-222-1222",
            "my bp was 160/100 this morning",
            "temp 39.5 for 3 days",
            "from 2019-2020 i was on 500mg",
        ] {
            assert_eq!(kinds(t), vec![], "{t}");
        }
    }

    #[test]
    fn emails_urls_and_mentions() {
        assert_eq!(kinds("email me maria.g@gmail.com"), vec![(SpanKind::Email, "maria.g@gmail.com".into())]);
        assert_eq!(kinds("see www.cures4u.com/now."), vec![(SpanKind::Url, "www.cures4u.com/now".into())]);
        assert_eq!(kinds("@jenny_b look at this"), vec![(SpanKind::Mention, "@jenny_b".into())]);
    }

    #[test]
    fn ids_dates_and_addresses() {
        assert_eq!(kinds("my MRN is 00482913"), vec![(SpanKind::IdNumber, "00482913".into())]);
        assert_eq!(kinds("ssn 123-45-6789"), vec![(SpanKind::IdNumber, "123-45-6789".into())]);
        assert_eq!(kinds("born 03/14/1985"), vec![(SpanKind::Date, "03/14/1985".into())]);
        assert_eq!(kinds("surgery on March 3rd"), vec![(SpanKind::Date, "March 3rd".into())]);
        assert_eq!(kinds("cita el 5 de mayo"), vec![(SpanKind::Date, "5 de mayo".into())]);
        assert_eq!(kinds("I live at 42 Oak Street"), vec![(SpanKind::Address, "42 Oak Street".into())]);
        assert_eq!(kinds("vivo en Calle Mayor 12"), vec![(SpanKind::Address, "Calle Mayor 12".into())]);
        assert_eq!(kinds("it's a 2 hour drive"), vec![]);
    }

    #[test]
    fn names_where_people_name_themselves_or_others() {
        assert_eq!(kinds("Hi my name is Maria Lopez"), vec![(SpanKind::Name, "Maria Lopez".into())]);
        assert_eq!(kinds("I'm Maria and"), vec![(SpanKind::Name, "Maria".into())]);
        assert_eq!(kinds("my son Jake has a fever"), vec![(SpanKind::Name, "Jake".into())]);
        assert_eq!(kinds("mi hija Sofía tiene tos"), vec![(SpanKind::Name, "Sofía".into())]);
        assert_eq!(kinds("im jenny and my mom"), vec![(SpanKind::Name, "jenny".into())]);
        assert_eq!(kinds("great talk, thanks! - Rosa"), vec![(SpanKind::Name, "Rosa".into())]);
    }

    #[test]
    fn relations_and_conditions_alone_are_not_private() {
        for t in [
            "my mom has diabetes",
            "My husband had a stent last year",
            "I'm diabetic and pregnant",
            "I'm Worried about my son",
            "Dr. Smith said my son is fine",
            "mi hija tiene fiebre",
            "MY SON HAS ASTHMA WHAT DO I DO",
        ] {
            assert_eq!(kinds(t), vec![], "{t}");
        }
    }
}
