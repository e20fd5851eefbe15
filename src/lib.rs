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
/// `cutover.toml`, read with the check stage that applies it.
pub use check::levels as config;
pub mod cli;
pub mod diagnostic;
pub mod diff;
pub mod import;
pub mod load;
pub mod markdown;
pub mod model;
pub mod plan;
pub mod regular;
pub mod render;
pub mod rules;
pub mod sarif;
pub mod shell;

use std::path::{Path, PathBuf};

use diagnostic::Diagnostic;
use load::{LoadError, Loaded};

/// What a run can be asked to do beyond the spec itself.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// Rule levels file; `cutover.toml` beside the spec when absent.
    pub config: Option<PathBuf>,
    /// A folder whose templates replace the built-in ones of the same name.
    pub templates: Option<PathBuf>,
}

/// Why a run produced nothing: the spec's problems (exit 1) or a failure to read or write
/// files (exit 2).
#[derive(Debug)]
pub enum Failure {
    Spec(Vec<Diagnostic>),
    Io(String),
}

impl From<LoadError> for Failure {
    fn from(error: LoadError) -> Self {
        match error {
            LoadError::Diagnostics(d) => Failure::Spec(d),
            LoadError::Io(message) => Failure::Io(message),
        }
    }
}

/// The whole pipeline on spec text already in memory (fuzzing, property tests): no file is
/// read but `cutover.toml`, and none is written.
pub fn compile_source(
    source: std::sync::Arc<diagnostic::SourceFile>,
    options: &Options,
) -> Result<Compiled, Failure> {
    compile_source_reading(source, None, options)
}

/// [`compile_source`] for a spec whose `configs` files sit in `folder`, as if the spec were
/// there (the attack tests compile variants of an example in memory).
pub fn compile_source_in(
    source: std::sync::Arc<diagnostic::SourceFile>,
    folder: &Path,
    options: &Options,
) -> Result<Compiled, Failure> {
    compile_source_reading(source, Some(folder), options)
}

fn compile_source_reading(
    source: std::sync::Arc<diagnostic::SourceFile>,
    folder: Option<&Path>,
    options: &Options,
) -> Result<Compiled, Failure> {
    let config = match &options.config {
        Some(path) => config::Config::discover(path, Some(path))?,
        None => config::Config::default(),
    };
    let loaded = match load::load_source_partial(source) {
        Ok(loaded) => loaded,
        Err((error, partial)) => {
            return Err(with_partial_checks(error, partial, folder, &config));
        }
    };
    let sizing = model::sizing::derive(&loaded.spec);
    // Without a folder, check reports each `configs` file as unreadable.
    let configs = load::configs::read(&loaded.spec, folder);
    let diagnostics = check::check_with_configs(&loaded, &configs, &sizing, &config);
    let checked = Checked {
        loaded,
        configs,
        config,
        diagnostics,
        sizing,
    };
    compile_when_clean(checked, options)
}

/// A checked spec: its diagnostics (warnings only, or errors), what it was checked with, and
/// the sizing derived from it once, which the plan takes on.
pub struct Checked {
    pub loaded: Loaded,
    /// The files `configs` names, read beside the spec: check judged them, render copies them.
    pub configs: load::configs::ConfigFiles,
    pub config: config::Config,
    pub diagnostics: Vec<Diagnostic>,
    pub sizing: model::sizing::Sizing,
}

/// Stages 1 and 2: load the spec and run every rule.
pub fn check_file(spec: &Path, options: &Options) -> Result<Checked, Failure> {
    // Both the config and the spec are read before anything is reported, so that a broken
    // config and a broken spec show up together.
    let config = config::Config::discover(spec, options.config.as_deref());
    let loaded = load::load_partial(spec);
    let (config, loaded) = match (config, loaded) {
        (Ok(c), Ok(l)) => (c, l),
        (Err(LoadError::Io(m)), _) | (_, Err((LoadError::Io(m), _))) => {
            return Err(Failure::Io(m));
        }
        (Ok(c), Err((error, partial))) => {
            let folder = spec.parent().unwrap_or(Path::new(""));
            return Err(with_partial_checks(error, partial, Some(folder), &c));
        }
        (c, l) => {
            let mut all = Vec::new();
            for e in [c.err(), l.err().map(|(e, _)| e)].into_iter().flatten() {
                if let LoadError::Diagnostics(d) = e {
                    all.extend(d);
                }
            }
            diagnostic::sort(&mut all);
            return Err(Failure::Spec(all));
        }
    };
    // Derived once: the checks judge it and the plan takes it on.
    let sizing = model::sizing::derive(&loaded.spec);
    let configs = load::configs::read(&loaded.spec, Some(spec.parent().unwrap_or(Path::new(""))));
    let diagnostics = check::check_with_configs(&loaded, &configs, &sizing, &config);
    Ok(Checked {
        loaded,
        configs,
        config,
        diagnostics,
        sizing,
    })
}

/// A spec that did not load, with what the checks find in the parts that did read: a wrong
/// type in one service no longer hides a missing route in another. A check's diagnostic in
/// a part that holds a stand-in value is left out (it may follow from the stand-in), but
/// every placeholder is reported wherever it sits.
fn with_partial_checks(
    error: LoadError,
    partial: Option<Box<load::Partial>>,
    folder: Option<&Path>,
    config: &config::Config,
) -> Failure {
    let mut all = match error {
        LoadError::Io(message) => return Failure::Io(message),
        LoadError::Diagnostics(d) => d,
    };
    if let Some(partial) = partial {
        let sizing = model::sizing::derive(&partial.loaded.spec);
        let configs = load::configs::read(&partial.loaded.spec, folder);
        let found = check::check_with_configs(&partial.loaded, &configs, &sizing, config);
        all.extend(found.into_iter().filter(|d| {
            d.rule == rules::RuleId::ImportPlaceholder
                || !(partial.touches(&d.path) || d.message.contains(model::units::PHANTOM_TEXT))
        }));
    }
    diagnostic::sort(&mut all);
    all.dedup_by(|a, b| a.rule == b.rule && a.path == b.path && a.message == b.message);
    Failure::Spec(all)
}

/// A compiled bundle, with the warnings the spec carried.
pub struct Compiled {
    pub files: bundle::Files,
    pub warnings: Vec<Diagnostic>,
}

/// The whole pipeline short of writing: load, check, plan, render, seal.
pub fn compile_file(spec: &Path, options: &Options) -> Result<Compiled, Failure> {
    let checked = check_file(spec, options)?;
    compile_when_clean(checked, options)
}

/// A spec compiled into a sink: each file's digest, with the warnings the spec carried.
pub struct Streamed {
    pub digests: std::collections::BTreeMap<String, render::Digest>,
    pub warnings: Vec<Diagnostic>,
}

/// [`compile_file`] into `sink`, a file at a time: the bundle is never held whole.
pub fn compile_file_to(
    spec: &Path,
    options: &Options,
    sink: &dyn render::Sink,
) -> Result<Streamed, Failure> {
    compile_checked_to(check_file(spec, options)?, options, sink)
}

/// [`compile_file_to`] for a spec already checked (its errors, if any, are the failure).
pub fn compile_checked_to(
    checked: Checked,
    options: &Options,
    sink: &dyn render::Sink,
) -> Result<Streamed, Failure> {
    if diagnostic::has_errors(&checked.diagnostics) {
        return Err(Failure::Spec(checked.diagnostics));
    }
    let renderer = render::Renderer::new(options.templates.as_deref())
        .map_err(|e| Failure::Io(e.to_string()))?;
    let files = render::Out::new(sink);
    // Returned to the caller; the compile drops its own copy with the spec.
    let warnings = checked.diagnostics.clone();
    compile_owned_into(checked, &renderer, &files).map_err(|e| Failure::Io(e.to_string()))?;
    let digests = files
        .finish()
        .map_err(|e| Failure::Io(format!("{}: {}", e.path, e.error)))?;
    Ok(Streamed { digests, warnings })
}

/// Stages 3 to 5 for a spec that passed its checks, into memory.
pub fn compile_checked(
    checked: &Checked,
    renderer: &render::Renderer,
) -> Result<bundle::Files, render::RenderError> {
    let memory = render::Memory::new();
    let files = render::Out::new(&memory);
    compile_checked_into(checked, renderer, &files)?;
    files
        .finish()
        .map_err(|e| render::RenderError(format!("{}: {}", e.path, e.error)))?;
    Ok(memory.into_files())
}

/// Stages 3 to 5 for a spec that passed its checks: plan, render and seal, each file handed
/// to `files` as soon as it is rendered.
pub fn compile_checked_into(
    checked: &Checked,
    renderer: &render::Renderer,
    files: &render::Out,
) -> Result<(), render::RenderError> {
    render_from_checked(checked, files)?.finish(renderer, files)
}

/// [`compile_checked_into`] that drops the spec (and what loading it kept) once the files
/// that read it are written: the reports and the index read the plan only.
pub fn compile_owned_into(
    mut checked: Checked,
    renderer: &render::Renderer,
    files: &render::Out,
) -> Result<(), render::RenderError> {
    // Positions serve diagnostics only, and the checks are done: at 5,000 services the map
    // of every value's position is the largest thing loading keeps.
    checked.loaded.map = load::SourceMap::default();
    release_freed_memory();
    let rest = render_from_checked(&checked, files)?;
    drop(checked);
    rest.finish(renderer, files)
}

/// Hands memory the process freed back to the system. The allocator keeps freed memory for
/// reuse, but the many small pieces a stage frees (the checks' map of every value's
/// position, a diff's first compile) leave holes the next stage's pieces do not fill in the
/// same way: at 5,000 services each stage then stacks 10-20 MiB over the last one's peak.
pub(crate) fn release_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim takes no pointer and only walks glibc's own free lists; it may
    // be called at any time, from any thread.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// What is left to write once the spec's files are: the reports, the README and the index.
struct Remaining {
    plan: std::sync::Arc<plan::Plan>,
    warnings: Vec<render::RecordedWarning>,
    levels: std::collections::BTreeMap<String, String>,
    manifest_folders: std::collections::BTreeMap<String, usize>,
    runbooks: render::Runbooks,
    migration: String,
    kubernetes_version: String,
    spec_digest: String,
}

impl Remaining {
    fn finish(
        self,
        renderer: &render::Renderer,
        files: &render::Out,
    ) -> Result<(), render::RenderError> {
        render::render_runbooks(renderer, &self.plan, self.runbooks, files)?;
        render::render_reports(
            renderer,
            &self.plan,
            &self.warnings,
            &self.levels,
            self.manifest_folders,
            files,
        )?;
        drop(self.plan);
        bundle::seal(
            files,
            &self.migration,
            &self.kubernetes_version,
            &self.spec_digest,
            &self.levels,
            &self.warnings,
        );
        Ok(())
    }
}

fn render_from_checked(
    checked: &Checked,
    files: &render::Out,
) -> Result<Remaining, render::RenderError> {
    let spec = &checked.loaded.spec;
    let plan = std::sync::Arc::new(plan::build(spec, &checked.sizing));
    let warnings = render::recorded_warnings(&checked.diagnostics);
    // The configured levels by name, as the README and the index state them.
    let levels: std::collections::BTreeMap<String, String> = checked
        .config
        .levels
        .iter()
        .map(|(rule, level)| (rule.clone(), <&str>::from(*level).to_string()))
        .collect();
    let from_spec = render::render_from_spec(spec, &plan, files)?;
    render::manifests::write_config_files(spec, &plan, &checked.configs, files);
    Ok(Remaining {
        plan,
        warnings,
        levels,
        manifest_folders: from_spec.manifest_folders,
        runbooks: from_spec.runbooks,
        migration: spec.metadata.name.clone(),
        kubernetes_version: spec.target.kubernetes_version.clone(),
        spec_digest: spec_digest(spec),
    })
}

/// SHA-256 of the spec's canonical JSON form.
fn spec_digest(spec: &model::Spec) -> String {
    // Hashed as it serializes: the JSON of a 5,000-service spec runs to megabytes. A spec
    // always serializes (no map with keys that are not strings).
    let mut hashing = render::Hashing::default();
    let _ = serde_json::to_writer(&mut hashing, spec);
    hashing.digest().hex()
}

/// Where the spec format's JSON Schema is published: its `$id`, and the URL the
/// `yaml-language-server` modeline of an imported spec names.
pub const SCHEMA_ID: &str = "https://cutover.dev/schemas/v1alpha1/migration.schema.json";

/// The spec format's JSON Schema, as committed under `schemas/`.
pub fn json_schema() -> String {
    let mut schema = schemars::schema_for!(model::Spec);
    schema.insert("$id".into(), SCHEMA_ID.into());
    let mut text = serde_json::to_string_pretty(&schema).unwrap_or_default();
    text.push('\n');
    text
}

/// Renders and seals a checked spec, or returns its diagnostics when any is an error.
fn compile_when_clean(checked: Checked, options: &Options) -> Result<Compiled, Failure> {
    if diagnostic::has_errors(&checked.diagnostics) {
        return Err(Failure::Spec(checked.diagnostics));
    }
    let renderer = render::Renderer::new(options.templates.as_deref())
        .map_err(|e| Failure::Io(e.to_string()))?;
    let files = compile_checked(&checked, &renderer).map_err(|e| Failure::Io(e.to_string()))?;
    Ok(Compiled {
        files,
        warnings: checked.diagnostics,
    })
}
