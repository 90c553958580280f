//! Any text as a CloudFormation template, YAML or JSON, through the
//! reader: no panic, and the invariants of `policy_check_fuzz::hosts` hold
//! of its findings (ranges in the template and on character boundaries,
//! line and column round trips, fixes apart and leaving the template
//! readable, findings bounded) and of the policies an editor reads.
//! The first byte picks the file name (`.yaml`, `.json`, `.template`).
#![no_main]

use libfuzzer_sys::fuzz_target;
use policy_analyzer::host::{cloudformation, HostFile};
use policy_analyzer::AnalyzeOptions;
use policy_check_fuzz::hosts::{self, File};

fuzz_target!(|data: &[u8]| {
    let Some((&pick, rest)) = data.split_first() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    let path = match pick % 3 {
        0 => "stack.yaml",
        1 => "stack.json",
        _ => "stack.template",
    };
    let file = HostFile { path, text };
    let options = AnalyzeOptions::default();
    let analysis = cloudformation::analyze(file, &options);
    let files = [File { path, text }];
    hosts::check_analysis(&files, &analysis, &hosts::parses);
    hosts::check_policies(&files, &cloudformation::policies(file, &options));
});
