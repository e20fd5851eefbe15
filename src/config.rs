//! Project settings: `cutover.toml` beside the spec (or `--config FILE`) sets rule levels for
//! the whole spec.
//!
//! ```toml
//! [rules]
//! "sizing/single-zone" = "allow"      # allow | warn | deny
//! "network/node-capacity" = "deny"
//! ```
//!
//! A locked rule (`spec/credential`, `spec/value`, `spec/name`, `dns/names`, see
//! [`rules::LOCKED`]) may only be set to `deny`: setting
//! it to `allow` or `warn` is a `config/locked` error, as is naming it in `allow:`.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::diagnostic::{Diagnostic, Format, Severity, SourceFile, Span, did_you_mean};
use crate::load::{self, LoadError};
use crate::rules;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
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
        if rules::is_locked(diagnostic.rule) {
            return Some(diagnostic);
        }
        match self.levels.get(diagnostic.rule) {
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
    let problem = |span: Span, message: String, help: &str| {
        Diagnostic::new("config/syntax", Severity::Error, source, message)
            .label(span, "here")
            .help(help)
    };
    let parsed: toml::Spanned<toml::de::DeTable> = match toml::de::DeTable::parse(&source.text) {
        Ok(table) => table,
        Err(e) => {
            let span = e
                .span()
                .map_or(Span::default(), |r| Span::new(r.start, r.end));
            return Err(LoadError::Diagnostics(vec![problem(
                span,
                format!("cutover.toml is not valid TOML: {}", e.message().trim()),
                "write `[rules]` followed by lines such as `\"sizing/single-zone\" = \"allow\"`",
            )]));
        }
    };
    let file: ConfigFile = match toml::from_str(&source.text) {
        Ok(file) => file,
        Err(e) => {
            let span = e
                .span()
                .map_or(Span::default(), |r| Span::new(r.start, r.end));
            return Err(LoadError::Diagnostics(vec![problem(
                span,
                format!("cutover.toml: {}", e.message().trim()),
                "each rule's level is `allow`, `warn` or `deny`, under a `[rules]` table",
            )]));
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
        let known = rules::find(id).filter(|r| r.level.is_diagnostic());
        if known.is_none() {
            diagnostics.push(unknown_rule(source, key_span(id), id));
        } else if rules::is_locked(id) && *level != RuleLevel::Deny {
            diagnostics.push(locked_rule(source, key_span(id), id));
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

/// The diagnostic for a rule id that does not exist (or cannot be silenced).
pub fn unknown_rule(source: &Arc<SourceFile>, span: Span, id: &str) -> Diagnostic {
    let checkable = rules::RULES
        .iter()
        .filter(|r| r.level.is_diagnostic())
        .map(|r| r.id);
    let message = match rules::find(id) {
        Some(_) => format!("rule `{id}` is not a check and cannot be allowed or re-levelled"),
        None => format!("unknown rule `{id}`"),
    };
    let help = match did_you_mean(id, checkable) {
        Some(near) => format!("did you mean `{near}`? `cutover explain` lists every rule"),
        None => "run `cutover explain` to list every rule id".to_string(),
    };
    Diagnostic::new("config/unknown-rule", Severity::Error, source, message)
        .label(span, "this rule id")
        .help(help)
}

/// The diagnostic for an attempt to allow or lower a rule that cannot be lowered
/// ([`rules::LOCKED`]), in `cutover.toml` or a service's `allow:`.
pub fn locked_rule(source: &Arc<SourceFile>, span: Span, id: &str) -> Diagnostic {
    let help = if id == "config/locked" {
        "delete this entry: the locked rules stay errors whatever it says".to_string()
    } else if id == "spec/credential" {
        "remove the secret from the spec and reference it as `${NAME}` (the whole value), provided at deploy time from a Kubernetes Secret; then delete this entry".to_string()
    } else {
        format!(
            "fix what `{id}` reports in the spec (`cutover explain {id}` shows its grammar); then delete this entry. Locked rules: {}",
            rules::LOCKED
                .iter()
                .map(|id| format!("`{id}`"))
                .collect::<Vec<_>>()
                .join(", ")
        )
    };
    Diagnostic::new(
        "config/locked",
        Severity::Error,
        source,
        format!(
            "rule `{id}` cannot be allowed or lowered: {}",
            rules::locked_reason(id)
        ),
    )
    .label(span, "cannot be silenced")
    .help(help)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(text: &str) -> Result<Config, LoadError> {
        parse(&SourceFile::new("cutover.toml", text, Format::Toml))
    }

    fn rules_of(result: Result<Config, LoadError>) -> Vec<&'static str> {
        match result {
            Err(LoadError::Diagnostics(d)) => d.iter().map(|d| d.rule).collect(),
            _ => Vec::new(),
        }
    }

    #[test]
    fn spec_credential_cannot_be_lowered_only_kept_at_deny() {
        for level in ["allow", "warn"] {
            let text = format!("[rules]\n\"spec/credential\" = \"{level}\"\n");
            assert_eq!(rules_of(config(&text)), ["config/locked"], "{level}");
        }
        assert!(config("[rules]\n\"spec/credential\" = \"deny\"\n").is_ok());
    }

    #[test]
    fn every_locked_rule_is_refused_below_deny_with_its_reason() {
        for id in rules::LOCKED {
            for level in ["allow", "warn"] {
                let text = format!("[rules]\n\"{id}\" = \"{level}\"\n");
                let Err(LoadError::Diagnostics(d)) = config(&text) else {
                    panic!("{id} = {level} accepted");
                };
                assert_eq!(d.len(), 1, "{id}");
                assert_eq!(d[0].rule, "config/locked");
                assert!(d[0].message.contains(rules::locked_reason(id)), "{id}");
            }
            assert!(config(&format!("[rules]\n\"{id}\" = \"deny\"\n")).is_ok());
        }
        assert!(config("[rules]\n\"sizing/single-zone\" = \"allow\"\n").is_ok());
    }

    #[test]
    fn a_config_built_in_code_cannot_lower_a_locked_rule_either() {
        let mut levels = BTreeMap::new();
        levels.insert("spec/credential".to_string(), RuleLevel::Allow);
        let config = Config { levels, file: None };
        let source = SourceFile::new("spec.yaml", "", Format::Yaml);
        let d = Diagnostic::new("spec/credential", Severity::Error, &source, "a secret");
        let kept = config.apply(d).expect("not silenced");
        assert_eq!(kept.severity, Severity::Error);
    }
}
