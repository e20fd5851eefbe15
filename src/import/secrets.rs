//! Compose secrets, configs and secret-named variables as the spec's `secrets`, `configs`,
//! `env` references and `files`. No value is ever copied: a compose secret becomes a
//! declared Secret the deploy runbook creates from what the operator provides; a
//! secret-named variable (`POSTGRES_PASSWORD: postgres`) becomes a key of the Secret
//! `<service>-env`, which its `env` entry references; a file-based config becomes a config
//! whose file the user keeps beside the spec.

use std::collections::BTreeMap;

use crate::check::credential::{find_credential, is_reference, is_secret_name, is_written_secret};
use crate::load::node::{Node, NodeKind};
use crate::render::yaml::string as quote;

use super::tree::{entries, items, label, renamed, summarize_text, text, text_at};
use super::{Draft, Importer, PLACEHOLDER, Stack};

/// Whether an environment variable's value is a secret the spec must not hold.
fn is_secret_variable(name: &str, value: &str) -> bool {
    is_written_secret(name, value) || find_credential(value).is_some()
}

/// A variable's `name=value` pairs as compose writes them (a mapping or `NAME=value` items),
/// with the node of each value (of the item, in the list form). Items without `=` are
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
pub(super) fn secret_values(services: &Node) -> Vec<String> {
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
    out
}

/// A Secret or ConfigMap key: letters, digits, `-`, `_` and `.` (`_` for any other).
fn data_key(name: &str) -> String {
    let key: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '_'
            }
        })
        .collect();
    if key.is_empty() || key == "." || key == ".." {
        "value".into()
    } else {
        key
    }
}

/// The Secret that holds a service's secret-named variables.
fn env_secret(service: &str) -> String {
    format!("{service}-env")
}

/// `environment` as `env`: a secret-named or credential-shaped variable becomes a key of
/// the service's `<service>-env` Secret and a reference to it; a credential-shaped name is
/// left out.
pub(super) fn write_env(importer: &mut Importer, draft: &mut Draft, node: &Node) {
    let mut env: Vec<(String, String)> = Vec::new();
    let secret = env_secret(&draft.name);
    let reference = |key: &str| format!("{{ secret: {}, key: {} }}", quote(&secret), quote(key));
    if let Some(environment) = node.get("environment") {
        for (value_node, pair) in self::environment(environment) {
            let Some((key, value)) = pair else {
                let name = text(value_node).unwrap_or("");
                if is_secret_name(name) && find_credential(name).is_none() {
                    // `- DB_PASSWORD` passes the deploying shell's value: a Secret now.
                    let key = data_key(name);
                    importer.declare_secret_key(&secret, &key, &draft.name);
                    env.push((name.to_string(), reference(&key)));
                    continue;
                }
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
            let written = is_secret_variable(&key, &value);
            let withheld = importer.withheld.contains(&value_node.id);
            let referenced = is_secret_name(&key) && is_reference(value.trim());
            if written || withheld || referenced {
                let data = data_key(&key);
                importer.declare_secret_key(&secret, &data, &draft.name);
                if written {
                    importer.secret(
                        value_node.span,
                        &path,
                        &format!("the spec reads it from the key `{data}` of the Secret `{secret}`, which the deploy runbook creates from a value you provide"),
                    );
                }
                env.push((key, reference(&data)));
            } else {
                let (value, renamed) = renamed_hosts(&value, &importer.renamed_services);
                for (compose, spec) in renamed {
                    draft.comments.push(format!(
                        "# compose `environment.{}` named the service `{compose}`, which the spec calls `{spec}`: rewritten",
                        summary_key(&key)
                    ));
                }
                env.push((key.clone(), quote(&value)));
            }
        }
    }
    if !env.is_empty() {
        draft.lines.push("    env:".into());
        for (k, v) in env {
            draft.lines.push(format!("      {}: {v}", quote(&k)));
        }
    }
}

impl Importer<'_> {
    fn declare_secret_key(&mut self, secret: &str, key: &str, service: &str) {
        let decl = self.spec_secrets.entry(secret.to_string()).or_default();
        if decl.comments.is_empty() {
            decl.comments.push(format!(
                "# the secret variables of `{service}`: the deploy runbook creates this Secret from values you provide"
            ));
        }
        decl.keys.insert(key.to_string());
    }
}

/// The service's `secrets` and `configs` as `files` mounts of declared spec secrets and
/// configs, at compose's default targets (`/run/secrets/<name>`, `/<name>`).
pub(super) fn write_files(importer: &mut Importer, draft: &mut Draft, node: &Node, stack: &Stack) {
    let mut mounts: Vec<String> = Vec::new();
    for (kind, defs) in [
        ("secrets", stack.compose_secrets),
        ("configs", stack.compose_configs),
    ] {
        for (i, grant) in node.get(kind).map(items).unwrap_or(&[]).iter().enumerate() {
            let path = format!("{}[{i}]", draft.at(kind));
            let (source, target) = match &grant.kind {
                NodeKind::Scalar { text, .. } => (text.as_str(), None),
                NodeKind::Map(_) => match text_at(grant, "source") {
                    Some(source) => (source, text_at(grant, "target")),
                    None => {
                        importer.unsupported(
                            grant,
                            &path,
                            "a long-syntax grant names its `source`",
                            &mut draft.comments,
                        );
                        continue;
                    }
                },
                NodeKind::Seq(_) => continue,
            };
            for option in ["uid", "gid", "mode"] {
                if let Some(value) = grant.get(option) {
                    importer.unsupported(value, &format!("{path}.{option}"), "the files are mounted read-only with Kubernetes' default owner and mode (0644): set a securityContext if the image needs another", &mut draft.comments);
                }
            }
            let definition = defs.iter().find(|d| d.key == source).map(|d| &d.value);
            let line = if kind == "secrets" {
                let (name, key) = declare_secret(importer, source, definition);
                let target = match target {
                    Some(t) if t.starts_with('/') => t.to_string(),
                    Some(t) => format!("/run/secrets/{t}"),
                    None => format!("/run/secrets/{source}"),
                };
                format!(
                    "      - {{ secret: {}, key: {}, mountPath: {} }}",
                    quote(&name),
                    quote(&key),
                    quote(&target)
                )
            } else {
                let (name, key) = declare_config(importer, source, definition);
                let target = match target {
                    Some(t) if t.starts_with('/') => t.to_string(),
                    Some(t) => format!("/{t}"),
                    None => format!("/{source}"),
                };
                format!(
                    "      - {{ config: {}, key: {}, mountPath: {} }}",
                    quote(&name),
                    quote(&key),
                    quote(&target)
                )
            };
            if !mounts.contains(&line) {
                mounts.push(line);
            }
        }
    }
    if !mounts.is_empty() {
        draft.lines.push("    files:".into());
        draft.lines.extend(mounts);
    }
}

/// Declares the spec Secret for a compose secret: its name and its one key.
fn declare_secret(
    importer: &mut Importer,
    source: &str,
    definition: Option<&Node>,
) -> (String, String) {
    let name = label(source);
    let key = data_key(source);
    if !importer.spec_secrets.contains_key(&name) {
        let mut comments = Vec::new();
        let title = renamed("secret", source, &name)
            .unwrap_or_else(|| format!("compose secret `{}`", summarize_text(source)));
        let origin = definition
            .map(|d| origin(d, "secret"))
            .unwrap_or_else(|| "not declared at the top level of the compose file".into());
        comments.push(format!(
            "# {title}: {origin}; the deploy runbook creates it from a value you provide, never from the spec"
        ));
        importer.spec_secrets.insert(
            name.clone(),
            super::SecretDecl {
                keys: Default::default(),
                comments,
            },
        );
    }
    if let Some(decl) = importer.spec_secrets.get_mut(&name) {
        decl.keys.insert(key.clone());
    }
    (name, key)
}

/// Where a compose secret or config comes from, for the comment beside its declaration.
fn origin(definition: &Node, kind: &str) -> String {
    if let Some(file) = text_at(definition, "file") {
        return format!("read from the file `{}` on the Swarm", summarize_text(file));
    }
    if let Some(variable) = text_at(definition, "environment") {
        return format!("read from the variable `{}`", summarize_text(variable));
    }
    if definition.get("content").is_some() {
        return "written inline in the compose file".into();
    }
    match definition.get("external") {
        Some(external) if text(external) == Some("true") || external.get("name").is_some() => {
            let named = text_at(definition, "name")
                .or_else(|| external.get("name").and_then(text))
                .map(|n| format!(" as `{}`", summarize_text(n)))
                .unwrap_or_default();
            format!(
                "external: created outside the stack{named} (`docker {kind} create`); create it on the new cluster"
            )
        }
        _ => "declared without a source".into(),
    }
}

/// Declares the spec config for a compose config: its name and the key its file has.
fn declare_config(
    importer: &mut Importer,
    source: &str,
    definition: Option<&Node>,
) -> (String, String) {
    let name = label(source);
    let file = definition
        .and_then(|d| text_at(d, "file"))
        .and_then(beside_the_spec);
    let key = match &file {
        Some(file) => data_key(file.rsplit('/').next().unwrap_or(file)),
        None => data_key(source),
    };
    if !importer.spec_configs.contains_key(&name) {
        let mut comments = Vec::new();
        let title = renamed("config", source, &name)
            .unwrap_or_else(|| format!("compose config `{}`", summarize_text(source)));
        let files = match &file {
            Some(file) => {
                comments.push(format!(
                    "# {title}: keep `{}` beside the spec (paths are relative to the spec's folder)",
                    summarize_text(file)
                ));
                vec![file.clone()]
            }
            None => {
                let origin = definition
                    .map(|d| origin(d, "config"))
                    .unwrap_or_else(|| "not declared at the top level of the compose file".into());
                comments.push(format!(
                    "# {title}: {origin}; TODO: keep its content in a file beside the spec and name it here"
                ));
                vec![format!("{PLACEHOLDER}/{key}")]
            }
        };
        importer
            .spec_configs
            .insert(name.clone(), super::ConfigDecl { files, comments });
    }
    (name, key)
}

/// A compose config's file as a path relative to the spec's folder: the same relative path
/// when it stays inside the compose file's folder, else only its file name.
fn beside_the_spec(file: &str) -> Option<String> {
    let trimmed = file.trim();
    let relative = trimmed.strip_prefix("./").unwrap_or(trimmed);
    let parts: Vec<&str> = relative
        .split('/')
        .filter(|p| !p.is_empty() && *p != ".")
        .collect();
    let inside =
        !trimmed.starts_with('/') && !trimmed.starts_with('~') && parts.iter().all(|p| *p != "..");
    let path = if inside {
        parts.join("/")
    } else {
        parts.last()?.to_string()
    };
    (!path.is_empty() && path != "..").then_some(path)
}

/// The top-level secrets and configs the services' grants did not carry: one no service
/// uses, and a config's inline `content` (its text stays out of the spec: it may hold a
/// secret, and a config's data is a file beside the spec).
pub(super) fn note_top_level(importer: &mut Importer, stack: &Stack, comments: &mut Vec<String>) {
    for (kind, defs) in [
        ("secrets", stack.compose_secrets),
        ("configs", stack.compose_configs),
    ] {
        for def in defs {
            let path = format!("{kind}.{}", def.key);
            let used = if kind == "secrets" {
                importer.spec_secrets.contains_key(&label(&def.key))
            } else {
                importer.spec_configs.contains_key(&label(&def.key))
            };
            if !used {
                importer.unsupported(
                    &def.value,
                    &path,
                    "no service uses it: it is not declared in the spec",
                    comments,
                );
            } else if let Some(content) = def.value.get("content") {
                importer.unsupported(content, &format!("{path}.content"), "inline content is not copied: write it to a file beside the spec and name that file in the config's `files`", comments);
            }
        }
    }
}

/// The spec's `secrets` and `configs` sections.
pub(super) fn write_declarations(importer: &Importer, out: &mut Vec<String>) {
    if !importer.spec_secrets.is_empty() {
        out.push(String::new());
        out.push("secrets:".into());
        for (name, decl) in &importer.spec_secrets {
            out.extend(decl.comments.iter().map(|c| format!("  {c}")));
            out.push(format!("  - name: {}", quote(name)));
            out.push(format!(
                "    keys: [{}]",
                decl.keys
                    .iter()
                    .map(|k| quote(k))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
    }
    if !importer.spec_configs.is_empty() {
        out.push(String::new());
        out.push("configs:".into());
        for (name, decl) in &importer.spec_configs {
            out.extend(decl.comments.iter().map(|c| format!("  {c}")));
            out.push(format!("  - name: {}", quote(name)));
            out.push(format!(
                "    files: [{}]",
                decl.files
                    .iter()
                    .map(|f| quote(f))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_files_stay_relative_to_the_spec() {
        assert_eq!(
            beside_the_spec("./prometheus/prometheus.yml").as_deref(),
            Some("prometheus/prometheus.yml")
        );
        assert_eq!(beside_the_spec("nginx.conf").as_deref(), Some("nginx.conf"));
        assert_eq!(
            beside_the_spec("../shared/app.ini").as_deref(),
            Some("app.ini")
        );
        assert_eq!(
            beside_the_spec("/etc/app/app.ini").as_deref(),
            Some("app.ini")
        );
        assert_eq!(beside_the_spec(".."), None);
    }

    #[test]
    fn keys_are_secret_keys() {
        assert_eq!(data_key("db_password"), "db_password");
        assert_eq!(data_key("a b"), "a_b");
        assert_eq!(data_key(""), "value");
    }
}

/// A variable's name as a comment may show it (printable, short).
fn summary_key(key: &str) -> String {
    key.chars()
        .filter(|c| !c.is_control() && *c != '`')
        .take(60)
        .collect()
}

/// `value` with every host that names a renamed compose service (`nc_db`, `nc_db:3306`,
/// `mysql://nc_db/app`) written as the spec's name for it, which is the Kubernetes
/// Service's: the old name would not resolve in the new cluster. Also the pairs rewritten.
fn renamed_hosts(
    value: &str,
    renamed: &BTreeMap<String, String>,
) -> (String, Vec<(String, String)>) {
    // A host starts the value or follows `/`, `@`, `,`, `=` or a space, and ends it or
    // meets `:`, `/`, `,`, `;`, `?` or a space.
    let starts = |c: Option<char>| c.is_none_or(|c| "/@,= ".contains(c));
    let ends = |c: Option<char>| c.is_none_or(|c| ":/,;? ".contains(c));
    let mut out = value.to_string();
    let mut used = Vec::new();
    for (compose, spec) in renamed {
        let mut rewritten = String::with_capacity(out.len());
        let mut rest = out.as_str();
        let mut changed = false;
        while let Some(at) = rest.find(compose.as_str()) {
            // What precedes the match: the text before it, or what was already rewritten.
            let before = rest[..at]
                .chars()
                .next_back()
                .or_else(|| rewritten.chars().next_back());
            let after = rest[at + compose.len()..].chars().next();
            rewritten.push_str(&rest[..at]);
            if starts(before) && ends(after) {
                rewritten.push_str(spec);
                changed = true;
            } else {
                rewritten.push_str(compose);
            }
            rest = &rest[at + compose.len()..];
        }
        rewritten.push_str(rest);
        if changed {
            used.push((compose.clone(), spec.clone()));
        }
        out = rewritten;
    }
    (out, used)
}

#[cfg(test)]
mod host_tests {
    use super::*;

    #[test]
    fn renamed_services_are_rewritten_where_they_are_hosts() {
        let renamed = BTreeMap::from([("nc_db".to_string(), "nc-db".to_string())]);
        for (value, expected) in [
            ("nc_db", "nc-db"),
            ("nc_db:3306", "nc-db:3306"),
            (
                "mysql://app@nc_db:3306/nc_db_app",
                "mysql://app@nc-db:3306/nc_db_app",
            ),
            ("http://nc_db/health", "http://nc-db/health"),
            ("a,nc_db,b", "a,nc-db,b"),
            ("my_nc_db", "my_nc_db"),
            ("nc_dbx", "nc_dbx"),
            ("", ""),
        ] {
            assert_eq!(renamed_hosts(value, &renamed).0, expected, "{value}");
        }
        assert!(renamed_hosts("nc_db_name", &renamed).1.is_empty());
    }
}
