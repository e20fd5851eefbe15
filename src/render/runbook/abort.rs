//! `runbooks/abort.md`: from any phase, everything back on the old cluster in one runbook.

use super::Runbook;
use crate::model::Spec;
use crate::plan::Plan;

/// The abort runbook, when the plan has an abort.
pub fn build(_spec: &Spec, _plan: &Plan) -> Option<Runbook> {
    None
}
