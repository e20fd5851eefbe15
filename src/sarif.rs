//! SARIF 2.1.0 output (`check --format sarif`), for code-scanning tools: the diagnostics,
//! with the registry's text of every rule that fired.

use crate::check::registry;
use crate::diagnostic::{Diagnostic, Severity};
use crate::markdown;
use crate::rules::{Level, RuleId};

/// SARIF 2.1.0 for code-scanning tools: one run, the rules that fired (with their help),
/// and one result per diagnostic with its region in the spec.
pub fn render(diagnostics: &[Diagnostic]) -> String {
    use serde_json::json;
    let mut rule_ids: Vec<RuleId> = diagnostics.iter().map(|d| d.rule).collect();
    rule_ids.sort_unstable();
    rule_ids.dedup();
    let rules: Vec<serde_json::Value> = rule_ids
        .iter()
        .map(|id| {
            let rule = registry::rule(*id);
            json!({
                "id": id,
                "shortDescription": { "text": rule.summary },
                "fullDescription": { "text": rule.rationale },
                "help": { "text": format!("cutover explain {id}") },
                "defaultConfiguration": {
                    "level": match rule.level {
                        Level::Warning => "warning",
                        _ => "error",
                    }
                },
            })
        })
        .collect();
    let results: Vec<serde_json::Value> = diagnostics
        .iter()
        .map(|d| {
            let span = d.primary_span();
            let (start_line, start_column) = d.source.line_col(span.start);
            let (end_line, end_column) = d.source.line_col(span.end);
            let text = if d.help.is_empty() {
                markdown::visible(&d.message)
            } else {
                markdown::visible(&format!("{} (help: {})", d.message, d.help))
            };
            json!({
                "ruleId": d.rule,
                "ruleIndex": rule_ids.iter().position(|r| *r == d.rule).unwrap_or(0),
                "level": match d.severity { Severity::Error => "error", Severity::Warning => "warning" },
                "message": { "text": text },
                "locations": [{
                    "physicalLocation": {
                        "artifactLocation": { "uri": markdown::visible(&d.source.name).replace('\\', "/") },
                        "region": {
                            "startLine": start_line,
                            "startColumn": start_column,
                            "endLine": end_line,
                            "endColumn": end_column.max(start_column),
                        }
                    }
                }],
            })
        })
        .collect();
    let log = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {
                "driver": {
                    "name": "cutover",
                    "version": env!("CARGO_PKG_VERSION"),
                    "rules": rules,
                }
            },
            "results": results,
        }],
    });
    let mut text = serde_json::to_string_pretty(&log).unwrap_or_default();
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_reach_no_reader_raw() {
        let d = crate::diagnostic::with_control_characters();
        let sarif = render(std::slice::from_ref(&d));
        let bad: Vec<char> = sarif
            .chars()
            .filter(|c| markdown::is_unsafe_char(*c) && *c != '\n')
            .collect();
        assert!(bad.is_empty(), "{bad:?} in {sarif}");
        assert!(
            sarif.contains(&format!("\"ruleId\": \"{}\"", RuleId::SpecValue)),
            "{sarif}"
        );
    }
}
