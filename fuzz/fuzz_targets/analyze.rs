//! Any bytes through `analyze_bytes`: no panic, and every invariant of
//! `policy_check_fuzz::invariants` holds of the result.
#![no_main]

use libfuzzer_sys::fuzz_target;
use policy_analyzer::{analyze_bytes, AnalyzeOptions, LineCol, LineIndex};
use policy_check_fuzz::invariants;

fuzz_target!(|bytes: &[u8]| {
    let analysis = analyze_bytes(bytes, &AnalyzeOptions::default());
    match std::str::from_utf8(bytes) {
        Ok(text) => {
            invariants::check_analysis(text, &analysis);
            // Positions anywhere near the text, in and past its lines.
            let index = LineIndex::new(text);
            let reference = policy_check_fuzz::reference::Lines::new(text);
            let lines = index.line_count() as u32;
            for (i, &b) in bytes.iter().enumerate().take(64) {
                let pos = LineCol {
                    line: (i as u32 * 7 + b as u32) % (lines + 2),
                    col: b as u32 % 40,
                };
                invariants::check_position(text, &index, &reference, pos);
            }
        }
        Err(_) => {
            // Not UTF-8: one finding, at the first bad byte.
            assert_eq!(analysis.diagnostics.len(), 1);
            let d = &analysis.diagnostics[0];
            assert_eq!(d.code, "PC005");
            assert!(d.range.end as usize <= bytes.len());
        }
    }
});
