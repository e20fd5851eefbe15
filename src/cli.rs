//! The command line: parses arguments, runs the pipeline, prints, and maps outcomes to exit
//! codes (0 ok, 1 the spec has errors, 2 usage or I/O failure).

use std::io::{IsTerminal, Write};
use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

use crate::diagnostic::{self, Diagnostic, JsonDiagnostic, Severity};
use crate::{Failure, Options, bundle, rules};

pub const EXIT_OK: i32 = 0;
pub const EXIT_SPEC_ERRORS: i32 = 1;
pub const EXIT_FAILURE: i32 = 2;

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
    /// Explain a rule: what it demands, why, and where the knowledge comes from. Without a
    /// rule, list every rule.
    Explain {
        /// A rule id such as `network/pod-overlap`.
        rule: Option<String>,
    },
    /// Print the JSON Schema of the spec format (committed as schemas/migration.schema.json).
    Schema,
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
                Ok(()) => {
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
    let plan = crate::plan::build(&checked.loaded.spec);
    print!("{}", crate::render::table::render(&plan));
    EXIT_OK
}

fn explain(rule: Option<&str>) -> i32 {
    let Some(id) = rule else {
        let mut area = "";
        for rule in rules::RULES {
            let this_area = rule.id.split('/').next().unwrap_or("");
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
    match rules::find(id) {
        Some(rule) => {
            print!("{}", rules::explain(rule));
            EXIT_OK
        }
        None => {
            let hint = match diagnostic::did_you_mean(id, rules::ids()) {
                Some(near) => format!("; did you mean `{near}`?"),
                None => "; `cutover explain` lists every rule".into(),
            };
            print_failure(&format!("unknown rule `{id}`{hint}"))
        }
    }
}
