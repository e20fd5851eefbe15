//! The verify phase: the spec's checks through the test domain, logs and metrics.

use super::commands::{curl, kubectl_in};
use super::{Role, Runbook, from_spec, step, text};
use crate::model::Spec;
use crate::plan::Plan;

pub(super) fn verify(spec: &Spec, plan: &Plan, book: &mut Runbook) {
    let Some(test) = &spec.target.test_domain else {
        book.notes
            .push("No test domain (`target.testDomain`): test through port-forwarding.".into());
        return;
    };
    let checks = spec
        .verification
        .as_ref()
        .map(|v| v.checks.as_slice())
        .unwrap_or(&[]);
    for check in checks {
        let Some(command) = curl(test, &check.request, false) else {
            continue;
        };
        let mut commands = vec![command];
        if let Some(old) = &spec.source.test_domain
            && let Some(old_command) = curl(old, &check.request, false)
        {
            commands.push(old_command);
        }
        book.steps.push(
            step(Role::Tester, format!("Check: {}", text(&check.name)), format!("verification.checks[{}]", check.name))
                .detail("The first command asks the new cluster; the second (when the old cluster has a test domain) the old one, for comparison.")
                .commands(commands)
                .expect(format!("{} from the new cluster", check.expect)),
        );
    }
    let ns = spec.namespace();
    book.steps.push(
        step(Role::Tester, "Read the new services' logs", "services")
            .commands(spec.services.iter().map(|s| {
                kubectl_in(ns)
                    .lit("logs")
                    .opt("-l", format!("app.kubernetes.io/name={}", s.name))
                    .lit("--since=30m --tail=200")
                    .build()
            }))
            .expect("no errors or stack traces that the old cluster does not show too"),
    );
    // The complete phase's gate queries read the same new services, here under test traffic.
    let queries = super::gates::verify_commands(spec, plan, book);
    let detail = if queries.is_empty() {
        "In CloudMonitor / Prometheus: the new services' error rate and latency under the test traffic."
    } else {
        "The pods' use, then the complete phase's gate queries, here over the test traffic only (send some through the test domain first: a query that measured no requests fails)."
    };
    book.steps.push(
        step(Role::Tester, "Compare the metrics", "rollout.gates")
            .detail(detail)
            .commands(std::iter::once(kubectl_in(ns).lit("top pods").build()).chain(queries))
            .expect(if spec.rollout.gates.is_empty() {
                "no pod near its limits".to_string()
            } else {
                format!(
                    "no pod near its limits, and each gate of the spec holds: {}",
                    spec.rollout
                        .gates
                        .iter()
                        .enumerate()
                        .map(|(i, g)| from_spec(&format!("rollout.gates[{i}]"), &g.describe()))
                        .collect::<Vec<_>>()
                        .join("; ")
                )
            }),
    );
}
