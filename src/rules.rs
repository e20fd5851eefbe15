//! The vocabulary of rules, shared by every stage: [`RuleId`] names a rule, [`Rule`] is what
//! its file says of it. Each rule lives in one file, `src/check/<area>/<name>.rs`, which holds
//! its `RULE` next to its check; `build.rs` generates [`RuleId`] from those files, and
//! `check::registry` reaches each id's `RULE`.

use serde::Serialize;

/// How a rule shows up by default.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Level {
    /// An error: no bundle is written.
    Error,
    /// A warning: the bundle is written and records it.
    Warning,
    /// An error in the worst case, a warning in a milder one (said in the summary).
    ErrorOrWarning,
    /// Knowledge the compiler applies when it builds the bundle; never a diagnostic.
    Applied,
    /// A fact the runbook or report states; never a diagnostic.
    Note,
}

impl Level {
    pub fn label(self) -> &'static str {
        match self {
            Level::Error => "error",
            Level::Warning => "warning",
            Level::ErrorOrWarning => "error/warning",
            Level::Applied => "applied",
            Level::Note => "note",
        }
    }

    /// Whether the rule ever produces a diagnostic (and so can be allowed or re-levelled).
    pub fn is_diagnostic(self) -> bool {
        matches!(self, Level::Error | Level::Warning | Level::ErrorOrWarning)
    }
}

/// Whether this version checks the rule, or only knows it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    Checked,
    /// Known and explained; its check arrives with the stage that needs it.
    Planned,
}

/// What a rule's file says of it: `cutover explain`, README's table, `allow:` and
/// `cutover.toml` read these.
#[derive(Debug, Serialize)]
pub struct Rule {
    pub id: RuleId,
    pub level: Level,
    pub status: Status,
    /// Whether a service's `allow:` can accept it there, or only `cutover.toml` can.
    pub scope: Scope,
    /// Why no `cutover.toml` level or `allow:` can lower it (the locked rule's own rule says so), for the
    /// few rules that keep the bundle safe.
    pub locked: Option<&'static str>,
    /// One line: what the rule demands.
    pub summary: &'static str,
    /// Why: what goes wrong in production without it.
    pub rationale: &'static str,
    /// A spec fragment that breaks the rule, and one that keeps it.
    pub bad: &'static str,
    pub good: &'static str,
    pub source: &'static str,
}

/// What a rule's findings are about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Scope {
    /// The spec as a whole: its level is set in `cutover.toml`.
    Spec,
    /// One service: that service's `allow:` can accept it.
    Service,
}

include!(concat!(env!("OUT_DIR"), "/rule_id.rs"));

impl RuleId {
    /// The rule a user names (`allow:`, `cutover.toml`, `cutover explain`).
    pub fn find(id: &str) -> Option<RuleId> {
        RuleId::ALL.iter().copied().find(|r| r.as_str() == id)
    }
}

impl std::fmt::Display for RuleId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // `pad`, so that `{:<34}` lines ids up as it does for a `&str`.
        f.pad(self.as_str())
    }
}

/// Ordered by the id's text, so that everything sorted by rule reads as before ids were
/// typed.
impl Ord for RuleId {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.as_str().cmp(other.as_str())
    }
}

impl PartialOrd for RuleId {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Serialize for RuleId {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl PartialEq<str> for RuleId {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for RuleId {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_and_well_formed() {
        let mut seen = std::collections::BTreeSet::new();
        for id in RuleId::ALL {
            assert!(seen.insert(id.as_str()), "duplicate rule id {id}");
            let (area, name) = id.as_str().split_once('/').expect("area/name");
            assert!(!area.is_empty() && !name.is_empty());
            assert!(
                id.as_str()
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '/')
            );
            assert_eq!(RuleId::find(id.as_str()), Some(*id));
        }
    }
}
