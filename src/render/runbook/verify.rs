//! The verify phase: the spec's checks through the test domain, logs and metrics.

use super::commands::{curl, kubectl_in};
use super::{Role, Runbook, code, from_spec, step, text};
use crate::model::Spec;
use crate::plan::Plan;
use crate::rules::RuleId;

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

/// The network policies' checks, as the plan recorded them (`plan.networkPolicy.probes`):
/// the selectors find their pods, every allowed edge opens from inside its source pod, and,
/// where the plugin enforces policies, a pod no policy allows is refused.
pub(super) fn network_policies(plan: &Plan, book: &mut Runbook) {
    let policies = &plan.network_policy;
    let Some(probes) = &policies.probes else {
        return;
    };
    let mut detail = "The deploy folder's NetworkPolicies, exercised: first each selector of pods outside the namespace that a rule relies on lists its pods (an empty one is a rule that admits nobody).".to_string();
    if let (Some(image), false) = (&probes.image, probes.edge_commands.is_empty()) {
        detail.push_str(&format!(
            " Then, for every allowed connection inside the cluster and one per data store, `kubectl debug` adds an ephemeral container with {} to a running pod of the source, in that pod's network namespace so that its policy applies, and tries the destination over TCP. `kubectl debug` does not pass the container's exit status on: the line it prints is the verdict. It needs kubectl 1.27 or later (`--profile=baseline`), and each probe leaves its finished ephemeral container in the pod's status until the pod is replaced.",
            code(image)
        ));
    }
    if !probes.not_probed.is_empty() {
        detail.push_str(" Not probed: ");
        detail.push_str(
            &probes
                .not_probed
                .iter()
                .map(text)
                .collect::<Vec<_>>()
                .join("; "),
        );
        detail.push('.');
    }
    let mut expect = "every `kubectl get pods` lists at least one pod".to_string();
    if !probes.edge_commands.is_empty() {
        expect.push_str(", and every probe prints `open …`; a `BLOCKED` line is a connection the policies refuse although the spec declares it");
    }
    if !policies.enforced {
        expect.push_str(&format!(
            ". Under {} nothing enforces the policies (`{}`): these checks keep their meaning for the move to Terway",
            text(plan.network.plugin),
            RuleId::NetworkPolicyEnforcement
        ));
    }
    book.steps.push(
        step(
            Role::Operations,
            "Check the network policies",
            "target.networkPolicy",
        )
        .detail(detail)
        .commands(
            probes
                .selector_commands
                .iter()
                .chain(&probes.edge_commands)
                .cloned(),
        )
        .expect(expect),
    );
    if probes.deny_commands.is_empty() {
        if !policies.enforced {
            book.notes.push(format!(
                "The NetworkPolicies are applied but not enforced: ACK enforces them only on nodes that run Terway in shared ENI mode, and this cluster runs {} (`{}`). The probe that proves enforcement (a pod no policy allows must be refused) is skipped: it would get through.",
                text(plan.network.plugin),
                RuleId::NetworkPolicyEnforcement
            ));
        }
        return;
    }
    book.steps.push(
        step(
            Role::Operations,
            "Check that the policies are enforced",
            "target.networkPolicy",
        )
        .detail(format!(
            "A throwaway pod that only {} selects tries a Service's address (not its name: the default deny blocks its DNS too). The command fails when the connection gets through.",
            code(policies.policies.first().map_or("default-deny", |p| p.name.as_str()))
        ))
        .commands(probes.deny_commands.iter().cloned())
        .expect(format!(
            "`blocked … as expected`, and the command exits 0; `REACHED …` (exit 1) means the policies are not enforced: check that the nodes run Terway in shared ENI mode (`{}`)",
            RuleId::NetworkPolicyEnforcement
        )),
    );
}
