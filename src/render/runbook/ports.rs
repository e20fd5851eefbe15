//! Deploy-phase steps for the ports clients reach without an HTTP route (`publish`): the
//! address each LoadBalancer or NodePort Service gets, and how to check it answers.

use super::Step;
use crate::model::Spec;

/// The steps after the workloads are applied, one per published port.
pub(super) fn published(_spec: &Spec) -> Vec<Step> {
    Vec::new()
}
