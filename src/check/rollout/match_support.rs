//! `rollout/match-support`: what it demands and why are in [`RULE`].

use crate::check::Ctx;
use crate::diagnostic::Diagnostic;
use crate::model::MatchCondition;
use crate::model::path::{MatchConditionAt, root};
use crate::model::rollout::{Router, router};
use crate::rules::{Level, Rule, RuleId, Scope, Status};

pub static RULE: Rule = Rule {
    id: RuleId::RolloutMatchSupport,
    level: Level::Error,
    status: Status::Checked,
    scope: Scope::Spec,
    locked: None,
    summary: "The match (one of header, cookie, query; exactly one of value and pattern) can be expressed by the controller; the diagnostic names the controllers that can.",
    rationale: "Upstream nginx has no query match and matches a cookie only by the value `always`; ALB matches headers exactly only; the slb-weights, dns-weights and client strategies see no requests at all.",
    bad: "controller: nginx\nmatch: { query: { name: canary, value: \"1\" } }",
    good: "controller: ack-nginx\nmatch: { query: { name: canary, value: \"1\" } }",
    source: "003 §4.2",
};

pub fn check(ctx: &Ctx, out: &mut Vec<Diagnostic>) {
    let rollout = &ctx.spec.rollout;
    let Some(rule) = &rollout.match_rule else {
        return;
    };
    let router = router(rollout.strategy, rollout.controller);
    let at = root().rollout().match_rule();
    let conditions: Vec<(&str, &MatchCondition, MatchConditionAt)> = [
        ("header", &rule.header, at.header()),
        ("cookie", &rule.cookie, at.cookie()),
        ("query", &rule.query, at.query()),
    ]
    .into_iter()
    .filter_map(|(k, c, at)| c.as_ref().map(|c| (k, c, at)))
    .collect();
    if conditions.len() > 1 {
        out.push(
            ctx.error(RULE.id, root().rollout().match_rule(), "several conditions", "the match names more than one of header, cookie and query")
                .help("match on one of them: controllers combine several differently (some as AND, some as OR)"),
        );
    }
    for (kind, condition, path) in conditions {
        if condition.value.is_some() == condition.pattern.is_some() {
            out.push(
                ctx.error(RULE.id, &path, "value or pattern", format!("the {kind} match needs exactly one of `value` (exact) and `pattern` (regex)"))
                    .help(format!("write `{kind}: {{ name: ..., value: ... }}` or `{kind}: {{ name: ..., pattern: ... }}`")),
            );
            continue;
        }
        let regex = condition.pattern.is_some();
        if can_match(router, kind, regex, condition.value.as_deref()) {
            continue;
        }
        let able: Vec<&str> = ROUTERS
            .iter()
            .filter(|r| can_match(**r, kind, regex, condition.value.as_deref()))
            .map(|r| <&str>::from(*r))
            .collect();
        let how = if regex {
            "by pattern"
        } else {
            "by exact value"
        };
        let who = match router {
            Router::None => format!(
                "the {} strategy routes below HTTP and cannot match requests",
                <&str>::from(rollout.strategy)
            ),
            r => format!(
                "the {} controller cannot match a {kind} {how}",
                <&str>::from(r)
            ),
        };
        out.push(
            ctx.error(RULE.id, &path, format!("{kind} {how}"), who)
                .label(
                    ctx.span(if rollout.controller.is_some() {
                        root().rollout().controller()
                    } else {
                        root().rollout().strategy()
                    }),
                    "here",
                )
                .help(format!(
                    "a {kind} match {how} is expressed by: {}{}",
                    able.join(", "),
                    if kind == "cookie" && !regex {
                        " (nginx and alb only with the value `always`)"
                    } else {
                        ""
                    }
                )),
        );
    }
}

/// The routers that can match requests.
const ROUTERS: [Router; 5] = [
    Router::Nginx,
    Router::AckNginx,
    Router::Alb,
    Router::GatewayApi,
    Router::Istio,
];

/// Whether `router` can send requests matching `kind` (`header`, `cookie`, `query`) to the
/// new cluster, by exact value (`regex` false) or by pattern.
fn can_match(router: Router, kind: &str, regex: bool, value: Option<&str>) -> bool {
    match (router, kind) {
        (Router::AckNginx | Router::Istio, _) => true,
        (Router::GatewayApi, "header" | "query") => true,
        (Router::Nginx, "header") => true,
        (Router::Alb, "header") => !regex,
        // Upstream nginx and ALB match a cookie only by name, with the value `always`.
        (Router::Nginx | Router::Alb, "cookie") => !regex && value == Some("always"),
        _ => false,
    }
}
