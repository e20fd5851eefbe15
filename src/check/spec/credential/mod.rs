//! `spec/credential`: a credential anywhere in the spec is refused, so that it never reaches
//! git history, CI logs or the bundle. What it demands and why are in [`RULE`].
//!
//!
//! The scan walks every string of the loaded spec, every value and every mapping key (the
//! model serialized to a tree, so a new field is covered without a list to keep up to date),
//! and looks for two things:
//!
//! - credential shapes ([`find_credential`]): cloud AccessKey ids, provider tokens, JWTs,
//!   private key blocks, passwords in URLs and `password=...` pairs, modelled on the
//!   high-confidence rules of gitleaks' default configuration;
//! - secret-named variables ([`is_secret_name`]) with a written value: `DB_PASSWORD: x` is a
//!   secret, `DB_PASSWORD: ${DB_PASSWORD}` is a reference ([`is_reference`]).
//!
//! Each matcher looks only at positions where its token can start (after a byte outside the
//! token's alphabet) and reads a bounded or disjoint stretch from there, so a scan is linear
//! in the length of the text.

mod patterns;

use std::fmt::Write as _;

use serde_json::Value;

pub use patterns::*;

use crate::check::Ctx;
use crate::diagnostic::{Diagnostic, Severity, Span};
use crate::model::path::{SpecPath, root};
use crate::rules::{Level, Rule, RuleId, Scope, Status};

pub static RULE: Rule = Rule {
    id: RuleId::SpecCredential,
    level: Level::Error,
    status: Status::Checked,
    scope: Scope::Spec,
    locked: Some("a secret in the spec is always an error"),
    summary: "No string of the spec (any value, any key) holds a credential: a cloud AccessKey ID (`LTAI…`, `AKIA…`), a provider token (GitHub `ghp_…`, GitLab `glpat-…`, Slack `xoxb-…` and webhooks, Google `AIza…`, Stripe `sk_live_…`, ...), a JWT, a private key block, a password in a URL (`postgres://u:pw@host`) or after its name (`password=…`), or a secret-named variable (a word part `PASSWORD`, `PASS`, `PWD`, `SECRET`, `TOKEN`, `API_KEY`, `ACCESS_KEY`, `PRIVATE_KEY`, `CREDENTIALS`, ...; not `*_FILE`, `*_PATH`, `*_ENV`) with a written value. Only a whole `${NAME}` is a reference. It cannot be allowed or lowered.",
    rationale: "A secret in a spec ends up in git history, CI logs, pull requests and the bundle pasted into a production shell. No decision can accept that: the rule is not set in `cutover.toml` or `allow:`.",
    bad: "env: { DB_PASSWORD: hunter2, DB_URL: \"postgres://app:hunter2@db/app\" }",
    good: "env: { DB_PASSWORD: \"${DB_PASSWORD}\", DB_PASSWORD_FILE: /run/secrets/db }   # the value from a Secret at deploy time",
    source: "cutover; gitleaks default rules",
};

// --- the check --------------------------------------------------------------------------

const HELP_VALUE: &str = "remove it from the spec and rotate it (it is in your history now); \
    declare the Secret in `secrets:` (`{ name: NAME, keys: [KEY] }`) and write \
    `{ secret: NAME, key: KEY }` where the spec needs the value: the deploy runbook creates the \
    Secret from a file you provide";

const HELP_NAME: &str = "declare the Secret in `secrets:` (`{ name: NAME, keys: [KEY] }`) and \
    write `{ secret: NAME, key: KEY }` instead of the value: the deploy runbook creates the Secret \
    from a file you provide";

const HELP_STORAGE: &str = "remove it from the spec and rotate it if it was real; name the \
    Secret that holds the AccessKey pair in `credentialsSecret`: the deploy runbook creates it \
    from variables exported in your shell";

pub fn check(ctx: &Ctx, out: &mut Vec<Diagnostic>) {
    match serde_json::to_value(ctx.spec) {
        Ok(tree) => {
            let mut walk = Walk {
                ctx,
                out,
                path: String::new(),
            };
            walk.value(&tree);
        }
        // Not expected (every map of the model has string keys); scan the file instead.
        Err(_) => scan_source(ctx, out),
    }
}

fn scan_source(ctx: &Ctx, out: &mut Vec<Diagnostic>) {
    if let Some(f) = find_credential(&ctx.source.text) {
        out.push(
            ctx.error(
                RULE.id,
                root(),
                f.kind,
                format!("the spec holds {}", f.kind),
            )
            .help(HELP_VALUE),
        );
    }
}

struct Walk<'a, 'b> {
    ctx: &'a Ctx<'a>,
    out: &'b mut Vec<Diagnostic>,
    /// The spec path of the node being walked (`services[2].env.DB_PASSWORD`).
    path: String,
}

impl Walk<'_, '_> {
    fn value(&mut self, value: &Value) {
        match value {
            Value::String(text) => {
                if let Some(f) = find_credential(text) {
                    let span = self.narrow(self.ctx.span(self.spec_path()), text, f);
                    self.report(span, f.kind, format!("this value looks like {}", f.kind));
                }
            }
            Value::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    let len = self.path.len();
                    let _ = write!(self.path, "[{i}]");
                    self.value(item);
                    self.path.truncate(len);
                }
            }
            Value::Object(entries) => {
                let named_values = self.holds_named_values();
                for (key, item) in entries {
                    let len = self.path.len();
                    if !self.path.is_empty() {
                        self.path.push('.');
                    }
                    self.path.push_str(key);
                    if let Some(f) = find_credential(key) {
                        let span = self.narrow(self.ctx.map.key_span(&self.path), key, f);
                        self.report(span, f.kind, format!("this name looks like {}", f.kind));
                    }
                    if (named_values || self.is_storage_access_key(key))
                        && let Value::String(text) = item
                        && is_written_secret(key, text)
                        && find_credential(text).is_none()
                    {
                        self.secret_named(key);
                    }
                    self.value(item);
                    self.path.truncate(len);
                }
                // A header, cookie or query condition: `{ name: X-Api-Key, value: ... }`.
                if self.path.starts_with("rollout.match.")
                    && let (Some(Value::String(name)), Some(Value::String(text))) =
                        (entries.get("name"), entries.get("value"))
                    && is_written_secret(name, text)
                    && find_credential(text).is_none()
                {
                    let len = self.path.len();
                    self.path.push_str(".value");
                    self.secret_named(name);
                    self.path.truncate(len);
                }
            }
            _ => {}
        }
    }

    /// The path walked so far, as the source map reads it.
    fn spec_path(&self) -> SpecPath {
        SpecPath::of_serialized(self.path.clone())
    }

    /// Whether the node at the current path maps free names to values (a service's `env`).
    fn holds_named_values(&self) -> bool {
        self.path.starts_with("services[")
            && self.path.ends_with("].env")
            && self.path.matches('.').count() == 1
    }

    /// `storage[].accessKeyId` and `accessKeySecret`, which storage::oss_credentials refuses
    /// too; that rule can be lowered, this one cannot.
    fn is_storage_access_key(&self, key: &str) -> bool {
        self.path.starts_with("storage[")
            && self.path.matches('.').count() == 1
            && (key == "accessKeyId" || key == "accessKeySecret")
    }

    fn secret_named(&mut self, name: &str) {
        let span = self.ctx.span(self.spec_path());
        let label = "a secret written in the spec";
        let message = format!(
            "`{name}` names a secret, and its value is written in the spec",
            name = name.escape_default()
        );
        let d = self
            .diagnostic(span, label, message)
            .help(self.help(HELP_NAME));
        self.out.push(d);
    }

    fn report(&mut self, span: Span, kind: &'static str, message: String) {
        let d = self
            .diagnostic(span, kind, message)
            .help(self.help(HELP_VALUE));
        self.out.push(d);
    }

    /// The help for the current path: a storage's keys belong in its `credentialsSecret`.
    fn help(&self, general: &'static str) -> &'static str {
        if self.path.starts_with("storage[") {
            HELP_STORAGE
        } else {
            general
        }
    }

    fn diagnostic(&self, span: Span, label: &str, message: String) -> Diagnostic {
        // The label sits on the credential itself, not on the whole value.
        let d = Diagnostic::new(RULE.id, Severity::Error, self.ctx.source, message)
            .path(self.ctx.map.display(&self.path))
            .label(span, label.to_string());
        match self.service() {
            Some(service) => d.service(service),
            None => d,
        }
    }

    /// The service the current path lies in, for reports.
    fn service(&self) -> Option<&str> {
        let index: usize = self
            .path
            .strip_prefix("services[")?
            .split(']')
            .next()?
            .parse()
            .ok()?;
        self.ctx.spec.services.get(index).map(|s| s.name.as_str())
    }

    /// The span of the credential inside the value's span, when the file writes the value's
    /// text as it is (plain or quoted without escapes); else the whole value.
    fn narrow(&self, span: Span, text: &str, f: Finding) -> Span {
        let matched = &text[f.start..f.end];
        let written = self.ctx.source.text.get(span.start..span.end).unwrap_or("");
        match written.find(matched) {
            Some(at) if !matched.is_empty() => {
                Span::new(span.start + at, span.start + at + matched.len())
            }
            _ => span,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kind(text: &str) -> Option<&'static str> {
        credential_kind(text)
    }

    #[test]
    fn cloud_keys_are_recognized() {
        assert!(kind("LTAI5tQ7exampleKey0001").is_some());
        assert!(kind("key=LTAI5tQ7exampleKey0001;").is_some());
        assert!(kind("id=AKIAIOSFODNN7EXAMPLE").is_some());
        assert!(kind("ASIAY34FZKBOKMUTVV7A").is_some());
        assert!(kind("AIzaSyA1234567890abcdefghijklmnopqrstuv").is_some());
        assert!(kind("LTAI").is_none());
        assert!(kind("LTAI123").is_none());
        assert!(kind("registry.example.com/app:1.0").is_none());
        assert!(kind("AKIAshort").is_none());
    }

    #[test]
    fn tokens_are_recognized() {
        let pad = "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8";
        for prefix in ["ghp_", "gho_", "ghu_", "ghs_", "ghr_"] {
            assert!(kind(&format!("{prefix}{pad}")).is_some(), "{prefix}");
        }
        assert!(kind(&format!("github_pat_11ABCDEFG0{pad}")).is_some());
        assert!(kind("glpat-xxxxxxxxxxxxxxxxxxxx").is_some());
        for slack in ["xoxb", "xoxp", "xoxa", "xoxr", "xoxs"] {
            assert!(
                kind(&format!("{slack}-1234567890-abcdef")).is_some(),
                "{slack}"
            );
        }
        assert!(
            kind("https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX")
                .is_some()
        );
        assert!(kind("sk_live_4eC39HqLyjWDarjtT1zdp7dc").is_some());
        assert!(kind("ghp_short").is_none());
        assert!(kind("xoxb-").is_none());
        assert!(kind("sk_live_").is_none());
    }

    #[test]
    fn jwts_and_private_keys_are_recognized() {
        let jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U";
        assert_eq!(kind(jwt), Some("a JSON Web Token"));
        assert_eq!(kind(&format!("Bearer {jwt}")), Some("a JSON Web Token"));
        assert!(kind("eyJhbGciOiJIUzI1NiJ9").is_none());
        for key in [
            "-----BEGIN RSA PRIVATE KEY-----",
            "-----BEGIN PRIVATE KEY-----\nMIIE",
            "-----BEGIN OPENSSH PRIVATE KEY-----",
            "-----begin ec private key-----",
            "-----BEGIN PGP PRIVATE KEY BLOCK-----",
            "-----BEGIN ENCRYPTED PRIVATE KEY-----",
        ] {
            assert_eq!(kind(key), Some("a private key"), "{key}");
        }
        assert!(kind("-----BEGIN CERTIFICATE-----").is_none());
        assert!(kind("-----BEGIN PUBLIC KEY-----").is_none());
        assert!(kind("-----BEGIN PGP PUBLIC KEY BLOCK-----").is_none());
    }

    #[test]
    fn url_passwords_are_recognized_but_not_users_or_references() {
        let f = find_credential("postgres://admin:pw@db/app").unwrap();
        assert_eq!(f.kind, "a password in a URL");
        assert_eq!(&"postgres://admin:pw@db/app"[f.start..f.end], "pw");
        assert!(kind("redis://:s3cret@cache:6379/0").is_some());
        assert!(kind("mongodb+srv://u:p@cluster0.example.net").is_some());
        assert!(kind("amqp://${USER}:hunter2@mq").is_some());
        assert!(kind("postgres://admin@db/app").is_none());
        // After other text, as in a header value or a pattern.
        assert!(kind("1-postgres://admin:pw@db/app").is_some());
        assert!(kind("^(on|yes)$-redis://u:pw@cache").is_some());
        assert!(kind("postgres://admin:${DB_PASSWORD}@db/app").is_none());
        assert!(kind("http://[::1]:8080/health").is_none());
        assert!(kind("http://host:8080/a@b").is_none());
        assert!(kind("user@host").is_none());
        assert!(kind("git@github.com:org/repo.git").is_none());
    }

    #[test]
    fn secrets_after_their_name_are_recognized() {
        assert!(kind("jdbc:mysql://db/app?user=app&password=hunter2").is_some());
        assert!(kind("Server=db;User Id=sa;Password=hunter2;").is_some());
        assert!(kind("--db-pass=hunter2").is_some());
        assert!(kind("GET /api?access_token=abc123").is_some());
        assert!(kind("password=${DB_PASSWORD}").is_none());
        assert!(kind("GET /login?password_reset=1").is_none());
        assert!(kind("a=b=c=d").is_none());
        assert!(kind(&format!("password={}", "é".repeat(200))).is_some());
    }

    #[test]
    fn secret_names_match_word_parts() {
        for name in [
            "DB_PASSWORD",
            "MYSQL_ROOT_PASSWORD",
            "DBPASSWORD",
            "dbPassword",
            "DB_PASS",
            "PASS",
            "MYSQL_PWD",
            "DB_PW",
            "PASSWD",
            "CLIENT_SECRET",
            "SECRET_KEY_BASE",
            "GITHUB_TOKEN",
            "APIKEY",
            "X_API_KEY",
            "apiKey",
            "OPENAI_API_KEY",
            "AWS_SECRET_ACCESS_KEY",
            "ALIBABA_CLOUD_ACCESS_KEY_ID",
            "SSH_PRIVATE_KEY",
            "GOOGLE_CREDENTIALS",
            "AUTH_KEY",
            "GPG_PASSPHRASE",
        ] {
            assert!(is_secret_name(name), "{name}");
        }
        for name in [
            "PASSPORT_URL",
            "BYPASS_CACHE",
            "COMPASS",
            "PWD",
            "DB_PASSWORD_FILE",
            "TOKEN_PATH",
            "SECRET_NAME",
            "GITHUB_TOKEN_ENV",
            "AUTH_URL",
            "OAUTH_ENABLED",
            "KEYCLOAK_REALM",
            "DB_USER",
            "SECRETARY",
            "TOKENIZER",
            "MONKEY",
        ] {
            assert!(!is_secret_name(name), "{name}");
        }
    }

    #[test]
    fn short_and_abbreviated_secret_names_match_whole_word_parts() {
        for name in [
            "OSS_AK",
            "OSS_SK",
            "ossAk",
            "akId",
            "ACCESS_KEY_ID",
            "OSS_ACCESS_KEY_ID",
            "accessKeyId",
            "COOKIE_SALT",
            "SALT",
            "APP_KEY",
            "JWT_KEY",
            "COOKIE_KEY",
            "HMAC_KEY",
            "CLIENT_KEY",
            "SERVICE_KEY",
            "ENCRYPTION_KEY",
            "AUTH",
            "BASIC_AUTH",
            "AUTHORIZATION",
            "Proxy-Authorization",
            "SENTRY_DSN",
            "COOKIE_SECRET",
            "DB_PA\u{405}SWORD",
            "\u{420}ASSWORD",
            "API_K\u{415}Y",
        ] {
            assert!(is_secret_name(name), "{name}");
        }
        for name in [
            "SKU",
            "ASK_URL",
            "TASK",
            "SKIP_TESTS",
            "AKKA_HOME",
            "AUTH_URL",
            "AUTH_ENABLED",
            "OAUTH_ENABLED",
            "AUTHOR",
            "KEYCLOAK_URL",
            "KEYCLOAK_REALM",
            "SALTSTACK_MASTER",
            "SENTRY_ENVIRONMENT",
            "DSN_TIMEOUT",
            "CACHE_KEY_PREFIX",
            "PASSPORT_URL",
            "BYPASS_CACHE",
        ] {
            assert!(!is_secret_name(name), "{name}");
        }
    }

    #[test]
    fn a_location_name_is_exempt_only_while_its_value_is_a_path() {
        assert!(is_written_secret("DB_PASSWORD_FILE", "hunter2"));
        assert!(is_written_secret("TOKEN_PATH", "ghp-ish-value"));
        assert!(!is_written_secret("DB_PASSWORD_FILE", "/run/secrets/db"));
        assert!(!is_written_secret("DB_PASSWORD_FILE", "./secrets/db"));
        assert!(!is_written_secret(
            "DB_PASSWORD_FILE",
            "${DB_PASSWORD_FILE}"
        ));
        assert!(!is_written_secret("LOG_FILE", "app.log"));
        assert!(!is_written_secret("FILE", "x"));
        assert!(!is_written_secret("SECRET_NAME", "db-credentials"));
    }

    #[test]
    fn authorization_values_are_recognized() {
        assert_eq!(
            kind("Bearer abcdef0123456789abcdef0123456789"),
            Some("a bearer token")
        );
        assert!(kind("Authorization: bearer 0123456789abcdef").is_some());
        // `admin:hunter2`
        assert_eq!(
            kind("Basic YWRtaW46aHVudGVyMg=="),
            Some("a user and password (HTTP Basic)")
        );
        assert!(kind("Bearer ${API_TOKEN}").is_none());
        assert!(kind("Bearer tokens expire after an hour").is_none());
        assert!(kind("Basic authentication is off").is_none());
        assert!(kind("Basic YWRtaW4=").is_none());
        assert!(kind("BASICS").is_none());
    }

    #[test]
    fn secret_pairs_inside_a_value_are_recognized() {
        assert!(kind(r#"{"password":"hunter2"}"#).is_some());
        assert!(kind(r#"{ "db": { "apiKey": "abc" } }"#).is_some());
        assert!(kind("{'token': 'abc'}").is_some());
        assert!(kind("password: 'x'").is_some());
        assert!(kind("db:\n  password: hunter2\n").is_some());
        assert!(kind("{user: app, password: hunter2}").is_some());
        assert!(kind("aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY").is_some());
        assert!(kind(r#"{"password":"${DB_PASSWORD}"}"#).is_none());
        // A quoted value after `=` (TOML, ini, .env) is read to its closing quote.
        assert!(kind(r#"password = "hunter2""#).is_some());
        assert!(kind("api_key='a8f5f167f44f4964e6c998dee827110c'").is_some());
        assert!(kind(r#"password = "${DB_PASSWORD}""#).is_none());
        assert!(kind(r#"password = "" "#).is_none());
        // A reference in a YAML block mapping (Spring's `application.yml`) is no value.
        assert!(kind("spring:\n  password: ${DB_PASSWORD}\n").is_none());
        assert!(kind("password: ${DB_PASSWORD").is_some());
        assert!(kind("password: ${X}hunter2").is_some());
        assert!(kind(r#"{"password":""}"#).is_none());
        assert!(kind("check the password: it rotates daily").is_none());
        assert!(kind("password_reset: true").is_none());
        assert!(kind("http://host:8080/x").is_none());
    }

    #[test]
    fn secrets_after_a_secret_named_option_are_recognized() {
        let f = find_credential("java -Dspring.datasource.password hunter2 -jar app.jar").unwrap();
        assert_eq!(f.kind, "a secret after a secret-named option");
        assert_eq!(
            &"java -Dspring.datasource.password hunter2 -jar app.jar"[f.start..f.end],
            "hunter2"
        );
        assert!(kind("--password hunter2").is_some());
        assert!(kind("app --db-password 'hunter2'").is_some());
        assert!(kind("--password ${DB_PASSWORD}").is_none());
        assert!(kind("--password \"$DB_PASSWORD\"").is_none());
        assert!(kind("--password-file /run/secrets/db").is_none());
        assert!(kind("--password --verbose").is_none());
        assert!(kind("pg_dump --no-password app").is_none());
        assert!(kind("-----BEGIN CERTIFICATE-----").is_none());
    }

    #[test]
    fn sentry_dsns_and_password_hashes_are_recognized() {
        let dsn = "https://0123456789abcdef0123456789abcdef@o12345.ingest.sentry.io/1";
        let f = find_credential(dsn).unwrap();
        assert_eq!(&dsn[f.start..f.end], "0123456789abcdef0123456789abcdef");
        assert_eq!(
            kind("https://abcdefghijklmnop@sentry.example.com/3"),
            Some("a Sentry DSN key")
        );
        assert!(kind("https://0123456789abcdef0123456789abcdef@hooks.example.com/x").is_some());
        assert!(kind("ssh://git@github.com/org/repo").is_none());
        assert!(kind("https://sentry.io/organizations/acme/").is_none());
        for hash in [
            "admin:$apr1$abc$xyz",
            "admin:$$apr1$$abc$$xyz",
            "$2y$10$abcdefghijklmnopqrstuuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ",
            "$6$saltsalt$abcdefghijklmnopqrstuvwxyz0123456789",
            "$argon2id$v=19$m=65536,t=3,p=4$c29tZXNhbHQ$abcdefghijklmnopqrstuv",
        ] {
            assert_eq!(kind(hash), Some("a password hash"), "{hash}");
        }
        assert!(kind("costs $5$ a month").is_none());
        assert!(kind("${X}").is_none());
    }

    #[test]
    fn only_a_whole_reference_is_a_reference() {
        assert!(is_reference("${DB_PASSWORD}"));
        assert!(!is_reference("${X}hunter2"));
        assert!(!is_reference("hunter2${X}"));
        assert!(!is_reference("${X}${Y}"));
        assert!(!is_reference("${}"));
        assert!(!is_reference("$DB_PASSWORD"));
        assert!(is_written_secret("DB_PASSWORD", "${X}hunter2"));
        assert!(!is_written_secret("DB_PASSWORD", "${DB_PASSWORD}"));
        assert!(!is_written_secret("DB_PASSWORD", ""));
    }

    /// The fields the issue found unscanned, each holding an AccessKey id: every one is
    /// reported at its own path, with the label on the key itself.
    #[test]
    fn every_string_of_the_spec_is_scanned() {
        let key = "LTAI5tQ7exampleKey0001";
        let minimal = include_str!("../../../../examples/minimal.yaml");
        let head = &minimal[..minimal.find("services:").unwrap()];
        let head = head.replace(
            "  ingressController:",
            &format!("  addons: [cloud-monitor-{key}]\n  ingressController:"),
        );
        let text = format!(
            "{head}services:
  - name: web
    image: registry.example.com/hello/web:1.0.0
    replicas: 3
    port: 8080
    resources:
      requests: {{ cpu: 250m, memory: 256Mi }}
      limits: {{ cpu: 500m, memory: 512Mi }}
    health: {{ path: /healthz }}
    env:
      {key}: x
    routes:
      - {{ host: hello.example, path: / }}
images:
  target: registry.cn-hangzhou.aliyuncs.com/hello
  helperImage: \"busybox:{key}\"
data:
  databases:
    - name: db-{key}
      engine: mysql
      source: {{ host: mysql.internal, port: 3306 }}
      target: {{ instance: rm-bp1example000001 }}
      sync: full
  objectStores:
    - {{ name: {key}, source: s3://b, target: oss://b }}
rollout:
  strategy: ingress-canary
  controller: nginx
  match:
    header: {{ name: X-{key}, value: \"on\" }}
  waves:
    - name: all
      services: [web]
      steps:
        - {{ weight: 100, hold: 1h }}
verification:
  checks:
    - {{ name: check {key}, request: \"GET /\", expect: 200 }}
"
        );
        let source = crate::diagnostic::SourceFile::new(
            "spec.yaml",
            text.clone(),
            crate::diagnostic::Format::Yaml,
        );
        let loaded = match crate::load::load_source(source) {
            Ok(loaded) => loaded,
            Err(crate::load::LoadError::Diagnostics(d)) => panic!("{:?}", d),
            Err(crate::load::LoadError::Io(m)) => panic!("{m}"),
        };
        let sizing = crate::model::sizing::derive(&loaded.spec);
        let diagnostics = crate::check::check(&loaded, &sizing, &Default::default());
        let found: Vec<(&str, &str)> = diagnostics
            .iter()
            .filter(|d| d.rule == RULE.id)
            .map(|d| {
                let span = d.primary_span();
                (d.path.as_str(), &text[span.start..span.end])
            })
            .collect();
        for path in [
            "target.addons[0]",
            "services[web].env.LTAI5tQ7exampleKey0001",
            "images.helperImage",
            "data.databases[db-LTAI5tQ7exampleKey0001].name",
            "data.objectStores[LTAI5tQ7exampleKey0001].name",
            "rollout.match.header.name",
            "verification.checks[check LTAI5tQ7exampleKey0001].name",
        ] {
            assert!(
                found.contains(&(path, key)),
                "{path} not reported: {found:?}"
            );
        }
    }

    #[test]
    fn findings_sit_on_character_boundaries_of_any_text() {
        let pieces = [
            "password=",
            "é",
            "日本",
            "postgres://a:",
            "@h",
            "ghp_",
            "LTAI",
            "eyJ",
            ".",
            "ey",
            "-----BEGIN ",
            "PRIVATE KEY-----",
            "\u{2028}",
            "${X}",
            "=",
            ":",
            "//",
            "xoxb-1",
        ];
        let long = "é".repeat(200);
        for a in pieces {
            for b in pieces {
                for c in [pieces[1], pieces[2], long.as_str(), "abc123"] {
                    let text = format!("{a}{c}{b}{c}");
                    if let Some(f) = find_credential(&text) {
                        assert!(text.is_char_boundary(f.start) && text.is_char_boundary(f.end));
                        assert!(f.start <= f.end && f.end <= text.len(), "{text:?}");
                    }
                }
            }
        }
    }

    #[test]
    fn the_scan_is_linear_on_repetitive_input() {
        for unit in [
            "LTAI",
            "eyJ.",
            "ghp_",
            "://",
            "a=",
            "-----BEGIN ",
            "xoxb-1",
            " :",
            "a :",
            "-a ",
            "Bearer ",
            "Basic ",
            "$$",
            "$apr1$",
            "password = ",
        ] {
            let text = unit.repeat(200_000);
            let started = std::time::Instant::now();
            let _ = find_credential(&text);
            assert!(
                started.elapsed() < std::time::Duration::from_secs(2),
                "{unit}: {:?}",
                started.elapsed()
            );
        }
    }
}
