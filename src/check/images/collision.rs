//! `images/collision`: what it demands and why are in [`RULE`].

use crate::check::Ctx;
use crate::diagnostic::Diagnostic;
use crate::model::images::target_image;
use crate::model::path::root;
use crate::rules::{Level, Rule, RuleId, Scope, Status};
use std::collections::BTreeMap;

pub static RULE: Rule = Rule {
    id: RuleId::ImagesCollision,
    level: Level::Error,
    status: Status::Checked,
    scope: Scope::Spec,
    locked: None,
    summary: "Different source images never land on the same target image: `images.target` keeps only each image's last path component.",
    rationale: "`a/web:1.0` and `b/web:1.0` would both become `<target>/web:1.0`, and one service would run the other's code.",
    bad: "image: team-a/web:1.0   # and another service: team-b/web:1.0",
    good: "image: team-a/web:1.0   # and: team-b/web-b:1.0",
    source: "cutover",
};

/// Two different source images must not map to one target image.
pub fn check(ctx: &Ctx, out: &mut Vec<Diagnostic>) {
    if ctx.spec.images.is_none() {
        return;
    }
    let mut first: BTreeMap<String, (usize, &str)> = BTreeMap::new();
    for (i, service) in ctx.spec.services.iter().enumerate() {
        let target = target_image(ctx.spec, &service.image);
        match first.get(&target) {
            Some(&(j, image)) if image != service.image => out.push(
                ctx.error(
                    RULE.id,
                    root().services().at(i).image(),
                    format!("also becomes {target}"),
                    format!("images `{image}` and `{}` both move to `{target}`", service.image),
                )
                .label(ctx.span(root().services().at(j).image()), "first here")
                .help("rename one image (its last path component) so that each moves to a target of its own"),
            ),
            Some(_) => {}
            None => {
                first.insert(target, (i, &service.image));
            }
        }
    }
}
