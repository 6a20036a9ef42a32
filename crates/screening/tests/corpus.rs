//! The evaluation: every detector against its labelled corpus (`corpus/*.jsonl`), with recall
//! and precision printed per language and floors that fail the build when quality drops.
//! Run with `cargo test -p curbside-screening --test corpus -- --nocapture` to see the table.

use curbside_domain::{screening::span_text, SpanKind};
use curbside_screening::{advice, emergency, phi, spam, text, DuplicateIndex, MythList, SpamRules};
use serde::Deserialize;
use std::collections::BTreeMap;

#[derive(Default, Clone, Copy)]
struct Counts {
    tp: usize,
    fp: usize,
    fn_: usize,
    examples: usize,
}

impl Counts {
    fn recall(&self) -> f64 {
        if self.tp + self.fn_ == 0 {
            1.0
        } else {
            self.tp as f64 / (self.tp + self.fn_) as f64
        }
    }
    fn precision(&self) -> f64 {
        if self.tp + self.fp == 0 {
            1.0
        } else {
            self.tp as f64 / (self.tp + self.fp) as f64
        }
    }
    fn add(&mut self, predicted: bool, expected: bool) {
        self.examples += 1;
        match (predicted, expected) {
            (true, true) => self.tp += 1,
            (true, false) => self.fp += 1,
            (false, true) => self.fn_ += 1,
            (false, false) => {}
        }
    }
}

fn lines<T: for<'de> Deserialize<'de>>(name: &str) -> Vec<T> {
    let path = format!("{}/corpus/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {path}: {e}"));
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .enumerate()
        .map(|(i, l)| serde_json::from_str(l).unwrap_or_else(|e| panic!("{name} line {}: {e}", i + 1)))
        .collect()
}

/// Prints one detector's table and checks its floors per language; returns failures.
fn report(
    detector: &str,
    by_lang: &BTreeMap<String, Counts>,
    recall_floor: f64,
    precision_floor: f64,
) -> Vec<String> {
    let mut failures = Vec::new();
    for (lang, c) in by_lang {
        println!(
            "{detector:<10} {lang}  examples {:>4}  tp {:>4} fp {:>3} fn {:>3}  recall {:.3}  precision {:.3}",
            c.examples,
            c.tp,
            c.fp,
            c.fn_,
            c.recall(),
            c.precision()
        );
        if c.recall() < recall_floor {
            failures.push(format!("{detector} {lang}: recall {:.3} < {recall_floor}", c.recall()));
        }
        if c.precision() < precision_floor {
            failures.push(format!("{detector} {lang}: precision {:.3} < {precision_floor}", c.precision()));
        }
    }
    failures
}

#[derive(Deserialize)]
struct PhiRow {
    text: String,
    lang: String,
    spans: Vec<GoldSpan>,
}
#[derive(Deserialize)]
struct GoldSpan {
    kind: SpanKind,
    text: String,
}

/// Span level: a gold span is found when a predicted span overlaps it; a predicted span that
/// overlaps no gold span is a false positive. Kinds are reported but not required to agree
/// (any kind redacts).
fn eval_phi() -> Vec<String> {
    let mut by_lang: BTreeMap<String, Counts> = BTreeMap::new();
    let mut kind_agree = (0usize, 0usize);
    let mut misses = Vec::new();
    for row in lines::<PhiRow>("phi.jsonl") {
        let predicted = phi::detect(&row.text);
        let c = by_lang.entry(row.lang.clone()).or_default();
        c.examples += 1;
        let mut gold = Vec::new();
        for g in &row.spans {
            let Some(byte) = row.text.find(&g.text) else {
                panic!("gold span {:?} not in {:?}", g.text, row.text)
            };
            let start = row.text[..byte].chars().count();
            gold.push((g.kind, start, start + g.text.chars().count()));
        }
        for &(kind, s, e) in &gold {
            match predicted.iter().find(|p| p.start < e && s < p.end) {
                Some(p) => {
                    c.tp += 1;
                    kind_agree.1 += 1;
                    if p.kind == kind {
                        kind_agree.0 += 1;
                    }
                }
                None => {
                    c.fn_ += 1;
                    misses.push(format!(
                        "missed {kind} {:?} in {:?}",
                        &row.text.chars().skip(s).take(e - s).collect::<String>(),
                        row.text
                    ));
                }
            }
        }
        for p in &predicted {
            if !gold.iter().any(|&(_, s, e)| p.start < e && s < p.end) {
                c.fp += 1;
                misses.push(format!("false {} {:?} in {:?}", p.kind, span_text(&row.text, p), row.text));
            }
        }
    }
    for m in &misses {
        println!("  phi: {m}");
    }
    println!("phi        kind agreement on found spans: {}/{}", kind_agree.0, kind_agree.1);
    report("phi", &by_lang, 0.95, 0.90)
}

#[derive(Deserialize)]
struct BoolRow {
    text: String,
    lang: String,
    #[serde(alias = "emergency", alias = "advice", alias = "spam")]
    label: bool,
    #[serde(default)]
    author_earlier: Vec<String>,
}

fn eval_bool(name: &str, file: &str, detect: impl Fn(&BoolRow) -> bool, floors: (f64, f64)) -> Vec<String> {
    let mut by_lang: BTreeMap<String, Counts> = BTreeMap::new();
    for row in lines::<BoolRow>(file) {
        let predicted = detect(&row);
        if predicted != row.label {
            println!("  {name}: {} {:?}", if predicted { "false alarm" } else { "missed" }, row.text);
        }
        by_lang.entry(row.lang.clone()).or_default().add(predicted, row.label);
    }
    report(name, &by_lang, floors.0, floors.1)
}

#[derive(Deserialize)]
struct MythRow {
    text: String,
    lang: String,
    myth: Option<String>,
}

fn eval_myth() -> Vec<String> {
    let list = MythList::builtin();
    let mut by_lang: BTreeMap<String, Counts> = BTreeMap::new();
    for row in lines::<MythRow>("myth.jsonl") {
        let got = list.detect(&text::fold(&row.text));
        let c = by_lang.entry(row.lang.clone()).or_default();
        c.examples += 1;
        match (got, row.myth.as_deref()) {
            (Some(g), Some(w)) if g == w => c.tp += 1,
            (Some(g), Some(w)) => {
                println!("  myth: wrong topic {g:?} (want {w:?}) {:?}", row.text);
                c.fp += 1;
                c.fn_ += 1;
            }
            (Some(g), None) => {
                println!("  myth: false {g:?} {:?}", row.text);
                c.fp += 1;
            }
            (None, Some(_)) => {
                println!("  myth: missed {:?}", row.text);
                c.fn_ += 1;
            }
            (None, None) => {}
        }
    }
    report("myth", &by_lang, MYTH_FLOORS.0, MYTH_FLOORS.1)
}

#[derive(Deserialize)]
struct DupRow {
    a: String,
    b: String,
    lang: String,
    duplicate: bool,
}

fn eval_duplicate() -> Vec<String> {
    let mut by_lang: BTreeMap<String, Counts> = BTreeMap::new();
    for row in lines::<DupRow>("duplicate.jsonl") {
        let mut idx = DuplicateIndex::new();
        idx.add(curbside_domain::QuestionId(1), &row.a);
        let predicted = idx.best(&row.b).is_some();
        if predicted != row.duplicate {
            println!(
                "  duplicate: {} {:?} ~ {:?} ({:.2})",
                if predicted { "false" } else { "missed" },
                row.a,
                row.b,
                curbside_screening::duplicate::similarity(&row.a, &row.b)
            );
        }
        by_lang.entry(row.lang.clone()).or_default().add(predicted, row.duplicate);
    }
    report("duplicate", &by_lang, DUPLICATE_FLOORS.0, DUPLICATE_FLOORS.1)
}

/// Floors (recall, precision) for the advisory detectors, set a little below the measured
/// figures in docs/safety.md so a regression fails the build.
const ADVICE_FLOORS: (f64, f64) = (0.80, 0.85);
const MYTH_FLOORS: (f64, f64) = (0.85, 0.90);
const SPAM_FLOORS: (f64, f64) = (0.80, 0.90);
const DUPLICATE_FLOORS: (f64, f64) = (0.80, 0.85);

#[test]
fn detectors_meet_their_recall_and_precision_floors_on_the_labelled_corpora() {
    let mut failures = Vec::new();
    failures.extend(eval_phi());
    failures.extend(eval_bool(
        "emergency",
        "emergency.jsonl",
        |r| emergency::detect(&text::fold(&r.text)).is_some(),
        (0.98, 0.85),
    ));
    failures.extend(eval_bool(
        "advice",
        "advice.jsonl",
        |r| {
            let f = text::fold(&r.text);
            advice::detect(&f, text::detect_lang(&f)).is_some()
        },
        ADVICE_FLOORS,
    ));
    failures.extend(eval_myth());
    let rules = SpamRules::default();
    failures.extend(eval_bool(
        "spam",
        "spam.jsonl",
        |r| {
            let earlier: Vec<String> = r.author_earlier.iter().map(|t| text::fold(t)).collect();
            let refs: Vec<&str> = earlier.iter().map(String::as_str).collect();
            spam::detect(&text::fold(&r.text), &rules, &refs).is_some()
        },
        SPAM_FLOORS,
    ));
    failures.extend(eval_duplicate());
    assert!(failures.is_empty(), "below the floors:\n{}", failures.join("\n"));
}
