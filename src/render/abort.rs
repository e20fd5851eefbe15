//! The abort's files: `manifests/abort/` (ingress-canary and istio) and `runbooks/abort.md`.
//!
//! The folder holds the routes of the all-old traffic state ([`AbortPlan::state`]: every
//! share 0, no mirror, not settled, DNS on the new ingress), so that applying it from any
//! phase sends every request to the legacy backends; and those legacy backends, so that it
//! also works once the decommission phase has deleted them (while the old cluster runs).
//! `kubectl apply` of objects already as they are changes nothing: the folder is idempotent.

use super::manifests::Manifest;
use super::manifests::routes;
use crate::model::Spec;
use crate::plan::abort::AbortPlan;

/// The objects of `manifests/<folder>/`, or none when the strategy moves traffic outside
/// the cluster.
pub fn objects(spec: &Spec, abort: &AbortPlan) -> Vec<Manifest> {
    if abort.folder.is_none() {
        return Vec::new();
    }
    let mut objects = routes::legacy_objects(spec);
    objects.extend(routes::traffic_objects(spec, &abort.state));
    objects
}
