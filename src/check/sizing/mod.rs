//! Sizing rules (003 §1.1.1, §1.1.2): instance count and size, capacity, disks, zones.

pub(super) mod master_spec;
pub(super) mod worker_count;
pub(super) mod profile;
pub(super) mod bare_metal;
pub(super) mod capacity;
pub(super) mod disks;
pub(super) mod single_zone;
