//! Storage with the current ACK CSI drivers: static disks as PV + PVC, dynamic disks as a
//! StorageClass (+ PVC, or per-replica claims on a StatefulSet), NAS and OSS as
//! ReadWriteMany PV + PVC. No secret value anywhere: OSS names its Secret, which a runbook
//! step creates.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{
    CSIPersistentVolumeSource, NodeSelector, NodeSelectorRequirement, NodeSelectorTerm,
    PersistentVolume, PersistentVolumeClaim, PersistentVolumeClaimSpec, PersistentVolumeSpec,
    SecretReference, VolumeNodeAffinity, VolumeResourceRequirements,
};
use k8s_openapi::api::storage::v1::StorageClass;
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;

use super::{Manifest, meta};
use crate::model::{DiskCategory, Provisioning, ReclaimPolicy, Spec, Storage, StorageType};

pub const DISK_DRIVER: &str = "diskplugin.csi.alibabacloud.com";
pub const NAS_DRIVER: &str = "nasplugin.csi.alibabacloud.com";
pub const OSS_DRIVER: &str = "ossplugin.csi.alibabacloud.com";
/// The label a static PV carries and its claim selects (ACK's convention).
pub const PV_LABEL: &str = "alicloud-pvname";
/// The zone topology key of ACK's disk driver.
pub const DISK_ZONE_KEY: &str = "topology.diskplugin.csi.alibabacloud.com/zone";

/// StorageClasses are cluster-wide: prefix them with the migration's name.
pub fn storage_class_name(spec: &Spec, storage: &Storage) -> String {
    format!("{}-{}", spec.metadata.name, storage.name)
}

/// The PV of a static volume: a disk's own id, else `<migration>-<storage>`.
pub fn pv_name(spec: &Spec, storage: &Storage) -> String {
    match (&storage.kind, &storage.disk_id) {
        (StorageType::Disk, Some(id)) => id.clone(),
        _ => format!("{}-{}", spec.metadata.name, storage.name),
    }
}

fn reclaim(storage: &Storage) -> String {
    match storage.reclaim_policy {
        Some(ReclaimPolicy::Delete) => "Delete".into(),
        _ => "Retain".into(),
    }
}

/// A cloud disk mounts only on nodes of its own zone.
pub(super) fn disk_zone_affinity(zone: &str) -> VolumeNodeAffinity {
    VolumeNodeAffinity {
        required: Some(NodeSelector {
            node_selector_terms: vec![NodeSelectorTerm {
                match_expressions: Some(vec![NodeSelectorRequirement {
                    key: DISK_ZONE_KEY.into(),
                    operator: "In".into(),
                    values: Some(vec![zone.to_string()]),
                }]),
                ..NodeSelectorTerm::default()
            }],
        }),
    }
}

pub(super) fn size(storage: &Storage) -> BTreeMap<String, Quantity> {
    BTreeMap::from([("storage".to_string(), Quantity(storage.size.to_string()))])
}

pub fn objects(spec: &Spec) -> Vec<Manifest> {
    let mut out = Vec::new();
    for storage in &spec.storage {
        let source = format!("storage[{}]", storage.name);
        let is_static =
            storage.kind != StorageType::Disk || storage.provisioning == Some(Provisioning::Static);
        if is_static {
            let pv = persistent_volume(spec, storage, &source);
            out.push(Manifest::new(&pv, &pv_name(spec, storage)));
            out.push(Manifest::new(
                &claim(spec, storage, &source, None),
                &storage.name,
            ));
        } else {
            out.push(Manifest::new(
                &storage_class(spec, storage, &source),
                &storage_class_name(spec, storage),
            ));
            // A StatefulSet's disks come from its claim templates; anyone else shares a claim.
            let shared = spec
                .services
                .iter()
                .any(|s| !s.stateful && s.volumes.iter().any(|v| v.storage == storage.name));
            if shared {
                let class = storage_class_name(spec, storage);
                out.push(Manifest::new(
                    &claim(spec, storage, &source, Some(class)),
                    &storage.name,
                ));
            }
        }
    }
    out
}

fn storage_class(spec: &Spec, storage: &Storage, source: &str) -> StorageClass {
    let category = storage.category.unwrap_or(DiskCategory::CloudEssd);
    StorageClass {
        metadata: meta(
            spec,
            &storage_class_name(spec, storage),
            false,
            source.into(),
        ),
        provisioner: DISK_DRIVER.into(),
        parameters: Some(BTreeMap::from([
            ("type".to_string(), category.name().to_string()),
            ("fstype".to_string(), "ext4".to_string()),
        ])),
        reclaim_policy: Some(reclaim(storage)),
        // The disk is created in the zone of the node the pod lands on.
        volume_binding_mode: Some("WaitForFirstConsumer".into()),
        allow_volume_expansion: Some(true),
        ..StorageClass::default()
    }
}

fn persistent_volume(spec: &Spec, storage: &Storage, source: &str) -> PersistentVolume {
    let name = pv_name(spec, storage);
    let mut metadata = meta(spec, &name, false, source.into());
    if let Some(labels) = metadata.labels.as_mut() {
        labels.insert(PV_LABEL.into(), name.clone());
    }
    let (access, csi, node_affinity, mount_options) = match storage.kind {
        StorageType::Disk => (
            "ReadWriteOnce",
            CSIPersistentVolumeSource {
                driver: DISK_DRIVER.into(),
                volume_handle: name.clone(),
                fs_type: Some("ext4".into()),
                ..CSIPersistentVolumeSource::default()
            },
            storage.zone.as_deref().map(disk_zone_affinity),
            None,
        ),
        StorageType::Nas => {
            let version = storage.nfs_version.clone().unwrap_or_else(|| "3".into());
            (
                "ReadWriteMany",
                CSIPersistentVolumeSource {
                    driver: NAS_DRIVER.into(),
                    // ACK's NAS driver wants the handle to equal the PV name.
                    volume_handle: name.clone(),
                    volume_attributes: Some(BTreeMap::from([
                        (
                            "server".to_string(),
                            storage.server.clone().unwrap_or_default(),
                        ),
                        ("path".to_string(), storage.path.clone().unwrap_or_default()),
                    ])),
                    ..CSIPersistentVolumeSource::default()
                },
                None,
                Some(vec![
                    "nolock,tcp,noresvport".to_string(),
                    format!("vers={version}"),
                ]),
            )
        }
        StorageType::Oss => (
            "ReadWriteMany",
            CSIPersistentVolumeSource {
                driver: OSS_DRIVER.into(),
                volume_handle: name.clone(),
                node_publish_secret_ref: storage.credentials_secret.as_ref().map(|secret| {
                    SecretReference {
                        name: Some(secret.clone()),
                        namespace: Some(spec.namespace().to_string()),
                    }
                }),
                volume_attributes: Some(BTreeMap::from([
                    (
                        "bucket".to_string(),
                        storage.bucket.clone().unwrap_or_default(),
                    ),
                    (
                        "url".to_string(),
                        storage.endpoint.clone().unwrap_or_default(),
                    ),
                    ("path".to_string(), "/".to_string()),
                    ("otherOpts".to_string(), oss_options(spec, storage)),
                ])),
                ..CSIPersistentVolumeSource::default()
            },
            None,
            None,
        ),
    };
    PersistentVolume {
        metadata,
        spec: Some(PersistentVolumeSpec {
            capacity: Some(size(storage)),
            access_modes: Some(vec![access.into()]),
            persistent_volume_reclaim_policy: Some(reclaim(storage)),
            // Empty: bound by the claim's selector, never by a default StorageClass.
            storage_class_name: Some(String::new()),
            volume_mode: Some("Filesystem".into()),
            csi: Some(csi),
            node_affinity,
            mount_options,
            ..PersistentVolumeSpec::default()
        }),
        ..PersistentVolume::default()
    }
}

/// ossfs's options. The kubelet does not apply `fsGroup` to an OSS volume (ReadWriteMany,
/// no file system type: ACK's CSIDriver objects keep Kubernetes' default policy,
/// `ReadWriteOnceWithFSType`), and ossfs shows objects as root's, 0640 (ossfs 1.91): so the
/// mount itself gives them to the non-root user that mounts them, with its fsGroup and
/// read-write for both (ACK's OSS volume FAQ: `uid`, `gid`, `umask`).
fn oss_options(spec: &Spec, storage: &Storage) -> String {
    let mut options = "-o max_stat_cache_size=0 -o allow_other".to_string();
    if let Some((user, group)) = crate::model::security::volume_owner(spec, storage) {
        options.push_str(&format!(" -o uid={user} -o gid={group} -o umask=007"));
    }
    options
}

/// The claim a service mounts: it selects its static PV by label, or names the dynamic
/// StorageClass.
fn claim(
    spec: &Spec,
    storage: &Storage,
    source: &str,
    class: Option<String>,
) -> PersistentVolumeClaim {
    let access = match storage.kind {
        StorageType::Disk => "ReadWriteOnce",
        StorageType::Nas | StorageType::Oss => "ReadWriteMany",
    };
    let selector = class.is_none().then(|| LabelSelector {
        match_labels: Some(BTreeMap::from([(
            PV_LABEL.to_string(),
            pv_name(spec, storage),
        )])),
        ..LabelSelector::default()
    });
    PersistentVolumeClaim {
        metadata: meta(spec, &storage.name, true, source.into()),
        spec: Some(PersistentVolumeClaimSpec {
            access_modes: Some(vec![access.into()]),
            storage_class_name: Some(class.unwrap_or_default()),
            selector,
            resources: Some(VolumeResourceRequirements {
                requests: Some(size(storage)),
                ..VolumeResourceRequirements::default()
            }),
            volume_mode: Some("Filesystem".into()),
            ..PersistentVolumeClaimSpec::default()
        }),
        ..PersistentVolumeClaim::default()
    }
}
