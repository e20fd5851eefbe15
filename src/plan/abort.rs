//! The one-step abort: from any phase, everything back on the old cluster.

use serde::Serialize;

use super::dns::DnsPlan;
use super::rollout::Phase;
use crate::model::Spec;

/// How to return every request to the old cluster, whatever phase the move is in.
#[derive(Clone, Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AbortPlan {}

pub fn plan(_spec: &Spec, _phases: &[Phase], _dns: Option<&DnsPlan>) -> Option<AbortPlan> {
    None
}
