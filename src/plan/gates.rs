//! The gates of each traffic phase: what must hold before the next phase starts.

use serde::Serialize;

use super::rollout::{Phase, PhaseKind};
use crate::model::Spec;

/// One gate of a phase.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(transparent)]
pub struct PhaseGate {
    /// The gate in words.
    pub text: String,
}

/// The gates checked before the phase after `phase` starts.
pub fn gates(spec: &Spec, phase: &Phase) -> Vec<PhaseGate> {
    if !matches!(phase.kind, PhaseKind::Mirror | PhaseKind::Step) {
        return Vec::new();
    }
    spec.rollout
        .gates
        .iter()
        .map(|gate| PhaseGate {
            text: gate.describe(),
        })
        .collect()
}
