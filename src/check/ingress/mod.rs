//! Ingress controller rules (003 §2.1).

pub(super) mod dedicated_nodes;
pub(super) mod ha;
