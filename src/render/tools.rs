//! Tool configs: image-syncer's images file (every image to its target; the runbook builds
//! the auth file with jq from the operator's exported credentials, in a private temporary
//! file) and ossimport's job file per object store (AccessKeys as placeholders the operator
//! fills in). No secret value is ever written.

use std::collections::BTreeMap;

use crate::markdown::is_unsafe_char;
use crate::model::Spec;
use crate::plan::Plan;
use crate::plan::images::IMAGES_FILE;
use crate::plan::images::full_reference;
use crate::render::Out;
use crate::render::{RenderError, yaml};

/// A value that would change a config's lines: a line break, another control character
/// (`char::is_control` covers NEL and the C1 controls), a Unicode line or paragraph
/// separator, or `\\`, which continues a Java properties line onto the next key.
fn refuse(file: &str, key: &str, value: &str) -> Result<(), RenderError> {
    match value.chars().find(|&c| is_unsafe_char(c) || c == '\\') {
        Some(c) => Err(RenderError(format!(
            "{file}: the value of {key} holds {}, which would change the file's lines",
            c.escape_default()
        ))),
        None => Ok(()),
    }
}

/// A name that becomes one folder of the bundle: never empty, `.`, `..` or a path.
fn folder_name(name: &str) -> Result<&str, RenderError> {
    if name.is_empty() || name == "." || name == ".." || name.contains(['/', '\\']) {
        return Err(RenderError(format!(
            "data.objectStores[{}]: the name is not one folder name",
            name.escape_default()
        )));
    }
    Ok(name)
}

pub fn write(spec: &Spec, plan: &Plan, files: &Out) -> Result<(), RenderError> {
    if spec.images.is_some() {
        // image-syncer's `--images` file: source reference → target reference.
        let images: BTreeMap<String, String> = plan
            .images
            .iter()
            .map(|m| (full_reference(&m.source), m.target.clone()))
            .collect();
        // The emitter quotes what YAML could misread; what no reader takes raw is refused.
        for (source, target) in &images {
            refuse(IMAGES_FILE, "an image", source)?;
            refuse(IMAGES_FILE, "an image", target)?;
        }
        files.insert(IMAGES_FILE, yaml::to_string(&images));
    }
    // ACK's CreateClusterNodePool body per pool, from typed structs (plan::node_pools).
    for pool in &plan.node_pools {
        if pool.name.is_empty()
            || !pool
                .name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        {
            return Err(RenderError(format!(
                "target.nodePools[{}]: the name is not a DNS-1123 label, which names its file",
                pool.name.escape_default()
            )));
        }
        let mut body = serde_json::to_string_pretty(&pool.body).unwrap_or_default();
        body.push('\n');
        files.insert(pool.file.clone(), body);
    }
    for store in spec.data.iter().flat_map(|d| &d.object_stores) {
        files.insert(
            format!(
                "tools/ossimport/{}/local_job.cfg",
                folder_name(&store.name)?
            ),
            ossimport_job(spec, store)?,
        );
    }
    // The PV and claim of each `snapshot` copy, applied by the last traffic phase's
    // runbook once the new disk exists.
    for storage in &spec.storage {
        if storage
            .copy_or_default()
            .is_some_and(|c| c.method == crate::model::CopyMethod::Snapshot)
        {
            let (pv, claim) = crate::render::manifests::copy::snapshot_objects(spec, storage);
            let dir = copy_dir(storage);
            files.insert(format!("{dir}/pv.yaml"), pv.yaml());
            files.insert(format!("{dir}/pvc.yaml"), claim.yaml());
        }
    }
    Ok(())
}

/// The folder of a `snapshot` copy's PV and claim.
pub fn copy_dir(storage: &crate::model::Storage) -> String {
    format!("tools/copy/{}", storage.name)
}

/// The source's type, endpoint, bucket and prefix for ossimport.
fn source(store: &crate::model::ObjectStore) -> (&'static str, String, String, String) {
    let endpoint = store.source_endpoint.clone();
    let split = |rest: &str| {
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        (bucket.to_string(), prefix.to_string())
    };
    if let Some(rest) = store.source.strip_prefix("s3://") {
        let (bucket, prefix) = split(rest);
        (
            "s3",
            endpoint.unwrap_or_else(|| "s3.amazonaws.com".into()),
            bucket,
            prefix,
        )
    } else if let Some(rest) = store.source.strip_prefix("cos://") {
        let (bucket, prefix) = split(rest);
        ("cos", endpoint.unwrap_or_default(), bucket, prefix)
    } else if let Some(rest) = store.source.strip_prefix("azure://") {
        let (bucket, prefix) = split(rest);
        ("azure", endpoint.unwrap_or_default(), bucket, prefix)
    } else {
        let path = if store.source.ends_with('/') {
            store.source.clone()
        } else {
            format!("{}/", store.source)
        };
        ("local", String::new(), String::new(), path)
    }
}

/// ossimport's `local_job.cfg` (standalone mode), one `key=value` per line. A value that
/// could add a line (and so a key) is refused here, whatever the checks let through.
fn ossimport_job(spec: &Spec, store: &crate::model::ObjectStore) -> Result<String, RenderError> {
    let (kind, domain, bucket, prefix) = source(store);
    let target = store.target.trim_start_matches("oss://");
    let (dest_bucket, dest_prefix) = target.split_once('/').unwrap_or((target, ""));
    let needs_keys = kind != "local";
    let placeholder = |what: &str| format!("<fill in: {what}; never commit it>");
    // Standalone mode keeps its job name `local_test` (ossimport's README: "please do not
    // change it"); each store runs in its own unpacked ossimport. Incremental mode copies
    // everything once, then what changed every `incrementalModeInterval` seconds (900 at
    // least), until the final pass at `complete` (`isIncremental=false`,
    // `isSkipExistFile=true`: a last full scan that copies what differs in size or time).
    // https://github.com/aliyun/ossimport/blob/master/README.md,
    // https://github.com/aliyun/ossimport/blob/master/conf/s3/job.cfg
    let lines: Vec<(&str, String)> = vec![
        ("jobName", "local_test".into()),
        ("jobType", "import".into()),
        ("isIncremental", "true".into()),
        (
            "incrementalModeInterval",
            store.incremental_interval().seconds().to_string(),
        ),
        ("importSince", "0".into()),
        ("isSkipExistFile", "false".into()),
        ("srcType", kind.into()),
        (
            "srcAccessKey",
            if needs_keys {
                placeholder("the source's AccessKey ID")
            } else {
                String::new()
            },
        ),
        (
            "srcSecretKey",
            if needs_keys {
                placeholder("the source's secret key")
            } else {
                String::new()
            },
        ),
        ("srcDomain", domain),
        ("srcBucket", bucket),
        ("srcPrefix", prefix),
        ("destAccessKey", placeholder("an OSS AccessKey ID")),
        ("destSecretKey", placeholder("its AccessKey secret")),
        (
            "destDomain",
            format!("https://oss-{}.aliyuncs.com", spec.target.region),
        ),
        ("destBucket", dest_bucket.to_string()),
        ("destPrefix", dest_prefix.to_string()),
        ("taskObjectCountLimit", "10000".into()),
        ("taskObjectSizeLimit", "1000000000".into()),
    ];
    let file = format!(
        "tools/ossimport/{}/local_job.cfg",
        store.name.escape_default()
    );
    for (key, value) in [
        ("name", &store.name),
        ("source", &store.source),
        ("target", &store.target),
    ] {
        refuse(&file, key, value)?;
    }
    let mut out = format!(
        "# ossimport job for data.objectStores[{}]: {} -> {}\n# Generated by cutover; fill in the AccessKeys on the machine that runs the job.\n",
        store.name, store.source, store.target
    );
    for (key, value) in lines {
        refuse(&file, key, &value)?;
        out.push_str(&format!("{key}={value}\n"));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_lines_refuse_what_would_add_a_line() {
        for value in ["a\nb", "a\rb", "a\u{85}b", "a\u{2028}b", "a\\", "a\u{7f}"] {
            assert!(refuse("f", "k", value).is_err(), "{value:?}");
        }
        assert!(refuse("f", "k", "oss://bucket/prefix").is_ok());
        assert!(folder_name("../x").is_err());
        assert!(folder_name("..").is_err());
        assert!(folder_name("media").is_ok());
    }
}
