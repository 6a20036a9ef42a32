//! Per-comment screening cost: `cargo bench -p curbside-screening`. Screens a mix of realistic
//! comments (plain questions, private details, emergencies, Spanish) against a session of 200
//! earlier questions, and prints the mean time per comment. Target: well under 50 µs.

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
}
