//! The command line: parses arguments, runs the pipeline, prints, and maps outcomes to exit
//! codes (0 ok, 1 the spec has errors, 2 usage or I/O failure).

use std::io::{IsTerminal, Write};
use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

use crate::check::registry;
use crate::diagnostic::{self, Diagnostic, JsonDiagnostic, Severity};
use crate::rules::RuleId;
use crate::{Failure, Options, bundle};

pub const EXIT_OK: i32 = 0;
pub const EXIT_SPEC_ERRORS: i32 = 1;
pub const EXIT_FAILURE: i32 = 2;
/// `diff` and `verify`: the two sides differ.
pub const EXIT_DIFFERENT: i32 = 3;

#[derive(Parser)]
#[command(
    name = "cutover",
    version,
    about = "Compile a cluster migration spec into a validated bundle: manifests for every phase with their rollbacks, reports and runbooks",
    long_about = None,
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Check the spec, then write its bundle to DIR (atomically; only a cutover bundle or an
    /// empty directory is ever replaced).
    Compile {
        /// The migration spec (.yaml, .yml or .toml).
        spec: PathBuf,
        /// The bundle directory to write.
        #[arg(short = 'o', long = "out", value_name = "DIR")]
        out: PathBuf,
        #[command(flatten)]
        settings: Settings,
        /// Folder of templates that replace the built-in ones of the same name.
        #[arg(long, value_name = "DIR")]
        templates: Option<PathBuf>,
        /// Overwrite generated files that were edited by hand (files cutover did not write
        /// are still never deleted).
        #[arg(long)]
        force: bool,
    },
    /// Check the spec and print every diagnostic; write nothing.
    Check {
        /// The migration spec (.yaml, .yml or .toml).
        spec: PathBuf,
        #[command(flatten)]
        settings: Settings,
        /// How to print the diagnostics.
        #[arg(long, value_enum, default_value_t = OutputFormat::Human)]
        format: OutputFormat,
    },
    /// Print the phase table: what changes when, the share of traffic on the new cluster,
    /// the holds, and how each phase rolls back.
    Plan {
        /// The migration spec (.yaml, .yml or .toml).
        spec: PathBuf,
        #[command(flatten)]
        settings: Settings,
    },
    /// Compare two specs (or two bundle directories) object by object, DNS change by DNS
    /// change and runbook step by runbook step. Exits 0 when equal, 3 when not.
    Diff {
        /// The old spec or bundle directory.
        old: PathBuf,
        /// The new spec or bundle directory.
        new: PathBuf,
        /// text for a terminal, markdown for a pull-request comment, json for tools.
        #[arg(long, value_enum, default_value_t = DiffFormat::Text)]
        format: DiffFormat,
        /// One line per changed object, DNS change or step, without the fields.
        #[arg(long)]
        brief: bool,
        #[command(flatten)]
        settings: Settings,
    },
    /// Check that DIR is exactly what SPEC compiles to: exit 0 when it is, 3 with the
    /// differing files when the committed bundle is stale.
    Verify {
        /// The migration spec.
        spec: PathBuf,
        /// The bundle directory to check.
        dir: PathBuf,
        #[command(flatten)]
        settings: Settings,
    },
    /// Start a spec from something that exists.
    Import {
        #[command(subcommand)]
        source: ImportSource,
    },
    /// Explain a rule: what it demands, why, and where the knowledge comes from. Without a
    /// rule, list every rule.
    Explain {
        /// A rule id, `area/name`.
        rule: Option<String>,
    },
    /// Print the JSON Schema of the spec format (committed as schemas/migration.schema.json).
    Schema,
}

#[derive(Subcommand)]
enum ImportSource {
    /// A starting spec from a Docker Swarm stack or compose file. Settings with no
    /// equivalent become comments in the spec and warnings.
    Compose {
        /// The compose or stack file.
        file: PathBuf,
        /// Write the spec here instead of to standard output (an existing file is kept
        /// unless --force).
        #[arg(short = 'o', long = "out", value_name = "FILE")]
        out: Option<PathBuf>,
        /// The migration's name (default: from the file or its folder).
        #[arg(long)]
        name: Option<String>,
        /// Read variables for `${VAR}` interpolation from this file (compose's `.env`
        /// format; repeatable, later files win; the environment wins over all). Without it,
        /// the `.env` beside the compose file is read when there is one, as compose does.
        #[arg(long = "env-file", value_name = "FILE")]
        env_file: Vec<PathBuf>,
        /// Overwrite an existing output file.
        #[arg(long)]
        force: bool,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum DiffFormat {
    Text,
    Markdown,
    Json,
}

#[derive(clap::Args)]
struct Settings {
    /// Rule levels file (default: cutover.toml beside the spec, if present).
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
}

#[derive(Clone, Copy, ValueEnum)]
enum OutputFormat {
    Human,
    Json,
    /// SARIF 2.1.0, for code-scanning tools.
    Sarif,
}

/// Runs the command line and returns the exit code.
pub fn run() -> i32 {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() {
                EXIT_FAILURE
            } else {
                EXIT_OK
            };
        }
    };
    match cli.command {
        Command::Compile {
            spec,
            out,
            settings,
            templates,
            force,
        } => compile(spec, out, settings, templates, force),
        Command::Check {
            spec,
            settings,
            format,
        } => check(spec, settings, format),
        Command::Plan { spec, settings } => plan(spec, settings),
        Command::Diff {
            old,
            new,
            format,
            brief,
            settings,
        } => diff(old, new, format, brief, settings),
        Command::Verify {
            spec,
            dir,
            settings,
        } => verify(spec, dir, settings),
        Command::Import {
            source:
                ImportSource::Compose {
                    file,
                    out,
                    name,
                    env_file,
                    force,
                },
        } => import_compose(file, out, name, &env_file, force),
        Command::Explain { rule } => explain(rule.as_deref()),
        Command::Schema => {
            print!("{}", crate::json_schema());
            EXIT_OK
        }
    }
}

fn color(stream_is_terminal: bool) -> bool {
    stream_is_terminal && std::env::var_os("NO_COLOR").is_none()
}

fn width() -> usize {
    std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.parse().ok())
        .filter(|w: &usize| *w >= 40)
        .unwrap_or(100)
}

fn print_failure(message: &str) -> i32 {
    eprintln!("error: {message}");
    EXIT_FAILURE
}

fn compile(
    spec: PathBuf,
    out: PathBuf,
    settings: Settings,
    templates: Option<PathBuf>,
    force: bool,
) -> i32 {
    let options = Options {
        config: settings.config,
        templates,
    };
    let stderr_color = color(std::io::stderr().is_terminal());
    // A killed run's moved-aside bundle goes back first, whatever happens to this run.
    match bundle::recover(&out) {
        Ok(notes) => print_recovery(&notes),
        Err(e) => return print_failure(&e.to_string()),
    }
    match crate::compile_file(&spec, &options) {
        Err(Failure::Io(message)) => print_failure(&message),
        Err(Failure::Spec(diagnostics)) => {
            eprint!(
                "{}",
                diagnostic::render_human(&diagnostics, stderr_color, width())
            );
            eprintln!("no bundle written: the spec has errors");
            EXIT_SPEC_ERRORS
        }
        Ok(compiled) => {
            if !compiled.warnings.is_empty() {
                eprint!(
                    "{}",
                    diagnostic::render_human(&compiled.warnings, stderr_color, width())
                );
            }
            let options = bundle::WriteOptions { force };
            match bundle::write(&compiled.files, &out, options) {
                Err(e) => print_failure(&e.to_string()),
                Ok(written) => {
                    print_recovery(&written.recovered);
                    println!(
                        "wrote {} ({} files, {} warning{})",
                        out.display(),
                        compiled.files.len(),
                        compiled.warnings.len(),
                        if compiled.warnings.len() == 1 {
                            ""
                        } else {
                            "s"
                        }
                    );
                    EXIT_OK
                }
            }
        }
    }
}

/// What was done about a killed run's leftovers, on stderr.
fn print_recovery(notes: &[bundle::Recovery]) {
    for note in notes {
        let level = if note.is_warning() { "warning" } else { "note" };
        eprintln!("{level}: {note}");
    }
}

fn check(spec: PathBuf, settings: Settings, format: OutputFormat) -> i32 {
    let options = Options {
        config: settings.config,
        templates: None,
    };
    let diagnostics: Vec<Diagnostic> = match crate::check_file(&spec, &options) {
        Err(Failure::Io(message)) => return print_failure(&message),
        Err(Failure::Spec(d)) => d,
        Ok(checked) => checked.diagnostics,
    };
    let mut stdout = std::io::stdout().lock();
    let printed = match format {
        OutputFormat::Human => {
            let text = diagnostic::render_human(
                &diagnostics,
                color(std::io::stdout().is_terminal()),
                width(),
            );
            stdout.write_all(text.as_bytes())
        }
        OutputFormat::Sarif => stdout.write_all(crate::sarif::render(&diagnostics).as_bytes()),
        OutputFormat::Json => {
            let json: Vec<JsonDiagnostic> = diagnostics.iter().map(JsonDiagnostic::from).collect();
            let errors = diagnostics
                .iter()
                .filter(|d| d.severity == Severity::Error)
                .count();
            let report = serde_json::json!({
                "errors": errors,
                "warnings": diagnostics.len() - errors,
                "diagnostics": json,
            });
            let text = serde_json::to_string_pretty(&report).unwrap_or_default();
            writeln!(stdout, "{text}")
        }
    };
    if printed.is_err() {
        return EXIT_FAILURE;
    }
    if diagnostic::has_errors(&diagnostics) {
        EXIT_SPEC_ERRORS
    } else {
        EXIT_OK
    }
}

fn plan(spec: PathBuf, settings: Settings) -> i32 {
    let options = Options {
        config: settings.config,
        templates: None,
    };
    let stderr_color = color(std::io::stderr().is_terminal());
    let checked = match crate::check_file(&spec, &options) {
        Err(Failure::Io(message)) => return print_failure(&message),
        Err(Failure::Spec(d)) => {
            eprint!("{}", diagnostic::render_human(&d, stderr_color, width()));
            return EXIT_SPEC_ERRORS;
        }
        Ok(checked) => checked,
    };
    if !checked.diagnostics.is_empty() {
        eprint!(
            "{}",
            diagnostic::render_human(&checked.diagnostics, stderr_color, width())
        );
    }
    if diagnostic::has_errors(&checked.diagnostics) {
        return EXIT_SPEC_ERRORS;
    }
    let plan = crate::plan::build(&checked.loaded.spec, &checked.sizing);
    print!("{}", crate::render::table::render(&plan));
    EXIT_OK
}

/// Prints a failure to compile one side of a diff or verify; returns the exit code.
fn report_failure(failure: Failure) -> i32 {
    match failure {
        Failure::Io(message) => print_failure(&message),
        Failure::Spec(d) => {
            eprint!(
                "{}",
                diagnostic::render_human(&d, color(std::io::stderr().is_terminal()), width())
            );
            EXIT_SPEC_ERRORS
        }
    }
}

fn diff(old: PathBuf, new: PathBuf, format: DiffFormat, brief: bool, settings: Settings) -> i32 {
    let options = Options {
        config: settings.config,
        templates: None,
    };
    let (a, b) = match crate::diff::load_sides(&old, &new, &options) {
        Ok(sides) => sides,
        Err(failure) => return report_failure(failure),
    };
    let result = crate::diff::diff(&a, &b);
    let text = match format {
        DiffFormat::Text => crate::diff::render_text(&result, brief),
        DiffFormat::Markdown => crate::diff::render_markdown(&result, brief),
        DiffFormat::Json => {
            let mut text = serde_json::to_string_pretty(&result).unwrap_or_default();
            text.push('\n');
            text
        }
    };
    print!("{text}");
    if result.is_empty() {
        EXIT_OK
    } else {
        EXIT_DIFFERENT
    }
}

fn verify(spec: PathBuf, dir: PathBuf, settings: Settings) -> i32 {
    let options = Options {
        config: settings.config,
        templates: None,
    };
    let expected = match crate::compile_file(&spec, &options) {
        Ok(compiled) => compiled.files,
        Err(failure) => return report_failure(failure),
    };
    let actual = match bundle::read(&dir) {
        Ok(files) => files,
        Err(e) => return print_failure(&e.to_string()),
    };
    let stale = crate::diff::diff_files(&expected, &actual);
    if stale.is_empty() {
        println!(
            "{} is up to date: {} files, exactly what {} compiles to",
            dir.display(),
            expected.len(),
            spec.display()
        );
        return EXIT_OK;
    }
    println!(
        "{} is stale: {} files differ from what {} compiles to",
        dir.display(),
        stale.len(),
        spec.display()
    );
    for (status, path) in &stale {
        let what = match status {
            crate::diff::Status::Changed => "differs",
            crate::diff::Status::Removed => "missing",
            crate::diff::Status::Added => "not generated by the spec",
        };
        println!("  {path}: {what}");
    }
    println!(
        "recompile with: cutover compile {} -o {}",
        spec.display(),
        dir.display()
    );
    EXIT_DIFFERENT
}

fn import_compose(
    file: PathBuf,
    out: Option<PathBuf>,
    name: Option<String>,
    env_files: &[PathBuf],
    force: bool,
) -> i32 {
    let text = match crate::load::read_text(&file) {
        Ok(text) => text,
        Err(crate::load::LoadError::Io(message)) => return print_failure(&message),
        Err(crate::load::LoadError::Diagnostics(d)) => return report_failure(Failure::Spec(d)),
    };
    let name = name.unwrap_or_else(|| {
        let stem = file
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        let generic = ["docker-compose", "compose", "stack", "docker-stack"];
        if generic.contains(&stem.as_str()) {
            file.canonicalize()
                .ok()
                .and_then(|p| {
                    p.parent()
                        .and_then(|d| d.file_name())
                        .map(|n| n.to_string_lossy().into_owned())
                })
                .unwrap_or_else(|| "stack".into())
        } else {
            stem
        }
    });
    let vars = match import_variables(&file, env_files) {
        Ok(vars) => vars,
        Err(message) => return print_failure(&message),
    };
    let imported =
        match crate::import::compose_with(&name, &file.display().to_string(), &text, &vars) {
            Ok(imported) => imported,
            Err(d) => return report_failure(Failure::Spec(d)),
        };
    if !imported.warnings.is_empty() {
        eprint!(
            "{}",
            diagnostic::render_human(
                &imported.warnings,
                color(std::io::stderr().is_terminal()),
                width()
            )
        );
    }
    match out {
        None => {
            print!("{}", imported.spec);
            EXIT_OK
        }
        Some(path) => {
            if path.exists() && !force {
                return print_failure(&format!(
                    "{} exists: choose another file, or pass --force to overwrite it",
                    path.display()
                ));
            }
            match std::fs::write(&path, &imported.spec) {
                Ok(()) => {
                    eprintln!(
                        "wrote {}: fill in every TODO, then run `cutover check {}`",
                        path.display(),
                        path.display()
                    );
                    EXIT_OK
                }
                Err(e) => print_failure(&format!("{}: {e}", path.display())),
            }
        }
    }
}

/// The variables compose would interpolate with: the env files (the `--env-file`s in
/// order, else the `.env` beside the compose file), then the process environment over them.
fn import_variables(
    file: &std::path::Path,
    env_files: &[PathBuf],
) -> Result<crate::import::Variables, String> {
    let mut vars = crate::import::Variables::new();
    let beside = file
        .parent()
        .map(|d| d.join(".env"))
        .filter(|p| p.is_file());
    let files: Vec<PathBuf> = if env_files.is_empty() {
        beside.into_iter().collect()
    } else {
        env_files.to_vec()
    };
    for path in &files {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        for bad in crate::import::read_env_file(&text, &mut vars) {
            eprintln!("{}:{}: skipped: {}", path.display(), bad.line, bad.why);
        }
    }
    for (name, value) in std::env::vars() {
        vars.set(name, value);
    }
    Ok(vars)
}

fn explain(rule: Option<&str>) -> i32 {
    let Some(id) = rule else {
        let mut area = "";
        for rule in registry::rules() {
            let this_area = rule.id.as_str().split('/').next().unwrap_or("");
            if this_area != area {
                if !area.is_empty() {
                    println!();
                }
                area = this_area;
            }
            println!(
                "{:<34} {:<14} {}",
                rule.id,
                rule.level.label(),
                rule.summary
            );
        }
        return EXIT_OK;
    };
    match RuleId::find(id) {
        Some(id) => {
            print!("{}", registry::explain(registry::rule(id)));
            EXIT_OK
        }
        None => {
            let hint = match diagnostic::did_you_mean(id, RuleId::ALL.iter().map(|r| r.as_str())) {
                Some(near) => format!("; did you mean `{near}`?"),
                None => "; `cutover explain` lists every rule".into(),
            };
            print_failure(&format!("unknown rule `{id}`{hint}"))
        }
    }
}
