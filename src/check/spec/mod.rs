//! Rules about the spec as a document: it loads, its version, names, values, references
//! and secrets.

pub(super) mod syntax;
pub(super) mod encoding;
pub(super) mod empty;
pub(super) mod too_large;
pub(super) mod alias_limit;
pub(super) mod multiple_documents;
pub(super) mod duplicate_key;
pub(super) mod unknown_field;
pub(super) mod missing_field;
pub(super) mod r#type;
pub(super) mod api_version;
pub mod credential;
pub(super) mod value;
pub(super) mod name;
pub(super) mod duplicate_name;
pub(super) mod reference;
pub(super) mod kubernetes_version;
