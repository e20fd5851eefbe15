//! Ingress controller rules (003 §2.1).

pub(super) mod ha;
pub(super) mod dedicated_nodes;
pub(super) mod legacy_unused;
pub(super) mod public_port;
