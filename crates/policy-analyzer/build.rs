//! Embeds the service models: every `src/services/data/*.toml`, in name
//! order, as `(id, text)` pairs. A service is its data file; adding one
//! needs no code.

use std::fmt::Write as _;
use std::path::Path;

fn main() {
    let dir = Path::new("src/services/data");
    println!("cargo:rerun-if-changed={}", dir.display());
    let mut files: Vec<(String, String)> = std::fs::read_dir(dir)
        .expect("src/services/data is readable")
        .map(|entry| entry.expect("a directory entry").path())
        .filter(|path| path.extension().is_some_and(|e| e == "toml"))
        .map(|path| {
            let id = path
                .file_stem()
                .and_then(|s| s.to_str())
                .expect("a file name in UTF-8")
                .to_string();
            let absolute = std::fs::canonicalize(&path).expect("the file exists");
            (id, absolute.to_string_lossy().into_owned())
        })
        .collect();
    files.sort();
    let mut out = String::from("&[\n");
    for (id, path) in &files {
        println!("cargo:rerun-if-changed={path}");
        writeln!(out, "    ({id:?}, include_str!({path:?})),").unwrap();
    }
    out.push(']');
    let target = Path::new(&std::env::var("OUT_DIR").expect("OUT_DIR")).join("service_data.rs");
    std::fs::write(target, out).expect("OUT_DIR is writable");
}
