//! Rules about the levels a team sets: `cutover.toml` and the services' `allow:` lists.

pub(crate) mod locked;
pub(crate) mod unknown_rule;
pub(super) mod syntax;
