//! Sizing rules (003 §1.1.1, §1.1.2): instance count and size, capacity, disks, zones.

pub(super) mod master_spec;
pub(super) mod worker_count;
pub(super) mod profile;
pub(super) mod bare_metal;
pub(super) mod capacity;
pub(super) mod disks;
pub(super) mod single_zone;
pub(super) mod node_pools;
pub(super) mod instance_ratio;
pub(super) mod unknown_instance_type;
pub(super) mod pinned_instance;
