//! Data rules: what happens to the databases, object stores and backups the move touches.

pub(super) mod backups_live;
pub(super) mod incremental_interval;
