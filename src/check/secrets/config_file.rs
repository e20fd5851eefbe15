//! `secrets/config-file`: what it demands and why are in [`RULE`]. The load stage read the
//! files (`load::configs`); this rule judges what it read.

use std::collections::BTreeSet;

use crate::check::Ctx;
use crate::check::credential::find_credential;
use crate::check::grammar::is_config_key;
use crate::diagnostic::Diagnostic;
use crate::load::configs::{FileProblem, MAX_CONFIG_BYTES, key_of};
use crate::model::path::root;
use crate::rules::{Level, Rule, RuleId, Scope, Status};

pub static RULE: Rule = Rule {
    id: RuleId::SecretsConfigFile,
    level: Level::Error,
    status: Status::Checked,
    scope: Scope::Spec,
    locked: Some(
        "the bundle copies these files: one that cannot be read safely, or that holds a credential, never enters it",
    ),
    summary: "Each config lists at least one file; each is a regular file inside the spec's folder (no absolute path, no `..`, no link out of it), holds no credential, and its name is a valid, unique ConfigMap key; a config's files hold at most 1 MiB in all.",
    rationale: "The bundle copies the files beside its kustomization: a path out of the folder would copy any file of the machine, a credential would reach git and CI, and a ConfigMap over 1 MiB is refused by the API server.",
    bad: "configs: [{ name: app, files: [../../etc/app.conf] }]",
    good: "configs: [{ name: app, files: [config/app.conf] }]   # beside the spec",
    source: "cutover; Kubernetes ConfigMap (1 MiB, key grammar)",
};

pub fn check(ctx: &Ctx, out: &mut Vec<Diagnostic>) {
    for (i, config) in ctx.spec.configs.iter().enumerate() {
        let at = root().configs().at(i);
        if config.files.is_empty() {
            out.push(
                ctx.error(RULE.id, at.files(), "no file", format!("the config `{}` lists no file", config.name))
                    .help("list the files it holds, relative to the spec's folder: `files: [config/app.conf]`"),
            );
        }
        let mut keys = BTreeSet::new();
        let mut total: u64 = 0;
        for (j, file) in config.files.iter().enumerate() {
            let path = at.files().at(j);
            let key = key_of(file);
            if !is_config_key(key) {
                out.push(
                    ctx.error(
                        RULE.id,
                        path.clone(),
                        "not a valid key",
                        format!(
                            "the file name `{}` is not a valid ConfigMap key",
                            key.escape_debug()
                        ),
                    )
                    .help("rename the file: letters, digits, `-`, `_` and `.`"),
                );
            } else if !keys.insert(key) {
                out.push(
                    ctx.error(
                        RULE.id,
                        path.clone(),
                        "the same key again",
                        format!(
                            "two files of `{}` are named `{key}`: each becomes that key",
                            config.name
                        ),
                    )
                    .help("rename one of them, or put it in another config"),
                );
            }
            let content = match ctx.configs.get(file) {
                Some(Ok(bytes)) => bytes,
                Some(Err(problem)) => {
                    out.push(refused(ctx, path, file, problem));
                    continue;
                }
                None => {
                    out.push(refused(ctx, path, file, &FileProblem::NoFolder));
                    continue;
                }
            };
            total += content.len() as u64;
            if let Some(found) = find_credential(&String::from_utf8_lossy(content)) {
                out.push(
                    ctx.error(RULE.id, path, found.kind, format!("the config file `{}` holds {}", file.escape_debug(), found.kind))
                        .help("remove it from the file and rotate it; declare it in `secrets:` and read it with `{ secret: NAME, key: KEY }` or `files: [{ secret: NAME, mountPath: ... }]`"),
                );
            }
        }
        if total > MAX_CONFIG_BYTES {
            out.push(
                ctx.error(
                    RULE.id,
                    at.files(),
                    "over 1 MiB in all",
                    format!(
                        "the files of `{}` hold {total} bytes, more than a ConfigMap holds (1 MiB)",
                        config.name
                    ),
                )
                .help(
                    "split them over several configs, or keep large files in storage (NAS or OSS)",
                ),
            );
        }
    }
}

fn refused(
    ctx: &Ctx,
    path: impl Into<crate::model::path::SpecPath>,
    file: &str,
    problem: &FileProblem,
) -> Diagnostic {
    ctx.error(
        RULE.id,
        path,
        "not read",
        format!("the config file `{}` is refused: {}", file.escape_debug(), problem.describe()),
    )
    .help("keep config files in the spec's folder or below it, as regular files, and name them by a relative path such as `config/app.conf`")
}
