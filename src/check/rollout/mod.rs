//! Rollout rules (003 §4.1, §4.2, §5; seed 002): waves and steps that end with all traffic
//! on the new cluster, matches and mirrors the controller can express, and data that stays
//! consistent while traffic is split.

pub(super) mod steps;
pub(super) mod waves;
pub(super) mod rollback;
pub(super) mod mirror_writes;
pub(super) mod match_support;
pub(super) mod ack_service_match;
pub(super) mod mirror_support;
pub(super) mod split_writes;

use crate::model::{Controller, Strategy};

pub fn strategy_name(strategy: Strategy) -> &'static str {
    match strategy {
        Strategy::SlbWeights => "slb-weights",
        Strategy::DnsWeights => "dns-weights",
        Strategy::IngressCanary => "ingress-canary",
        Strategy::Istio => "istio",
        Strategy::Client => "client",
    }
}

/// Who can route a request by this condition: (controller, exact value, regex, cookie).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Router {
    Nginx,
    AckNginx,
    Alb,
    GatewayApi,
    Istio,
    /// slb-weights, dns-weights, client: below HTTP, no request matching at all.
    None,
}

pub fn router(ctx_strategy: Strategy, controller: Option<Controller>) -> Router {
    match (ctx_strategy, controller) {
        (Strategy::Istio, _) => Router::Istio,
        (Strategy::IngressCanary, Some(Controller::AckNginx)) => Router::AckNginx,
        (Strategy::IngressCanary, Some(Controller::Alb)) => Router::Alb,
        (Strategy::IngressCanary, Some(Controller::GatewayApi)) => Router::GatewayApi,
        (Strategy::IngressCanary, _) => Router::Nginx,
        _ => Router::None,
    }
}

pub fn router_name(router: Router) -> &'static str {
    match router {
        Router::Nginx => "nginx",
        Router::AckNginx => "ack-nginx",
        Router::Alb => "alb",
        Router::GatewayApi => "gateway-api",
        Router::Istio => "istio",
        Router::None => "none",
    }
}

pub const ROUTERS: [Router; 5] = [
    Router::Nginx,
    Router::AckNginx,
    Router::Alb,
    Router::GatewayApi,
    Router::Istio,
];

/// Whether `router` can send requests matching `kind` (`header`, `cookie`, `query`) to the
/// new cluster, by exact value (`regex` false) or by pattern.
pub fn can_match(router: Router, kind: &str, regex: bool, value: Option<&str>) -> bool {
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

/// Whether the router can mirror (shadow) requests to the new cluster.
pub fn can_mirror(router: Router) -> bool {
    matches!(
        router,
        Router::Nginx | Router::AckNginx | Router::GatewayApi | Router::Istio
    )
}
