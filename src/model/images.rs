//! Where a service's image lives after the move, as the rules and the manifests name it.

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
