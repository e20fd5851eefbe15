//! Where each image comes from and goes to: every service image (and the helper and kubectl
//! images the init containers run) moves to `images.target` before deploy.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::model::Spec;

#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct ImageMove {
    pub source: String,
    pub target: String,
    /// The services that run it (empty for the helper and kubectl images).
    pub services: Vec<String>,
}

use crate::model::images::{kubectl_image, target_image, waits_for_jobs, waits_for_ports};

/// image-syncer's images file in the bundle (the runbook passes it as `--images`).
pub const IMAGES_FILE: &str = "tools/image-syncer/images.yaml";

/// Every image to copy, sorted by source, with the services that use it; `probes`: the
/// verify phase's network probes run the helper image.
pub fn moves(spec: &Spec, probes: bool) -> Vec<ImageMove> {
    let mut by_source: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for service in &spec.services {
        by_source
            .entry(&service.image)
            .or_default()
            .push(service.name.clone());
    }
    if waits_for_ports(spec) || probes {
        by_source.entry(spec.helper_image()).or_default();
    }
    let kubectl = kubectl_image(spec);
    if waits_for_jobs(spec) {
        by_source.entry(&kubectl).or_default();
    }
    by_source
        .into_iter()
        .map(|(source, services)| ImageMove {
            source: source.to_string(),
            target: target_image(spec, source),
            services,
        })
        .collect()
}

/// A registry the image copy logs in to, with the environment variables that hold its
/// credentials (the bundle never does).
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct RegistryLogin {
    pub host: String,
    pub username_env: String,
    pub password_env: String,
}

/// The registry host of an image reference (`redis:7.2` is on Docker Hub).
pub fn registry_of(image: &str) -> String {
    match image.split_once('/') {
        Some((first, _)) if first.contains(['.', ':']) || first == "localhost" => first.to_string(),
        _ => "docker.io".to_string(),
    }
}

/// The full reference image-syncer needs: Docker Hub images get their registry and
/// `library/` namespace written out.
pub fn full_reference(image: &str) -> String {
    if registry_of(image) != "docker.io" || image.starts_with("docker.io/") {
        image.to_string()
    } else if image.contains('/') {
        format!("docker.io/{image}")
    } else {
        format!("docker.io/library/{image}")
    }
}

fn env_name(host: &str) -> String {
    host.to_ascii_uppercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect()
}

/// Registries that serve public images without a login: Docker Hub, and the Kubernetes
/// project's registry (the default kubectl image).
const ANONYMOUS_REGISTRIES: &[&str] = &["docker.io", "registry.k8s.io"];

/// The logins of the copy of `moves`: the target registry (`ACR_*`) and each private source
/// registry.
pub fn logins(spec: &Spec, moves: &[ImageMove]) -> Vec<RegistryLogin> {
    let Some(images) = &spec.images else {
        return Vec::new();
    };
    let target = registry_of(&format!("{}/x", images.target));
    let mut logins = vec![RegistryLogin {
        host: target.clone(),
        username_env: "ACR_USERNAME".into(),
        password_env: "ACR_PASSWORD".into(),
    }];
    let mut sources: Vec<String> = moves
        .iter()
        .map(|m| registry_of(&m.source))
        .filter(|host| !ANONYMOUS_REGISTRIES.contains(&host.as_str()) && host != &target)
        .collect();
    sources.sort();
    sources.dedup();
    logins.extend(sources.into_iter().map(|host| RegistryLogin {
        username_env: format!("{}_USERNAME", env_name(&host)),
        password_env: format!("{}_PASSWORD", env_name(&host)),
        host,
    }));
    logins
}
