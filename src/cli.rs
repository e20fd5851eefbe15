//! The command line: parses arguments, runs the pipeline, prints, and maps outcomes to exit
//! codes (0 ok, 1 the spec has errors, 2 usage or I/O failure, 3 the two sides differ).
//!
//! Every byte it prints goes through [`Console`], never `print!` (which panics when the reader
//! of a pipe has gone; the lints below refuse it). A write that finds its reader gone
//! (`BrokenPipe`, on standard output or standard error) stops the command where it is and
//! ends the run as a C tool's ends, by SIGPIPE ([`Exit::ClosedPipe`]); any other failed write
//! is an I/O failure (exit 2). Nothing is printed while `bundle::write` runs, so a stopped
//! `compile` has written its bundle whole or not at all.
//!
//! Colour follows `--color`, then `NO_COLOR` and the `CLICOLOR` conventions, through anstream,
//! the library clap itself uses; `--quiet` leaves out warnings and progress, never an error.
#![deny(clippy::print_stdout, clippy::print_stderr)]

use std::ffi::OsString;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use clap::{ColorChoice, CommandFactory, FromArgMatches, Parser, Subcommand, ValueEnum, ValueHint};

use crate::check::registry;
use crate::diagnostic::{self, Diagnostic, JsonDiagnostic, Severity};
use crate::rules::RuleId;
use crate::{Failure, Options, bundle, markdown};

pub const EXIT_OK: i32 = 0;
pub const EXIT_SPEC_ERRORS: i32 = 1;
pub const EXIT_FAILURE: i32 = 2;
/// `diff` and `verify`: the two sides differ.
pub const EXIT_DIFFERENT: i32 = 3;
/// What a shell reports for a process that SIGPIPE ended (128 + 13), and the exit code where
/// there is no SIGPIPE to die of.
pub const EXIT_CLOSED_PIPE: i32 = 141;

/// The exit statuses, for the manual page (README's "Exit codes" says the same).
const EXIT_STATUSES: &[(&str, &str)] = &[
    (
        "0",
        "Success; warnings allowed. diff: the two sides are equal; verify: the bundle is current.",
    ),
    ("1", "A spec has errors."),
    (
        "2",
        "A usage or I/O failure: a missing file, an output directory cutover must not replace, \
         a write that failed.",
    ),
    (
        "3",
        "diff, verify: the two sides differ (verify lists the stale files).",
    ),
    (
        "141",
        "Killed by SIGPIPE (128 + 13), as a C tool is: the reader of standard output or \
         standard error went away (cutover explain | head -1). Nothing more is printed. Without \
         SIGPIPE (Windows), the exit code 141.",
    ),
];

/// The date the manual pages carry: when their command line last changed (a fixed date, so
/// that the pages are the same on every build; move it with a change to the options).
const MANUAL_DATE: &str = "2026-12-04";

/// The environment variables the command line reads, for the manual page.
const ENVIRONMENT: &[(&str, &str)] = &[
    (
        "NO_COLOR",
        "When set and not empty, no colour under --color auto (https://no-color.org). \
         --color always still colours.",
    ),
    (
        "CLICOLOR_FORCE",
        "When set and not empty, colour under --color auto even when the output is not a \
         terminal (NO_COLOR wins over it).",
    ),
    ("CLICOLOR", "0: no colour under --color auto."),
    (
        "CI",
        "When set, a terminal is coloured under --color auto even with TERM=dumb, as a CI \
         runner's log viewer shows colour.",
    ),
    (
        "COLUMNS",
        "The width diagnostics are wrapped to (at least 40; default 100).",
    ),
];

#[derive(Parser)]
#[command(
    name = "cutover",
    version,
    about = "Compile a cluster migration spec into a validated bundle: manifests for every phase with their rollbacks, reports and runbooks",
    long_about = None,
)]
struct Cli {
    /// When to colour diagnostics and help: auto colours a terminal unless NO_COLOR is set
    /// (CLICOLOR_FORCE colours any output); always and never win over the environment.
    #[arg(
        long,
        value_enum,
        value_name = "WHEN",
        default_value_t = ColorChoice::Auto,
        global = true,
        hide_possible_values = true
    )]
    color: ColorChoice,
    /// Print only errors: no warnings (a bundle still records them), no progress or summary
    /// lines. Exit codes do not change.
    #[arg(short, long, global = true)]
    quiet: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Check the spec, then write its bundle to DIR (atomically; only a cutover bundle or an
    /// empty directory is ever replaced).
    Compile {
        /// The migration spec (.yaml, .yml or .toml).
        #[arg(value_hint = ValueHint::FilePath)]
        spec: PathBuf,
        /// The bundle directory to write.
        #[arg(short = 'o', long = "out", value_name = "DIR", value_hint = ValueHint::DirPath)]
        out: PathBuf,
        #[command(flatten)]
        settings: Settings,
        /// Folder of templates that replace the built-in ones of the same name.
        #[arg(long, value_name = "DIR", value_hint = ValueHint::DirPath)]
        templates: Option<PathBuf>,
        /// Overwrite generated files that were edited by hand (files cutover did not write
        /// are still never deleted).
        #[arg(long)]
        force: bool,
    },
    /// Check each spec and print every diagnostic; write nothing.
    Check {
        /// The migration specs (.yaml, .yml or .toml).
        #[arg(required = true, value_name = "SPEC", value_hint = ValueHint::FilePath)]
        specs: Vec<PathBuf>,
        #[command(flatten)]
        settings: Settings,
        /// How to print the diagnostics of every spec, in one report: human, json, or sarif
        /// (SARIF 2.1.0, for code-scanning tools).
        #[arg(long, value_enum, default_value_t = OutputFormat::Human, hide_possible_values = true)]
        format: OutputFormat,
    },
    /// Print the phase table: what changes when, the share of traffic on the new cluster,
    /// the holds, and how each phase rolls back.
    Plan {
        /// The migration spec (.yaml, .yml or .toml).
        #[arg(value_hint = ValueHint::FilePath)]
        spec: PathBuf,
        #[command(flatten)]
        settings: Settings,
    },
    /// Compare two specs (or two bundle directories) object by object, DNS change by DNS
    /// change and runbook step by runbook step. Exits 0 when equal, 3 when not.
    Diff {
        /// The old spec or bundle directory.
        #[arg(value_hint = ValueHint::AnyPath)]
        old: PathBuf,
        /// The new spec or bundle directory.
        #[arg(value_hint = ValueHint::AnyPath)]
        new: PathBuf,
        /// text for a terminal, markdown for a pull-request comment, json for tools.
        #[arg(long, value_enum, default_value_t = DiffFormat::Text, hide_possible_values = true)]
        format: DiffFormat,
        /// One line per changed object, DNS change or step, without the fields.
        #[arg(long)]
        brief: bool,
        #[command(flatten)]
        settings: Settings,
    },
    /// Check that a bundle is exactly what its spec compiles to: exit 0 when it is, 3 with
    /// the differing files when it is stale.
    ///
    /// `SPEC DIR` checks DIR. With specs alone, each is checked against the folder beside it
    /// named like it (migrations/shop.yaml against migrations/shop/).
    #[command(override_usage = "cutover verify [OPTIONS] SPEC DIR\n       \
                                cutover verify [OPTIONS] SPEC...")]
    Verify {
        /// A spec and its bundle directory, or specs (.yaml, .yml, .toml) only.
        #[arg(required = true, value_name = "PATH", value_hint = ValueHint::AnyPath)]
        paths: Vec<PathBuf>,
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
    /// Print the completion script for a shell.
    Completions {
        /// bash, zsh, fish, powershell or elvish.
        #[arg(value_enum, hide_possible_values = true)]
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff), or write one page per command into DIR.
    Man {
        /// Write cutover.1 and a page for every command (cutover-compile.1, ...) here.
        #[arg(long, value_name = "DIR", value_hint = ValueHint::DirPath)]
        dir: Option<PathBuf>,
    },
}

#[derive(Subcommand)]
enum ImportSource {
    /// A starting spec from a Docker Swarm stack or compose file. Settings with no
    /// equivalent become comments in the spec and warnings.
    Compose {
        /// The compose or stack file.
        #[arg(value_hint = ValueHint::FilePath)]
        file: PathBuf,
        /// Write the spec here instead of to standard output (an existing file is kept
        /// unless --force).
        #[arg(short = 'o', long = "out", value_name = "FILE", value_hint = ValueHint::FilePath)]
        out: Option<PathBuf>,
        /// The migration's name (default: from the file or its folder).
        #[arg(long)]
        name: Option<String>,
        /// Read variables for `${VAR}` interpolation from this file (compose's `.env`
        /// format; repeatable, later files win; the environment wins over all). Without it,
        /// the `.env` beside the compose file is read when there is one, as compose does.
        #[arg(long = "env-file", value_name = "FILE", value_hint = ValueHint::FilePath)]
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
    #[arg(long, value_name = "FILE", value_hint = ValueHint::FilePath)]
    config: Option<PathBuf>,
}

#[derive(Clone, Copy, ValueEnum)]
enum OutputFormat {
    Human,
    Json,
    Sarif,
}

/// How a run ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[must_use]
pub enum Exit {
    /// Exit with this code.
    Code(i32),
    /// The reader of standard output or standard error went away: end as a C tool does.
    ClosedPipe,
}

impl Exit {
    /// Ends the process: with the exit code, or for a closed pipe by SIGPIPE's default action
    /// (a shell reports 141; no message, no core), or where that cannot be, with exit code 141.
    pub fn end(self) -> ! {
        match self {
            Exit::Code(code) => std::process::exit(code),
            Exit::ClosedPipe => {
                #[cfg(unix)]
                die_of_sigpipe();
                std::process::exit(EXIT_CLOSED_PIPE)
            }
        }
    }
}

/// Restores SIGPIPE's default action (Rust ignores it), unblocks it for this thread and
/// raises it: the process ends as if its write had met the closed pipe in C. Returns only if
/// the signal did not end it (a PID 1 in a container, say); the caller then exits with 141.
#[cfg(unix)]
fn die_of_sigpipe() {
    // SAFETY: plain libc calls on zero-initialised, properly sized values this function owns;
    // sigaction, pthread_sigmask and raise are thread-safe (POSIX.1), and nothing else in
    // cutover installs a SIGPIPE handler.
    unsafe {
        let mut action: libc::sigaction = std::mem::zeroed();
        action.sa_sigaction = libc::SIG_DFL;
        libc::sigemptyset(&mut action.sa_mask);
        if libc::sigaction(libc::SIGPIPE, &action, std::ptr::null_mut()) != 0 {
            return;
        }
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        libc::sigaddset(&mut set, libc::SIGPIPE);
        libc::pthread_sigmask(libc::SIG_UNBLOCK, &set, std::ptr::null_mut());
        libc::raise(libc::SIGPIPE);
    }
}

/// Why a command stopped before its end.
enum Stop {
    /// A write found its reader gone.
    ClosedPipe,
    /// A write failed otherwise (a full disk behind `>`): said on stderr, exit 2.
    Failed(String),
}

/// What a command returns: its exit code, or why it stopped.
type Ran = Result<i32, Stop>;

/// Standard output and standard error, as the command line was asked to write them.
struct Console {
    quiet: bool,
    color: ColorChoice,
    width: usize,
}

impl Console {
    fn new(quiet: bool, color: ColorChoice) -> Self {
        let width = std::env::var("COLUMNS")
            .ok()
            .and_then(|c| c.parse().ok())
            .filter(|w: &usize| *w >= 40)
            .unwrap_or(100);
        Console {
            quiet,
            color,
            width,
        }
    }

    fn color_out(&self) -> bool {
        wants_color(self.color, &io::stdout())
    }

    fn color_err(&self) -> bool {
        wants_color(self.color, &io::stderr())
    }

    fn out(&self, text: impl AsRef<[u8]>) -> Result<(), Stop> {
        emit(&mut io::stdout().lock(), text.as_ref(), "standard output")
    }

    fn err(&self, text: impl AsRef<[u8]>) -> Result<(), Stop> {
        emit(&mut io::stderr().lock(), text.as_ref(), "standard error")
    }

    /// A progress or summary line on stdout; none under `--quiet`.
    fn summary(&self, text: &str) -> Result<(), Stop> {
        if self.quiet { Ok(()) } else { self.out(text) }
    }

    /// A note or warning that is not a diagnostic, on stderr; none under `--quiet`.
    fn note(&self, text: &str) -> Result<(), Stop> {
        if self.quiet { Ok(()) } else { self.err(text) }
    }

    /// `error: MESSAGE` on stderr; the exit code of a usage or I/O failure.
    fn failure(&self, message: &str) -> Ran {
        self.err(format!("error: {message}\n"))?;
        Ok(EXIT_FAILURE)
    }

    /// Diagnostics as a person reads them: every one with a count, or under `--quiet` the
    /// errors alone (nothing when there are none).
    fn render(&self, diagnostics: &[Diagnostic], color: bool) -> String {
        if !self.quiet {
            return diagnostic::render_human(diagnostics, color, self.width);
        }
        let mut out = String::new();
        for d in diagnostics.iter().filter(|d| d.severity == Severity::Error) {
            if d.labels.is_empty() {
                out.push_str(&format!("{}:\n", markdown::visible(&d.source.name)));
            }
            out.push_str(&d.render(color, self.width));
            out.push('\n');
        }
        out
    }

    /// Diagnostics on stderr (nothing for none).
    fn diagnostics(&self, diagnostics: &[Diagnostic]) -> Result<(), Stop> {
        if diagnostics.is_empty() {
            return Ok(());
        }
        self.err(self.render(diagnostics, self.color_err()))
    }
}

/// Writes all of `text` and flushes, so that a failure shows at the write that met it.
fn emit(stream: &mut dyn Write, text: &[u8], name: &str) -> Result<(), Stop> {
    match stream.write_all(text).and_then(|()| stream.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Err(Stop::ClosedPipe),
        Err(e) => Err(Stop::Failed(format!("cannot write to {name}: {e}"))),
    }
}

/// Whether to colour a stream: `always` and `never` as said; `auto` as anstream decides for
/// clap (no-color.org's `NO_COLOR`, then `CLICOLOR_FORCE`, `CLICOLOR=0`, then a terminal
/// that is not `TERM=dumb`, or any terminal when `CI` is set).
fn wants_color<S: anstream::stream::RawStream>(when: ColorChoice, stream: &S) -> bool {
    match when {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            anstream::AutoStream::<S>::choice(stream) != anstream::ColorChoice::Never
        }
    }
}

/// The `--color` the arguments ask for, read before clap parses them, so that clap's own
/// errors and help follow it too (the last one wins, none after `--`).
fn color_in(args: &[OsString]) -> ColorChoice {
    let mut chosen = ColorChoice::Auto;
    let mut rest = args.iter().skip(1);
    while let Some(arg) = rest.next() {
        let Some(arg) = arg.to_str() else { continue };
        if arg == "--" {
            break;
        }
        let value = if arg == "--color" {
            rest.next().and_then(|v| v.to_str())
        } else {
            arg.strip_prefix("--color=")
        };
        if let Some(choice) = value.and_then(|v| ColorChoice::from_str(v, false).ok()) {
            chosen = choice;
        }
    }
    chosen
}

/// Runs the command line on the process's arguments.
pub fn run() -> Exit {
    run_with(std::env::args_os().collect())
}

/// Runs the command line on `args` (the first is the program's name).
pub fn run_with(args: Vec<OsString>) -> Exit {
    let early = Console::new(false, color_in(&args));
    let cli = match Cli::command()
        .try_get_matches_from(&args)
        .and_then(|matches| Cli::from_arg_matches(&matches))
    {
        Ok(cli) => cli,
        Err(e) => return finish(&early, clap_error(&early, &e)),
    };
    let console = Console::new(cli.quiet, cli.color);
    let ran = dispatch(&console, cli.command);
    finish(&console, ran)
}

fn finish(console: &Console, ran: Ran) -> Exit {
    match ran {
        Ok(code) => Exit::Code(code),
        Err(Stop::ClosedPipe) => Exit::ClosedPipe,
        Err(Stop::Failed(message)) => match console.failure(&message) {
            Err(Stop::ClosedPipe) => Exit::ClosedPipe,
            _ => Exit::Code(EXIT_FAILURE),
        },
    }
}

/// Prints clap's usage error (stderr, exit 2) or help and version (stdout, exit 0).
fn clap_error(console: &Console, e: &clap::Error) -> Ran {
    let styled = e.render();
    if e.use_stderr() {
        let text = if console.color_err() {
            styled.ansi().to_string()
        } else {
            styled.to_string()
        };
        console.err(text)?;
        Ok(EXIT_FAILURE)
    } else {
        let text = if console.color_out() {
            styled.ansi().to_string()
        } else {
            styled.to_string()
        };
        console.out(text)?;
        Ok(EXIT_OK)
    }
}

fn dispatch(console: &Console, command: Command) -> Ran {
    match command {
        Command::Compile {
            spec,
            out,
            settings,
            templates,
            force,
        } => compile(console, &spec, &out, settings, templates, force),
        Command::Check {
            specs,
            settings,
            format,
        } => check(console, &specs, settings, format),
        Command::Plan { spec, settings } => plan(console, &spec, settings),
        Command::Diff {
            old,
            new,
            format,
            brief,
            settings,
        } => diff(console, &old, &new, format, brief, settings),
        Command::Verify { paths, settings } => verify(console, &paths, settings),
        Command::Import {
            source:
                ImportSource::Compose {
                    file,
                    out,
                    name,
                    env_file,
                    force,
                },
        } => import_compose(console, &file, out, name, &env_file, force),
        Command::Explain { rule } => explain(console, rule.as_deref()),
        Command::Schema => {
            console.out(crate::json_schema())?;
            Ok(EXIT_OK)
        }
        Command::Completions { shell } => {
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "cutover", &mut script);
            console.out(script)?;
            Ok(EXIT_OK)
        }
        Command::Man { dir } => man(console, dir.as_deref()),
    }
}

fn options(settings: Settings, templates: Option<PathBuf>) -> Options {
    Options {
        config: settings.config,
        templates,
    }
}

fn compile(
    console: &Console,
    spec: &Path,
    out: &Path,
    settings: Settings,
    templates: Option<PathBuf>,
    force: bool,
) -> Ran {
    let options = options(settings, templates);
    // A killed run's moved-aside bundle goes back first, whatever happens to this run.
    match bundle::recover(out) {
        Ok(notes) => print_recovery(console, &notes)?,
        Err(e) => return console.failure(&e.to_string()),
    }
    let checked = match crate::check_file(spec, &options) {
        Ok(checked) => checked,
        Err(Failure::Io(message)) => return console.failure(&message),
        Err(Failure::Spec(diagnostics)) => return spec_errors(console, &diagnostics),
    };
    if crate::diagnostic::has_errors(&checked.diagnostics) {
        return spec_errors(console, &checked.diagnostics);
    }
    let renderer = match crate::render::Renderer::new(options.templates.as_deref()) {
        Ok(renderer) => renderer,
        Err(e) => return console.failure(&e.to_string()),
    };
    console.diagnostics(&checked.diagnostics)?;
    let warnings = checked.diagnostics.len();
    // Each file goes to the staging folder as it is rendered: the bundle is never held.
    let options = bundle::WriteOptions { force };
    let written = bundle::write_streaming(out, options, |files| {
        crate::compile_owned_into(checked, &renderer, files).map_err(|e| e.to_string())
    });
    match written {
        Err(e) => console.failure(&e.to_string()),
        Ok(written) => {
            print_recovery(console, &written.recovered)?;
            console.summary(&format!(
                "wrote {} ({} files, {} warning{})\n",
                out.display(),
                written.files,
                warnings,
                if warnings == 1 { "" } else { "s" }
            ))?;
            Ok(EXIT_OK)
        }
    }
}

/// The diagnostics of a spec with errors, and the line that says nothing was written.
fn spec_errors(console: &Console, diagnostics: &[Diagnostic]) -> Ran {
    console.diagnostics(diagnostics)?;
    console.err("no bundle written: the spec has errors\n")?;
    Ok(EXIT_SPEC_ERRORS)
}

/// What was done about a killed run's leftovers, on stderr. Under `--quiet` only what needs
/// the user (a folder cutover kept), which nothing else records.
fn print_recovery(console: &Console, notes: &[bundle::Recovery]) -> Result<(), Stop> {
    for note in notes {
        if note.is_warning() {
            console.err(format!("warning: {note}\n"))?;
        } else {
            console.note(&format!("note: {note}\n"))?;
        }
    }
    Ok(())
}

fn check(console: &Console, specs: &[PathBuf], settings: Settings, format: OutputFormat) -> Ran {
    let options = options(settings, None);
    let mut diagnostics: Vec<Diagnostic> = Vec::new();
    let mut unread = 0;
    for spec in specs {
        match crate::check_file(spec, &options) {
            Err(Failure::Io(message)) => {
                console.err(format!("error: {message}\n"))?;
                unread += 1;
            }
            Err(Failure::Spec(d)) => diagnostics.extend(d),
            Ok(checked) => diagnostics.extend(checked.diagnostics),
        }
    }
    if unread == specs.len() {
        return Ok(EXIT_FAILURE);
    }
    let text = match format {
        OutputFormat::Human => console.render(&diagnostics, console.color_out()),
        OutputFormat::Sarif => crate::sarif::render(&diagnostics),
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
            let mut text = serde_json::to_string_pretty(&report).unwrap_or_default();
            text.push('\n');
            text
        }
    };
    console.out(text)?;
    Ok(if unread > 0 {
        EXIT_FAILURE
    } else if diagnostic::has_errors(&diagnostics) {
        EXIT_SPEC_ERRORS
    } else {
        EXIT_OK
    })
}

fn plan(console: &Console, spec: &Path, settings: Settings) -> Ran {
    let options = options(settings, None);
    let checked = match crate::check_file(spec, &options) {
        Err(Failure::Io(message)) => return console.failure(&message),
        Err(Failure::Spec(d)) => {
            console.diagnostics(&d)?;
            return Ok(EXIT_SPEC_ERRORS);
        }
        Ok(checked) => checked,
    };
    console.diagnostics(&checked.diagnostics)?;
    if diagnostic::has_errors(&checked.diagnostics) {
        return Ok(EXIT_SPEC_ERRORS);
    }
    let plan = crate::plan::build(&checked.loaded.spec, &checked.sizing);
    console.out(crate::render::table::render(&plan))?;
    Ok(EXIT_OK)
}

/// Prints a failure to compile one side of a diff or verify; returns the exit code.
fn report_failure(console: &Console, failure: Failure) -> Ran {
    match failure {
        Failure::Io(message) => console.failure(&message),
        Failure::Spec(d) => {
            console.diagnostics(&d)?;
            Ok(EXIT_SPEC_ERRORS)
        }
    }
}

fn diff(
    console: &Console,
    old: &Path,
    new: &Path,
    format: DiffFormat,
    brief: bool,
    settings: Settings,
) -> Ran {
    let options = options(settings, None);
    let (a, b) = match crate::diff::load_sides(old, new, &options) {
        Ok(sides) => sides,
        Err(failure) => return report_failure(console, failure),
    };
    let result = crate::diff::compare_sides(&a, &b);
    let text = match format {
        DiffFormat::Text => crate::diff::render_text(&result, brief),
        DiffFormat::Markdown => crate::diff::render_markdown(&result, brief),
        DiffFormat::Json => {
            let mut text = serde_json::to_string_pretty(&result).unwrap_or_default();
            text.push('\n');
            text
        }
    };
    console.out(text)?;
    Ok(if result.is_empty() {
        EXIT_OK
    } else {
        EXIT_DIFFERENT
    })
}

/// The (spec, bundle directory) pairs `verify` checks: `SPEC DIR` when there are two paths and
/// the second is not a spec by its extension; otherwise every path must be a spec, checked
/// against the folder beside it named like it without the extension.
fn verify_pairs(paths: &[PathBuf]) -> Result<Vec<(PathBuf, PathBuf)>, String> {
    let is_spec = |p: &PathBuf| crate::load::format_of(p).is_ok();
    if let [spec, dir] = paths
        && !is_spec(dir)
    {
        return Ok(vec![(spec.clone(), dir.clone())]);
    }
    if let Some(other) = paths.iter().find(|p| !is_spec(p)) {
        return Err(format!(
            "{} is not a spec (.yaml, .yml or .toml): give one spec and its bundle directory \
             (`cutover verify SPEC DIR`), or specs only, each checked against the folder \
             beside it named like it",
            other.display()
        ));
    }
    Ok(paths
        .iter()
        .map(|spec| (spec.clone(), spec.with_extension("")))
        .collect())
}

/// The exit code of several runs: a failure (2) over a spec's errors (1) over a difference
/// (3) over success.
fn worst(a: i32, b: i32) -> i32 {
    let rank = |code| match code {
        EXIT_FAILURE => 3,
        EXIT_SPEC_ERRORS => 2,
        EXIT_DIFFERENT => 1,
        _ => 0,
    };
    if rank(b) > rank(a) { b } else { a }
}

fn verify(console: &Console, paths: &[PathBuf], settings: Settings) -> Ran {
    let pairs = match verify_pairs(paths) {
        Ok(pairs) => pairs,
        Err(message) => {
            let mut cli = Cli::command();
            cli.build();
            let error = match cli.find_subcommand_mut("verify") {
                Some(verify) => verify.error(clap::error::ErrorKind::ValueValidation, message),
                None => cli.error(clap::error::ErrorKind::ValueValidation, message),
            };
            return clap_error(console, &error);
        }
    };
    let options = options(settings, None);
    let mut code = EXIT_OK;
    for (spec, dir) in &pairs {
        code = worst(code, verify_one(console, spec, dir, &options)?);
    }
    Ok(code)
}

fn verify_one(console: &Console, spec: &Path, dir: &Path, options: &Options) -> Ran {
    // Under --quiet only the exit code is wanted: the compile stops at the first difference.
    let verdict = match crate::diff::verify(spec, dir, options, console.quiet) {
        Ok(verdict) => verdict,
        Err(failure) => return report_failure(console, failure),
    };
    let stale = verdict.stale;
    if stale.is_empty() {
        console.summary(&format!(
            "{} is up to date: {} files, exactly what {} compiles to\n",
            dir.display(),
            verdict.files,
            spec.display()
        ))?;
        return Ok(EXIT_OK);
    }
    if console.quiet {
        return Ok(EXIT_DIFFERENT);
    }
    let mut text = format!(
        "{} is stale: {} files differ from what {} compiles to\n",
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
        text.push_str(&format!("  {path}: {what}\n"));
    }
    text.push_str(&format!(
        "recompile with: cutover compile {} -o {}\n",
        spec.display(),
        dir.display()
    ));
    console.out(text)?;
    Ok(EXIT_DIFFERENT)
}

fn import_compose(
    console: &Console,
    file: &Path,
    out: Option<PathBuf>,
    name: Option<String>,
    env_files: &[PathBuf],
    force: bool,
) -> Ran {
    let text = match crate::load::read_text(file) {
        Ok(text) => text,
        Err(crate::load::LoadError::Io(message)) => return console.failure(&message),
        Err(crate::load::LoadError::Diagnostics(d)) => {
            return report_failure(console, Failure::Spec(d));
        }
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
    let vars = match import_variables(console, file, env_files)? {
        Ok(vars) => vars,
        Err(message) => return console.failure(&message),
    };
    let imported =
        match crate::import::compose_with(&name, &file.display().to_string(), &text, &vars) {
            Ok(imported) => imported,
            Err(d) => return report_failure(console, Failure::Spec(d)),
        };
    console.diagnostics(&imported.warnings)?;
    match out {
        None => {
            console.out(&imported.spec)?;
            Ok(EXIT_OK)
        }
        Some(path) => {
            if path.exists() && !force {
                return console.failure(&format!(
                    "{} exists: choose another file, or pass --force to overwrite it",
                    path.display()
                ));
            }
            match std::fs::write(&path, &imported.spec) {
                Ok(()) => {
                    console.note(&format!(
                        "wrote {}: fill in every TODO, then run `cutover check {}`\n",
                        path.display(),
                        path.display()
                    ))?;
                    Ok(EXIT_OK)
                }
                Err(e) => console.failure(&format!("{}: {e}", path.display())),
            }
        }
    }
}

/// The variables compose would interpolate with: the env files (the `--env-file`s in
/// order, else the `.env` beside the compose file), then the process environment over them.
/// A line an env file cannot hold is skipped with a note.
fn import_variables(
    console: &Console,
    file: &Path,
    env_files: &[PathBuf],
) -> Result<Result<crate::import::Variables, String>, Stop> {
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
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(e) => return Ok(Err(format!("{}: {e}", path.display()))),
        };
        for bad in crate::import::read_env_file(&text, &mut vars) {
            console.note(&format!(
                "{}:{}: skipped: {}\n",
                path.display(),
                bad.line,
                bad.why
            ))?;
        }
    }
    for (name, value) in std::env::vars() {
        vars.set(name, value);
    }
    Ok(Ok(vars))
}

fn explain(console: &Console, rule: Option<&str>) -> Ran {
    let Some(id) = rule else {
        let mut text = String::new();
        let mut area = "";
        for rule in registry::rules() {
            let this_area = rule.id.as_str().split('/').next().unwrap_or("");
            if this_area != area {
                if !area.is_empty() {
                    text.push('\n');
                }
                area = this_area;
            }
            text.push_str(&format!(
                "{:<34} {:<14} {}\n",
                rule.id,
                rule.level.label(),
                rule.summary
            ));
        }
        console.out(text)?;
        return Ok(EXIT_OK);
    };
    match RuleId::find(id) {
        Some(id) => {
            console.out(registry::explain(registry::rule(id)))?;
            Ok(EXIT_OK)
        }
        None => {
            let hint = match diagnostic::did_you_mean(id, RuleId::ALL.iter().map(|r| r.as_str())) {
                Some(near) => format!("; did you mean `{near}`?"),
                None => "; `cutover explain` lists every rule".into(),
            };
            console.failure(&format!("unknown rule `{id}`{hint}"))
        }
    }
}

/// Prints `cutover.1`, or writes it and a page for every command into `dir`.
fn man(console: &Console, dir: Option<&Path>) -> Ran {
    let pages = match man_pages() {
        Ok(pages) => pages,
        Err(e) => return console.failure(&format!("rendering the manual page: {e}")),
    };
    let Some(dir) = dir else {
        let (_, page) = &pages[0];
        console.out(page)?;
        return Ok(EXIT_OK);
    };
    if let Err(e) = std::fs::create_dir_all(dir) {
        return console.failure(&format!("{}: {e}", dir.display()));
    }
    for (name, page) in &pages {
        let path = dir.join(name);
        if let Err(e) = std::fs::write(&path, page) {
            return console.failure(&format!("{}: {e}", path.display()));
        }
    }
    console.summary(&format!(
        "wrote {} manual pages to {}\n",
        pages.len(),
        dir.display()
    ))?;
    Ok(EXIT_OK)
}

/// Every manual page, `cutover.1` first, with its file name: one per command and
/// subcommand (`cutover-import-compose.1`), rendered by clap_mangen from the same definitions
/// as `--help`. The top page adds EXIT STATUS and ENVIRONMENT.
fn man_pages() -> io::Result<Vec<(String, Vec<u8>)>> {
    use clap_mangen::roff::{Roff, bold, roman};

    fn render(cmd: clap::Command, top: bool, pages: &mut Vec<(String, Vec<u8>)>) -> io::Result<()> {
        let name = cmd
            .get_display_name()
            .unwrap_or_else(|| cmd.get_name())
            .to_string();
        let man = clap_mangen::Man::new(cmd.clone())
            .title(name.to_uppercase())
            .date(MANUAL_DATE)
            .source(concat!("cutover ", env!("CARGO_PKG_VERSION")))
            .manual("cutover manual");
        let mut page = Vec::new();
        man.render_title(&mut page)?;
        man.render_name_section(&mut page)?;
        man.render_synopsis_section(&mut page)?;
        man.render_description_section(&mut page)?;
        man.render_options_section(&mut page)?;
        let subcommands: Vec<clap::Command> = cmd
            .get_subcommands()
            .filter(|s| !s.is_hide_set())
            .cloned()
            .collect();
        if !subcommands.is_empty() {
            man.render_subcommands_section(&mut page)?;
        }
        if top {
            let mut roff = Roff::new();
            for (heading, entries) in [("EXIT STATUS", EXIT_STATUSES), ("ENVIRONMENT", ENVIRONMENT)]
            {
                roff.control("SH", [heading]);
                for (term, meaning) in entries {
                    roff.control("TP", []);
                    roff.text([bold(*term)]);
                    roff.text([roman(*meaning)]);
                }
            }
            roff.to_writer(&mut page)?;
        }
        if cmd.get_version().is_some() {
            man.render_version_section(&mut page)?;
        }
        pages.push((format!("{name}.1"), page));
        for sub in subcommands {
            render(sub, false, pages)?;
        }
        Ok(())
    }

    let mut cmd = Cli::command().disable_help_subcommand(true);
    cmd.build();
    let mut pages = Vec::new();
    render(cmd, true, &mut pages)?;
    Ok(pages)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<OsString> {
        list.iter().map(OsString::from).collect()
    }

    #[test]
    fn the_color_flag_is_read_before_parsing() {
        assert_eq!(
            color_in(&args(&["cutover", "check", "x"])),
            ColorChoice::Auto
        );
        assert_eq!(
            color_in(&args(&["cutover", "--color", "never", "check"])),
            ColorChoice::Never
        );
        assert_eq!(
            color_in(&args(&[
                "cutover",
                "check",
                "--color=always",
                "--color=never"
            ])),
            ColorChoice::Never,
            "the last one wins, as clap reads it"
        );
        assert_eq!(
            color_in(&args(&["cutover", "check", "--", "--color=never"])),
            ColorChoice::Auto,
            "after --, an argument"
        );
        assert_eq!(
            color_in(&args(&["cutover", "--color=sometimes"])),
            ColorChoice::Auto,
            "clap reports the bad value"
        );
    }

    #[test]
    fn verify_takes_a_spec_and_its_folder_or_specs_alone() {
        let p = |s: &str| PathBuf::from(s);
        assert_eq!(
            verify_pairs(&[p("a.yaml"), p("out/a")]).unwrap(),
            [(p("a.yaml"), p("out/a"))]
        );
        assert_eq!(
            verify_pairs(&[p("m/a.yaml"), p("m/b.toml"), p("m/c.yml")]).unwrap(),
            [
                (p("m/a.yaml"), p("m/a")),
                (p("m/b.toml"), p("m/b")),
                (p("m/c.yml"), p("m/c"))
            ]
        );
        assert_eq!(
            verify_pairs(&[p("m/a.yaml")]).unwrap(),
            [(p("m/a.yaml"), p("m/a"))]
        );
        let error = verify_pairs(&[p("a.yaml"), p("b.yaml"), p("out")]).unwrap_err();
        assert!(error.starts_with("out is not a spec"), "{error}");
        assert!(verify_pairs(&[p("out")]).is_err());
    }

    #[test]
    fn several_runs_exit_with_the_most_serious_code() {
        assert_eq!(worst(EXIT_OK, EXIT_DIFFERENT), EXIT_DIFFERENT);
        assert_eq!(worst(EXIT_DIFFERENT, EXIT_SPEC_ERRORS), EXIT_SPEC_ERRORS);
        assert_eq!(worst(EXIT_FAILURE, EXIT_SPEC_ERRORS), EXIT_FAILURE);
        assert_eq!(worst(EXIT_SPEC_ERRORS, EXIT_OK), EXIT_SPEC_ERRORS);
    }

    #[test]
    fn there_is_a_manual_page_for_every_command() {
        let pages = man_pages().unwrap();
        let names: Vec<&str> = pages.iter().map(|(name, _)| name.as_str()).collect();
        assert_eq!(
            names,
            [
                "cutover.1",
                "cutover-compile.1",
                "cutover-check.1",
                "cutover-plan.1",
                "cutover-diff.1",
                "cutover-verify.1",
                "cutover-import.1",
                "cutover-import-compose.1",
                "cutover-explain.1",
                "cutover-schema.1",
                "cutover-completions.1",
                "cutover-man.1",
            ]
        );
    }
}
