//! Secret hygiene: credential-shaped values anywhere in the spec are refused, so that they
//! never reach git history, CI logs or the bundle.

use serde_json::Value;

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

pub fn check(ctx: &Ctx, out: &mut Vec<Diagnostic>) {
    let Ok(value) = serde_json::to_value(ctx.spec) else {
        return;
    };
    let mut stack = vec![(String::new(), &value)];
    while let Some((path, node)) = stack.pop() {
        match node {
            Value::Object(map) => {
                for (key, inner) in map {
                    // Inline OSS keys have their own rule (storage/oss-credentials).
                    if key == "accessKeyId" || key == "accessKeySecret" {
                        continue;
                    }
                    let child = if path.is_empty() {
                        key.clone()
                    } else {
                        format!("{path}.{key}")
                    };
                    if path.ends_with(".env")
                        && secret_name(key)
                        && inner
                            .as_str()
                            .is_some_and(|v| !v.is_empty() && !v.starts_with("${"))
                    {
                        out.push(
                            ctx.error("spec/credential", &child, "a secret in the spec", format!("`{key}` looks like a secret, and its value is written in the spec"))
                                .help("keep secrets out of the spec: create a Kubernetes Secret in the deploy phase and leave the variable out of `env`"),
                        );
                        continue;
                    }
                    stack.push((child, inner));
                }
            }
            Value::Array(items) => {
                for (i, inner) in items.iter().enumerate() {
                    stack.push((format!("{path}[{i}]"), inner));
                }
            }
            Value::String(text) => {
                if let Some(kind) = credential_kind(text) {
                    out.push(
                        ctx.error("spec/credential", &path, kind, format!("this value looks like {kind}"))
                            .help("remove it (and rotate it: it is in your history now); credentials live in Secrets the runbooks create"),
                    );
                }
            }
            _ => {}
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
