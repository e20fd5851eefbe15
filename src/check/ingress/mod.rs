//! Ingress controller rules (003 §2.1).

pub(super) mod ha;
pub(super) mod dedicated_nodes;
