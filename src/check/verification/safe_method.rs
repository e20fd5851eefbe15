//! `verification/safe-method`: verification requests only read. The verify runbook runs
//! every check with `curl` against the new cluster's test domain, and against the old
//! cluster's (`source.testDomain`) for comparison: the old cluster is production, and the
//! new one already shares its databases and object stores. A `DELETE`, `POST` or `PUT` there
//! changes production data as a side effect of a test.

use crate::check::Ctx;
use crate::diagnostic::Diagnostic;
use crate::model::path::root;
use crate::rules::{Level, Rule, RuleId, Scope, Status};

pub static RULE: Rule = Rule {
    id: RuleId::VerificationSafeMethod,
    level: Level::Error,
    status: Status::Checked,
    scope: Scope::Spec,
    locked: None,
    summary: "Verification requests use a safe method: `GET`, `HEAD` or `OPTIONS`.",
    rationale: "The verify runbook sends every check with `curl` to the new cluster's test domain and to the old cluster's (`source.testDomain`): the old cluster is production, and the new one already shares its databases and object stores. A `DELETE` or `POST` check changes production data as a side effect of a test.",
    bad: "verification: { checks: [{ name: reset demo, request: \"DELETE /accounts/demo?all=true\", expect: 204 }] }",
    good: "verification: { checks: [{ name: demo account, request: \"GET /accounts/demo\", expect: 200 }] }",
    source: "RFC 9110 §9.2.1 (safe methods)",
};

/// The methods RFC 9110 defines as safe that a check has any use for (`TRACE` echoes the
/// request back, headers included, and proves nothing about the service).
pub const SAFE_METHODS: &[&str] = &["GET", "HEAD", "OPTIONS"];

pub fn check(ctx: &Ctx, out: &mut Vec<Diagnostic>) {
    let Some(verification) = &ctx.spec.verification else {
        return;
    };
    for (i, check) in verification.checks.iter().enumerate() {
        let method = check.request.split(' ').next().unwrap_or_default();
        // A method that is not a word in capitals is spec::value's to report.
        let is_method = !method.is_empty() && method.bytes().all(|b| b.is_ascii_uppercase());
        if !is_method || SAFE_METHODS.contains(&method) {
            continue;
        }
        let path = root().verification().checks().at(i).request();
        let mut d = ctx
            .error(
                RULE.id,
                &path,
                format!("`{method}` changes data"),
                format!(
                    "check `{}` sends `{method}`: {}",
                    crate::markdown::visible(&check.name),
                    if ctx.spec.source.test_domain.is_some() {
                        "verification runs it against the old production cluster too, and the new cluster shares its data"
                    } else {
                        "the new cluster it runs against already shares the production data"
                    }
                ),
            )
            .help("verify with `GET`, `HEAD` or `OPTIONS` only, such as `GET /api/health`; test writes by hand in a staging environment, not in the bundle's checks");
        if ctx.spec.source.test_domain.is_some() {
            d = d.label(
                ctx.span(root().source().test_domain()),
                "the old production cluster, asked the same request",
            );
        }
        out.push(d);
    }
}
