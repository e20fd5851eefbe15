//! The bundle under attack (issue 12): for every string field of the spec's JSON Schema, a
//! set of hostile payloads is put into a real example spec, both as the whole value and
//! appended to the value it had. Each variant must either be refused by `cutover check` or
//! compile into a bundle that
//!
//! - runs as pasted: every `sh` block of every runbook and README and every command of
//!   `dns/changes.json` runs under `bash` in the bundle's folder, with stub cloud tools
//!   first (and alone) on `PATH`, and no payload's marker file appears;
//! - writes nothing outside its own folder;
//! - holds no secret the payload carried;
//! - keeps every config file's keys (ossimport's `key=value`, image-syncer's YAML, the DNS
//!   change list, octoDNS zones, manifests: one document each);
//! - keeps the Markdown structure of every document (headings, links, images, HTML, tables,
//!   code blocks and their line counts) exactly as the unmodified example's bundle has it.
//!
//! The closing line prints the count of fields × payloads × modes.

mod common;

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;

use cutover::diagnostic::{Format, SourceFile};
use cutover::{Failure, Options};
use serde_json::Value;

/// The marker every command payload tries to create in the folder it runs in.
const MARKER: &str = "cutover-pwned";
/// The file a path payload tries to write, outside any bundle.
const VICTIM: &str = "/tmp/cutover-attack-victim";

/// What a payload carries, when it is a secret: a bundle may never contain this text.
struct Payload {
    name: &'static str,
    text: String,
    secret: Option<&'static str>,
}

fn payloads() -> Vec<Payload> {
    let plain = |name, text: &str| Payload {
        name,
        text: text.to_string(),
        secret: None,
    };
    let secret = |name, text: &str, needle: &'static str| Payload {
        name,
        text: text.to_string(),
        secret: Some(needle),
    };
    vec![
        plain("command substitution", &format!("$(touch {MARKER})")),
        plain("backticks", &format!("`touch {MARKER}`")),
        plain("semicolon", &format!(";touch {MARKER};")),
        plain("IFS", &format!(";touch${{IFS}}{MARKER};")),
        plain("pipe", &format!("|touch {MARKER}")),
        plain("ampersand", &format!("&touch {MARKER}&")),
        plain("and", &format!("&&touch {MARKER}")),
        plain("redirection", &format!(">{MARKER}")),
        plain("placeholder", &format!("<x>{MARKER}")),
        plain("newline", &format!("\ntouch {MARKER}\n")),
        plain("single quote", &format!("';touch {MARKER};'")),
        plain("double quote", &format!("\";touch {MARKER};\"")),
        plain("traversal", &format!("../../../../../../..{VICTIM}")),
        plain("absolute", VICTIM),
        plain("escape sequence", "\u{1b}[31mred\u{7}\u{8}"),
        plain("line separators", "a\r\u{2028}\u{2029}\u{85}b"),
        plain("bidi", "a\u{202e}b\u{2066}"),
        plain("heading", "\n# injected heading\n"),
        plain(
            "link",
            "[link](https://evil.example/) ![img](https://evil.example/x.png)",
        ),
        plain(
            "html",
            "<img src=x onerror=alert(1)><script>alert(1)</script>",
        ),
        plain("fence", "\n```\nrm -rf /\n```\n"),
        plain("table", "| a | b |\n| - | - |"),
        plain("yaml", "x\n---\nkind: Secret\nmetadata: {name: injected}"),
        plain("config key", "x\ndestDomain=https://evil.example\n"),
        secret(
            "accesskey",
            "LTAI5tQ8ZtJ6oGaB4xY2wUjK",
            "LTAI5tQ8ZtJ6oGaB4xY2wUjK",
        ),
        secret(
            "github token",
            "ghp_1A2b3C4d5E6f7G8h9I0jK1l2M3n4O5p6Q7r8",
            "ghp_1A2b3C4d5E6f7G8h9I0jK1l2M3n4O5p6Q7r8",
        ),
        secret(
            "private key",
            "-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA7bq\n-----END RSA PRIVATE KEY-----",
            "MIIEpAIBAAKCAQEA7bq",
        ),
        secret(
            "url password",
            "postgres://admin:hunter2secret@db.example.com/app",
            "hunter2secret",
        ),
    ]
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    /// The payload is the whole value (or key).
    Replace,
    /// The payload follows the value the example had, so grammars that check a prefix
    /// (`oss://bucket`, `cn-hangzhou`) are tried too.
    Append,
}

/// One step from a spec's root to a value.
#[derive(Clone, Debug)]
enum Step {
    Key(String),
    Index(usize),
}

/// Where a schema path occurs in an example: the value itself, or a map key.
#[derive(Clone, Debug)]
struct Site {
    example: PathBuf,
    steps: Vec<Step>,
    /// The site is a map key (`env` names), not a value.
    is_key: bool,
}

/// The string fields of the JSON Schema, as paths such as `.services[].routes[].host`,
/// `.services[].env{}` (a map's values) and `.services[].env{key}` (its keys).
fn schema_string_paths() -> BTreeSet<String> {
    let schema: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string("schemas/migration.schema.json").unwrap())
            .unwrap();
    let defs = schema["$defs"].clone();
    let mut paths = BTreeSet::new();
    walk_schema(&schema, "", &defs, &mut Vec::new(), &mut paths);
    paths
}

fn walk_schema(
    node: &serde_json::Value,
    path: &str,
    defs: &serde_json::Value,
    seen: &mut Vec<String>,
    out: &mut BTreeSet<String>,
) {
    if let Some(reference) = node.get("$ref").and_then(|r| r.as_str()) {
        let name = reference.rsplit('/').next().unwrap().to_string();
        if !seen.contains(&name) {
            seen.push(name.clone());
            walk_schema(&defs[&name], path, defs, seen, out);
            seen.pop();
        }
        return;
    }
    for key in ["anyOf", "oneOf", "allOf"] {
        for sub in node
            .get(key)
            .and_then(|v| v.as_array())
            .into_iter()
            .flatten()
        {
            walk_schema(sub, path, defs, seen, out);
        }
    }
    let is_string = match node.get("type") {
        Some(serde_json::Value::String(t)) => t == "string",
        Some(serde_json::Value::Array(ts)) => ts.iter().any(|t| t == "string"),
        _ => false,
    };
    if is_string {
        out.insert(path.to_string());
    }
    if let Some(props) = node.get("properties").and_then(|p| p.as_object()) {
        for (name, sub) in props {
            walk_schema(sub, &format!("{path}.{name}"), defs, seen, out);
        }
    }
    if let Some(items) = node.get("items").filter(|i| i.is_object()) {
        walk_schema(items, &format!("{path}[]"), defs, seen, out);
    }
    if let Some(values) = node.get("additionalProperties").filter(|a| a.is_object()) {
        out.insert(format!("{path}{{key}}"));
        walk_schema(values, &format!("{path}{{}}"), defs, seen, out);
    }
}

/// Every string value and map key of a spec, by schema path: items in document order, keys
/// sorted (the first site of a path is the one attacked).
fn sites_of(
    example: &Path,
    value: &Value,
    schema: &BTreeSet<String>,
    out: &mut BTreeMap<String, Site>,
) {
    fn walk(
        example: &Path,
        value: &Value,
        path: &str,
        steps: &mut Vec<Step>,
        schema: &BTreeSet<String>,
        out: &mut BTreeMap<String, Site>,
    ) {
        let add = |out: &mut BTreeMap<String, Site>, path: String, steps: &[Step], is_key| {
            out.entry(path).or_insert_with(|| Site {
                example: example.to_path_buf(),
                steps: steps.to_vec(),
                is_key,
            });
        };
        match value {
            Value::String(_) => add(out, path.to_string(), steps, false),
            Value::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    steps.push(Step::Index(i));
                    walk(example, item, &format!("{path}[]"), steps, schema, out);
                    steps.pop();
                }
            }
            Value::Object(map) => {
                let is_map = schema.contains(&format!("{path}{{key}}"));
                for (key, item) in map {
                    steps.push(Step::Key(key.to_string()));
                    let sub = if is_map {
                        add(out, format!("{path}{{key}}"), steps, true);
                        format!("{path}{{}}")
                    } else {
                        format!("{path}.{key}")
                    };
                    walk(example, item, &sub, steps, schema, out);
                    steps.pop();
                }
            }
            _ => {}
        }
    }
    walk(example, value, "", &mut Vec::new(), schema, out);
}

/// The spec with the value (or key) at `site` changed by `f`.
fn mutate(root: &Value, site: &Site, f: &dyn Fn(&str) -> String) -> Value {
    let mut root = root.clone();
    let (last, parents) = site.steps.split_last().unwrap();
    let mut node = &mut root;
    for step in parents {
        node = match step {
            Step::Key(k) => node.get_mut(k.as_str()).unwrap(),
            Step::Index(i) => node.get_mut(*i).unwrap(),
        };
    }
    match (last, site.is_key) {
        (Step::Key(k), true) => {
            let map = node.as_object_mut().unwrap();
            let value = map.remove(k.as_str()).unwrap();
            map.insert(f(k), value);
        }
        (Step::Key(k), false) => {
            let slot = node.get_mut(k.as_str()).unwrap();
            *slot = Value::String(f(slot.as_str().unwrap()));
        }
        (Step::Index(i), _) => {
            let slot = node.get_mut(*i).unwrap();
            *slot = Value::String(f(slot.as_str().unwrap()));
        }
    }
    root
}

/// What must stay the same in a Markdown document whatever a value holds: every block and
/// inline element but text and code content. A link counts by its kind and by whether it
/// points at a file of the bundle (a phase's file name is a label from the spec, and may
/// differ), so a value cannot add, remove or redirect one. Code blocks count, their lines do
/// not (a longer value can mean more lookups); what the lines do is proven by running them.
fn markdown_structure(text: &str, files: &cutover::bundle::Files) -> Vec<String> {
    use pulldown_cmark::{Event, Options as MdOptions, Parser, Tag};
    let mut out = Vec::new();
    for event in Parser::new_ext(text, MdOptions::ENABLE_TABLES) {
        match event {
            Event::Start(Tag::Link {
                link_type,
                dest_url,
                ..
            }) => {
                let local = ["", "runbooks/"].iter().any(|dir| {
                    let name = dest_url.trim_start_matches("../");
                    files.get(&format!("{dir}{name}")).is_some()
                });
                out.push(format!("link {link_type:?}, to a bundle file: {local}"));
            }
            Event::Start(tag) => out.push(format!("{tag:?}")),
            Event::End(tag) => out.push(format!("end {tag:?}")),
            Event::Html(h) | Event::InlineHtml(h) => out.push(format!("html {h}")),
            Event::Rule => out.push("rule".into()),
            _ => {}
        }
    }
    out
}

/// Structure a value could inject: raw HTML, links and images.
fn is_injectable(event: &str) -> bool {
    event.starts_with("html ") || event.starts_with("link ") || event.starts_with("Image")
}

/// Whether the heading payload became a heading of its own (a heading that only shows the
/// value, escaped, inside cutover's own title is fine).
fn injected_heading(text: &str) -> bool {
    use pulldown_cmark::{Event, Parser, Tag, TagEnd};
    let mut heading: Option<String> = None;
    for event in Parser::new(text) {
        match event {
            Event::Start(Tag::Heading { .. }) => heading = Some(String::new()),
            // The guard ends the heading either way.
            Event::End(TagEnd::Heading(_))
                if heading
                    .take()
                    .is_some_and(|h| h.trim() == "injected heading") =>
            {
                return true;
            }
            Event::Text(t) | Event::Code(t) => {
                if let Some(h) = heading.as_mut() {
                    h.push_str(&t);
                }
            }
            _ => {}
        }
    }
    false
}

/// The `sh` blocks of a Markdown document.
fn sh_blocks(text: &str) -> Vec<String> {
    use pulldown_cmark::{CodeBlockKind, Event, Parser, Tag, TagEnd};
    let mut blocks = Vec::new();
    let mut current: Option<String> = None;
    for event in Parser::new(text) {
        match event {
            Event::Start(Tag::CodeBlock(CodeBlockKind::Fenced(info))) if &*info == "sh" => {
                current = Some(String::new());
            }
            Event::Text(t) => {
                if let Some(c) = current.as_mut() {
                    c.push_str(&t);
                }
            }
            Event::End(TagEnd::CodeBlock) => blocks.extend(current.take()),
            _ => {}
        }
    }
    blocks
}

/// Every command a bundle tells a person to run.
fn commands_of(files: &cutover::bundle::Files) -> Vec<String> {
    let mut out = Vec::new();
    for (path, content) in files.iter() {
        if path.ends_with(".md") {
            out.extend(sh_blocks(&String::from_utf8_lossy(content)));
        }
    }
    if let Some(changes) = files.get("dns/changes.json") {
        let changes: serde_json::Value = serde_json::from_slice(changes).unwrap();
        collect_commands(&changes, &mut out);
    }
    out
}

fn collect_commands(value: &serde_json::Value, out: &mut Vec<String>) {
    match value {
        serde_json::Value::Object(map) => {
            for (key, item) in map {
                if matches!(key.as_str(), "commands" | "lookups") {
                    for c in item.as_array().into_iter().flatten() {
                        if let Some(c) = c.as_str() {
                            out.push(c.to_string());
                        }
                    }
                } else {
                    collect_commands(item, out);
                }
            }
        }
        serde_json::Value::Array(items) => items.iter().for_each(|i| collect_commands(i, out)),
        _ => {}
    }
}

/// The keys of a `key=value` config, in order.
fn config_keys(text: &str) -> Vec<String> {
    text.lines()
        .filter(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
        .map(|l| l.split_once('=').map_or(l, |(k, _)| k).trim().to_string())
        .collect()
}

/// What a bundle's config files are made of: their keys and documents.
fn config_shape(files: &cutover::bundle::Files) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for (path, content) in files.iter() {
        let text = String::from_utf8_lossy(content);
        let shape = if path.ends_with(".cfg") {
            config_keys(&text).join(",")
        } else if path.ends_with(".yaml") {
            match common::yaml_documents(content) {
                Ok(documents) => format!(
                    "{} documents, {} top keys",
                    documents.len(),
                    documents
                        .first()
                        .and_then(Value::as_object)
                        .map_or(0, |m| m.len())
                ),
                Err(e) => format!("unreadable YAML: {e}"),
            }
        } else if path.starts_with("tools/") && path.ends_with(".json") {
            // A request body (tools/ack): a payload may change a value, never add a key.
            json_shape(&text)
        } else if path.ends_with(".svg") {
            svg_shape(&text)
        } else {
            continue;
        };
        // The path itself is part of the shape; only paths both sides have are compared.
        out.insert(path.to_string(), shape);
    }
    out
}

/// A JSON file's keys, at every depth, in order (array items by position).
fn json_shape(text: &str) -> String {
    fn walk(value: &Value, path: &str, out: &mut Vec<String>) {
        match value {
            Value::Object(map) => {
                for (key, inner) in map {
                    let here = format!("{path}.{key}");
                    out.push(here.clone());
                    walk(inner, &here, out);
                }
            }
            Value::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    walk(item, &format!("{path}[{i}]"), out);
                }
            }
            _ => {}
        }
    }
    match serde_json::from_str::<Value>(text) {
        Ok(value) => {
            let mut out = Vec::new();
            walk(&value, "", &mut out);
            out.join(",")
        }
        Err(e) => format!("unreadable JSON: {e}"),
    }
}

/// What a picture is made of: well-formed XML of drawing elements only (a payload may change
/// what the picture shows, never add an element, a comment or an instruction to it).
fn svg_shape(text: &str) -> String {
    match roxmltree::Document::parse(text) {
        Ok(doc) => {
            let foreign: Vec<String> = doc
                .descendants()
                .filter(|n| {
                    n.is_comment()
                        || n.is_pi()
                        || (n.is_element()
                            && !matches!(
                                n.tag_name().name(),
                                "svg"
                                    | "title"
                                    | "desc"
                                    | "style"
                                    | "g"
                                    | "rect"
                                    | "line"
                                    | "polyline"
                                    | "polygon"
                                    | "text"
                            ))
                })
                .map(|n| format!("{:?}", n.node_type()))
                .collect();
            if foreign.is_empty() {
                "SVG of drawing elements".into()
            } else {
                format!("SVG with {foreign:?}")
            }
        }
        Err(e) => format!("unreadable XML: {e}"),
    }
}

/// Stub cloud and cluster tools: each logs its arguments and succeeds; `jq` prints an id.
fn stub_bin(dir: &Path) -> PathBuf {
    let bin = dir.join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let stubs = [
        "aliyun",
        "kubectl",
        "dig",
        "curl",
        "docker",
        "ossutil",
        "rsync",
        "sudo",
        "mount",
        "umount",
        "envsubst",
        "image-syncer",
        "ossimport",
        "sleep",
        "watch",
        "ssh",
        "scp",
        "nslookup",
        "helm",
        "base64",
        "openssl",
        "kustomize",
    ];
    for stub in stubs {
        let path = bin.join(stub);
        std::fs::write(
            &path,
            "#!/bin/sh\nprintf '%s\\n' \"$0 $*\" >> \"$STUB_LOG\"\ncat >/dev/null 2>&1 <&0 || true\nexit 0\n",
        )
        .unwrap();
        set_executable(&path);
    }
    let jq = bin.join("jq");
    std::fs::write(&jq, "#!/bin/sh\ncat >/dev/null\necho stub-id\n").unwrap();
    set_executable(&jq);
    // The few real tools a payload needs to leave its mark, and the shell itself.
    for real in [
        "touch", "cat", "cp", "mkdir", "printf", "echo", "sh", "bash", "tr", "sed", "grep", "head",
        "tail", "wc", "sort", "env", "test", "[", "true", "false", "ls", "tee", "xargs", "cut",
        "awk",
    ] {
        for dir in ["/usr/bin", "/bin"] {
            let source = Path::new(dir).join(real);
            if source.exists() {
                let _ = std::os::unix::fs::symlink(&source, bin.join(real));
                break;
            }
        }
    }
    bin
}

fn set_executable(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

/// Shell variables the commands use: each is given a stub value so that guards such as
/// `: "${VSG_ID_WEB:?...}"` let the rest of a block run.
fn variables_in(commands: &[String]) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for command in commands {
        let bytes = command.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            if bytes[i] == b'$' {
                let start = i + 1 + usize::from(bytes.get(i + 1) == Some(&b'{'));
                let end = bytes[start..]
                    .iter()
                    .position(|b| !(b.is_ascii_uppercase() || b.is_ascii_digit() || *b == b'_'))
                    .map_or(bytes.len(), |p| start + p);
                if end > start && !bytes[start].is_ascii_digit() {
                    out.insert(command[start..end].to_string());
                }
                i = end.max(i + 1);
            } else {
                i += 1;
            }
        }
    }
    out
}

/// Runs each command block under bash, each in a subshell, as pasted, in `bundle`.
fn run_as_pasted(scratch: &Path, bundle: &Path, bin: &Path, blocks: &[String]) -> String {
    let script_dir = scratch.join("blocks");
    std::fs::create_dir_all(&script_dir).unwrap();
    let mut main = String::new();
    for (i, block) in blocks.iter().enumerate() {
        let file = script_dir.join(format!("{i}.sh"));
        std::fs::write(&file, block).unwrap();
        main.push_str(&format!(
            "( . '{}' ) </dev/null >/dev/null 2>&1\n",
            file.display()
        ));
    }
    let main_file = scratch.join("main.sh");
    std::fs::write(&main_file, main).unwrap();
    let mut command = Command::new("/usr/bin/timeout");
    command
        .arg("60")
        .arg("/bin/bash")
        .arg("--noprofile")
        .arg("--norc")
        .arg(&main_file)
        .current_dir(bundle)
        .env_clear()
        .env("PATH", bin)
        .env("HOME", scratch)
        .env("STUB_LOG", scratch.join("stub.log"));
    for name in variables_in(blocks) {
        command.env(&name, format!("stub-{}", name.to_ascii_lowercase()));
    }
    let status = command.status().unwrap();
    if status.code() == Some(124) {
        return "the commands did not finish within 60 s".into();
    }
    String::new()
}

/// Every file below `dir`, relative.
fn files_below(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let path = entry.path();
            if entry.file_type().is_ok_and(|t| t.is_dir()) {
                stack.push(path.clone());
            }
            out.push(path.strip_prefix(dir).unwrap().to_path_buf());
        }
    }
    out
}

struct Baseline {
    root: Value,
    markdown: BTreeMap<String, Vec<String>>,
    configs: BTreeMap<String, String>,
}

fn compile_text(text: &str) -> Result<cutover::Compiled, Failure> {
    let source = SourceFile::new("attack.yaml", text, Format::Yaml);
    // As if beside the examples: `configs` files are read from there.
    cutover::compile_source_in(source, Path::new("examples"), &Options::default())
}

#[test]
fn no_spec_value_runs_writes_or_leaks_anything() {
    let schema = schema_string_paths();
    // The examples, then specs that set the fields no example sets.
    let mut examples = common::example_specs(&["yaml"]);
    examples.extend(common::fixtures("attack"));
    let mut sites = BTreeMap::new();
    let mut baselines = BTreeMap::new();
    for example in &examples {
        let text = std::fs::read_to_string(example).unwrap();
        let root = common::yaml(text.as_bytes());
        sites_of(example, &root, &schema, &mut sites);
        let compiled = common::compile(example);
        let markdown = compiled
            .files
            .iter()
            .filter(|(p, _)| p.ends_with(".md"))
            .map(|(p, c)| {
                (
                    p.to_string(),
                    markdown_structure(&String::from_utf8_lossy(c), &compiled.files),
                )
            })
            .collect();
        let configs = config_shape(&compiled.files);
        // The variants are written as JSON, which is YAML 1.2 and keeps every payload's bytes
        // (serde_json escapes the C0 controls; our loader reads every other character as it
        // is). The unmodified spec written so must compile to the same bundle, or every
        // variant would be refused for the wrong reason.
        let rewritten = compile_text(&serde_json::to_string(&root).unwrap())
            .unwrap_or_else(|_| panic!("{} does not compile once rewritten", example.display()));
        assert!(
            rewritten.files.iter().eq(compiled.files.iter()),
            "{} compiles to another bundle once rewritten",
            example.display()
        );
        baselines.insert(
            example.clone(),
            Baseline {
                root,
                markdown,
                configs,
            },
        );
    }
    let uncovered: Vec<&String> = schema
        .iter()
        .filter(|p| !p.is_empty() && !sites.contains_key(*p))
        .collect();
    // Fields that exist only to be refused need no base: credentials in the spec
    // (`storage/oss-credentials`) and a value on a moving DNS record (`dns/names`).
    let refused_always = [
        ".storage[].accessKeyId",
        ".storage[].accessKeySecret",
        ".dns.records[].value",
    ];
    let uncovered: Vec<&String> = uncovered
        .into_iter()
        .filter(|p| !refused_always.contains(&p.as_str()))
        .collect();
    assert!(
        uncovered.is_empty(),
        "string fields of the schema that no example sets (add them to an example): {uncovered:?}"
    );

    let payloads = payloads();
    let modes: &[Mode] = &[Mode::Replace, Mode::Append];
    let work: Vec<(&String, &Site, &Payload, Mode)> = sites
        .iter()
        .flat_map(|(path, site)| {
            payloads
                .iter()
                .flat_map(move |p| modes.iter().map(move |m| (path, site, p, *m)))
        })
        .collect();

    let scratch_root = tempfile::tempdir().unwrap();
    let bin = stub_bin(scratch_root.path());
    let state = State {
        seen_blocks: Mutex::new(HashSet::new()),
        failures: Mutex::new(Vec::new()),
        counts: Mutex::new(Counts::default()),
        scratch: scratch_root.path().to_path_buf(),
        bin,
    };
    let next = std::sync::atomic::AtomicUsize::new(0);
    let _ = std::fs::remove_file(VICTIM);
    std::thread::scope(|scope| {
        for _ in 0..2 {
            scope.spawn(|| {
                loop {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let Some(&(path, site, payload, mode)) = work.get(i) else {
                        break;
                    };
                    let attack = Attack {
                        id: i,
                        path,
                        site,
                        payload,
                        mode,
                        baseline: &baselines[&site.example],
                    };
                    attack.run(&state);
                }
            });
        }
    });

    let counts = state.counts.into_inner().unwrap();
    let failures = state.failures.into_inner().unwrap();
    eprintln!(
        "attack: {} fields × {} payloads × {} modes = {} variants: {} refused by check, \
         {} compiled and inspected; {} more refused only for their grammar rendered anyway \
         and inspected (render must not trust check); {} distinct command blocks run as pasted",
        sites.len(),
        payloads.len(),
        modes.len(),
        work.len(),
        counts.refused,
        counts.compiled,
        counts.unchecked,
        counts.blocks
    );
    let mut failures = failures;
    failures.sort();
    // The whole list, for the engineer fixing them; the assertion shows the start.
    let _ = std::fs::write(
        Path::new(env!("CARGO_TARGET_TMPDIR")).join("attack-failures.txt"),
        failures.join("\n"),
    );
    assert!(
        failures.is_empty(),
        "{} failures (all in target/tmp/attack-failures.txt), the first 40:\n{}",
        failures.len(),
        failures
            .iter()
            .take(40)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
}

/// The rules that only hold a value to its grammar: a variant refused by these alone is
/// rendered anyway, to prove that render quotes and escapes without trusting check.
const GRAMMAR_RULES: &[&str] = &["spec/value", "spec/name", "dns/names"];

#[derive(Default)]
struct Counts {
    refused: usize,
    compiled: usize,
    unchecked: usize,
    blocks: usize,
}

struct State {
    seen_blocks: Mutex<HashSet<String>>,
    failures: Mutex<Vec<String>>,
    counts: Mutex<Counts>,
    scratch: PathBuf,
    bin: PathBuf,
}

/// One payload in one field of one base spec.
struct Attack<'a> {
    id: usize,
    path: &'a str,
    site: &'a Site,
    payload: &'a Payload,
    mode: Mode,
    baseline: &'a Baseline,
}

impl Attack<'_> {
    fn fail(&self, state: &State, why: String) {
        state.failures.lock().unwrap().push(format!(
            "{} {} ({}, {:?}): {why}",
            self.site.example.display(),
            self.path,
            self.payload.name,
            self.mode
        ));
    }

    fn run(&self, state: &State) {
        let variant = mutate(&self.baseline.root, self.site, &|old| match self.mode {
            Mode::Replace => self.payload.text.clone(),
            // A secret is found where it starts a word, as secret scanners find them.
            Mode::Append if self.payload.secret.is_some() => format!("{old}-{}", self.payload.text),
            Mode::Append => format!("{old}{}", self.payload.text),
        });
        let text = serde_json::to_string(&variant).unwrap();
        let mut checked = true;
        let files = match std::panic::catch_unwind(|| compile_text(&text)) {
            Err(_) => return self.fail(state, "panicked".into()),
            Ok(Ok(compiled)) => {
                state.counts.lock().unwrap().compiled += 1;
                if let Some(needle) = self.payload.secret
                    && let Some((p, _)) = compiled
                        .files
                        .iter()
                        .find(|(_, c)| String::from_utf8_lossy(c).contains(needle))
                {
                    self.fail(state, format!("the secret reached {p}"));
                }
                compiled.files
            }
            Ok(Err(Failure::Spec(diagnostics))) => {
                if diagnostics.iter().any(|d| d.rule.as_str().is_empty()) {
                    self.fail(state, "a diagnostic without a rule id".into());
                }
                state.counts.lock().unwrap().refused += 1;
                if std::env::var_os("ATTACK_TRACE").is_some() {
                    eprintln!(
                        "unchecked: {} {} {} {:?}",
                        self.site.example.display(),
                        self.path,
                        self.payload.name,
                        self.mode
                    );
                }
                match render_unchecked(&text) {
                    Some(files) => {
                        checked = false;
                        state.counts.lock().unwrap().unchecked += 1;
                        files
                    }
                    None => return,
                }
            }
            Ok(Err(Failure::Io(m))) => {
                return self.fail(
                    state,
                    format!("passed check but failed to render (a rule should refuse it): {m}"),
                );
            }
        };
        self.inspect(state, &files, checked);
    }

    /// Everything a bundle must be, whatever the payload.
    fn inspect(&self, state: &State, files: &cutover::bundle::Files, checked: bool) {
        let trace = |stage: &str| {
            if std::env::var_os("ATTACK_TRACE").is_some() {
                eprintln!(
                    "{} {stage}: {} {} {} {:?}",
                    self.id,
                    self.site.example.display(),
                    self.path,
                    self.payload.name,
                    self.mode
                );
            }
        };
        trace("configs");
        let baseline = self.baseline;
        for (p, shape) in config_shape(files) {
            if let Some(before) = baseline.configs.get(&p)
                && *before != shape
            {
                self.fail(state, format!("{p}: {before} became {shape}"));
            }
        }
        trace("markdown");
        // A gate's words choose its form (`model::gates`): words that state a measured gate
        // compile into query checks, others stay a line of text. A payload that turns the
        // sketch's measured gate into text changes the runbooks' structure between those two
        // forms; it may still add nothing injectable, which the lenient reading below holds.
        let checked = checked && !self.path.starts_with(".rollout.gates");
        for (p, content) in files.iter().filter(|(p, _)| p.ends_with(".md")) {
            let text = String::from_utf8_lossy(content);
            if injected_heading(&text) {
                self.fail(state, format!("{p}: the payload's heading is a heading"));
            }
            let structure = markdown_structure(&text, files);
            let Some(before) = baseline.markdown.get(p) else {
                continue;
            };
            if checked {
                // A value that passed check changes no structure at all.
                if *before != structure {
                    let at = before
                        .iter()
                        .zip(&structure)
                        .position(|(a, b)| a != b)
                        .unwrap_or(before.len().min(structure.len()));
                    self.fail(
                        state,
                        format!(
                            "{p}: Markdown structure changed at event {at}: {:?} became {:?}",
                            before.get(at),
                            structure.get(at)
                        ),
                    );
                }
            } else if let Some(new) = structure
                .iter()
                .find(|e| is_injectable(e) && !before.contains(e))
            {
                // A value refused by its grammar may change what the plan decides (a step
                // more or less), but never adds HTML or a link the document did not have.
                self.fail(state, format!("{p}: the payload added {new}"));
            }
        }
        trace("write");
        // Written to disk: nothing outside the bundle. A refused write is fine.
        let scratch = state.scratch.join(format!("v{}", self.id));
        let out = scratch.join("out");
        std::fs::create_dir_all(&scratch).unwrap();
        let written =
            cutover::bundle::write(files, &out, cutover::bundle::WriteOptions::default()).is_ok();
        let beside: Vec<_> = std::fs::read_dir(&scratch)
            .unwrap()
            .flatten()
            .map(|e| e.file_name())
            .filter(|n| n != "out")
            .collect();
        if !beside.is_empty() {
            self.fail(
                state,
                format!("files written beside the bundle: {beside:?}"),
            );
        }
        if written {
            // Commands, as pasted: only the blocks no earlier variant ran.
            let fresh: Vec<String> = {
                let mut seen = state.seen_blocks.lock().unwrap();
                commands_of(files)
                    .into_iter()
                    .filter(|b| seen.insert(b.clone()))
                    .collect()
            };
            trace("run");
            if !fresh.is_empty() {
                state.counts.lock().unwrap().blocks += fresh.len();
                let why = run_as_pasted(&scratch, &out, &state.bin, &fresh);
                if !why.is_empty() {
                    self.fail(state, why);
                }
            }
        }
        let marks: Vec<_> = files_below(&scratch)
            .into_iter()
            .filter(|p| p.file_name().is_some_and(|n| n == MARKER))
            .collect();
        if !marks.is_empty() {
            self.fail(
                state,
                format!("a pasted command ran the payload: {marks:?}"),
            );
        }
        if Path::new(VICTIM).exists() {
            let _ = std::fs::remove_file(VICTIM);
            self.fail(state, format!("{VICTIM} was written"));
        }
        let _ = std::fs::remove_dir_all(&scratch);
    }
}

/// The bundle of a spec whose only errors are grammar rules, rendered as if it had passed
/// (`None` when it has other errors, or when planning or rendering refuses it).
fn render_unchecked(text: &str) -> Option<cutover::bundle::Files> {
    let source = SourceFile::new("attack.yaml", text, Format::Yaml);
    let loaded = cutover::load::load_source(source).ok()?;
    let config = cutover::config::Config::default();
    let sizing = cutover::model::sizing::derive(&loaded.spec);
    let diagnostics = cutover::check::check(&loaded, &sizing, &config);
    let errors: Vec<_> = diagnostics
        .iter()
        .filter(|d| d.severity == cutover::diagnostic::Severity::Error)
        .collect();
    if errors.is_empty()
        || errors
            .iter()
            .any(|d| !GRAMMAR_RULES.contains(&d.rule.as_str()))
    {
        return None;
    }
    // The warnings stay: the bundle records them, as the baseline's does.
    let warnings = diagnostics
        .into_iter()
        .filter(|d| d.severity != cutover::diagnostic::Severity::Error)
        .collect();
    let checked = cutover::Checked {
        sizing: cutover::model::sizing::derive(&loaded.spec),
        loaded,
        configs: Default::default(),
        config,
        diagnostics: warnings,
    };
    let renderer = cutover::render::Renderer::new(None).ok()?;
    // Plan code may assume what the grammar rules guarantee; a panic here is not a bundle.
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        cutover::compile_checked(&checked, &renderer).ok()
    }))
    .ok()
    .flatten()
}
