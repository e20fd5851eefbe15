//! Rule levels: `cutover.toml` beside the spec (or `--config FILE`) sets them for the whole
//! spec; the check stage applies them.
//!
//! ```toml
//! [rules]
//! "<area>/<name>" = "allow"      # allow | warn | deny
//! ```
//!
//! A locked rule (one whose `RULE.locked` says why, such as the secret scan) may only be set
//! to `deny`: setting it to `allow` or `warn` is an error of the locked rule's own rule, as
//! is naming it in `allow:`.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::check::config::{locked, unknown_rule};
use crate::check::registry;
use crate::diagnostic::{Diagnostic, Format, Severity, SourceFile, Span};
use crate::load::{self, LoadError};
use crate::rules::RuleId;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize, strum::IntoStaticStr)]
#[serde(rename_all = "lowercase")]
#[strum(serialize_all = "lowercase")]
pub enum RuleLevel {
    /// Silenced.
    Allow,
    /// Reported; the bundle is still written.
    Warn,
    /// Reported; no bundle is written.
    Deny,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ConfigFile {
    #[serde(default)]
    rules: BTreeMap<String, RuleLevel>,
}

/// Rule levels set for the whole spec.
#[derive(Debug, Default, Clone)]
pub struct Config {
    pub levels: BTreeMap<String, RuleLevel>,
    /// Where the settings came from, for reports (`None`: defaults).
    pub file: Option<String>,
}

impl Config {
    /// Reads `explicit` if given, else `cutover.toml` beside the spec if it exists.
    pub fn discover(spec: &Path, explicit: Option<&Path>) -> Result<Config, LoadError> {
        let path = match explicit {
            Some(path) => path.to_path_buf(),
            None => {
                let beside = spec
                    .parent()
                    .unwrap_or_else(|| Path::new("."))
                    .join("cutover.toml");
                if !beside.is_file() {
                    return Ok(Config::default());
                }
                beside
            }
        };
        let text = load::read_text(&path)?;
        let source = SourceFile::new(path.display().to_string(), text, Format::Toml);
        parse(&source)
    }

    /// Applies the levels to a diagnostic: `None` when it is allowed.
    pub fn apply(&self, mut diagnostic: Diagnostic) -> Option<Diagnostic> {
        // `parse` refuses a lowered level of a locked rule; a config built in code cannot
        // lower it either.
        if registry::is_locked(diagnostic.rule) {
            return Some(diagnostic);
        }
        match self.levels.get(diagnostic.rule.as_str()) {
            None => Some(diagnostic),
            Some(RuleLevel::Allow) => None,
            Some(RuleLevel::Warn) => {
                diagnostic.severity = Severity::Warning;
                Some(diagnostic)
            }
            Some(RuleLevel::Deny) => {
                diagnostic.severity = Severity::Error;
                Some(diagnostic)
            }
        }
    }
}

fn parse(source: &Arc<SourceFile>) -> Result<Config, LoadError> {
    // Both readers report a TOML error with its span.
    let problem = |e: &toml::de::Error, message: String, help: &str| {
        let span = e
            .span()
            .map_or(Span::default(), |r| Span::new(r.start, r.end));
        LoadError::Diagnostics(vec![
            Diagnostic::new(RuleId::ConfigSyntax, Severity::Error, source, message)
                .label(span, "here")
                .help(help),
        ])
    };
    let parsed: toml::Spanned<toml::de::DeTable> = match toml::de::DeTable::parse(&source.text) {
        Ok(table) => table,
        Err(e) => {
            return Err(problem(
                &e,
                format!("cutover.toml is not valid TOML: {}", e.message().trim()),
                &format!(
                    "write `[rules]` followed by lines such as `\"{}\" = \"allow\"`",
                    RuleId::SizingSingleZone
                ),
            ));
        }
    };
    let file: ConfigFile = match toml::from_str(&source.text) {
        Ok(file) => file,
        Err(e) => {
            return Err(problem(
                &e,
                format!("cutover.toml: {}", e.message().trim()),
                "each rule's level is `allow`, `warn` or `deny`, under a `[rules]` table",
            ));
        }
    };
    let mut diagnostics = Vec::new();
    let rules_table = parsed.get_ref().get("rules");
    let key_span = |id: &str| {
        rules_table
            .and_then(|t| match t.get_ref() {
                toml::de::DeValue::Table(t) => t
                    .iter()
                    .find(|(k, _)| k.get_ref() == id)
                    .map(|(k, _)| Span::new(k.span().start, k.span().end)),
                _ => None,
            })
            .unwrap_or_default()
    };
    for (id, level) in &file.rules {
        let known = RuleId::find(id).filter(|r| registry::rule(*r).level.is_diagnostic());
        match known {
            None => diagnostics.push(unknown_rule::diagnostic(source, key_span(id), id)),
            Some(id) if registry::is_locked(id) && *level != RuleLevel::Deny => {
                diagnostics.push(locked::diagnostic(source, key_span(id.as_str()), id));
            }
            Some(_) => {}
        }
    }
    if !diagnostics.is_empty() {
        return Err(LoadError::Diagnostics(diagnostics));
    }
    Ok(Config {
        levels: file.rules,
        file: Some(source.name.clone()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(text: &str) -> Result<Config, LoadError> {
        parse(&SourceFile::new("cutover.toml", text, Format::Toml))
    }

    fn rules_of(result: Result<Config, LoadError>) -> Vec<RuleId> {
        match result {
            Err(LoadError::Diagnostics(d)) => d.iter().map(|d| d.rule).collect(),
            _ => Vec::new(),
        }
    }

    #[test]
    fn the_secret_scan_cannot_be_lowered_only_kept_at_deny() {
        let id = RuleId::SpecCredential;
        for level in ["allow", "warn"] {
            let text = format!("[rules]\n\"{id}\" = \"{level}\"\n");
            assert_eq!(rules_of(config(&text)), [RuleId::ConfigLocked], "{level}");
        }
        assert!(config(&format!("[rules]\n\"{id}\" = \"deny\"\n")).is_ok());
    }

    #[test]
    fn every_locked_rule_is_refused_below_deny_with_its_reason() {
        for id in registry::locked() {
            for level in ["allow", "warn"] {
                let text = format!("[rules]\n\"{id}\" = \"{level}\"\n");
                let Err(LoadError::Diagnostics(d)) = config(&text) else {
                    panic!("{id} = {level} accepted");
                };
                assert_eq!(d.len(), 1, "{id}");
                assert_eq!(d[0].rule, RuleId::ConfigLocked);
                let reason = registry::rule(id).locked.unwrap();
                assert!(d[0].message.contains(reason), "{id}");
            }
            assert!(config(&format!("[rules]\n\"{id}\" = \"deny\"\n")).is_ok());
        }
        let warning = RuleId::SizingSingleZone;
        assert!(config(&format!("[rules]\n\"{warning}\" = \"allow\"\n")).is_ok());
    }

    #[test]
    fn a_config_built_in_code_cannot_lower_a_locked_rule_either() {
        let mut levels = BTreeMap::new();
        levels.insert(RuleId::SpecCredential.to_string(), RuleLevel::Allow);
        let config = Config { levels, file: None };
        let source = SourceFile::new("spec.yaml", "", Format::Yaml);
        let d = Diagnostic::new(RuleId::SpecCredential, Severity::Error, &source, "a secret");
        let kept = config.apply(d).expect("not silenced");
        assert_eq!(kept.severity, Severity::Error);
    }
}
