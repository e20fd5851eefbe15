//! `cutover import compose FILE`: a starting spec from a Docker Swarm stack or compose file.
//!
//! Services, images, ports, replicas, `deploy.resources`, healthchecks, volumes, environment
//! and `depends_on` map onto the spec. Everything else (global mode, configs, secrets,
//! placement, commands, bind mounts, ...) has no equivalent: it becomes a comment beside the
//! service in the generated spec *and* an unsupported-key warning (check::import::unsupported)
//! pointing at the
//! compose file. Nothing is dropped silently.
//!
//! Nothing secret is copied either: a compose value the secret scan (check::spec::credential)
//! refuses (a secret-named variable with a written value, or a credential-shaped value) is
//! written as a `${NAME}` reference, and a comment that would quote one says so without the
//! value; each is a secret warning (check::import::secret) pointing at the compose line.

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::check::credential::{
    find_credential, is_reference, is_variable_name, is_written_secret,
};
use crate::diagnostic::{Diagnostic, Format, Severity, SourceFile, Span};
use crate::load::node::{Node, NodeKind};
use crate::render::yaml::string as quote;
use crate::rules::RuleId;

/// The generated spec, and a warning for everything it could not map.
pub struct Imported {
    pub spec: String,
    pub warnings: Vec<Diagnostic>,
}

struct Importer<'a> {
    source: &'a Arc<SourceFile>,
    warnings: Vec<Diagnostic>,
    /// The secret values of the compose file's environments, so that a comment quoting
    /// one elsewhere (a healthcheck command, a `command:`) leaves it out too.
    secrets: Vec<String>,
}

/// A comment's text in place of a value that holds a secret.
const NOT_COPIED: &str = "(not copied: it holds a secret)";

impl Importer<'_> {
    /// Records a compose feature with no spec equivalent: a warning and a comment line.
    fn unsupported(&mut self, node: &Node, path: &str, why: &str, comments: &mut Vec<String>) {
        let summary = if self.node_leaks(node) {
            self.secret(
                node.span,
                path,
                "its value is left out of the comment the spec keeps",
            );
            NOT_COPIED.to_string()
        } else {
            summarize(node)
        };
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
            .help("provide the value at deploy time from a Kubernetes Secret (and rotate it if this file is in git); the spec only names it"),
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

/// Whether an environment variable's value is a secret the spec must not hold.
fn is_secret_variable(name: &str, value: &str) -> bool {
    is_written_secret(name, value) || find_credential(value).is_some()
}

/// A variable's `name=value` pairs as compose writes them (a mapping or `NAME=value` items),
/// with the span of each value (of the item, in the list form). Items without `=` are
/// `None`.
fn environment(node: &Node) -> Vec<(&Node, Option<(String, String)>)> {
    match &node.kind {
        NodeKind::Map(entries) => entries
            .iter()
            .map(|e| {
                let value = text(&e.value).unwrap_or("").to_string();
                (&e.value, Some((e.key.clone(), value)))
            })
            .collect(),
        NodeKind::Seq(items) => items
            .iter()
            .filter_map(|item| {
                let pair = text(item)?;
                Some((
                    item,
                    pair.split_once('=')
                        .map(|(k, v)| (k.to_string(), v.to_string())),
                ))
            })
            .collect(),
        NodeKind::Scalar { .. } => Vec::new(),
    }
}

/// The secret values of every service's environment (long enough to find again).
fn secret_values(services: &Node) -> Vec<String> {
    let mut out = Vec::new();
    for service in entries(services) {
        let Some(env) = service.value.get("environment") else {
            continue;
        };
        for (_, pair) in environment(env) {
            let Some((name, value)) = pair else { continue };
            if is_secret_variable(&name, &value) {
                if let Some(f) = find_credential(&value) {
                    out.push(value[f.start..f.end].to_string());
                }
                out.push(value);
            }
        }
    }
    out.retain(|s| s.chars().count() >= 4);
    out.sort();
    out.dedup();
    out
}

/// A shell-variable-safe name for a `${NAME}` reference: `_` for every other character,
/// and a `_` before a leading digit.
fn variable_name(name: &str) -> String {
    let mut out: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if !out.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_') {
        out.insert(0, '_');
    }
    debug_assert!(is_variable_name(&out));
    out
}

fn text(node: &Node) -> Option<&str> {
    match &node.kind {
        NodeKind::Scalar { text, .. } => Some(text),
        _ => None,
    }
}

fn entries(node: &Node) -> &[crate::load::node::Entry] {
    match &node.kind {
        NodeKind::Map(entries) => entries,
        _ => &[],
    }
}

fn items(node: &Node) -> &[Node] {
    match &node.kind {
        NodeKind::Seq(items) => items,
        _ => &[],
    }
}

/// Resolves YAML merge keys (`<<: *defaults`), which compose files use for shared blocks:
/// the merged mapping's entries come first, the node's own entries override them.
fn resolve_merges(node: &Node) -> Node {
    match &node.kind {
        NodeKind::Map(entries) => {
            let mut merged: Vec<crate::load::node::Entry> = Vec::new();
            for entry in entries.iter().filter(|e| e.key == "<<") {
                let sources: Vec<&Node> = match &entry.value.kind {
                    NodeKind::Seq(items) => items.iter().collect(),
                    _ => vec![&entry.value],
                };
                for source in sources {
                    for inherited in entries_of(&resolve_merges(source)) {
                        if !merged.iter().any(|m| m.key == inherited.key) {
                            merged.push(inherited.clone());
                        }
                    }
                }
            }
            for entry in entries.iter().filter(|e| e.key != "<<") {
                let own = crate::load::node::Entry {
                    key: entry.key.clone(),
                    key_span: entry.key_span,
                    value: resolve_merges(&entry.value),
                };
                match merged.iter_mut().find(|m| m.key == own.key) {
                    Some(slot) => *slot = own,
                    None => merged.push(own),
                }
            }
            Node {
                id: node.id,
                span: node.span,
                kind: NodeKind::Map(merged),
            }
        }
        NodeKind::Seq(items) => Node {
            id: node.id,
            span: node.span,
            kind: NodeKind::Seq(items.iter().map(resolve_merges).collect()),
        },
        NodeKind::Scalar { .. } => node.clone(),
    }
}

fn entries_of(node: &Node) -> Vec<crate::load::node::Entry> {
    match &node.kind {
        NodeKind::Map(entries) => entries.clone(),
        _ => Vec::new(),
    }
}

/// A node as one short line, for comments.
fn summarize(node: &Node) -> String {
    let text = match &node.kind {
        NodeKind::Scalar { text, .. } => text.clone(),
        NodeKind::Seq(items) => format!(
            "[{}]",
            items.iter().map(summarize).collect::<Vec<_>>().join(", ")
        ),
        NodeKind::Map(entries) => format!(
            "{{{}}}",
            entries
                .iter()
                .map(|e| format!("{}: {}", e.key, summarize(&e.value)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };
    let line: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if line.chars().count() > 120 {
        format!("{}…", line.chars().take(119).collect::<String>())
    } else {
        line
    }
}

/// A DNS-1123 label from any name.
fn label(name: &str) -> String {
    crate::model::to_dns_label(name, "stack")
}

/// Compose CPUs (`"0.5"`, `2`) as a Kubernetes quantity (`500m`, `2`).
fn cpus(value: &str) -> Option<String> {
    let cores: f64 = value.trim().parse().ok()?;
    let milli = (cores * 1000.0).round() as u64;
    (milli > 0).then(|| {
        if milli.is_multiple_of(1000) {
            (milli / 1000).to_string()
        } else {
            format!("{milli}m")
        }
    })
}

/// Compose memory (`512M`, `1g`, `1073741824`; binary units) as a quantity (`512Mi`).
fn memory(value: &str) -> Option<String> {
    let value = value.trim().to_ascii_lowercase();
    let value = value.trim_end_matches('b');
    let (number, unit) = value.split_at(
        value
            .find(|c: char| !c.is_ascii_digit() && c != '.')
            .unwrap_or(value.len()),
    );
    let number: f64 = number.parse().ok()?;
    let bytes = number
        * match unit {
            "" => 1.0,
            "k" => 1024.0,
            "m" => 1024.0 * 1024.0,
            "g" => 1024.0 * 1024.0 * 1024.0,
            _ => return None,
        };
    let mib = (bytes / (1024.0 * 1024.0)).ceil() as u64;
    (mib > 0).then(|| {
        if mib.is_multiple_of(1024) {
            format!("{}Gi", mib / 1024)
        } else {
            format!("{mib}Mi")
        }
    })
}

/// The container port of a compose port (`8080:80`, `80`, `127.0.0.1:8080:80/tcp`, or the
/// long form's `target`).
fn container_port(node: &Node) -> Option<u16> {
    match &node.kind {
        NodeKind::Map(_) => node
            .get("target")
            .and_then(text)
            .and_then(|t| t.parse().ok()),
        _ => {
            let spec = text(node)?;
            let spec = spec.split('/').next().unwrap_or(spec);
            spec.rsplit(':').next()?.split('-').next()?.parse().ok()
        }
    }
}

/// The HTTP path a healthcheck asks for, when it curls or wgets a URL.
fn health_path(test: &Node) -> Option<String> {
    let words: Vec<String> = match &test.kind {
        NodeKind::Seq(items) => items.iter().filter_map(text).map(str::to_string).collect(),
        NodeKind::Scalar { text, .. } => text.split_whitespace().map(str::to_string).collect(),
        NodeKind::Map(_) => Vec::new(),
    };
    let url = words
        .iter()
        .find(|w| w.starts_with("http://") || w.starts_with("https://"))?;
    let after_scheme = url.split_once("://")?.1;
    let path = after_scheme.find('/').map_or("/", |i| &after_scheme[i..]);
    let path = path.trim_end_matches(['\'', '"']);
    Some(if path.is_empty() {
        "/".into()
    } else {
        path.to_string()
    })
}

struct Service {
    name: String,
    lines: Vec<String>,
    comments: Vec<String>,
    routed: bool,
}

/// Converts a compose file's text into a starting spec.
pub fn compose(name: &str, file_name: &str, text: &str) -> Result<Imported, Vec<Diagnostic>> {
    let source = SourceFile::new(file_name, text, Format::Yaml);
    let loaded = crate::load::parse_yaml_tree(&source);
    let root = resolve_merges(&loaded?);
    let Some(services) = root.get("services") else {
        return Err(vec![Diagnostic::new(RuleId::SpecMissingField, Severity::Error, &source, "the compose file has no `services`")
            .label(Span::new(0, 0), "here")
            .help("point `cutover import compose` at a compose or stack file with a `services:` section")]);
    };
    let mut importer = Importer {
        source: &source,
        warnings: Vec::new(),
        secrets: secret_values(services),
    };
    let stack = label(name);
    let mut storage: BTreeMap<String, String> = BTreeMap::new();
    let mut imported: Vec<Service> = Vec::new();
    let service_names: Vec<String> = entries(services).iter().map(|e| label(&e.key)).collect();
    for entry in entries(services) {
        imported.push(import_service(
            &mut importer,
            &stack,
            &entry.key,
            &entry.value,
            &service_names,
            &mut storage,
        ));
    }
    let mut top_comments = Vec::new();
    for entry in entries(&root) {
        match entry.key.as_str() {
            "services" | "version" | "name" => {}
            "volumes" => {
                for volume in entries(&entry.value).iter().filter(|v| !matches!(v.value.kind, NodeKind::Scalar { .. })) {
                    importer.unsupported(&volume.value, &format!("volumes.{}", volume.key), "volume drivers and options do not carry over: the spec's storage entry chooses an ACK volume", &mut top_comments);
                }
            }
            "networks" => {
                let summary = if importer.node_leaks(&entry.value) {
                    importer.secret(entry.value.span, "networks", "its value is left out of the comment the spec keeps");
                    NOT_COPIED.to_string()
                } else {
                    summarize(&entry.value)
                };
                top_comments.push(format!("# compose `networks: {summary}`: the new cluster's network is `target.network`"));
            }
            key if key.starts_with("x-") => {
                let key = if importer.leaks(key) {
                    importer.secret(entry.key_span, key, "the key is left out of the comment the spec keeps");
                    "x-…"
                } else {
                    key
                };
                top_comments.push(format!("# compose extension `{key}` was used by anchors in the file; it is not part of the spec"));
            }
            key => importer.unsupported(&entry.value, key, "top-level configs and secrets become ConfigMaps and Secrets you create in the deploy phase", &mut top_comments),
        }
    }
    let spec = write_spec(&stack, file_name, &imported, &storage, &top_comments);
    let spec = without_credentials(&mut importer, &spec);
    Ok(Imported {
        spec,
        warnings: importer.warnings,
    })
}

/// The last guard: a line of the generated spec that still looks like it holds a credential
/// (a value the mapping above copied without recognizing it) is left out.
fn without_credentials(importer: &mut Importer, spec: &str) -> String {
    let mut out = String::with_capacity(spec.len());
    for line in spec.lines() {
        if find_credential(line).is_some() {
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

/// Maps one compose service, key group by key group, in the order the spec lists them.
fn import_service(
    importer: &mut Importer,
    stack: &str,
    raw_name: &str,
    node: &Node,
    names: &[String],
    storage: &mut BTreeMap<String, String>,
) -> Service {
    let name = label(raw_name);
    let mut draft = Draft {
        raw_name,
        lines: vec![format!("  - name: {}", quote(&name))],
        name,
        comments: Vec::new(),
    };
    write_image(importer, &mut draft, stack, node);
    let replicas = write_replicas(importer, &mut draft, node);
    let published = write_port(importer, &mut draft, node);
    write_resources(&mut draft, node);
    write_health(importer, &mut draft, node);
    // A published port serves clients.
    let routed = published > 0;
    if routed {
        write_routes(&mut draft, stack);
    }
    write_depends_on(&mut draft, node, names);
    write_volumes(importer, &mut draft, node, replicas, storage);
    write_env(importer, &mut draft, node);
    note_other_keys(importer, &mut draft, node);
    Service {
        name: draft.name,
        lines: draft.lines,
        comments: draft.comments,
        routed,
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
        .is_some_and(|i| find_credential(i).is_some());
    if let Some(image) = image.filter(|_| image_leaks) {
        importer.secret(
            image.span,
            &draft.at("image"),
            "the spec gets a placeholder image instead",
        );
    }
    match image.and_then(text).filter(|_| !image_leaks) {
        Some(image) => draft.lines.push(format!("    image: {}", quote(image))),
        None => {
            draft.lines.push(format!(
                "    image: {}   # TODO: the image this service's build produces, with its tag",
                quote(&format!("registry.example.com/{stack}/{}:TODO", draft.name))
            ));
            if let Some(build) = node.get("build") {
                importer.unsupported(build, &draft.at("build"), "cutover moves images, it does not build them: push the built image and name it in `image`", &mut draft.comments);
            }
        }
    }
}

/// `deploy.replicas` (3 for global mode); the count it writes.
fn write_replicas(importer: &mut Importer, draft: &mut Draft, node: &Node) -> u32 {
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
    draft.lines.push(format!("    replicas: {replicas}"));
    replicas
}

/// The service's one port: the first published one, else the first exposed one; the number
/// of ports compose publishes.
fn write_port(importer: &mut Importer, draft: &mut Draft, node: &Node) -> usize {
    let ports: &[Node] = node.get("ports").map(items).unwrap_or(&[]);
    let exposed = node.get("expose").map(items).unwrap_or(&[]).first();
    let port = ports
        .first()
        .and_then(container_port)
        .or_else(|| exposed.and_then(container_port));
    match port {
        Some(port) => draft.lines.push(format!("    port: {port}")),
        None => draft.lines.push(
            "    port: 8080   # TODO: the port the service listens on (compose publishes none)"
                .into(),
        ),
    }
    for (i, extra) in ports.iter().enumerate().skip(1) {
        importer.unsupported(
            extra,
            &format!("{}[{i}]", draft.at("ports")),
            "a service has one port in the spec; route extra ports with their own service",
            &mut draft.comments,
        );
    }
    ports.len()
}

/// `deploy.resources` as requests and limits, each missing one from its counterpart or a
/// default.
fn write_resources(draft: &mut Draft, node: &Node) {
    let resources = node.get("deploy").and_then(|d| d.get("resources"));
    let get = |kind: &str, field: &str| {
        resources
            .and_then(|r| r.get(kind))
            .and_then(|k| k.get(field))
            .and_then(text)
    };
    let limit_cpu = get("limits", "cpus").and_then(cpus);
    let limit_mem = get("limits", "memory").and_then(memory);
    let request_cpu = get("reservations", "cpus").and_then(cpus);
    let request_mem = get("reservations", "memory").and_then(memory);
    let defaulted = limit_cpu.is_none() && request_cpu.is_none()
        || limit_mem.is_none() && request_mem.is_none();
    let request_cpu = request_cpu
        .or(limit_cpu.clone())
        .unwrap_or_else(|| "250m".into());
    let request_mem = request_mem
        .or(limit_mem.clone())
        .unwrap_or_else(|| "256Mi".into());
    let limit_cpu = limit_cpu.unwrap_or_else(|| request_cpu.clone());
    let limit_mem = limit_mem.unwrap_or_else(|| request_mem.clone());
    draft.lines.push(format!(
        "    resources:{}",
        if defaulted {
            "   # TODO: compose gave no reservations or limits for all of these; defaults"
        } else {
            ""
        }
    ));
    draft.lines.push(format!(
        "      requests: {{ cpu: {}, memory: {} }}",
        quote(&request_cpu),
        quote(&request_mem)
    ));
    draft.lines.push(format!(
        "      limits: {{ cpu: {}, memory: {} }}",
        quote(&limit_cpu),
        quote(&limit_mem)
    ));
}

/// `healthcheck.test` as an HTTP path when it curls one, else a TCP probe.
fn write_health(importer: &mut Importer, draft: &mut Draft, node: &Node) {
    let Some(check) = node.get("healthcheck") else {
        return;
    };
    let disabled = check.get("disable").and_then(text) == Some("true");
    let Some(test) = check.get("test").filter(|_| !disabled) else {
        return;
    };
    let leaks = importer.node_leaks(test);
    match health_path(test).filter(|path| !importer.leaks(path)) {
        Some(path) => draft
            .lines
            .push(format!("    health: {{ path: {} }}", quote(&path))),
        None => {
            draft.lines.push("    health: { tcp: true }".into());
            let summary = if leaks {
                NOT_COPIED.to_string()
            } else {
                summarize(test)
            };
            draft.comments.push(format!("# compose `healthcheck.test: {summary}` runs a command; the new probes check the port over TCP"));
        }
    }
    if leaks {
        importer.secret(
            test.span,
            &draft.at("healthcheck.test"),
            "the spec keeps the probe without the command",
        );
    }
}

/// A placeholder route for a service that publishes a port.
fn write_routes(draft: &mut Draft, stack: &str) {
    draft.lines.push("    routes:".into());
    draft.lines.push(format!(
        "      - {{ host: {}, path: / }}   # TODO: the host and path clients use",
        quote(&format!("{}.{stack}.example.com", draft.name))
    ));
}

/// `depends_on` (list or map form), keeping only the file's other services.
fn write_depends_on(draft: &mut Draft, node: &Node, names: &[String]) {
    let Some(depends) = node.get("depends_on") else {
        return;
    };
    let deps: Vec<String> = match &depends.kind {
        NodeKind::Seq(items) => items.iter().filter_map(text).map(label).collect(),
        NodeKind::Map(entries) => entries.iter().map(|e| label(&e.key)).collect(),
        NodeKind::Scalar { .. } => Vec::new(),
    };
    let deps: Vec<String> = deps
        .into_iter()
        .filter(|d| names.contains(d) && *d != draft.name)
        .collect();
    if !deps.is_empty() {
        draft.lines.push(format!(
            "    dependsOn: [{}]",
            deps.iter().map(|d| quote(d)).collect::<Vec<_>>().join(", ")
        ));
    }
}

/// One entry of a service's `volumes`, long or short form.
struct Mount {
    source: Option<String>,
    target: Option<String>,
    read_only: bool,
    /// `volume`, `bind`, `tmpfs`…
    kind: String,
}

fn mount(volume: &Node) -> Mount {
    if let NodeKind::Map(_) = &volume.kind {
        return Mount {
            source: volume.get("source").and_then(text).map(str::to_string),
            target: volume.get("target").and_then(text).map(str::to_string),
            read_only: volume.get("read_only").and_then(text) == Some("true"),
            kind: volume
                .get("type")
                .and_then(text)
                .unwrap_or("volume")
                .to_string(),
        };
    }
    // `SOURCE:TARGET[:OPTIONS]` or `TARGET`.
    let spec = text(volume).unwrap_or("");
    let parts: Vec<&str> = spec.split(':').collect();
    let (source, target) = match parts.as_slice() {
        [target] => (None, Some(target.to_string())),
        [source, target, ..] => (Some(source.to_string()), Some(target.to_string())),
        [] => (None, None),
    };
    let kind = match &source {
        Some(s) if s.starts_with(['/', '.', '~']) => "bind",
        _ => "volume",
    };
    Mount {
        source,
        target,
        read_only: parts
            .get(2)
            .is_some_and(|o| o.split(',').any(|o| o == "ro")),
        kind: kind.to_string(),
    }
}

/// Named volumes as mounts of storage entries (NAS when several replicas share one, else a
/// disk); bind mounts, tmpfs and anonymous volumes as unsupported.
fn write_volumes(
    importer: &mut Importer,
    draft: &mut Draft,
    node: &Node,
    replicas: u32,
    storage: &mut BTreeMap<String, String>,
) {
    let mut mounts = Vec::new();
    for (i, volume) in node
        .get("volumes")
        .map(items)
        .unwrap_or(&[])
        .iter()
        .enumerate()
    {
        let Mount {
            source,
            target,
            read_only,
            kind,
        } = mount(volume);
        match (kind.as_str(), source, target) {
            ("volume", Some(source), Some(target)) => {
                let storage_name = label(&source);
                storage.entry(storage_name.clone()).or_insert_with(|| {
                    if replicas > 1 { "nas".into() } else { "disk".into() }
                });
                mounts.push(format!(
                    "      - {{ storage: {}, mountPath: {}{} }}",
                    quote(&storage_name),
                    quote(&target),
                    if read_only { ", readOnly: true" } else { "" }
                ));
            }
            _ => importer.unsupported(volume, &format!("{}[{i}]", draft.at("volumes")), "bind mounts, tmpfs and anonymous volumes have no equivalent: the data they hold must move to a declared storage volume", &mut draft.comments),
        }
    }
    if !mounts.is_empty() {
        draft.lines.push("    volumes:".into());
        draft.lines.extend(mounts);
    }
}

/// `environment` as `env`: a secret becomes a `${NAME}` reference, provided at deploy time;
/// a credential-shaped name is left out.
fn write_env(importer: &mut Importer, draft: &mut Draft, node: &Node) {
    let mut env: Vec<(String, String)> = Vec::new();
    if let Some(environment) = node.get("environment") {
        for (value_node, pair) in self::environment(environment) {
            let Some((key, value)) = pair else {
                importer.unsupported(value_node, &draft.at("environment"), "a variable without a value takes it from the deploying shell: set its value in `env`", &mut draft.comments);
                continue;
            };
            let path = draft.at(&format!("environment.{key}"));
            if find_credential(&key).is_some() {
                importer.secret(
                    value_node.span,
                    &path,
                    "the variable's name looks like a credential: the variable is left out",
                );
                continue;
            }
            if is_secret_variable(&key, &value) {
                let reference = format!("${{{}}}", variable_name(&key));
                importer.secret(
                    value_node.span,
                    &path,
                    &format!("the spec holds the reference `{reference}` instead of the value"),
                );
                env.push((key, reference));
            } else {
                env.push((key, value));
            }
        }
    }
    if !env.is_empty() {
        draft.lines.push("    env:".into());
        for (k, v) in env {
            draft
                .lines
                .push(format!("      {}: {}", quote(&k), quote(&v)));
        }
    }
}

/// Every key the mapping above does not read: an unsupported-key warning and a comment
/// each, saying what becomes of it.
fn note_other_keys(importer: &mut Importer, draft: &mut Draft, node: &Node) {
    for entry in entries(node) {
        let key = entry.key.as_str();
        let why = match key {
            "image" | "ports" | "expose" | "healthcheck" | "depends_on" | "volumes"
            | "environment" | "build" => continue,
            "deploy" => {
                note_other_deploy_keys(importer, draft, &entry.value);
                continue;
            }
            "configs" => {
                "configs become ConfigMaps you create and mount; the spec does not carry files"
            }
            "secrets" => {
                "secrets become Kubernetes Secrets you create in the deploy phase; their values never go in a spec"
            }
            "command" | "entrypoint" => {
                "the spec runs the image's own command: bake it into the image"
            }
            "env_file" => {
                "variables from files do not carry over: list them in `env` (secrets in Secrets)"
            }
            "networks" => "the new cluster's network is `target.network`",
            "logging" => "the new cluster's logs go to Log Service (`target.addons`)",
            "labels" => "container labels do not carry over",
            "user" | "working_dir" | "cap_add" | "cap_drop" | "privileged" | "sysctls"
            | "ulimits" => {
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
fn note_other_deploy_keys(importer: &mut Importer, draft: &mut Draft, deploy: &Node) {
    for d in entries(deploy) {
        let why = match d.key.as_str() {
            "replicas" | "resources" | "mode" => continue,
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

fn write_spec(
    stack: &str,
    file_name: &str,
    services: &[Service],
    storage: &BTreeMap<String, String>,
    top_comments: &[String],
) -> String {
    let mut out = Vec::new();
    out.push(format!(
        "# A starting spec imported by `cutover import compose` from {file_name}."
    ));
    out.push(
        "# Fill in every TODO (the target cluster above all), then run `cutover check`.".into(),
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
    out.push(
        "target:   # TODO: the new ACK cluster; every value below is an example to replace".into(),
    );
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
        "    vpc: 192.168.0.0/16",
        "    vswitches:",
        "      - { name: TODO-vsw-1, zone: TODO-zone-1, cidr: 192.168.0.0/20 }",
        "      - { name: TODO-vsw-2, zone: TODO-zone-2, cidr: 192.168.16.0/20 }",
        "    podCidr: 10.16.0.0/16",
        "    serviceCidr: 10.17.0.0/20",
        "    podsPerNode: 64",
        "  nodes:",
        "    profile: balanced",
        "    totalCores: 16   # TODO: the cores the services need on a normal day",
        "    faultTolerance: 25%",
        "    systemDisk: { category: cloud_essd, size: 40Gi }",
        "    dataDisk: { category: cloud_essd, size: 100Gi }",
        "  ingressController: { replicas: 2 }",
    ] {
        out.push(line.to_string());
    }
    if !storage.is_empty() {
        out.push(String::new());
        out.push("storage:".into());
        for (name, kind) in storage {
            out.push(format!("  - name: {}", quote(name)));
            if kind == "nas" {
                out.push("    type: nas   # shared by several replicas; TODO: or oss".into());
                out.push("    server: TODO.nas.aliyuncs.com   # TODO: the NAS mount target".into());
                out.push(format!("    path: {}", quote(&format!("/{name}"))));
                out.push("    nfsVersion: \"3\"".into());
                out.push("    size: 20Gi   # TODO".into());
            } else {
                out.push("    type: disk".into());
                out.push("    provisioning: dynamic".into());
                out.push("    category: cloud_essd".into());
                out.push("    size: 20Gi   # TODO".into());
                out.push("    reclaimPolicy: Retain".into());
            }
        }
    }
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
        out.push("    []   # no service publishes a port: nothing to move but the deploy".into());
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
    fn secret_variable_names_become_shell_safe_references() {
        assert_eq!(variable_name("DB_PASSWORD"), "DB_PASSWORD");
        assert_eq!(variable_name("db.password"), "db_password");
        assert_eq!(variable_name("1PASS"), "_1PASS");
        assert_eq!(variable_name(""), "_");
    }

    #[test]
    fn compose_units_become_quantities() {
        assert_eq!(cpus("0.5").as_deref(), Some("500m"));
        assert_eq!(cpus("2").as_deref(), Some("2"));
        assert_eq!(memory("512M").as_deref(), Some("512Mi"));
        assert_eq!(memory("1g").as_deref(), Some("1Gi"));
        assert_eq!(memory("1073741824").as_deref(), Some("1Gi"));
        assert_eq!(memory("12x"), None);
    }
}
