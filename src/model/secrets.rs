//! Secrets and configs: what a service reads besides its image. The spec names them and says
//! where each is read; a Secret's values never enter the spec or the bundle.

use std::borrow::Cow;
use std::fmt;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::de::{self, MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize};
use strum::{IntoStaticStr, VariantArray};

/// A Kubernetes Secret the services read. The bundle never holds a value: the deploy
/// runbook creates it from a file the operator provides, or a secret store fills it.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Secret {
    /// The Secret's name: a DNS-1123 subdomain.
    #[schemars(title = "Name", example = &"db")]
    pub name: String,
    /// The keys the Secret holds, each read by a service's `env` or `files`.
    #[schemars(title = "Keys", example = serde_json::json!(["password"]))]
    pub keys: Vec<String>,
    /// Who fills it: `runbook` (default: the deploy runbook creates it from an env file the
    /// operator provides), `external-secrets` (an External Secrets Operator `ExternalSecret`
    /// reads it from a secret store) or `ack-secret-manager` (ACK's secret manager add-on
    /// reads it from KMS Secrets Manager).
    #[serde(default)]
    #[schemars(title = "Provider", example = &"external-secrets")]
    pub provider: SecretProvider,
    /// external-secrets: the SecretStore (or ClusterSecretStore) that reads the cloud secret
    /// manager.
    #[serde(default)]
    #[schemars(title = "Secret store", example = serde_json::json!({"name": "kms"}))]
    pub store: Option<SecretStoreRef>,
    /// external-secrets and ack-secret-manager: the secret's name in the secret manager
    /// (default: the Secret's name). Each key is a JSON property of it.
    #[serde(default)]
    #[schemars(title = "Remote name", example = &"prod/api")]
    pub remote_name: Option<String>,
}

#[derive(
    Clone,
    Copy,
    Debug,
    Default,
    PartialEq,
    Eq,
    Deserialize,
    Serialize,
    JsonSchema,
    IntoStaticStr,
    VariantArray,
)]
#[serde(rename_all = "kebab-case")]
#[strum(serialize_all = "kebab-case")]
pub enum SecretProvider {
    /// The deploy runbook creates the Secret from an env file the operator provides.
    #[default]
    Runbook,
    /// An External Secrets Operator `ExternalSecret` fills it from a secret store.
    ExternalSecrets,
    /// ACK's secret manager add-on (ack-secret-manager) fills it from KMS Secrets Manager.
    AckSecretManager,
}

#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SecretStoreRef {
    /// The store's name.
    #[schemars(title = "Name", example = &"kms")]
    pub name: String,
    /// `SecretStore` (in the services' namespace) or `ClusterSecretStore` (default).
    #[serde(default)]
    #[schemars(title = "Kind", example = &"ClusterSecretStore")]
    pub kind: Option<SecretStoreKind>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize, JsonSchema, IntoStaticStr)]
pub enum SecretStoreKind {
    SecretStore,
    ClusterSecretStore,
}

/// A ConfigMap made from files kept beside the spec: the bundle carries the files and a
/// kustomize `configMapGenerator`, so a changed file rolls the pods that read it.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Config {
    /// The ConfigMap's name: a DNS-1123 subdomain.
    #[schemars(title = "Name", example = &"app-config")]
    pub name: String,
    /// Files relative to the spec's folder, never outside it; each is one key, named by its
    /// file name.
    #[schemars(title = "Files", example = serde_json::json!(["config/application.yml"]))]
    pub files: Vec<String>,
}

/// A variable's value: written out, or read from a key of a Secret or a config.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum EnvValue {
    /// A plain value (never a secret: the credential check refuses those).
    Plain(String),
    /// `{ secret: NAME, key: KEY }`: a key of a Secret declared in `secrets`.
    Secret { secret: String, key: String },
    /// `{ config: NAME, key: KEY }`: a file of a config declared in `configs`.
    Config { config: String, key: String },
}

impl EnvValue {
    /// The written value, for a plain variable.
    pub fn plain(&self) -> Option<&str> {
        match self {
            EnvValue::Plain(value) => Some(value),
            _ => None,
        }
    }
}

impl From<&str> for EnvValue {
    fn from(value: &str) -> Self {
        EnvValue::Plain(value.to_string())
    }
}

/// The reference form of [`EnvValue`], read strictly so that a misspelt key is a diagnostic.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EnvReference {
    #[serde(default)]
    secret: Option<String>,
    #[serde(default)]
    config: Option<String>,
    key: String,
}

impl<'de> Deserialize<'de> for EnvValue {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct EnvVisitor;
        impl<'de> Visitor<'de> for EnvVisitor {
            type Value = EnvValue;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a value, `{ secret: NAME, key: KEY }` or `{ config: NAME, key: KEY }`")
            }
            // The loader hands every scalar over as its text, so `1.10` stays `1.10`.
            fn visit_str<E: de::Error>(self, value: &str) -> Result<EnvValue, E> {
                Ok(EnvValue::Plain(value.to_string()))
            }
            fn visit_bool<E: de::Error>(self, value: bool) -> Result<EnvValue, E> {
                Ok(EnvValue::Plain(value.to_string()))
            }
            fn visit_i64<E: de::Error>(self, value: i64) -> Result<EnvValue, E> {
                Ok(EnvValue::Plain(value.to_string()))
            }
            fn visit_u64<E: de::Error>(self, value: u64) -> Result<EnvValue, E> {
                Ok(EnvValue::Plain(value.to_string()))
            }
            fn visit_f64<E: de::Error>(self, value: f64) -> Result<EnvValue, E> {
                Ok(EnvValue::Plain(value.to_string()))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<EnvValue, A::Error> {
                let reference =
                    EnvReference::deserialize(de::value::MapAccessDeserializer::new(map))?;
                match (reference.secret, reference.config) {
                    (Some(secret), None) => Ok(EnvValue::Secret {
                        secret,
                        key: reference.key,
                    }),
                    (None, Some(config)) => Ok(EnvValue::Config {
                        config,
                        key: reference.key,
                    }),
                    _ => Err(de::Error::custom(
                        "a reference names one of `secret` or `config`: write `{ secret: NAME, key: KEY }`",
                    )),
                }
            }
        }
        deserializer.deserialize_any(EnvVisitor)
    }
}

impl JsonSchema for EnvValue {
    fn schema_name() -> Cow<'static, str> {
        "EnvValue".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "A plain value, or a key of a declared Secret or config.",
            "anyOf": [
                { "type": ["string", "number", "boolean"] },
                {
                    "type": "object",
                    "description": "A key of a Secret declared in `secrets`.",
                    "properties": {
                        "secret": {
                            "type": "string",
                            "title": "Secret",
                            "description": "A Secret declared in `secrets`.",
                            "examples": ["db"]
                        },
                        "key": {
                            "type": "string",
                            "title": "Key",
                            "description": "One of the keys the Secret declares.",
                            "examples": ["password"]
                        }
                    },
                    "required": ["secret", "key"],
                    "additionalProperties": false
                },
                {
                    "type": "object",
                    "description": "A file of a config declared in `configs`.",
                    "properties": {
                        "config": {
                            "type": "string",
                            "title": "Config",
                            "description": "A config declared in `configs`.",
                            "examples": ["app-config"]
                        },
                        "key": {
                            "type": "string",
                            "title": "Key",
                            "description": "One of the config's files, by its file name.",
                            "examples": ["application.yml"]
                        }
                    },
                    "required": ["config", "key"],
                    "additionalProperties": false
                }
            ]
        })
    }
}

/// A config or Secret mounted as files.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FileMount {
    /// A Secret declared in `secrets` (one of `secret` or `config`).
    #[serde(default)]
    #[schemars(title = "Secret", example = &"tls")]
    pub secret: Option<String>,
    /// A config declared in `configs`.
    #[serde(default)]
    #[schemars(title = "Config", example = &"app-config")]
    pub config: Option<String>,
    /// One key: mounted as the file `mountPath`. Without it, every key is a file in the
    /// folder `mountPath`.
    #[serde(default)]
    #[schemars(title = "Key", example = &"application.yml")]
    pub key: Option<String>,
    /// An absolute path in the container.
    #[schemars(title = "Mount path", example = &"/app/application.yml")]
    pub mount_path: String,
}
