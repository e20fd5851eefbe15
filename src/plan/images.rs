//! Where each image comes from and goes to: every service image (and the helper image the
//! init containers run) moves to `images.target` before deploy.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::model::Spec;

#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct ImageMove {
    pub source: String,
    pub target: String,
    /// The services that run it (empty for the helper image).
    pub services: Vec<String>,
}

/// The image reference the new cluster pulls: the last path component of `image` (name, tag
/// and digest) under `images.target`; unchanged when the spec moves no images.
pub fn target_image(spec: &Spec, image: &str) -> String {
    match &spec.images {
        None => image.to_string(),
        Some(images) => {
            let last = image.rsplit('/').next().unwrap_or(image);
            format!("{}/{}", images.target.trim_end_matches('/'), last)
        }
    }
}

/// Every image to copy, sorted by source, with the services that use it.
pub fn moves(spec: &Spec) -> Vec<ImageMove> {
    let mut by_source: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for service in &spec.services {
        by_source
            .entry(&service.image)
            .or_default()
            .push(service.name.clone());
    }
    if spec.services.iter().any(|s| !s.depends_on.is_empty()) {
        by_source.entry(spec.helper_image()).or_default();
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
