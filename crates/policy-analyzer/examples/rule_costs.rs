//! Runs `analyze` on one file N times: a target for callgrind when looking
//! for where analysis time goes.
//!
//!     N=100 valgrind --tool=callgrind target/release/examples/rule_costs FILE
use policy_analyzer::{analyze, AnalyzeOptions};

fn main() {
    let path = std::env::args().nth(1).expect("usage: rule_costs FILE");
    let text = std::fs::read_to_string(path).expect("readable UTF-8 file");
    let n: usize = std::env::var("N")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1000);
    let options = AnalyzeOptions::default();
    for _ in 0..n {
        std::hint::black_box(analyze(&text, &options));
    }
}
