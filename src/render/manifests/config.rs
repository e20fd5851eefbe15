//! What a service's `files` mount: one volume per entry, from the config's ConfigMap or the
//! Secret, always read-only. With a `key`, only that key is projected and mounted as the
//! file `mountPath` (`subPath`); without, every key is a file in the folder `mountPath`.
//!
//! A config's name is the generator's name: kustomize rewrites `configMap.name` in pod
//! templates to the generated ConfigMap's (its nameReference configuration covers
//! `spec/template/spec/volumes/configMap/name` of Deployments, StatefulSets and Jobs).

use k8s_openapi::api::core::v1::{
    ConfigMapVolumeSource, KeyToPath, SecretVolumeSource, Volume, VolumeMount,
};

use crate::model::{FileMount, Service};

/// The volume of the `index`-th entry of `files`: a prefix no storage name takes by accident
/// (storage volumes are named after their storage).
fn volume_name(index: usize) -> String {
    format!("cutover-files-{index}")
}

fn items(mount: &FileMount) -> Option<Vec<KeyToPath>> {
    mount.key.as_ref().map(|key| {
        vec![KeyToPath {
            key: key.clone(),
            path: key.clone(),
            mode: None,
        }]
    })
}

/// The pod's volumes for the service's `files` (an entry naming both or neither of `secret`
/// and `config` is left out: the file-mount rule refuses it).
pub fn volumes(service: &Service) -> Vec<Volume> {
    service
        .files
        .iter()
        .enumerate()
        .filter_map(|(i, mount)| {
            let (config_map, secret) = match (&mount.config, &mount.secret) {
                (Some(config), None) => (
                    Some(ConfigMapVolumeSource {
                        name: config.clone(),
                        items: items(mount),
                        ..ConfigMapVolumeSource::default()
                    }),
                    None,
                ),
                (None, Some(secret)) => (
                    None,
                    Some(SecretVolumeSource {
                        secret_name: Some(secret.clone()),
                        items: items(mount),
                        ..SecretVolumeSource::default()
                    }),
                ),
                _ => return None,
            };
            Some(Volume {
                name: volume_name(i),
                config_map,
                secret,
                ..Volume::default()
            })
        })
        .collect()
}

/// The main container's mounts for the service's `files`, read-only.
pub fn mounts(service: &Service) -> Vec<VolumeMount> {
    service
        .files
        .iter()
        .enumerate()
        .filter(|(_, mount)| mount.config.is_some() != mount.secret.is_some())
        .map(|(i, mount)| VolumeMount {
            name: volume_name(i),
            mount_path: mount.mount_path.clone(),
            sub_path: mount.key.clone(),
            read_only: Some(true),
            ..VolumeMount::default()
        })
        .collect()
}
