//! Workload rules (003 §1.1.2 and the usual Kubernetes linters' checks).

pub(super) mod resources;
pub(super) mod probes;
pub(super) mod single_replica;
pub(super) mod depends_on;
pub(super) mod restart_policy;
pub(super) mod one_process;
pub(super) mod spread;
pub(super) mod image_tag;
pub(super) mod one_shot;
pub(super) mod udp_port;
pub(super) mod ports;
pub(super) mod security_context;
pub(super) mod run_as_root;
pub(super) mod capabilities;
