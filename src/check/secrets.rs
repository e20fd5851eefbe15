//! Secret hygiene: credential-shaped values anywhere in the spec are refused, so that they
//! never reach git history, CI logs or the bundle.

use super::Ctx;
use crate::diagnostic::Diagnostic;

/// What a value looks like, if it looks like a credential.
pub fn credential_kind(value: &str) -> Option<&'static str> {
    let chars: Vec<char> = value.chars().collect();
    let run = |from: usize| {
        chars[from..]
            .iter()
            .take_while(|c| c.is_ascii_alphanumeric())
            .count()
    };
    for i in 0..chars.len().saturating_sub(3) {
        let prefix: String = chars[i..i + 4].iter().collect();
        if prefix == "LTAI" && run(i) >= 16 {
            return Some("an Alibaba Cloud AccessKey ID");
        }
        if (prefix == "AKIA" || prefix == "ASIA") && run(i) >= 20 {
            return Some("an AWS access key ID");
        }
    }
    if value.contains("PRIVATE KEY-----") {
        return Some("a private key");
    }
    None
}

/// Environment variable names that hold secrets by convention.
fn secret_name(name: &str) -> bool {
    let upper = name.to_ascii_uppercase();
    // A file or path names where the secret is, not the secret.
    if upper.ends_with("_FILE") || upper.ends_with("_PATH") {
        return false;
    }
    [
        "PASSWORD",
        "PASSWD",
        "SECRET",
        "TOKEN",
        "ACCESS_KEY",
        "PRIVATE_KEY",
        "API_KEY",
        "CREDENTIAL",
    ]
    .iter()
    .any(|word| upper.contains(word))
}

/// Every free-text value of the spec with its path (typed values such as CIDRs, addresses
/// and quantities cannot hold a credential). Walked directly, without serializing the spec.
fn texts<'a>(spec: &'a crate::model::Spec) -> Vec<(String, &'a str)> {
    let mut out: Vec<(String, &'a str)> = Vec::new();
    let mut add = |path: String, value: &'a str| out.push((path, value));
    add("metadata.name".into(), &spec.metadata.name);
    if let Some(owner) = &spec.metadata.owner {
        add("metadata.owner".into(), owner);
    }
    add("source.name".into(), &spec.source.name);
    for (field, value) in [
        ("testDomain", &spec.source.test_domain),
        ("stack", &spec.source.stack),
    ] {
        if let Some(value) = value {
            add(format!("source.{field}"), value);
        }
    }
    let t = &spec.target;
    add("target.name".into(), &t.name);
    add("target.region".into(), &t.region);
    for (field, value) in [("namespace", &t.namespace), ("testDomain", &t.test_domain)] {
        if let Some(value) = value {
            add(format!("target.{field}"), value);
        }
    }
    for (i, v) in t.network.vswitches.iter().enumerate() {
        add(format!("target.network.vswitches[{i}].name"), &v.name);
    }
    for (i, r) in t.network.routes.iter().enumerate() {
        add(format!("target.network.routes[{i}].name"), &r.name);
    }
    for (i, s) in spec.services.iter().enumerate() {
        add(format!("services[{i}].image"), &s.image);
        for (key, value) in &s.env {
            add(format!("services[{i}].env.{key}"), value);
        }
        for (j, r) in s.routes.iter().enumerate() {
            add(format!("services[{i}].routes[{j}].host"), &r.host);
            add(format!("services[{i}].routes[{j}].path"), &r.path);
        }
        if let Some(path) = s.health.as_ref().and_then(|h| h.path.as_ref()) {
            add(format!("services[{i}].health.path"), path);
        }
    }
    for (i, s) in spec.storage.iter().enumerate() {
        for (field, value) in [
            ("diskId", &s.disk_id),
            ("server", &s.server),
            ("path", &s.path),
            ("bucket", &s.bucket),
            ("endpoint", &s.endpoint),
            ("credentialsSecret", &s.credentials_secret),
        ] {
            if let Some(value) = value {
                add(format!("storage[{i}].{field}"), value);
            }
        }
    }
    if let Some(images) = &spec.images {
        add("images.target".into(), &images.target);
    }
    if let Some(data) = &spec.data {
        for (i, db) in data.databases.iter().enumerate() {
            add(format!("data.databases[{i}].source.host"), &db.source.host);
            add(
                format!("data.databases[{i}].target.instance"),
                &db.target.instance,
            );
        }
        for (i, store) in data.object_stores.iter().enumerate() {
            add(format!("data.objectStores[{i}].source"), &store.source);
            add(format!("data.objectStores[{i}].target"), &store.target);
            if let Some(endpoint) = &store.source_endpoint {
                add(format!("data.objectStores[{i}].sourceEndpoint"), endpoint);
            }
        }
        if let Some(backups) = &data.backups {
            add("data.backups".into(), backups);
        }
    }
    for (i, gate) in spec.rollout.gates.iter().enumerate() {
        add(format!("rollout.gates[{i}]"), gate);
    }
    if let Some(rule) = &spec.rollout.match_rule {
        for (kind, condition) in [
            ("header", &rule.header),
            ("cookie", &rule.cookie),
            ("query", &rule.query),
        ] {
            if let Some(condition) = condition {
                for (field, value) in [("value", &condition.value), ("pattern", &condition.pattern)]
                {
                    if let Some(value) = value {
                        add(format!("rollout.match.{kind}.{field}"), value);
                    }
                }
            }
        }
    }
    if let Some(dns) = &spec.dns {
        for (i, r) in dns
            .private_zone
            .iter()
            .flat_map(|p| p.records.iter())
            .enumerate()
        {
            if let Some(value) = &r.value {
                add(format!("dns.privateZone.records[{i}].value"), value);
            }
        }
    }
    for (i, c) in spec
        .verification
        .iter()
        .flat_map(|v| v.checks.iter())
        .enumerate()
    {
        add(format!("verification.checks[{i}].request"), &c.request);
    }
    out
}

pub fn check(ctx: &Ctx, out: &mut Vec<Diagnostic>) {
    for (i, service) in ctx.spec.services.iter().enumerate() {
        for (key, value) in &service.env {
            if secret_name(key) && !value.is_empty() && !value.starts_with("${") {
                out.push(
                    ctx.error(
                        "spec/credential",
                        &format!("services[{i}].env.{key}"),
                        "a secret in the spec",
                        format!("`{key}` looks like a secret, and its value is written in the spec"),
                    )
                    .service(&service.name)
                    .help("keep secrets out of the spec: create a Kubernetes Secret in the deploy phase and leave the variable out of `env`"),
                );
            }
        }
    }
    for (path, text) in texts(ctx.spec) {
        if let Some(kind) = credential_kind(text) {
            out.push(
                ctx.error("spec/credential", &path, kind, format!("this value looks like {kind}"))
                    .help("remove it (and rotate it: it is in your history now); credentials live in Secrets the runbooks create"),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credential_shapes_are_recognized() {
        assert!(credential_kind("LTAI5tQ7exampleKey0001").is_some());
        assert!(credential_kind("id=AKIAIOSFODNN7EXAMPLE").is_some());
        assert!(credential_kind("-----BEGIN RSA PRIVATE KEY-----").is_some());
        assert!(credential_kind("registry.example.com/app:1.0").is_none());
        assert!(credential_kind("LTAI").is_none());
    }
}
