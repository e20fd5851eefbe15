//! `cutover import compose FILE`: a starting spec from a Docker Swarm stack or compose file.
//!
//! The compose file is read as `docker compose` reads it: YAML merge keys resolved, then
//! every scalar value interpolated ([`interpolate`]) from the environment and env files.
//! Services, images, ports (published, exposed, UDP), replicas, `deploy.resources`,
//! healthchecks with their timings, volumes, environment, secrets, configs, one-shot
//! services and `depends_on` map onto the spec. Everything else (global mode, placement,
//! commands, bind mounts, ...) has no equivalent: it becomes a comment beside the service in
//! the generated spec *and* a warning (check::import::unsupported, bind_mount,
//! swarm_template, interpolation) pointing at the compose file. Nothing is dropped silently.
//!
//! Nothing secret is copied either: a secret-named variable or a credential-shaped value
//! becomes a key of a declared spec Secret that the service's `env` references; a secret
//! variable of the environment is never substituted; a comment that would quote a secret
//! says so without the value; each is a secret warning (check::import::secret).
//!
//! Every value the import guesses or cannot know holds the token `TODO` (a `:TODO` image
//! tag, a `TODO` port, address or quantity, a `….TODO.example.com` host), which
//! `check::import::placeholder` refuses until it is replaced.

mod env_file;
mod health;
pub mod interpolate;
mod ports;
mod secrets;
mod security;
mod tree;
mod units;
mod volumes;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

pub use env_file::{BadLine, read_into as read_env_file};
pub use interpolate::Variables;

use crate::check::credential::{find_credential, is_reference, is_written_secret};
use crate::diagnostic::{Diagnostic, Format, Severity, SourceFile, Span};
use crate::load::node::{Entry, Node, NodeKind, ScalarKind};
use crate::model::Protocol;
use crate::render::yaml::string as quote;
use crate::rules::RuleId;

use ports::ComposePort;
use tree::{entries, items, label, renamed, summarize, text, text_at};

/// The token every placeholder of the generated spec holds.
pub use crate::model::placeholder::TOKEN as PLACEHOLDER;
use crate::model::placeholder::holds_placeholder;

/// The generated spec, and a warning for everything it could not map.
pub struct Imported {
    pub spec: String,
    pub warnings: Vec<Diagnostic>,
}

/// A Secret the generated spec declares: its keys and what the comment beside it says.
#[derive(Default)]
struct SecretDecl {
    keys: BTreeSet<String>,
    comments: Vec<String>,
}

/// A config the generated spec declares: its files (relative to the spec) and comments.
#[derive(Default)]
struct ConfigDecl {
    files: Vec<String>,
    comments: Vec<String>,
}

/// A storage entry the generated spec declares.
struct StorageDecl {
    nas: bool,
    comments: Vec<String>,
}

struct Importer<'a> {
    source: &'a Arc<SourceFile>,
    warnings: Vec<Diagnostic>,
    /// The secret values of the compose file's environments and of the variables, so that
    /// a comment quoting one elsewhere (a healthcheck command, a `command:`) leaves it out.
    secrets: Vec<String>,
    /// Nodes whose text keeps a `${NAME}` reference to a secret variable (not substituted).
    withheld: BTreeSet<u32>,
    spec_secrets: BTreeMap<String, SecretDecl>,
    spec_configs: BTreeMap<String, ConfigDecl>,
    storage: BTreeMap<String, StorageDecl>,
    /// Compose service names the spec had to rename (`nc_db` -> `nc-db`): a variable that
    /// names one as a host is rewritten to the new name.
    renamed_services: BTreeMap<String, String>,
}

/// A comment's text in place of a value that holds a secret.
const NOT_COPIED: &str = "(not copied: it holds a secret)";

impl Importer<'_> {
    fn warn(&mut self, rule: RuleId, span: Span, path: &str, message: String) -> &mut Diagnostic {
        self.warnings.push(
            Diagnostic::new(rule, Severity::Warning, self.source, message)
                .label(span, "here")
                .path(path.to_string()),
        );
        let last = self.warnings.len() - 1;
        &mut self.warnings[last]
    }

    /// A node as a comment may quote it: its summary, or a note that it holds a secret.
    fn quotable(&mut self, node: &Node, path: &str) -> String {
        if self.node_leaks(node) {
            self.secret(
                node.span,
                path,
                "its value is left out of the comment the spec keeps",
            );
            NOT_COPIED.to_string()
        } else {
            summarize(node)
        }
    }

    /// Records a compose feature with no spec equivalent: a warning and a comment line.
    fn unsupported(&mut self, node: &Node, path: &str, why: &str, comments: &mut Vec<String>) {
        let summary = self.quotable(node, path);
        comments.push(format!("# compose `{path}: {summary}`: {why}"));
        self.warnings.push(
            Diagnostic::new(RuleId::ImportUnsupported, Severity::Warning, self.source, format!("`{path}` has no equivalent in the spec: {why}"))
                .label(node.span, "not carried over")
                .path(path.to_string())
                .help("the generated spec keeps it as a comment beside the service; decide what the new cluster needs"),
        );
    }

    /// Records a secret the generated spec does not copy.
    fn secret(&mut self, span: Span, path: &str, what: &str) {
        self.warnings.push(
            Diagnostic::new(
                RuleId::ImportSecret,
                Severity::Warning,
                self.source,
                format!("`{path}` holds a secret: {what}"),
            )
            .label(span, "a secret: not copied into the spec")
            .path(path.to_string())
            .help("the deploy runbook creates the Secret from values the operator provides (rotate the secret if this file is in git); the spec only names it"),
        );
    }

    /// Whether a text holds a credential, or one of the compose file's secret values.
    fn leaks(&self, text: &str) -> bool {
        find_credential(text).is_some() || self.secrets.iter().any(|s| text.contains(s.as_str()))
    }

    /// Whether a node holds a secret anywhere: a leaking scalar or key, or a secret-named
    /// key with a written value.
    fn node_leaks(&self, node: &Node) -> bool {
        match &node.kind {
            NodeKind::Scalar { text, .. } => self.leaks(text),
            NodeKind::Seq(items) => {
                items.iter().any(|item| self.node_leaks(item))
                    || items
                        .windows(2)
                        .any(|pair| match (text(&pair[0]), text(&pair[1])) {
                            (Some(option), Some(value)) => is_secret_argument(option, value),
                            _ => false,
                        })
            }
            NodeKind::Map(entries) => entries.iter().any(|e| {
                self.leaks(&e.key)
                    || text(&e.value).is_some_and(|v| is_written_secret(&e.key, v))
                    || self.node_leaks(&e.value)
            }),
        }
    }
}

/// Whether two items of a command hold a secret together: a secret-named option and its
/// value (`["--db-password", "hunter2"]`), or curl's `-u user:password`.
fn is_secret_argument(option: &str, value: &str) -> bool {
    if !option.starts_with('-') || value.starts_with('-') {
        return false;
    }
    if option == "-u" || option == "--user" {
        return value
            .split_once(':')
            .is_some_and(|(_, password)| !password.is_empty() && !is_reference(password));
    }
    find_credential(&format!("{option} {value}")).is_some()
}

// --- interpolation and Swarm templates, before anything is read --------------------------

/// Interpolates every scalar value of the file and replaces Swarm templates by `TODO`,
/// warning about what it could not know. Keys are not interpolated (compose does not); the
/// `x-` blocks are skipped (their anchors were merged where they are used).
fn prepare(importer: &mut Importer, vars: &Variables, node: &Node, path: &str) -> Node {
    let kind = match &node.kind {
        NodeKind::Scalar { text, kind } => {
            let mut out = text.clone();
            let mut kind = *kind;
            if text.contains('$') {
                let result = interpolate::interpolate(text, vars);
                report_interpolation(importer, vars, node, path, &result);
                if !result.withheld.is_empty() {
                    importer.withheld.insert(node.id);
                }
                if result.text != *text {
                    kind = ScalarKind::Str;
                }
                out = result.text;
                // The token must stand as a word for the check to see it (`${A:?}_x`).
                if !result.required.is_empty() && !holds_placeholder(&out) {
                    out = PLACEHOLDER.to_string();
                }
            }
            if let Some(replaced) = without_templates(importer, node, path, &out) {
                out = if holds_placeholder(&replaced) {
                    replaced
                } else {
                    PLACEHOLDER.to_string()
                };
                kind = ScalarKind::Str;
            }
            NodeKind::Scalar { text: out, kind }
        }
        NodeKind::Seq(items) => NodeKind::Seq(
            items
                .iter()
                .enumerate()
                .map(|(i, item)| prepare(importer, vars, item, &format!("{path}[{i}]")))
                .collect(),
        ),
        NodeKind::Map(entries) => NodeKind::Map(
            entries
                .iter()
                .filter(|e| !(path.is_empty() && e.key.starts_with("x-")))
                .map(|e| Entry {
                    key: e.key.clone(),
                    key_span: e.key_span,
                    value: prepare(
                        importer,
                        vars,
                        &e.value,
                        &if path.is_empty() {
                            e.key.clone()
                        } else {
                            format!("{path}.{}", e.key)
                        },
                    ),
                })
                .collect(),
        ),
    };
    Node {
        id: node.id,
        span: node.span,
        kind,
    }
}

fn report_interpolation(
    importer: &mut Importer,
    vars: &Variables,
    node: &Node,
    path: &str,
    result: &interpolate::Interpolated,
) {
    for name in &result.unset {
        importer
            .warn(
                RuleId::ImportInterpolation,
                node.span,
                path,
                format!("`{path}` reads `${name}`, which is unset: it becomes an empty string, as compose makes it"),
            )
            .help = format!("set `{name}` in the environment or in an `--env-file`, or give it a default (`${{{name}:-value}}`), and import again");
    }
    for (name, message) in &result.required {
        let message = if importer.leaks(message) {
            NOT_COPIED.to_string()
        } else {
            tree::summarize_text(message)
        };
        importer
            .warn(
                RuleId::ImportInterpolation,
                node.span,
                path,
                format!("`{path}` requires `{name}` ({message}), which is unset: the spec holds `{PLACEHOLDER}` in its place"),
            )
            .help = format!("set `{name}` in the environment or in an `--env-file` and import again, or replace the `{PLACEHOLDER}`");
    }
    if result.malformed {
        importer
            .warn(
                RuleId::ImportInterpolation,
                node.span,
                path,
                format!("`{path}` holds a `${{` that is not closed (or nested too deep): compose refuses it, the spec holds `{PLACEHOLDER}` in its place"),
            )
            .help = "close the `${`, or write `$$` for a literal `$`, and import again".to_string();
    }
    for name in result.withheld.iter().filter(|n| vars.get(n).is_some()) {
        importer.secret(
            node.span,
            path,
            &format!("it reads the secret variable `{name}`, whose value is not substituted: the spec reads the value from a Secret, or keeps `${{{name}}}`"),
        );
    }
}

/// The text with each Swarm template (`{{.Node.ID}}`) replaced by `TODO`, when it has one.
fn without_templates(
    importer: &mut Importer,
    node: &Node,
    path: &str,
    text: &str,
) -> Option<String> {
    let start = text.find("{{")?;
    text[start..].find("}}")?;
    let mut out = String::new();
    let mut rest = text;
    let mut found = Vec::new();
    while let Some(open) = rest.find("{{") {
        let Some(close) = rest[open..].find("}}") else {
            break;
        };
        out.push_str(&rest[..open]);
        out.push_str(PLACEHOLDER);
        found.push(rest[open..open + close + 2].to_string());
        rest = &rest[open + close + 2..];
    }
    out.push_str(rest);
    for template in found {
        let quoted = tree::summarize_text(&template);
        importer
            .warn(
                RuleId::ImportSwarmTemplate,
                node.span,
                path,
                format!("`{path}` holds the Swarm template `{quoted}`: Kubernetes does not expand it, the spec holds `{PLACEHOLDER}` in its place"),
            )
            .help = template_help(&template).to_string();
    }
    Some(out)
}

/// What stands in for a Swarm template on Kubernetes.
fn template_help(template: &str) -> &'static str {
    let compact: String = template.chars().filter(|c| !c.is_whitespace()).collect();
    if compact.contains(".Node.") {
        "a pod's node is the downward API's `spec.nodeName`; replace the TODO with the value the service needs"
    } else if compact.contains(".Task.Slot") {
        "a task slot is a StatefulSet pod's ordinal (its name ends in it); replace the TODO with the value the service needs"
    } else if compact.contains(".Task.") {
        "a task's name is the pod's name, the downward API's `metadata.name`; replace the TODO with the value the service needs"
    } else if compact.contains(".Service.") {
        "the service's name is the spec service's `name`; write it in place of the TODO"
    } else {
        "replace the TODO with the value the service needs"
    }
}

// --- the services ---------------------------------------------------------------------------

/// A service's spec entry while it is written: its lines, the comments beside it, and the
/// compose name its paths start from.
struct Draft<'a> {
    raw_name: &'a str,
    name: String,
    lines: Vec<String>,
    comments: Vec<String>,
}

impl Draft<'_> {
    /// The compose path of one of the service's keys.
    fn at(&self, key: &str) -> String {
        format!("services.{}.{key}", self.raw_name)
    }
}

struct Service {
    name: String,
    lines: Vec<String>,
    comments: Vec<String>,
    routed: bool,
}

/// What every service's import may look at: the stack's name, its services' names, the
/// one-shot ones, and the top-level secrets and configs.
struct Stack<'a> {
    name: String,
    services: Vec<String>,
    one_shot: BTreeSet<String>,
    compose_secrets: &'a [Entry],
    compose_configs: &'a [Entry],
}

/// Converts a compose file's text into a starting spec, without variables: every `${VAR}`
/// is unset.
pub fn compose(name: &str, file_name: &str, text: &str) -> Result<Imported, Vec<Diagnostic>> {
    compose_with(name, file_name, text, &Variables::new())
}

/// Converts a compose file's text into a starting spec, interpolating `vars`.
pub fn compose_with(
    name: &str,
    file_name: &str,
    text: &str,
    vars: &Variables,
) -> Result<Imported, Vec<Diagnostic>> {
    let source = SourceFile::new(file_name, text, Format::Yaml);
    let loaded = crate::load::parse_yaml_tree(&source);
    let merged = tree::resolve_merges(&loaded?);
    let mut importer = Importer {
        source: &source,
        warnings: Vec::new(),
        secrets: vars.secret_values(),
        withheld: BTreeSet::new(),
        spec_secrets: BTreeMap::new(),
        spec_configs: BTreeMap::new(),
        storage: BTreeMap::new(),
        renamed_services: BTreeMap::new(),
    };
    let root = prepare(&mut importer, vars, &merged, "");
    let Some(services) = root.get("services") else {
        return Err(vec![Diagnostic::new(RuleId::SpecMissingField, Severity::Error, &source, "the compose file has no `services`")
            .label(Span::new(0, 0), "here")
            .help("point `cutover import compose` at a compose or stack file with a `services:` section")]);
    };
    importer.renamed_services = entries(services)
        .iter()
        .map(|e| (e.key.clone(), label(&e.key)))
        .filter(|(compose, spec)| compose != spec)
        .collect();
    importer.secrets.extend(secrets::secret_values(services));
    importer.secrets.retain(|s| s.chars().count() >= 4);
    importer.secrets.sort();
    importer.secrets.dedup();
    let stack = Stack {
        name: label(name),
        services: entries(services).iter().map(|e| label(&e.key)).collect(),
        one_shot: one_shot_services(services),
        compose_secrets: root.get("secrets").map(entries).unwrap_or(&[]),
        compose_configs: root.get("configs").map(entries).unwrap_or(&[]),
    };
    let mut imported: Vec<Service> = Vec::new();
    for entry in entries(services) {
        imported.push(import_service(
            &mut importer,
            &stack,
            &entry.key,
            &entry.value,
        ));
    }
    let mut top_comments = Vec::new();
    secrets::note_top_level(&mut importer, &stack, &mut top_comments);
    for entry in entries(&root) {
        match entry.key.as_str() {
            "services" | "version" | "name" | "secrets" | "configs" => {}
            "volumes" => volumes::note_top_level(&mut importer, &entry.value, &mut top_comments),
            "networks" => {
                let summary = importer.quotable(&entry.value, "networks");
                top_comments.push(format!(
                    "# compose `networks: {summary}`: the new cluster's network is `target.network`"
                ));
            }
            key => importer.unsupported(
                &entry.value,
                key,
                "this top-level setting has no equivalent in the spec",
                &mut top_comments,
            ),
        }
    }
    for entry in entries(&merged) {
        if entry.key.starts_with("x-") {
            let key = if importer.leaks(&entry.key) {
                importer.secret(
                    entry.key_span,
                    &entry.key,
                    "the key is left out of the comment the spec keeps",
                );
                "x-…"
            } else {
                entry.key.as_str()
            };
            top_comments.push(format!("# compose extension `{key}` was used by anchors in the file; it is not part of the spec"));
        }
    }
    let spec = write_spec(&importer, &stack.name, file_name, &imported, &top_comments);
    let spec = without_credentials(&mut importer, &spec);
    Ok(Imported {
        spec,
        warnings: importer.warnings,
    })
}

/// Services that run once to completion: `restart: "no"`, `deploy.restart_policy.condition:
/// none`, and a service another waits for with `service_completed_successfully` unless it
/// restarts always (compose's own default is not to restart).
fn one_shot_services(services: &Node) -> BTreeSet<String> {
    let awaited: BTreeSet<&str> = entries(services)
        .iter()
        .filter_map(|s| s.value.get("depends_on"))
        .flat_map(entries)
        .filter(|d| text_at(&d.value, "condition") == Some("service_completed_successfully"))
        .map(|d| d.key.as_str())
        .collect();
    entries(services)
        .iter()
        .filter(|s| {
            let restart = text_at(&s.value, "restart");
            let condition = s
                .value
                .get("deploy")
                .and_then(|d| d.get("restart_policy"))
                .and_then(|p| text_at(p, "condition"));
            let restarts_always =
                matches!(restart, Some("always" | "unless-stopped")) || condition == Some("any");
            restart == Some("no")
                || restart == Some("false")
                || condition == Some("none")
                || (awaited.contains(s.key.as_str()) && !restarts_always)
        })
        .map(|s| label(&s.key))
        .collect()
}

/// The last guard: a line of the generated spec that still looks like it holds a credential
/// (a value the mapping above copied without recognizing it) is left out.
fn without_credentials(importer: &mut Importer, spec: &str) -> String {
    let mut out = String::with_capacity(spec.len());
    for line in spec.lines() {
        if scanned_parts(line)
            .iter()
            .any(|part| find_credential(part).is_some())
        {
            importer.secret(
                Span::new(0, 0),
                "(generated spec)",
                "a generated line that would have quoted it is left out",
            );
            out.push_str("# (a line was left out here: it held a secret)\n");
        } else {
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

/// The parts of a generated line the guard scans. A reference the import wrote (`NAME: {
/// secret: S, key: K }`, a file mount, a Secret's `keys`) names a Secret and its keys, never a
/// value, and would otherwise read as a written secret (`PASSWORD: {`): only its names are
/// scanned, one by one.
fn scanned_parts(line: &str) -> Vec<String> {
    let trimmed = line.trim();
    let names = |list: &str| -> Vec<String> {
        list.split(", ")
            .map(|part| {
                let value = part.split_once(": ").map_or(part, |(_, v)| v);
                value.trim_matches('"').to_string()
            })
            .collect()
    };
    if let Some((name, rest)) = trimmed.split_once(": { secret: ")
        && let Some(inner) = rest.strip_suffix(" }")
    {
        let mut parts = names(inner);
        parts.push(name.trim_matches('"').to_string());
        return parts;
    }
    if let Some(rest) = trimmed.strip_prefix("- { secret: ")
        && let Some(inner) = rest.strip_suffix(" }")
    {
        return names(inner);
    }
    if let Some(rest) = trimmed.strip_prefix("keys: [")
        && let Some(inner) = rest.strip_suffix(']')
    {
        return names(inner);
    }
    vec![line.to_string()]
}

/// Maps one compose service, key group by key group, in the order the spec lists them.
fn import_service(importer: &mut Importer, stack: &Stack, raw_name: &str, node: &Node) -> Service {
    let name = label(raw_name);
    let one_shot = stack.one_shot.contains(&name);
    let mut draft = Draft {
        raw_name,
        lines: vec![format!("  - name: {}", quote(&name))],
        name,
        comments: Vec::new(),
    };
    if let Some(comment) = renamed("service", raw_name, &draft.name) {
        draft.lines[0].push_str(&format!("   # {comment}"));
    }
    write_image(importer, &mut draft, &stack.name, node);
    let replicas = write_replicas(importer, &mut draft, node, one_shot);
    let probe = health::read(importer, &draft, node);
    let routed = write_ports(importer, &mut draft, node, probe.url_port, one_shot);
    if one_shot {
        draft.lines.push(
            "    oneShot: true   # runs to completion (a Job); its dependants start after it"
                .into(),
        );
    }
    write_resources(&mut draft, node);
    if !one_shot {
        health::write(&mut draft, &probe, routed.main_port, routed.udp);
    } else if probe.declared {
        draft.comments.push(
            "# compose `healthcheck`: a one-shot Job has no probes; it is done when it exits 0"
                .into(),
        );
    }
    if let Some(published) = routed.legacy_port {
        write_routes(&mut draft, &stack.name);
        draft.lines.push(format!(
            "    legacy: {{ port: {published} }}   # the Swarm publishes it on this port of the old entrypoint"
        ));
    }
    write_depends_on(&mut draft, node, &stack.services);
    let tmpfs = volumes::write(importer, &mut draft, node, replicas);
    secrets::write_env(importer, &mut draft, node);
    secrets::write_files(importer, &mut draft, node, stack);
    security::write(importer, &mut draft, node, tmpfs);
    note_other_keys(importer, &mut draft, node, one_shot);
    Service {
        name: draft.name,
        lines: draft.lines,
        comments: draft.comments,
        routed: routed.legacy_port.is_some(),
    }
}

/// `image`, or a placeholder when compose builds it or the reference holds a credential.
fn write_image(importer: &mut Importer, draft: &mut Draft, stack: &str, node: &Node) {
    let image = node.get("image");
    // An image reference is public: only a credential in it (registry userinfo, a token)
    // leaks. Matching the file's secret values here would drop `postgres:9.4` whenever the
    // stack's password is `postgres`, as the Docker voting-app sample's is.
    let image_leaks = image
        .and_then(text)
        .is_some_and(|i| find_credential(i).is_some() || i.contains("${"));
    if let Some(image) = image.filter(|_| image_leaks) {
        importer.secret(
            image.span,
            &draft.at("image"),
            "the spec gets a placeholder image instead",
        );
    }
    match image
        .and_then(text)
        .filter(|i| !image_leaks && !i.trim().is_empty())
    {
        Some(image) if !has_tag_or_digest(image) => draft.lines.push(format!(
            "    image: {}   # TODO: compose names no tag (it runs `latest`): pin the version it runs",
            quote(&format!("{}:{PLACEHOLDER}", image.trim()))
        )),
        Some(image) => draft.lines.push(format!("    image: {}", quote(image))),
        None => {
            draft.lines.push(format!(
                "    image: {}   # TODO: the image this service's build produces, with its tag",
                quote(&format!(
                    "registry.example.com/{stack}/{}:{PLACEHOLDER}",
                    draft.name
                ))
            ));
            if let Some(build) = node.get("build") {
                importer.unsupported(build, &draft.at("build"), "cutover moves images, it does not build them: push the built image and name it in `image`", &mut draft.comments);
            }
        }
    }
}

/// Whether an image reference names its version: a tag after the last `/`, or a digest.
fn has_tag_or_digest(image: &str) -> bool {
    let last = image.trim().rsplit('/').next().unwrap_or(image);
    image.contains('@') || last.contains(':')
}

/// `deploy.replicas` (3 for global mode; 1 for a one-shot service); the count it writes.
fn write_replicas(importer: &mut Importer, draft: &mut Draft, node: &Node, one_shot: bool) -> u32 {
    let deploy = node.get("deploy");
    let mut replicas = deploy
        .and_then(|d| d.get("replicas"))
        .and_then(text)
        .and_then(|r| r.parse::<u32>().ok())
        .unwrap_or(1);
    if let Some(mode) = deploy.and_then(|d| d.get("mode"))
        && text(mode) == Some("global")
    {
        importer.unsupported(mode, &draft.at("deploy.mode"), "global mode (one task per node) has no equivalent; the service gets 3 replicas spread over zones and nodes", &mut draft.comments);
        replicas = 3;
    }
    if one_shot {
        replicas = 1;
    }
    draft.lines.push(format!("    replicas: {replicas}"));
    replicas
}

/// What [`write_ports`] decided: the main port, whether it is UDP, and the published port
/// of a routed service (its legacy backend's port).
struct PortsWritten {
    main_port: Option<u16>,
    udp: bool,
    legacy_port: Option<u16>,
}

/// Every port of `ports` and `expose`: the main one (the first HTTP-looking published port,
/// else the first published, else the first exposed) as `port`, `protocol` and `publish`;
/// the others as named `ports`. An HTTP main port that compose publishes gets a route.
fn write_ports(
    importer: &mut Importer,
    draft: &mut Draft,
    node: &Node,
    health_port: Option<u16>,
    one_shot: bool,
) -> PortsWritten {
    let mut all: Vec<ComposePort> = Vec::new();
    for (key, read) in [
        (
            "ports",
            ports::published as fn(&Node) -> Result<Vec<ComposePort>, String>,
        ),
        ("expose", ports::exposed),
    ] {
        for (i, entry) in node.get(key).map(items).unwrap_or(&[]).iter().enumerate() {
            match read(entry) {
                Ok(found) => {
                    for port in found {
                        match all
                            .iter_mut()
                            .find(|p| p.target == port.target && p.protocol == port.protocol)
                        {
                            // `expose` repeats a published port: the published one counts.
                            Some(known) if known.published.is_none() => *known = port,
                            Some(_) => {}
                            None => all.push(port),
                        }
                    }
                }
                Err(why) => importer.unsupported(
                    entry,
                    &format!("{}[{i}]", draft.at(key)),
                    &format!("{why}: the port is not carried over"),
                    &mut draft.comments,
                ),
            }
        }
    }
    // The healthcheck fetches a URL on a port compose does not declare: the service
    // listens on it all the same.
    if let Some(port) = health_port
        && !all
            .iter()
            .any(|p| p.target == port && p.protocol == Protocol::Tcp)
    {
        all.push(ComposePort {
            target: port,
            published: None,
            host_ip: None,
            protocol: Protocol::Tcp,
            name: None,
            app_protocol: None,
        });
    }
    if let Some(port) = all.iter().find(|p| p.host_ip.is_some()) {
        draft.comments.push(format!(
            "# compose publishes port {} on the host address {} only: the new Service listens on every address of its load balancer",
            port.target,
            port.host_ip.as_deref().map(tree::summarize_text).unwrap_or_default()
        ));
    }
    let http = |p: &ComposePort| ports::is_http(p, health_port);
    let main_index = all
        .iter()
        .position(|p| p.published.is_some() && http(p))
        .or_else(|| all.iter().position(|p| p.published.is_some()))
        .or_else(|| (!all.is_empty()).then_some(0));
    let Some(main_index) = main_index else {
        draft.lines.push(if one_shot {
            "    port: 8080   # a one-shot Job listens on no port; the spec asks for one all the same".into()
        } else {
            format!("    port: {PLACEHOLDER}   # the port the service listens on (compose declares none)")
        });
        return PortsWritten {
            main_port: None,
            udp: false,
            legacy_port: None,
        };
    };
    let main = all.remove(main_index);
    draft.lines.push(format!("    port: {}", main.target));
    let udp = main.protocol == Protocol::Udp;
    if udp {
        draft.lines.push("    protocol: udp".into());
    }
    let main_http = http(&main);
    let mut legacy_port = None;
    if let Some(published) = main.published.filter(|_| !one_shot) {
        if main_http {
            legacy_port = Some(published);
        } else {
            draft.lines.push(format!(
                "    publish: {}   # not HTTP: an intranet load balancer; `address: internet` for clients outside the VPC",
                publish(&main)
            ));
        }
    }
    if !one_shot && !all.is_empty() {
        let mut names: Vec<String> = Vec::new();
        draft.lines.push("    ports:".into());
        for port in &all {
            let name = ports::port_name(port, http(port), &names);
            let mut line = format!("      - {{ name: {}, port: {}", quote(&name), port.target);
            if port.protocol == Protocol::Udp {
                line.push_str(", protocol: udp");
            }
            if port.published.is_some() {
                line.push_str(&format!(", publish: {}", publish(port)));
            }
            line.push_str(" }");
            if port.published.is_none() {
                line.push_str("   # exposed inside the cluster only");
            }
            draft.lines.push(line);
            names.push(name);
        }
    }
    PortsWritten {
        main_port: Some(main.target),
        udp,
        legacy_port,
    }
}

/// A published port as the spec's `publish`: a load balancer on the port the Swarm
/// published it on.
fn publish(port: &ComposePort) -> String {
    match port.published {
        Some(published) if published != port.target => {
            format!("{{ via: load-balancer, port: {published} }}")
        }
        _ => "{ via: load-balancer }".into(),
    }
}

/// `deploy.resources` as requests and limits, each missing one from its counterpart; `TODO`
/// where compose gives neither.
fn write_resources(draft: &mut Draft, node: &Node) {
    let resources = node.get("deploy").and_then(|d| d.get("resources"));
    let get = |kind: &str, field: &str| {
        resources
            .and_then(|r| r.get(kind))
            .and_then(|k| k.get(field))
            .and_then(text)
    };
    let limit_cpu = get("limits", "cpus").and_then(units::cpus);
    let limit_mem = get("limits", "memory").and_then(units::memory);
    let request_cpu = get("reservations", "cpus").and_then(units::cpus);
    let request_mem = get("reservations", "memory").and_then(units::memory);
    let unknown = limit_cpu.is_none() && request_cpu.is_none()
        || limit_mem.is_none() && request_mem.is_none();
    let placeholder = || PLACEHOLDER.to_string();
    let request_cpu = request_cpu
        .or(limit_cpu.clone())
        .unwrap_or_else(placeholder);
    let request_mem = request_mem
        .or(limit_mem.clone())
        .unwrap_or_else(placeholder);
    let limit_cpu = limit_cpu.unwrap_or_else(|| request_cpu.clone());
    let limit_mem = limit_mem.unwrap_or_else(|| request_mem.clone());
    draft.lines.push(format!(
        "    resources:{}",
        if unknown {
            "   # TODO: compose gives no reservations or limits for these (e.g. cpu: 250m, memory: 256Mi)"
        } else {
            ""
        }
    ));
    let value = |v: &str| {
        if v == PLACEHOLDER {
            v.to_string()
        } else {
            quote(v)
        }
    };
    draft.lines.push(format!(
        "      requests: {{ cpu: {}, memory: {} }}",
        value(&request_cpu),
        value(&request_mem)
    ));
    draft.lines.push(format!(
        "      limits: {{ cpu: {}, memory: {} }}",
        value(&limit_cpu),
        value(&limit_mem)
    ));
}

/// A placeholder route for a service that publishes an HTTP port.
fn write_routes(draft: &mut Draft, stack: &str) {
    draft.lines.push("    routes:".into());
    draft.lines.push(format!(
        "      - {{ host: {}, path: / }}   # TODO: the host and path clients use",
        quote(&format!("{}.{stack}.{PLACEHOLDER}.example.com", draft.name))
    ));
}

/// `depends_on` (list or map form), keeping only the file's other services. Every
/// condition waits: `service_started` and `service_healthy` for the dependency's readiness,
/// `service_completed_successfully` for a one-shot service's completion.
fn write_depends_on(draft: &mut Draft, node: &Node, names: &[String]) {
    let Some(depends) = node.get("depends_on") else {
        return;
    };
    let deps: Vec<String> = match &depends.kind {
        NodeKind::Seq(items) => items.iter().filter_map(text).map(label).collect(),
        NodeKind::Map(entries) => entries.iter().map(|e| label(&e.key)).collect(),
        NodeKind::Scalar { .. } => Vec::new(),
    };
    let mut kept: Vec<String> = Vec::new();
    for dep in deps {
        if names.contains(&dep) && dep != draft.name && !kept.contains(&dep) {
            kept.push(dep);
        }
    }
    if !kept.is_empty() {
        draft.lines.push(format!(
            "    dependsOn: [{}]",
            kept.iter().map(|d| quote(d)).collect::<Vec<_>>().join(", ")
        ));
    }
}

/// Every key the mapping above does not read: an unsupported-key warning and a comment
/// each, saying what becomes of it.
fn note_other_keys(importer: &mut Importer, draft: &mut Draft, node: &Node, one_shot: bool) {
    for entry in entries(node) {
        let key = entry.key.as_str();
        let why = match key {
            "image" | "ports" | "expose" | "healthcheck" | "depends_on" | "volumes"
            | "environment" | "build" | "secrets" | "configs" => continue,
            "restart" if one_shot => continue,
            key if security::KEYS.contains(&key) => continue,
            "deploy" => {
                note_other_deploy_keys(importer, draft, &entry.value, one_shot);
                continue;
            }
            "restart" => RESTARTS_ALWAYS,
            "command" | "entrypoint" => {
                "the spec runs the image's own command: bake it into the image"
            }
            "env_file" => {
                "variables from files do not carry over: list them in `environment` (secrets in `secrets`) and import again"
            }
            "networks" => "the new cluster's network is `target.network`",
            "logging" => "the new cluster's logs go to Log Service (`target.addons`)",
            "labels" => "container labels do not carry over",
            "working_dir" | "privileged" | "sysctls" | "ulimits" => {
                "the new pods run with a restrictive security context; bake this into the image"
            }
            "container_name" | "hostname" => "Kubernetes names the pods",
            _ => "this setting has no equivalent in the spec",
        };
        importer.unsupported(&entry.value, &draft.at(key), why, &mut draft.comments);
    }
}

/// Why a compose restart policy does not carry over.
const RESTARTS_ALWAYS: &str = const_format::concatcp!(
    "Kubernetes restarts containers Always (`",
    RuleId::WorkloadRestartPolicy.as_str(),
    "`)"
);

/// The `deploy` keys besides replicas, resources and mode.
fn note_other_deploy_keys(
    importer: &mut Importer,
    draft: &mut Draft,
    deploy: &Node,
    one_shot: bool,
) {
    for d in entries(deploy) {
        let why = match d.key.as_str() {
            "replicas" | "resources" | "mode" => continue,
            "restart_policy" if one_shot => continue,
            "placement" => {
                "placement constraints and preferences do not carry over: the new pods spread over zones and nodes"
            }
            "update_config" | "rollback_config" => {
                "rolling-update settings do not carry over: Kubernetes rolls Deployments out by their own strategy"
            }
            "restart_policy" => RESTARTS_ALWAYS,
            "labels" => "service labels do not carry over",
            "endpoint_mode" => "the new cluster reaches services through Kubernetes Services",
            _ => "this deploy setting has no equivalent",
        };
        importer.unsupported(
            &d.value,
            &draft.at(&format!("deploy.{}", d.key)),
            why,
            &mut draft.comments,
        );
    }
}

// --- the spec -------------------------------------------------------------------------------

fn write_spec(
    importer: &Importer,
    stack: &str,
    file_name: &str,
    services: &[Service],
    top_comments: &[String],
) -> String {
    let mut out = Vec::new();
    // Editors with the YAML language server complete and check the spec against the schema;
    // the relative path our examples use does not exist in the user's repository.
    out.push(format!(
        "# yaml-language-server: $schema={}",
        crate::SCHEMA_ID
    ));
    out.push(
        "# For a local copy: `cutover schema > migration.schema.json`, then `$schema=migration.schema.json`.".into(),
    );
    out.push(format!(
        "# A starting spec imported by `cutover import compose` from {}.",
        tree::summarize_text(file_name)
    ));
    out.push(
        "# Replace every TODO (the target cluster above all), then run `cutover check`: it refuses a spec that still holds one.".into(),
    );
    out.push("# Comments starting `# compose` are settings that have no equivalent here.".into());
    out.extend(top_comments.iter().cloned());
    out.push("apiVersion: cutover.dev/v1alpha1".into());
    out.push("kind: Migration".into());
    out.push("metadata:".into());
    out.push(format!("  name: {}", quote(stack)));
    out.push(String::new());
    out.push("source:".into());
    out.push("  platform: swarm".into());
    out.push(format!("  name: {}", quote(&format!("swarm-{stack}"))));
    out.push(format!("  stack: {}", quote(stack)));
    out.push("  entrypoint:".into());
    out.push("    address: TODO   # the SLB address that serves the stack today".into());
    out.push(String::new());
    out.push("target:   # TODO: the new ACK cluster".into());
    for line in [
        "  name: TODO",
        "  edition: ack-pro",
        "  region: TODO   # e.g. cn-hangzhou",
        "  zones: [TODO-zone-1, TODO-zone-2]",
        "  kubernetesVersion: \"1.31\"",
        "  entrypoint:",
        "    address: TODO   # the new cluster's ingress SLB address",
        "  network:",
        "    plugin: flannel",
        "    vpc: TODO   # e.g. 192.168.0.0/16",
        "    vswitches:",
        "      - { name: TODO-vsw-1, zone: TODO-zone-1, cidr: TODO }   # e.g. 192.168.0.0/20",
        "      - { name: TODO-vsw-2, zone: TODO-zone-2, cidr: TODO }   # e.g. 192.168.16.0/20",
        "    podCidr: TODO   # e.g. 10.16.0.0/16",
        "    serviceCidr: TODO   # e.g. 10.17.0.0/20",
        "    podsPerNode: 64",
        "  nodes:",
        "    profile: balanced",
        "    totalCores: TODO   # the cores the services need on a normal day",
        "    faultTolerance: 25%",
        "    systemDisk: { category: cloud_essd, size: 40Gi }",
        "    dataDisk: { category: cloud_essd, size: 100Gi }",
        "  ingressController: { replicas: 2 }",
    ] {
        out.push(line.to_string());
    }
    if !importer.storage.is_empty() {
        out.push(String::new());
        out.push("storage:".into());
        for (name, storage) in &importer.storage {
            out.extend(storage.comments.iter().map(|c| format!("  {c}")));
            out.push(format!("  - name: {}", quote(name)));
            if storage.nas {
                out.push("    type: nas   # shared by several replicas; TODO: or oss".into());
                out.push("    server: TODO.nas.aliyuncs.com   # TODO: the NAS mount target".into());
                out.push(format!("    path: {}", quote(&format!("/{name}"))));
                out.push("    nfsVersion: \"3\"".into());
                out.push("    size: TODO   # e.g. 20Gi".into());
            } else {
                out.push("    type: disk".into());
                out.push("    provisioning: dynamic".into());
                out.push("    category: cloud_essd".into());
                out.push("    size: TODO   # e.g. 20Gi".into());
                out.push("    reclaimPolicy: Retain".into());
            }
        }
    }
    secrets::write_declarations(importer, &mut out);
    out.push(String::new());
    out.push("services:".into());
    for service in services {
        out.extend(service.comments.iter().map(|c| format!("  {c}")));
        out.extend(service.lines.iter().cloned());
    }
    let routed: Vec<String> = services
        .iter()
        .filter(|s| s.routed)
        .map(|s| quote(&s.name))
        .collect();
    out.push(String::new());
    out.push("rollout:".into());
    out.push("  strategy: ingress-canary".into());
    out.push("  controller: nginx".into());
    out.push("  waves:   # TODO: lowest-traffic services first".into());
    if routed.is_empty() {
        out.push(
            "    []   # no service publishes an HTTP port: nothing to move but the deploy".into(),
        );
    } else {
        out.push("    - name: all".into());
        out.push(format!("      services: [{}]", routed.join(", ")));
        out.push("      steps:".into());
        out.push("        - { weight: 10, hold: 30m }".into());
        out.push("        - { weight: 50, hold: 1h }".into());
        out.push("        - { weight: 100, hold: 2h }".into());
    }
    let mut text = out.join("\n");
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_credential_in_a_value_the_import_copies_as_is_is_still_left_out() {
        let file = "services:\n  app:\n    image: app:1.0\n    volumes:\n      - data:/srv/ghp_0123456789abcdefghijklmnopqrstuvwxyz\n";
        let Ok(imported) = compose("shop", "compose.yml", file) else {
            panic!("the compose file imports");
        };
        assert!(!imported.spec.contains("ghp_"), "{}", imported.spec);
        assert!(
            imported
                .spec
                .contains("# (a line was left out here: it held a secret)")
        );
        assert!(
            imported
                .warnings
                .iter()
                .any(|w| w.rule == RuleId::ImportSecret)
        );
    }

    #[test]
    fn hostile_compose_values_import_without_a_panic() {
        let cases = [
            "services:\n  a:\n    ports: [\"99999\", \"\", \"1-\", \"-1\", \"a:b\", \"[::1\", \"65535-1\", {target: x}, [1]]\n",
            "services:\n  a:\n    expose: [\"0\", \"80/sctp\", \"1-70000\", {}]\n    ports: [{target: 80, published: \"1-3\"}]\n",
            "services:\n  a:\n    image: \"${${${\"\n    environment: [\"$\", \"=\", \"{{\", \"}}{{\", \"A=${B:?}\", \"C=${D:-${E:+${F?}}}\"]\n",
            "services:\n  a:\n    healthcheck: {test: [\"CMD\", \"curl\", \"http://:99999/\"], interval: \"µs\", timeout: 1e400s, retries: -1, start_period: \"99999999999999999h\"}\n",
            "services:\n  a:\n    healthcheck: {test: \"wget http://[::1]/x?y#z\"}\n    secrets: [{target: x}, 7, {source: s, uid: 0}]\n    configs: [\"\", {source: c}]\nconfigs: {c: {file: \"../../..\"}}\n",
            "services:\n  a:\n    volumes: [\":\", \"::\", \"\", {type: bind}, {type: volume, source: \"\", target: /x}]\n    deploy: {resources: {limits: {cpus: \"-1\", memory: \"9999999999999g\"}}}\n",
            "services:\n  a:\n    depends_on: {a: {condition: service_completed_successfully}, b: 3}\n    restart: \"no\"\n",
            "services: []\n",
            "services: {a: null, b: 3, c: []}\n",
        ];
        for case in cases {
            let mut vars = Variables::new();
            vars.set("E", "x");
            if let Ok(imported) = compose_with("x", "compose.yml", case, &vars) {
                let template = |line: &str| {
                    line.find("{{")
                        .is_some_and(|open| line[open..].contains("}}"))
                };
                assert!(!imported.spec.lines().any(template), "{case}");
            }
        }
    }

    #[test]
    fn an_unclosed_interpolation_is_warned_and_left_a_placeholder() {
        let file = "services:\n  app:\n    image: app:1.0\n    environment:\n      URL: \"redis://${REDIS_HOST\"\n";
        let Ok(imported) = compose_with("x", "compose.yml", file, &Variables::new()) else {
            panic!("the import failed");
        };
        assert!(!imported.spec.contains("${REDIS_HOST"), "{}", imported.spec);
        assert!(imported.spec.contains("redis://TODO"), "{}", imported.spec);
        assert!(imported.warnings.iter().any(|w| {
            w.rule == RuleId::ImportInterpolation && w.message.contains("not closed")
        }));
    }

    #[test]
    fn one_shot_services_are_the_ones_compose_runs_once() {
        let file = "services:\n  a: {restart: \"no\"}\n  b: {deploy: {restart_policy: {condition: none}}}\n  c: {deploy: {restart_policy: {condition: on-failure}}}\n  d: {restart: always}\n  e: {}\n  f:\n    depends_on:\n      c: {condition: service_completed_successfully}\n      d: {condition: service_completed_successfully}\n      e: {condition: service_healthy}\n";
        let source = SourceFile::new("compose.yml", file, Format::Yaml);
        let Ok(root) = crate::load::parse_yaml_tree(&source) else {
            panic!("the file parses");
        };
        let Some(services) = root.get("services") else {
            panic!("services");
        };
        let found: Vec<String> = one_shot_services(services).into_iter().collect();
        assert_eq!(found, ["a", "b", "c"]);
    }

    #[test]
    fn an_image_without_a_tag_gets_a_placeholder_tag() {
        assert!(!has_tag_or_digest("balabit/syslog-ng"));
        assert!(!has_tag_or_digest("localhost:5000/app"));
        assert!(has_tag_or_digest("localhost:5000/app:1.2"));
        assert!(has_tag_or_digest("redis@sha256:0123"));
        assert!(has_tag_or_digest("postgres:16"));
    }

    #[test]
    fn an_empty_environment_writes_no_env() {
        for environment in ["", " {}", " []"] {
            let file =
                format!("services:\n  app:\n    image: app:1.0\n    environment:{environment}\n");
            let Ok(imported) = compose("shop", "compose.yml", &file) else {
                panic!("the compose file imports");
            };
            assert!(!imported.spec.contains("env:"), "{}", imported.spec);
        }
    }

    #[test]
    fn a_swarm_template_is_never_written() {
        let file = "services:\n  app:\n    image: app:1.0\n    environment:\n      NODE: \"{{.Node.Hostname}}-x\"\n      SLOT: \"{{ .Task.Slot }}\"\n      GLUED: \"{{.Task.Slot}}_x\"\n";
        let Ok(imported) = compose("shop", "compose.yml", file) else {
            panic!("the compose file imports");
        };
        assert!(!imported.spec.contains("{{"), "{}", imported.spec);
        assert!(imported.spec.contains("NODE: TODO-x"), "{}", imported.spec);
        assert!(imported.spec.contains("GLUED: TODO\n"), "{}", imported.spec);
        let templates = imported
            .warnings
            .iter()
            .filter(|w| w.rule == RuleId::ImportSwarmTemplate)
            .count();
        assert_eq!(templates, 3);
    }

    #[test]
    fn interpolation_reads_scalars_only_and_never_panics_on_a_required_variable() {
        let file = "services:\n  app:\n    image: \"${IMAGE:?set the image}\"\n    environment:\n      A: \"${INJECT}\"\n";
        let mut vars = Variables::new();
        vars.set("INJECT", "x\nports: [\"1:1\"]");
        let Ok(imported) = compose_with("shop", "compose.yml", file, &vars) else {
            panic!("the compose file imports");
        };
        assert!(
            imported.spec.contains("A: \"x\\nports: [\\\"1:1\\\"]\""),
            "{}",
            imported.spec
        );
        assert!(imported.spec.contains("image: TODO"), "{}", imported.spec);
        assert!(
            imported
                .warnings
                .iter()
                .any(|w| w.rule == RuleId::ImportInterpolation)
        );
    }
}
