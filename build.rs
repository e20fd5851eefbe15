//! Generates the rule registry from the rule files themselves, so that a rule lives in one
//! place: `src/check/<area>/<name>.rs` (or `<name>/mod.rs`) starts with the line
//! ``//! `<area>/<name>` ...`` and holds `pub static RULE: Rule`, and its `pub fn check`
//! when the check stage runs it. A rule is registered by its `mod <name>;` line in the
//! area's `mod.rs`; areas by their `mod <area>;` line in `src/check/mod.rs`. Declaration
//! order is the order of `cutover explain` and of README's table.
//!
//! Two files come out, both in OUT_DIR: `rule_id.rs` (the `RuleId` enum, for the base
//! module `rules`) and `registry.rs` (each id's `RULE` and the list of checks, for
//! `check::registry`).

use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};

struct RuleFile {
    id: String,
    variant: String,
    module: String,
    has_check: bool,
}

fn main() {
    let check = Path::new("src/check");
    println!("cargo::rerun-if-changed=src/check");
    let mut rules = Vec::new();
    for area in declared_modules(&check.join("mod.rs")) {
        let dir = check.join(&area);
        if !dir.join("mod.rs").is_file() {
            continue; // a helper module of the check stage, not an area
        }
        println!("cargo::rerun-if-changed={}", dir.display());
        let declared = declared_modules(&dir.join("mod.rs"));
        undeclared_rules(&dir, &area, &declared);
        for name in declared {
            let file = rule_file(&dir, &name);
            let text = fs::read_to_string(&file)
                .unwrap_or_else(|e| fail(&format!("{}: {e}", file.display())));
            let id = format!("{area}/{}", name.trim_start_matches("r#").replace('_', "-"));
            let header = format!("//! `{id}`");
            let first = text.lines().next().unwrap_or("");
            if !text.starts_with(&header) {
                if text.contains("static RULE") || first.starts_with("//! `") {
                    fail(&format!(
                        "{}: a rule file's first line is {header} (the id comes from the file's path), found: {first}",
                        file.display()
                    ));
                }
                continue; // a helper module of the area
            }
            if !text.contains("pub static RULE: Rule") {
                fail(&format!(
                    "{}: a rule file holds `pub static RULE: Rule = Rule {{ … }}`",
                    file.display()
                ));
            }
            let has_check = text.contains(CHECK_SIGNATURE);
            if !has_check && text.contains("fn check(") {
                fail(&format!(
                    "{}: the driver runs a rule's check only with the signature `{}`",
                    file.display(),
                    CHECK_SIGNATURE.trim()
                ));
            }
            rules.push(RuleFile {
                variant: variant_of(&id),
                module: format!("{area}::{name}"),
                has_check,
                id,
            });
        }
    }
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("OUT_DIR"));
    write(&out.join("rule_id.rs"), &rule_id(&rules));
    write(&out.join("registry.rs"), &registry(&rules));
}

/// The signature the driver calls every check by.
const CHECK_SIGNATURE: &str = "\npub fn check(ctx: &Ctx, out: &mut Vec<Diagnostic>)";

/// Stops the build with a message cargo shows as an error, above the rest of the output.
fn fail(message: &str) -> ! {
    println!("cargo::error={message}");
    std::process::exit(1);
}

/// A rule file in an area without its `mod` line would be neither compiled nor registered.
fn undeclared_rules(dir: &Path, area: &str, declared: &[String]) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    let mut names: Vec<String> = entries
        .flatten()
        .filter_map(|e| {
            let path = e.path();
            let name = path.file_name()?.to_str()?.to_string();
            if path.is_dir() {
                path.join("mod.rs").is_file().then_some(name)
            } else {
                name.strip_suffix(".rs")
                    .filter(|n| *n != "mod")
                    .map(str::to_string)
            }
        })
        .collect();
    names.sort();
    for name in names {
        let is_declared = declared.iter().any(|d| d.trim_start_matches("r#") == name);
        let file = rule_file(dir, &name);
        let text = fs::read_to_string(&file).unwrap_or_default();
        if !is_declared && text.starts_with(&format!("//! `{area}/")) {
            fail(&format!(
                "{}: a rule file without its `mod` line: add `pub(super) mod {name};` to {}",
                file.display(),
                dir.join("mod.rs").display()
            ));
        }
    }
}

/// The `mod x;` and `pub mod x;` lines of a module file, in order.
fn declared_modules(file: &Path) -> Vec<String> {
    let text = fs::read_to_string(file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
    text.lines()
        .filter_map(|line| {
            // `mod x;`, `pub mod x;`, `pub(super) mod x;`...
            let line = line.trim();
            let line = match line.strip_prefix("pub") {
                Some(rest) if rest.starts_with('(') => rest.split_once(')')?.1.trim_start(),
                Some(rest) => rest.trim_start(),
                None => line,
            };
            line.strip_prefix("mod ")?
                .strip_suffix(';')
                .map(str::to_string)
        })
        .collect()
}

fn rule_file(dir: &Path, name: &str) -> PathBuf {
    let name = name.trim_start_matches("r#");
    let file = dir.join(format!("{name}.rs"));
    if file.is_file() {
        file
    } else {
        dir.join(name).join("mod.rs")
    }
}

/// `network/pod-overlap` -> `NetworkPodOverlap`.
fn variant_of(id: &str) -> String {
    id.split(['/', '-'])
        .map(|word| {
            let mut chars = word.chars();
            chars.next().map_or(String::new(), |first| {
                first.to_ascii_uppercase().to_string() + chars.as_str()
            })
        })
        .collect()
}

fn rule_id(rules: &[RuleFile]) -> String {
    let mut out = String::from(
        "/// Every rule's id: `RuleId::NetworkPodOverlap` is `network/pod-overlap`. Generated by\n\
         /// build.rs from the rule files under src/check/.\n\
         #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]\npub enum RuleId {\n",
    );
    for rule in rules {
        let _ = writeln!(out, "    /// `{}`\n    {},", rule.id, rule.variant);
    }
    out.push_str("}\n\nimpl RuleId {\n    /// Every rule, in declaration order.\n    pub const ALL: &'static [RuleId] = &[\n");
    for rule in rules {
        let _ = writeln!(out, "        RuleId::{},", rule.variant);
    }
    out.push_str("    ];\n\n    /// The id as users write it: `area/name`.\n    pub const fn as_str(self) -> &'static str {\n        match self {\n");
    for rule in rules {
        let _ = writeln!(
            out,
            "            RuleId::{} => {:?},",
            rule.variant, rule.id
        );
    }
    out.push_str("        }\n    }\n}\n");
    out
}

fn registry(rules: &[RuleFile]) -> String {
    let mut out = String::from(
        "/// The rule `id` names: its metadata, from its file. Generated by build.rs.\n\
         pub fn rule(id: RuleId) -> &'static Rule {\n    match id {\n",
    );
    for rule in rules {
        let _ = writeln!(
            out,
            "        RuleId::{} => &super::{}::RULE,",
            rule.variant, rule.module
        );
    }
    out.push_str("    }\n}\n\n/// Every check function, in declaration order. Generated by build.rs.\npub(super) const CHECKS: &[super::CheckFn] = &[\n");
    for rule in rules.iter().filter(|r| r.has_check) {
        let _ = writeln!(out, "    super::{}::check,", rule.module);
    }
    out.push_str("];\n");
    out
}

fn write(path: &Path, text: &str) {
    // Rewrite only on change, so that an unchanged registry does not rebuild the crate.
    if fs::read_to_string(path).ok().as_deref() != Some(text) {
        fs::write(path, text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    }
}
