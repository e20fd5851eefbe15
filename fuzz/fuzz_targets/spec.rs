//! Fuzzes the whole pipeline (load, check, plan, render, seal) on arbitrary spec text, in
//! YAML or TOML (the first byte chooses). Any panic is a bug: every input must end in
//! diagnostics or a bundle.
#![no_main]

use cutover::diagnostic::{Format, SourceFile};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&first, rest)) = data.split_first() else { return };
    let format = if first % 2 == 0 { Format::Yaml } else { Format::Toml };
    // Specs are UTF-8 text; the loader's own UTF-8 check is exercised by the hostile corpus.
    let text = String::from_utf8_lossy(rest).replace('\0', " ");
    let source = SourceFile::new("fuzz.yaml", text, format);
    if let Ok(compiled) = cutover::compile_source(source, &cutover::Options::default()) {
        assert!(compiled.files.get("index.json").is_some());
    }
});
