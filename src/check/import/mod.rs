//! Rules `cutover import` applies to what it reads (a compose file), not to a spec.

pub(super) mod unsupported;
pub(super) mod secret;
pub(super) mod placeholder;
pub(super) mod bind_mount;
pub(super) mod swarm_template;
pub(super) mod interpolation;
