//! The images phase: the registry namespace, image-syncer, and a check per image.

use super::commands::credentials;
use super::{Role, Runbook, code, step};
use crate::model::Spec;
use crate::plan::Plan;
use crate::shell::{Line, Piece};

pub(super) fn images(spec: &Spec, plan: &Plan, book: &mut Runbook) {
    let Some(images) = &spec.images else {
        book.notes.push(
            "The spec moves no images (`images`): the new cluster pulls them where they are."
                .into(),
        );
        return;
    };
    let registry = images.target.split('/').next().unwrap_or(&images.target);
    book.steps.push(
        step(
            Role::Operations,
            format!(
                "Create the Container Registry namespace for {}",
                code(&images.target)
            ),
            "images.target",
        )
        .detail("In Container Registry (ACR): the namespace, and a user with push and pull rights.")
        .commands([Line::new("docker login").arg(registry).build()])
        .expect("Login Succeeded"),
    );
    let mut commands = Vec::new();
    for login in crate::plan::images::logins(spec, &plan.images) {
        commands.extend(credentials(
            &[&login.username_env, &login.password_env],
            &format!("the login to {}", login.host),
        ));
    }
    // The auth file is JSON (which image-syncer reads as YAML too) built by jq from the
    // exported values, so no quote or backslash in a password changes it; mktemp makes it
    // private, and it is removed after the sync whatever the outcome.
    let mut auth = Line::new("jq -n");
    let mut entries = Vec::new();
    for (i, login) in crate::plan::images::logins(spec, &plan.images)
        .iter()
        .enumerate()
    {
        let n = i + 1;
        auth = auth
            .lit("--arg")
            .lit(&format!("host{n}"))
            .arg(&login.host)
            .lit("--arg")
            .lit(&format!("user{n}"))
            .var(&login.username_env)
            .lit("--arg")
            .lit(&format!("password{n}"))
            .var(&login.password_env);
        entries.push(format!(
            "($host{n}): {{username: $user{n}, password: $password{n}}}"
        ));
    }
    let auth = auth.arg(format!("{{{}}}", entries.join(", ")));
    commands.extend([
        Line::assign("SYNC_AUTH", Line::new("mktemp")).build(),
        format!("{} > \"$SYNC_AUTH\"", auth.build()),
        Line::new("image-syncer")
            .word(&[Piece::Lit("--auth="), Piece::Var("SYNC_AUTH")])
            .arg(format!("--images={}", crate::plan::images::IMAGES_FILE))
            .lit("--proc=6 --retries=3; rm -f \"$SYNC_AUTH\"")
            .build(),
    ]);
    book.steps.push(
        step(
            Role::Operations,
            format!("Copy {} images with image-syncer", plan.images.len()),
            "services[*].image",
        )
        .detail("Export the registry credentials in your shell; jq writes them into a private temporary auth file, image-syncer syncs, and the file is deleted whatever the outcome (if you stop the sync, run `rm -f \"$SYNC_AUTH\"`).")
        .commands(commands)
        .expect("image-syncer ends with 0 failed tasks"),
    );
    for image in &plan.images {
        book.steps.push(
            step(
                Role::Operations,
                format!("Check {}", code(&image.target)),
                "images.target",
            )
            .commands([Line::new("docker manifest inspect")
                .arg(&image.target)
                .build()])
            .expect("a manifest, not `no such manifest`"),
        );
    }
}
