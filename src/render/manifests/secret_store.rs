//! Secrets a secret store fills, as typed custom resources with the published field names.
//! The bundle names what to read, never a value.
//!
//! - External Secrets Operator `ExternalSecret` (`external-secrets.io/v1`; `v1beta1` is
//!   removed upstream): `secretStoreRef`, `target.name`, and one `data[]` entry per key, each
//!   a JSON property of the remote secret (`remoteRef.key`, `remoteRef.property`).
//! - ACK's ack-secret-manager `ExternalSecret` (`alibabacloud.com/v1alpha1`, from
//!   github.com/AliyunContainerService/ack-secret-manager `pkg/apis/alibabacloud/v1alpha1`):
//!   one `data[]` entry naming the KMS secret (`key`, `versionStage: ACSCurrent`) whose
//!   `jmesPath` list extracts each key (`path`) into the Secret (`objectAlias`).

use serde::{Deserialize, Serialize};

use super::custom::CustomResource;
use super::{Kind, Manifest, meta};
use crate::model::{Secret, SecretProvider, SecretStoreKind, Spec};

pub type EsoExternalSecret = CustomResource<EsoSpec>;

impl Kind for EsoExternalSecret {
    fn api_version() -> &'static str {
        "external-secrets.io/v1"
    }
    fn kind() -> &'static str {
        "ExternalSecret"
    }
}

/// The CRD that serves it: the runbook checks it exists before the deploy applies.
pub const ESO_CRD: &str = "externalsecrets.external-secrets.io";

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct EsoSpec {
    pub refresh_interval: String,
    pub secret_store_ref: EsoStoreRef,
    pub target: EsoTarget,
    pub data: Vec<EsoData>,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct EsoStoreRef {
    pub name: String,
    pub kind: String,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct EsoTarget {
    pub name: String,
    /// `Owner`: the Secret is deleted with the ExternalSecret (a rollback leaves nothing).
    pub creation_policy: String,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct EsoData {
    pub secret_key: String,
    pub remote_ref: EsoRemoteRef,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct EsoRemoteRef {
    pub key: String,
    pub property: String,
}

pub type AckExternalSecret = CustomResource<AckSpec>;

impl Kind for AckExternalSecret {
    fn api_version() -> &'static str {
        "alibabacloud.com/v1alpha1"
    }
    fn kind() -> &'static str {
        "ExternalSecret"
    }
}

/// The CRD ack-secret-manager installs.
pub const ACK_CRD: &str = "externalsecrets.alibabacloud.com";

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct AckSpec {
    pub data: Vec<AckData>,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct AckData {
    pub key: String,
    pub version_stage: String,
    pub jmes_path: Vec<AckJmesPath>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret_store_ref: Option<AckStoreRef>,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct AckJmesPath {
    pub path: String,
    pub object_alias: String,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct AckStoreRef {
    pub name: String,
    pub kind: String,
}

/// The secret manager's name for a Secret.
pub fn remote_name(secret: &Secret) -> &str {
    secret.remote_name.as_deref().unwrap_or(&secret.name)
}

fn store_kind(kind: Option<SecretStoreKind>) -> String {
    <&str>::from(kind.unwrap_or(SecretStoreKind::ClusterSecretStore)).to_string()
}

/// The JMESPath of a field: bare when it is an identifier, else quoted, so that any key
/// (`-` and `.` included) reads as one field.
fn jmes_field(key: &str) -> String {
    let bare = key.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
        && key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
    if bare {
        key.to_string()
    } else {
        serde_json::to_string(key).unwrap_or_default()
    }
}

/// The deploy phase's secret-store objects, one per Secret a store fills.
pub fn objects(spec: &Spec) -> Vec<Manifest> {
    spec.secrets
        .iter()
        .filter_map(|secret| {
            let metadata = meta(
                spec,
                &secret.name,
                true,
                format!("secrets[{}]", secret.name),
            );
            match secret.provider {
                SecretProvider::Runbook => None,
                SecretProvider::ExternalSecrets => {
                    // The store rule refuses an external-secrets Secret without a store.
                    let store = secret.store.as_ref()?;
                    let object = EsoExternalSecret::new(
                        metadata,
                        EsoSpec {
                            refresh_interval: "1h".into(),
                            secret_store_ref: EsoStoreRef {
                                name: store.name.clone(),
                                kind: store_kind(store.kind),
                            },
                            target: EsoTarget {
                                name: secret.name.clone(),
                                creation_policy: "Owner".into(),
                            },
                            data: secret
                                .keys
                                .iter()
                                .map(|key| EsoData {
                                    secret_key: key.clone(),
                                    remote_ref: EsoRemoteRef {
                                        key: remote_name(secret).to_string(),
                                        property: key.clone(),
                                    },
                                })
                                .collect(),
                        },
                    );
                    Some(Manifest::new(&object, &secret.name))
                }
                SecretProvider::AckSecretManager => {
                    let object = AckExternalSecret::new(
                        metadata,
                        AckSpec {
                            data: vec![AckData {
                                key: remote_name(secret).to_string(),
                                version_stage: "ACSCurrent".into(),
                                jmes_path: secret
                                    .keys
                                    .iter()
                                    .map(|key| AckJmesPath {
                                        path: jmes_field(key),
                                        object_alias: key.clone(),
                                    })
                                    .collect(),
                                secret_store_ref: secret.store.as_ref().map(|store| AckStoreRef {
                                    name: store.name.clone(),
                                    kind: store_kind(store.kind),
                                }),
                            }],
                        },
                    );
                    Some(Manifest::new(&object, &secret.name))
                }
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::jmes_field;

    #[test]
    fn a_key_that_is_not_an_identifier_is_quoted_in_jmespath() {
        assert_eq!(jmes_field("password"), "password");
        assert_eq!(jmes_field("db_user2"), "db_user2");
        assert_eq!(jmes_field("api-key"), "\"api-key\"");
        assert_eq!(jmes_field("tls.crt"), "\"tls.crt\"");
        assert_eq!(jmes_field("2fa"), "\"2fa\"");
    }
}
