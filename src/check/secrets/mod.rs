//! Secrets and configs: what services read besides their image. References must name what
//! `secrets` and `configs` declare, config files must be safe to copy into the bundle, and
//! a store-filled Secret must say which store.

pub(super) mod name;
pub(super) mod reference;
pub(super) mod file_mount;
pub(super) mod config_file;
pub(super) mod store;
pub(super) mod unused;

use crate::load::configs::key_of;
use crate::model::{Config, EnvValue, Spec};

/// The keys a config's ConfigMap holds: its files' names.
fn config_keys(config: &Config) -> impl Iterator<Item = &str> {
    config.files.iter().map(|f| key_of(f))
}

/// Whether any service reads the Secret (`secret`) or config named `name`.
fn is_read(spec: &Spec, name: &str, secret: bool) -> bool {
    spec.services.iter().any(|s| {
        s.env.values().any(|v| match v {
            EnvValue::Secret { secret: n, .. } => secret && n == name,
            EnvValue::Config { config: n, .. } => !secret && n == name,
            EnvValue::Plain(_) => false,
        }) || s.files.iter().any(|f| {
            if secret {
                f.secret.as_deref() == Some(name)
            } else {
                f.config.as_deref() == Some(name)
            }
        })
    })
}
