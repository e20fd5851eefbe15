//! Image rules: what moves to the target registry.

pub(super) mod collision;
