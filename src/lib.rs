//! cutover compiles one migration spec into a validated bundle: manifests for every phase of
//! the move (each with its rollback), the DNS change list, tool configs and runbooks.
//!
//! The pipeline, one module per stage, driven by [`compile`]:
//!
//! 1. [`load`]: read YAML or TOML into the typed [`model`], keeping every value's position.
//! 2. [`check`]: every rule of [`rules`], all diagnostics at once, sorted by position.
//! 3. [`plan`]: a pure function from the checked spec to the decisions the bundle states.
//! 4. [`render`]: the plan as files (reports and READMEs from minijinja templates).
//! 5. [`bundle`]: a deterministic, atomic write of those files, with `index.json`.

pub mod bundle;
pub mod check;
pub mod cli;
pub mod config;
pub mod diagnostic;
pub mod load;
pub mod model;
pub mod plan;
pub mod render;
pub mod rules;
