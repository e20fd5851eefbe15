//! The Kubernetes versions cutover builds for, which the version rule and the manifests share.

/// The oldest target version: below it, ACK offers no cluster and the beta APIs older
/// manifests would need are gone from current tooling.
pub const OLDEST_MINOR: u32 = 24;

/// The beta APIs removed by 1.25 that a cluster older than 1.24 would still use.
pub const REMOVED_BETA_APIS: &str = "policy/v1beta1 PodDisruptionBudget and PodSecurityPolicy (removed in 1.25), batch/v1beta1 CronJob (1.25), discovery.k8s.io/v1beta1 EndpointSlice (1.25), networking.k8s.io/v1beta1 and extensions/v1beta1 Ingress (1.22)";
