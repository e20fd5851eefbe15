//! `import/placeholder`: what it demands and why are in [`RULE`].
//!
//! Two stages enforce it: the loader reports a bare `TODO` where a number, address, quantity
//! or choice belongs (the value cannot be read as one), and this check every string value
//! that still holds the token. Both report under this id, in the same run.

use std::fmt::Write as _;

use serde_json::Value;

use crate::check::Ctx;
use crate::diagnostic::Diagnostic;
use crate::model::path::SpecPath;
use crate::model::placeholder::{HELP, TOKEN, holds_placeholder};
use crate::rules::{Level, Rule, RuleId, Scope, Status};

pub static RULE: Rule = Rule {
    id: RuleId::ImportPlaceholder,
    level: Level::Error,
    status: Status::Checked,
    scope: Scope::Spec,
    locked: None,
    summary: "No value of the spec still holds the token `TODO` (upper case, as a word: `TODO`, `app:TODO`, `TODO-zone-1`, `web.TODO.example`), which `cutover import compose` writes wherever it had to guess or could not know: addresses, hosts, zones, image tags, ports and resources. Every one is listed in the same run, also where a number or an address is expected.",
    rationale: "A starting spec that compiles with its guesses in it ships a port nobody listens on, a host nobody owns and requests nobody measured. The import marks each guess so that none can reach a bundle unread.",
    bad: "image: registry.example.com/shop/web:TODO\nport: TODO",
    good: "image: registry.example.com/shop/web:1.4.2\nport: 8080",
    source: "cutover",
};

pub fn check(ctx: &Ctx, out: &mut Vec<Diagnostic>) {
    let Ok(tree) = serde_json::to_value(ctx.spec) else {
        return;
    };
    let mut path = String::new();
    walk(ctx, &tree, &mut path, out);
}

fn walk(ctx: &Ctx, value: &Value, path: &mut String, out: &mut Vec<Diagnostic>) {
    match value {
        Value::String(text) if holds_placeholder(text) => {
            out.push(diagnostic(ctx, SpecPath::of_serialized(path.clone())));
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                let len = path.len();
                let _ = write!(path, "[{i}]");
                walk(ctx, item, path, out);
                path.truncate(len);
            }
        }
        Value::Object(entries) => {
            for (key, item) in entries {
                let len = path.len();
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(key);
                walk(ctx, item, path, out);
                path.truncate(len);
            }
        }
        _ => {}
    }
}

fn diagnostic(ctx: &Ctx, path: SpecPath) -> Diagnostic {
    let shown = ctx.display(&path);
    ctx.error(
        RULE.id,
        path,
        "a placeholder",
        format!("`{shown}` is still a placeholder (`{TOKEN}`)"),
    )
    .help(HELP)
}
