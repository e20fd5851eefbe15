//! `dns/test-domain`: the new cluster's test domain is not a production host. The deploy
//! runbook adds an A record for `target.testDomain` pointing at the new ingress, before any
//! verification: if that name is the zone apex, a moving record, a host a service routes or
//! the old cluster's test domain, the record adds the new ingress to a name real users (or
//! the old cluster's testers) resolve, and traffic splits before the new cluster is verified.
//!
//! Names are compared as DNS compares them, ignoring case. `source.testDomain` is not held to
//! this: the runbooks only send requests to it, they never change its record.

use crate::check::Ctx;
use crate::diagnostic::Diagnostic;
use crate::model::dns::fqdn;
use crate::model::path::{SpecPath, root};
use crate::rules::{Level, Rule, RuleId, Scope, Status};

pub static RULE: Rule = Rule {
    id: RuleId::DnsTestDomain,
    level: Level::Error,
    status: Status::Checked,
    scope: Scope::Spec,
    locked: None,
    summary: "`target.testDomain` is a name of its own: not the zone apex, not a `dns.records[]` name, not a `services[].routes[].host`, not `source.testDomain` (compared ignoring case).",
    rationale: "The deploy runbook adds an A record for the test domain pointing at the new ingress, before verification: on a production name that record splits real users' traffic onto a cluster nobody has checked yet.",
    bad: "target: { testDomain: www.shop.example }\ndns: { zone: shop.example, records: [{ name: www, type: A }] }",
    good: "target: { testDomain: test.shop.example }",
    source: "cutover; DNS answers all A records of a name (round robin)",
};

pub fn check(ctx: &Ctx, out: &mut Vec<Diagnostic>) {
    let spec = ctx.spec;
    let Some(test) = &spec.target.test_domain else {
        return;
    };
    let same = |name: &str| name.eq_ignore_ascii_case(test);
    // Each production name the test domain is, with where it is written.
    let mut taken: Vec<(SpecPath, String)> = Vec::new();
    if let Some(dns) = &spec.dns {
        if same(&dns.zone) {
            taken.push((root().dns().zone(), "the zone apex".into()));
        }
        for (i, record) in dns.records.iter().enumerate() {
            if record.name != "@" && same(&fqdn(&dns.zone, &record.name)) {
                taken.push((
                    root().dns().records().at(i).name(),
                    "a production record that moves".into(),
                ));
            }
        }
    }
    for (i, service) in spec.services.iter().enumerate() {
        for (j, route) in service.routes.iter().enumerate() {
            if same(&route.host) {
                taken.push((
                    root().services().at(i).routes().at(j).host(),
                    format!("a host that service `{}` routes", service.name),
                ));
            }
        }
    }
    if spec.source.test_domain.as_deref().is_some_and(same) {
        taken.push((
            root().source().test_domain(),
            "the old cluster's test domain".into(),
        ));
    }
    // The first production name it is: one is enough to move it, and the zone apex is
    // routed by every service of a one-host spec.
    let Some((at, what)) = taken.first() else {
        return;
    };
    let d = ctx
        .error(
            RULE.id,
            root().target().test_domain(),
            "gets an A record for the new ingress at deploy",
            format!(
                "the test domain `{test}` is {what}: pointing it at the new ingress splits its traffic before verification"
            ),
        )
        .help(match &spec.dns {
            Some(dns) => format!(
                "use a name of its own that nothing serves yet, such as `test.{}`",
                dns.zone
            ),
            None => "use a name of its own that nothing serves yet, such as `test.example.com`"
                .to_string(),
        });
    out.push(d.label(ctx.span(at), what.clone()));
}
