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
    summary: "The match (one of header, cookie, query; exactly one of value and pattern) can be expressed by the controller; the diagnostic names the controllers that can. A `matchedOnly` step needs the match and a router that weighs matched requests apart (ack-nginx, gateway-api, istio), comes before the steps that move every request, and is not the last step of its wave.",
    rationale: "Upstream nginx has no query match and matches a cookie only by the value `always`; ALB matches headers exactly only; the slb-weights, dns-weights and client strategies see no requests at all.",
    bad: "controller: nginx\nmatch: { query: { name: canary, value: \"1\" } }",
    good: "controller: ack-nginx\nmatch: { query: { name: canary, value: \"1\" } }",
    source: "003 §4.2",
};

pub fn check(ctx: &Ctx, out: &mut Vec<Diagnostic>) {
    matched_only(ctx, out);
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

/// The routers that can split the matched requests by a weight and keep the others on the
/// old cluster: ACK's service-match with service-weight, a weighted matched rule in Gateway
/// API and Istio. Upstream nginx cannot (canary-by-header wins over canary-weight: a matched
/// request always goes to the canary), nor ALB (header and weight rules cannot share one
/// canary Ingress), nor the strategies below HTTP.
const MATCHED_ONLY: [Router; 3] = [Router::AckNginx, Router::GatewayApi, Router::Istio];

/// `steps[].matchedOnly` needs `rollout.match` and a router that can express it.
fn matched_only(ctx: &Ctx, out: &mut Vec<Diagnostic>) {
    let rollout = &ctx.spec.rollout;
    let router = router(rollout.strategy, rollout.controller);
    for (w, wave) in rollout.waves.iter().enumerate() {
        for (s, step) in wave.steps.iter().enumerate() {
            if !step.matched_only {
                continue;
            }
            let at = root().rollout().waves().at(w).steps().at(s).matched_only();
            // The other requests sit at 0% during a matched-only step: after a step that
            // moved them, it would move them back; as the last step, never forward.
            if let Some(earlier) = wave.steps[..s]
                .iter()
                .find(|e| !e.matched_only && e.weight > 0)
            {
                out.push(
                    ctx.error(RULE.id, &at, "moves the others back", format!("step {}% of wave `{}` applies to the matched requests only, after a step that sent {}% of every request to the new cluster: the other requests would go back to the old cluster", step.weight, wave.name, earlier.weight))
                        .help("put the matched-only steps first in the wave, before the steps that move every request"),
                );
            } else if s + 1 == wave.steps.len() {
                out.push(
                    ctx.error(RULE.id, &at, "the others never move", format!("the last step of wave `{}` applies to the matched requests only: the other requests would stay on the old cluster until `complete` moves them all at once", wave.name))
                        .help("end the wave with a step for every request (`{ weight: 100, hold: ... }`)"),
                );
            }
            if rollout.match_rule.is_none() {
                out.push(
                    ctx.error(RULE.id, &at, "no match", format!("step {}% of wave `{}` applies to the matched requests only, but the rollout has no `match`", step.weight, wave.name))
                        .help("add `rollout.match` (a header, cookie or query condition), or drop `matchedOnly`"),
                );
                continue;
            }
            if MATCHED_ONLY.contains(&router) {
                continue;
            }
            let who = match router {
                Router::None => format!("the {} strategy routes below HTTP and cannot match requests", <&str>::from(rollout.strategy)),
                Router::Nginx => "upstream nginx cannot weigh the matched requests: canary-by-header always wins over canary-weight".to_string(),
                r => format!("the {} controller cannot weigh the matched requests apart from the others", <&str>::from(r)),
            };
            out.push(
                ctx.error(RULE.id, &at, "matched only", who)
                    .help(format!(
                        "a weight on the matched requests only is expressed by: {}; or drop `matchedOnly` (the weight then applies to every request)",
                        MATCHED_ONLY.map(<&str>::from).join(", ")
                    )),
            );
        }
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
