//! Markdown injection, tried as an attacker would: the piggymetrics example with hostile but
//! valid values in its free-text fields must give runbooks, READMEs and reports whose
//! structure (headings, lists, links, images, raw HTML, tables, code, emphasis), read by a
//! real CommonMark parser with GitHub's extensions, is exactly the unmodified example's.
//! And control characters in a spec never reach a terminal or a JSON/SARIF reader raw.

mod common;

use std::collections::BTreeMap;

use pulldown_cmark::{Event, Options as Extensions, Parser, Tag, TagEnd};

/// Values that would add structure if printed raw, each valid where it is put.
const PAYLOADS: &[&str] = &[
    "# h [l](http://x) ![i](http://x/i.png) <img src=x onerror=alert(1)>",
    "`tick` ``two`` ```three``` | a | b | *c* _d_ ~~e~~ **f**",
    "- item",
    "1. first <http://auto> &amp; &#35; [^f] [x]: http://y",
    "> quote \\",
    "<!-- c --> <script>alert(1)</script>",
    "---",
    "===",
    "a|b\\|c",
];

/// A free-text field of the example and how to put a value into it.
struct Field {
    name: &'static str,
    /// The example's line, and the value in it.
    original: &'static str,
    value: &'static str,
    replaced: fn(&str) -> String,
}

const FIELDS: &[Field] = &[
    Field {
        name: "metadata.owner",
        original: "owner: platform-team",
        value: "platform-team",
        replaced: |v| format!("owner: {v}"),
    },
    Field {
        name: "rollout.gates[0]",
        original: "- error rate looks as low as on the old cluster",
        value: "error rate looks as low as on the old cluster",
        replaced: |v| format!("- {v}"),
    },
    Field {
        name: "verification.checks[0].name",
        original: "name: login page,",
        value: "login page",
        replaced: |v| format!("name: {v},"),
    },
    Field {
        name: "rollout.match.header.value",
        original: "value: canary }",
        value: "canary",
        replaced: |v| format!("value: {v} }}"),
    },
];

/// A Markdown document as a reader sees it: every event, with each run of text (and each
/// code span) as the reader gets it, `value` read as `original` where it appears. A value
/// escaped right reads back as itself, so the hostile bundle must read exactly as the
/// example's: same headings, links, images, HTML, tables, and every cell in its column.
fn reading(markdown: &str, value: &str, original: &str) -> Vec<String> {
    let extensions = Extensions::ENABLE_TABLES
        | Extensions::ENABLE_STRIKETHROUGH
        | Extensions::ENABLE_FOOTNOTES
        | Extensions::ENABLE_TASKLISTS;
    let mut events = Vec::new();
    let mut text = String::new();
    let flush = |text: &mut String, events: &mut Vec<String>| {
        if !text.is_empty() {
            events.push(format!("text {}", text.replace(value, original)));
            text.clear();
        }
    };
    for event in Parser::new_ext(markdown, extensions) {
        let shown = match event {
            Event::Text(t) => {
                text.push_str(&t);
                continue;
            }
            Event::SoftBreak => {
                text.push(' ');
                continue;
            }
            Event::Start(tag) => match tag {
                Tag::Heading { level, .. } => format!("heading {level:?}"),
                Tag::Link { dest_url, .. } => format!("link {dest_url}"),
                Tag::Image { dest_url, .. } => format!("image {dest_url}"),
                Tag::CodeBlock(kind) => format!("code block {kind:?}"),
                Tag::List(start) => format!("list {start:?}"),
                Tag::HtmlBlock => "html block".into(),
                other => format!("{other:?}"),
            },
            Event::End(TagEnd::CodeBlock) => "end code block".into(),
            Event::End(end) => format!("end {end:?}"),
            Event::Code(code) => format!("code {}", code.replace(value, original)),
            Event::Html(html) | Event::InlineHtml(html) => format!("html {html}"),
            other => format!("{other:?}"),
        };
        flush(&mut text, &mut events);
        events.push(shown);
    }
    flush(&mut text, &mut events);
    events
}

/// The Markdown files of a bundle, by path.
fn documents(files: &cutover::bundle::Files) -> BTreeMap<String, String> {
    files
        .iter()
        .filter(|(path, _)| path.ends_with(".md"))
        .map(|(path, content)| {
            (
                path.to_string(),
                String::from_utf8_lossy(content).into_owned(),
            )
        })
        .collect()
}

fn compile_text(text: &str) -> cutover::bundle::Files {
    let dir = tempfile::tempdir().unwrap();
    let path = common::temp_spec(&dir, "piggymetrics.yaml", text);
    common::compile(&path).files
}

/// The first structural difference of each document (among those `checked`) that differs
/// from the example's.
fn differences(field: &Field, checked: fn(&str) -> bool) -> Vec<String> {
    // The sketch's first gate states a measured gate in words (`model::gates`), which the
    // bundle shows as a query; this test needs a gate that stays free text, whose words
    // reach the Markdown as written.
    let example = std::fs::read_to_string("examples/piggymetrics.yaml")
        .unwrap()
        .replace(
            "- error rate below 1% on the new cluster",
            "- error rate looks as low as on the old cluster",
        );
    assert!(example.contains(field.original), "{}", field.name);
    let original = field.value;
    let expected: BTreeMap<String, Vec<String>> = documents(&compile_text(&example))
        .into_iter()
        .map(|(path, text)| (path, reading(&text, original, original)))
        .collect();
    let mut found = Vec::new();
    for payload in PAYLOADS {
        // A JSON string is a YAML double-quoted scalar.
        let quoted = serde_json::to_string(payload).unwrap();
        let hostile = example.replace(field.original, &(field.replaced)(&quoted));
        let files = compile_text(&hostile);
        let documents = documents(&files);
        assert_eq!(
            documents.keys().collect::<Vec<_>>(),
            expected.keys().collect::<Vec<_>>(),
            "{} = {payload:?}: other documents",
            field.name
        );
        for (path, text) in documents.iter().filter(|(path, _)| checked(path)) {
            let got = reading(text, payload, original);
            let want = &expected[path];
            if let Some(i) = (0..got.len().max(want.len())).find(|&i| got.get(i) != want.get(i)) {
                found.push(format!(
                    "{} = {payload:?}: {path}: event {i} is {:?}, the example has {:?}",
                    field.name,
                    got.get(i),
                    want.get(i)
                ));
            }
        }
    }
    found
}

fn assert_same_structure(field: &Field, checked: fn(&str) -> bool) {
    let found = differences(field, checked);
    assert!(found.is_empty(), "{}", found.join("\n"));
}

fn every_document(_: &str) -> bool {
    true
}

/// The documents whose every value the templates print (runbooks also print prose that
/// `render::runbook` builds around spec values).
fn not_a_runbook(path: &str) -> bool {
    !path.starts_with("runbooks/")
}

#[test]
fn the_owner_adds_no_structure() {
    assert_same_structure(&FIELDS[0], every_document);
}

#[test]
fn the_match_header_value_adds_no_structure() {
    assert_same_structure(&FIELDS[3], every_document);
}

#[test]
fn gates_add_no_structure_to_the_readme_and_reports() {
    assert_same_structure(&FIELDS[1], not_a_runbook);
}

#[test]
fn check_names_add_no_structure_to_the_readme_and_reports() {
    assert_same_structure(&FIELDS[2], not_a_runbook);
}

#[test]
fn gates_add_no_structure() {
    assert_same_structure(&FIELDS[1], every_document);
}

#[test]
fn check_names_add_no_structure() {
    assert_same_structure(&FIELDS[2], every_document);
}

#[test]
fn the_structure_reader_sees_injection() {
    // The reading must notice a raw value: each payload, unescaped, changes it somewhere.
    let places = [
        "Owned by {}.\n",
        "{}\n",
        "Some text\n{}\n",
        "| a | b |\n| --- | --- |\n| {} | y |\n",
    ];
    for payload in PAYLOADS {
        assert!(
            places.iter().any(|place| {
                reading(&place.replace("{}", "x"), "x", "x")
                    != reading(&place.replace("{}", payload), payload, "x")
            }),
            "{payload:?}"
        );
    }
}

/// A spec whose owner holds ESC and BEL fails `spec/value`; no report shows them raw.
#[test]
fn control_characters_never_reach_the_terminal_or_json() {
    let example = std::fs::read_to_string("examples/piggymetrics.yaml").unwrap();
    let hostile = example.replace(
        "owner: platform-team",
        "owner: \"\\e]0;pwned\\a\\e[2J\\u2028boss\\u0085\\u202e\"",
    );
    let dir = tempfile::tempdir().unwrap();
    let path = common::temp_spec(&dir, "piggymetrics.yaml", &hostile);
    assert!(std::fs::read_to_string(&path).unwrap().contains("\\e]0;"));
    let spec = path.to_str().unwrap();
    for format in ["human", "json", "sarif"] {
        let (code, stdout, stderr) = common::run(&["check", spec, "--format", format], None);
        assert_eq!(code, 1, "{format}: {stdout}{stderr}");
        let out = format!("{stdout}{stderr}");
        assert!(out.contains("metadata") || out.contains("owner"), "{out}");
        let raw: Vec<char> = out
            .chars()
            .filter(|&c| cutover::markdown::is_unsafe_char(c) && c != '\n')
            .collect();
        assert!(raw.is_empty(), "{format}: raw {raw:?} in\n{out}");
        assert!(
            out.contains("\\u{1b}") || out.contains("\\\\u{1b}") || out.contains('?'),
            "{format}: the escape is shown: {out}"
        );
    }
}

/// An overriding template gets the environment's escaping: it prints a hostile owner raw,
/// and the owner still adds no structure.
#[test]
fn overriding_templates_are_escaped_too() {
    let example = std::fs::read_to_string("examples/piggymetrics.yaml").unwrap();
    let payload = PAYLOADS[0];
    let hostile = example.replace(
        "owner: platform-team",
        &format!("owner: {}", serde_json::to_string(payload).unwrap()),
    );
    let dir = tempfile::tempdir().unwrap();
    let path = common::temp_spec(&dir, "piggymetrics.yaml", &hostile);
    let templates = dir.path().join("templates");
    std::fs::create_dir(&templates).unwrap();
    std::fs::write(
        templates.join("bundle-readme.md.j2"),
        "# Bundle\n\n{{ spec.metadata.owner }}\n\n- {{ spec.metadata.owner | upper }}\n\n| a |\n| --- |\n| {{ spec.metadata.owner | cell }} |\n",
    )
    .unwrap();
    let options = cutover::Options {
        config: None,
        templates: Some(templates),
    };
    let compiled = match cutover::compile_file(&path, &options) {
        Ok(compiled) => compiled,
        Err(_) => panic!("the hostile spec compiles"),
    };
    let readme = documents(&compiled.files)["README.md"].clone();
    let reading = reading(&readme, payload, "x");
    let expected = reading_of("# Bundle\n\nx\n\n- X\n\n| a |\n| --- |\n| x |\n");
    assert_eq!(
        reading
            .iter()
            .map(|e| e.replace(&payload.to_uppercase(), "X"))
            .collect::<Vec<_>>(),
        expected,
        "{readme}"
    );
}

fn reading_of(markdown: &str) -> Vec<String> {
    reading(markdown, "\0", "\0")
}
