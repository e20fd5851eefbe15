//! Source rules: what the old cluster must still allow while the services leave it.

pub(super) mod certificate_window;
