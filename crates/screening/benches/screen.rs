//! Per-comment screening cost: `cargo bench -p curbside-screening`. Screens a mix of realistic
//! comments (plain questions, private details, emergencies, Spanish) against a session of 200
//! earlier questions, and prints the mean time per comment. Target: well under 50 µs.
//! Also times the duplicate check alone against two histories of 200 questions: a synthetic one
//! where every question shares words ("blood pressure", "diet"), and the realistic questions of
//! the duplicate corpus.

use curbside_domain::QuestionId;
use curbside_screening::{DuplicateIndex, ScreenContext, Screener};
use std::hint::black_box;
use std::time::Instant;

const COMMENTS: &[&str] = &[
    "What foods help lower cholesterol? 🙏",
    "my son Jake has had chest pain since this morning, call me at 555-201-3344",
    "mi hija Sofía tiene fiebre desde hace 3 días, debo llevarla a urgencias?",
    "Is coffee bad for your heart??",
    "should I stop my metformin before my colonoscopy",
    "do vaccines cause autism",
    "earn $500 a day from home check my profile www.scam.biz",
    "I CANT BREATHE AND MY CHEST HURTS HELP",
    "soy Lupita de Monterrey, cuál es la presión normal para alguien de 60?",
    "my dad had a stroke last year, how do we prevent another",
];

fn main() {
    let screener = Screener::default();
    let mut index = DuplicateIndex::new();
    for i in 0..200 {
        index.add(
            QuestionId(i),
            &format!("earlier question number {i} about blood pressure and diet {}", i % 7),
        );
    }
    let author = ["hello?", "hello??"];
    let ctx = ScreenContext { earlier: Some(&index), author_earlier: &author };
    // Warm up (lazy pattern compilation) before measuring.
    for c in COMMENTS {
        black_box(screener.screen(c, &ctx));
    }
    let rounds = 2_000;
    let start = Instant::now();
    for _ in 0..rounds {
        for c in COMMENTS {
            black_box(screener.screen(black_box(c), &ctx));
        }
    }
    let per = start.elapsed() / (rounds * COMMENTS.len() as u32);
    let no_history = ScreenContext::default();
    let start = Instant::now();
    for _ in 0..rounds {
        for c in COMMENTS {
            black_box(screener.screen(black_box(c), &no_history));
        }
    }
    let per_alone = start.elapsed() / (rounds * COMMENTS.len() as u32);
    println!(
        "screen: {per:?} per comment with 200 earlier questions; {per_alone:?} per comment without history"
    );
    let mut realistic = DuplicateIndex::new();
    let mut seen = std::collections::HashSet::new();
    for line in include_str!("../corpus/duplicate.jsonl").lines() {
        let row: serde_json::Value = serde_json::from_str(line).unwrap_or_default();
        for key in ["a", "b"] {
            if let Some(t) = row[key].as_str() {
                if realistic.len() < 200 && seen.insert(t.to_owned()) {
                    realistic.add(QuestionId(realistic.len() as i64), t);
                }
            }
        }
    }
    for (name, idx) in [("synthetic", &index), ("corpus", &realistic)] {
        let start = Instant::now();
        for _ in 0..rounds {
            for c in COMMENTS {
                black_box(idx.best(black_box(c)));
            }
        }
        let per = start.elapsed() / (rounds * COMMENTS.len() as u32);
        println!("duplicate check: {per:?} per comment against {} {name} questions", idx.len());
    }
}
