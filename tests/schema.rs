//! The spec's JSON Schema as an editor reads it: it has its `$id`, every property of every
//! object has a title, a description and examples (on the property or on the definition it
//! refers to), every example is valid where it stands, and the examples and the imported
//! spec name the schema in their first line (the `yaml-language-server` modeline).

mod common;

use std::path::Path;

use serde_json::{Map, Value};

/// The modeline every example starts with: the schema beside them in this repository.
const EXAMPLE_MODELINE: &str = "# yaml-language-server: $schema=../schemas/migration.schema.json";

fn schema() -> Value {
    serde_json::from_str(&cutover::json_schema()).expect("the schema is JSON")
}

fn defs(schema: &Value) -> &Map<String, Value> {
    schema["$defs"].as_object().expect("the schema has $defs")
}

/// The definition a property refers to: its own `$ref`, or the one `$ref` of an
/// `anyOf`/`oneOf` (an optional field is `anyOf: [{$ref}, {type: null}]`).
fn referred<'a>(property: &Value, defs: &'a Map<String, Value>) -> Option<&'a Value> {
    let reference = property["$ref"].as_str().or_else(|| {
        let refs: Vec<&str> = ["anyOf", "oneOf"]
            .iter()
            .filter_map(|k| property[*k].as_array())
            .flatten()
            .filter_map(|alt| alt["$ref"].as_str())
            .collect();
        (refs.len() == 1).then(|| refs[0])
    })?;
    let name = reference
        .strip_prefix("#/$defs/")
        .expect("a local reference");
    Some(
        defs.get(name)
            .unwrap_or_else(|| panic!("no definition {name}")),
    )
}

/// Every property of every object schema, anywhere in `value`: (path, property schema).
fn properties<'a>(path: &str, value: &'a Value, out: &mut Vec<(String, &'a Value)>) {
    match value {
        Value::Object(map) => {
            if let Some(Value::Object(props)) = map.get("properties") {
                for (name, property) in props {
                    out.push((format!("{path}.{name}"), property));
                }
            }
            for (key, child) in map {
                if key != "$defs" && key != "examples" {
                    properties(&format!("{path}/{key}"), child, out);
                }
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                properties(&format!("{path}[{i}]"), item, out);
            }
        }
        _ => {}
    }
}

fn every_property(schema: &Value) -> Vec<(String, &Value)> {
    let mut out = Vec::new();
    properties("#", schema, &mut out);
    for (name, def) in defs(schema) {
        properties(&format!("#/$defs/{name}"), def, &mut out);
    }
    out
}

/// A keyword of the property, or of the definition it refers to.
fn keyword<'a>(property: &'a Value, defs: &'a Map<String, Value>, key: &str) -> Option<&'a Value> {
    let present = |v: &'a Value| v.get(key).filter(|v| !is_empty(v));
    present(property).or_else(|| referred(property, defs).and_then(present))
}

fn is_empty(value: &Value) -> bool {
    match value {
        Value::String(s) => s.trim().is_empty(),
        Value::Array(a) => a.is_empty(),
        _ => false,
    }
}

/// A property's schema on its own, with the definitions its references need.
fn standalone(property: &Value, schema: &Value) -> Value {
    let mut own = property.as_object().cloned().unwrap_or_default();
    own.insert("$schema".into(), schema["$schema"].clone());
    own.insert("$defs".into(), schema["$defs"].clone());
    Value::Object(own)
}

#[test]
fn the_schema_has_its_id_and_is_a_valid_schema() {
    let schema = schema();
    assert_eq!(
        schema["$id"],
        "https://cutover.dev/schemas/v1alpha1/migration.schema.json"
    );
    assert_eq!(schema["$id"], cutover::SCHEMA_ID);
    assert_eq!(
        schema["$schema"],
        "https://json-schema.org/draft/2020-12/schema"
    );
    if let Err(e) = jsonschema::meta::validate(&schema) {
        panic!("the schema is not valid against its metaschema: {e}");
    }
}

#[test]
fn every_property_has_a_title_a_description_and_examples() {
    let schema = schema();
    let defs = defs(&schema);
    let all = every_property(&schema);
    let mut missing = Vec::new();
    for (path, property) in &all {
        for key in ["title", "description", "examples"] {
            if keyword(property, defs, key).is_none() {
                missing.push(format!("{path}: no {key}"));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "{} missing:\n{}",
        missing.len(),
        missing.join("\n")
    );
    // The spec has more than two hundred properties; a walk that finds few is broken.
    assert!(all.len() > 200, "only {} properties found", all.len());
    eprintln!("{} properties documented", all.len());
}

#[test]
fn every_example_is_valid_where_it_stands() {
    let schema = schema();
    let defs = defs(&schema);
    let mut wrong = Vec::new();
    let mut checked = 0;
    let mut check = |path: &str, at: &Value, examples: &Value| {
        let validator = jsonschema::validator_for(&standalone(at, &schema))
            .unwrap_or_else(|e| panic!("{path}: the schema does not compile: {e}"));
        for example in examples.as_array().expect("examples is an array") {
            checked += 1;
            for error in validator.iter_errors(example) {
                wrong.push(format!("{path}: {example}: {error}"));
            }
        }
    };
    for (path, property) in every_property(&schema) {
        if let Some(examples) = property.get("examples") {
            check(&path, property, examples);
        } else if let Some(examples) = referred(property, defs).and_then(|d| d.get("examples")) {
            check(&path, property, examples);
        }
    }
    for (name, def) in defs {
        if let Some(examples) = def.get("examples") {
            check(&format!("#/$defs/{name}"), def, examples);
        }
    }
    assert!(
        wrong.is_empty(),
        "{} invalid examples:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
    assert!(checked > 200, "only {checked} examples checked");
}

#[test]
fn the_examples_are_valid_against_the_schema() {
    let schema = schema();
    let validator = jsonschema::validator_for(&schema).expect("the schema compiles");
    let specs = common::example_specs(&["yaml"]);
    assert!(!specs.is_empty());
    for path in specs {
        let spec = common::yaml(&std::fs::read(&path).unwrap());
        let errors: Vec<String> = validator
            .iter_errors(&spec)
            .map(|e| e.to_string())
            .collect();
        assert!(
            errors.is_empty(),
            "{}:\n{}",
            path.display(),
            errors.join("\n")
        );
    }
}

#[test]
fn every_example_names_the_schema_in_its_first_line() {
    assert!(Path::new("schemas/migration.schema.json").is_file());
    for path in common::example_specs(&["yaml", "yml"]) {
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(
            text.lines().next(),
            Some(EXAMPLE_MODELINE),
            "{}: the first line must be the modeline",
            path.display()
        );
    }
}

#[test]
fn an_imported_spec_names_the_published_schema_in_its_first_line() {
    let path = "tests/fixtures/compose/voting-app.yml";
    let text = std::fs::read_to_string(path).unwrap();
    let imported = match cutover::import::compose("voting", path, &text) {
        Ok(imported) => imported,
        Err(d) => panic!("{path} does not import:\n{}", common::render(&d)),
    };
    let mut lines = imported.spec.lines();
    assert_eq!(
        lines.next(),
        Some(format!("# yaml-language-server: $schema={}", cutover::SCHEMA_ID).as_str())
    );
    let second = lines.next().unwrap();
    assert!(
        second.starts_with('#') && second.contains("cutover schema > migration.schema.json"),
        "the second line says how to use a local copy: {second}"
    );
}
