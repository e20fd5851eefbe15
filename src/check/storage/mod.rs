//! Storage rules (003 §3; current ACK CSI): what each volume type needs, and how services
//! may mount it.

pub(super) mod disk_rwo;
pub(super) mod disk_zone;
pub(super) mod disk_size;
pub(super) mod reclaim_delete;
pub(super) mod incomplete;
pub(super) mod copy_method;
pub(super) mod static_disk;
pub(super) mod stateful_claims;
pub(super) mod nas;
pub(super) mod oss_credentials;
pub(super) mod oss_io;
pub(super) mod unused;
pub(super) mod driver;

use crate::model::{Spec, Storage};

/// Where services mount `storage`: (service index, volume index) pairs.
fn users(spec: &Spec, storage: &Storage) -> Vec<(usize, usize)> {
    spec.services
        .iter()
        .enumerate()
        .flat_map(|(i, svc)| {
            svc.volumes
                .iter()
                .enumerate()
                .filter(|(_, v)| v.storage == storage.name)
                .map(move |(j, _)| (i, j))
        })
        .collect()
}
