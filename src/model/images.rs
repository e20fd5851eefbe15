//! Where a service's image lives after the move, as the rules and the manifests name it, and
//! the images cutover's own init containers run.

use super::Spec;

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

/// The first minor version `registry.k8s.io/kubectl` is published for.
const FIRST_KUBECTL_IMAGE_MINOR: u32 = 28;

/// The image the init containers that wait for a one-shot service's Job run, before the
/// registry move: `images.kubectlImage`, or the upstream kubectl image of
/// `target.kubernetesVersion` (`registry.k8s.io/kubectl:v1.31.0` for `1.31`; published from
/// 1.28 on, so older clusters get 1.28, within kubectl's supported skew for `wait`). The
/// containers run `kubectl` from the PATH, without a shell (the upstream image has
/// `/bin/kubectl`), so any image with kubectl on its PATH will do.
pub fn kubectl_image(spec: &Spec) -> String {
    if let Some(image) = spec.images.as_ref().and_then(|i| i.kubectl_image.as_ref()) {
        return image.clone();
    }
    let minor = spec
        .target
        .kubernetes_version
        .split_once('.')
        .and_then(|(_, rest)| rest.split('.').next())
        .and_then(|m| m.parse::<u32>().ok())
        .unwrap_or(FIRST_KUBECTL_IMAGE_MINOR)
        .max(FIRST_KUBECTL_IMAGE_MINOR);
    format!("registry.k8s.io/kubectl:v1.{minor}.0")
}

/// Whether any service waits for a one-shot service (and so runs the kubectl image).
pub fn waits_for_jobs(spec: &Spec) -> bool {
    spec.services.iter().any(|s| waits_for_job(spec, s))
}

/// Whether this service waits for a one-shot service's completion.
pub fn waits_for_job(spec: &Spec, service: &super::Service) -> bool {
    service
        .depends_on
        .iter()
        .filter_map(|d| spec.service(d))
        .any(|d| d.one_shot)
}

/// Whether any service waits for a serving service's port (and so runs the helper image).
pub fn waits_for_ports(spec: &Spec) -> bool {
    spec.services.iter().any(|s| {
        s.depends_on
            .iter()
            .any(|d| spec.service(d).is_none_or(|d| !d.one_shot))
    })
}
