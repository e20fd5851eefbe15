//! The static PV and claim a `snapshot` copy binds (`storage[].copy.method: snapshot`): the
//! disk made from the old disk's snapshot at the final pass. Its id exists only then, so the
//! runbook sets `spec.csi.volumeHandle` when it applies the PV
//! (`tools/copy/<storage>/`); everything else is decided here, typed.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{
    CSIPersistentVolumeSource, PersistentVolume, PersistentVolumeClaim, PersistentVolumeClaimSpec,
    PersistentVolumeSpec, VolumeResourceRequirements,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;

use super::storage::{DISK_DRIVER, PV_LABEL, disk_zone_affinity, size};
use super::{Manifest, meta};
use crate::model::{Spec, Storage};

/// The volume handle the bundle's file holds until the runbook sets the new disk's id.
pub const PENDING_DISK: &str = "set-by-the-runbook";

/// The PV of the disk made from the snapshot: `<migration>-<storage>-snapshot`.
pub fn snapshot_pv_name(spec: &Spec, storage: &Storage) -> String {
    format!("{}-{}-snapshot", spec.metadata.name, storage.name)
}

/// The claim the service mounts after the final pass: `<storage>-snapshot`.
pub fn snapshot_claim_name(storage: &Storage) -> String {
    format!("{}-snapshot", storage.name)
}

/// The PV (its handle pending) and the claim that selects it.
pub fn snapshot_objects(spec: &Spec, storage: &Storage) -> (Manifest, Manifest) {
    let source = format!("storage[{}].copy", storage.name);
    let name = snapshot_pv_name(spec, storage);
    let size = size(storage);
    let mut metadata = meta(spec, &name, false, source.clone());
    if let Some(labels) = metadata.labels.as_mut() {
        labels.insert(PV_LABEL.into(), name.clone());
    }
    let pv = PersistentVolume {
        metadata,
        spec: Some(PersistentVolumeSpec {
            access_modes: Some(vec!["ReadWriteOnce".into()]),
            capacity: Some(size.clone()),
            csi: Some(CSIPersistentVolumeSource {
                driver: DISK_DRIVER.into(),
                volume_handle: PENDING_DISK.into(),
                fs_type: Some("ext4".into()),
                ..CSIPersistentVolumeSource::default()
            }),
            // Retain: the disk holds the migrated data.
            persistent_volume_reclaim_policy: Some("Retain".into()),
            storage_class_name: Some(String::new()),
            volume_mode: Some("Filesystem".into()),
            node_affinity: storage.zone.as_deref().map(disk_zone_affinity),
            ..PersistentVolumeSpec::default()
        }),
        ..PersistentVolume::default()
    };
    let claim_name = snapshot_claim_name(storage);
    let claim = PersistentVolumeClaim {
        metadata: meta(spec, &claim_name, true, source),
        spec: Some(PersistentVolumeClaimSpec {
            access_modes: Some(vec!["ReadWriteOnce".into()]),
            storage_class_name: Some(String::new()),
            selector: Some(LabelSelector {
                match_labels: Some(BTreeMap::from([(PV_LABEL.to_string(), name.clone())])),
                ..LabelSelector::default()
            }),
            resources: Some(VolumeResourceRequirements {
                requests: Some(size),
                ..VolumeResourceRequirements::default()
            }),
            volume_mode: Some("Filesystem".into()),
            ..PersistentVolumeClaimSpec::default()
        }),
        ..PersistentVolumeClaim::default()
    };
    (
        Manifest::new(&pv, &name),
        Manifest::new(&claim, &claim_name),
    )
}
