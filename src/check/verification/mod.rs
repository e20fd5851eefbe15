//! Verification rules: the checks the runbooks run against both clusters.

pub(super) mod safe_method;
