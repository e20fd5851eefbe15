//! Rollout rules (003 §4.1, §4.2, §5; seed 002): waves and steps that end with all traffic
//! on the new cluster, matches and mirrors the controller can express, and data that stays
//! consistent while traffic is split.

pub(super) mod steps;
pub(super) mod waves;
pub(super) mod rollback;
pub(super) mod mirror_writes;
pub(super) mod match_support;
pub(super) mod ack_service_match;
pub(super) mod mirror_support;
pub(super) mod split_writes;
pub(super) mod unrouted_paths;
pub(super) mod gates;
pub(super) mod l4;
