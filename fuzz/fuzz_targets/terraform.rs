//! Any text as a Terraform module's `main.tf`, with (after a NUL byte) the
//! text of every file it loads (`file()`, `templatefile()`), through the
//! module reader; the second text also as a template file on its own. No
//! panic, and the invariants of `policy_check_fuzz::hosts` hold of the
//! findings (in the file each names, on character boundaries, line and
//! column round trips, fixes apart and leaving the file readable, findings
//! bounded) and of the policies an editor reads.
#![no_main]

use std::cell::RefCell;

use libfuzzer_sys::fuzz_target;
use policy_analyzer::host::{terraform, HostFile, Loader};
use policy_analyzer::AnalyzeOptions;
use policy_check_fuzz::hosts::{self, File};

/// Serves `text` for every path, and remembers the paths asked for.
struct Serve<'a> {
    text: Option<&'a str>,
    asked: RefCell<Vec<String>>,
}

impl Loader for Serve<'_> {
    fn load(&self, path: &str) -> Result<String, String> {
        let text = self
            .text
            .ok_or_else(|| format!("{path} is not available"))?;
        let mut asked = self.asked.borrow_mut();
        if !asked.iter().any(|p| p == path) {
            asked.push(path.to_string());
        }
        Ok(text.to_string())
    }
}

fuzz_target!(|text: &str| {
    let (main, loaded) = match text.split_once('\0') {
        Some((main, loaded)) => (main, Some(loaded)),
        None => (text, None),
    };
    let options = AnalyzeOptions::default();
    let path = "main.tf";
    let file = HostFile { path, text: main };
    let loader = Serve {
        text: loaded,
        asked: RefCell::default(),
    };
    let analysis = terraform::analyze_module(&[file], &loader, &options);
    let asked = loader.asked.borrow().clone();
    let files = files_read(path, main, loaded, &asked);
    hosts::check_analysis(&files, &analysis, &hosts::parses);
    let policies = terraform::policies(&[file], &loader, &options);
    let asked = loader.asked.borrow().clone();
    let files = files_read(path, main, loaded, &asked);
    hosts::check_policies(&files, &policies);

    if let Some(template) = loaded {
        let path = "policy.json.tpl";
        let alone = terraform::analyze_template(
            HostFile {
                path,
                text: template,
            },
            &options,
        );
        hosts::check_analysis(
            &[File {
                path,
                text: template,
            }],
            &alone,
            &hosts::parses,
        );
    }
});

/// The module's file and every file it asked the loader for.
fn files_read<'a>(
    path: &'a str,
    main: &'a str,
    loaded: Option<&'a str>,
    asked: &'a [String],
) -> Vec<File<'a>> {
    let mut files = vec![File { path, text: main }];
    files.extend(asked.iter().map(|p| File {
        path: p,
        text: loaded.unwrap_or_default(),
    }));
    files
}
