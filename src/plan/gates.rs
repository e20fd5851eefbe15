//! The gates of each traffic phase: what must hold before the next phase starts, each
//! measured gate compiled into the query the operator runs and the check of its threshold.
//!
//! Every traffic phase (entry, mirror, step, complete) gets the spec's gates, then the
//! default ones ([`crate::model::gates::defaults`]) unless `rollout.defaultGates` is false.
//! A measured gate reads the new cluster's side of the phase:
//!
//! - ingress-nginx (nginx, ack-nginx, and the plain Ingress routes of slb-weights' complete,
//!   dns-weights and client): `nginx_ingress_controller_requests` and
//!   `nginx_ingress_controller_request_duration_seconds` (labels `namespace`, `service`,
//!   `status`: kubernetes/ingress-nginx `internal/ingress/metric/collectors/socket.go`,
//!   docs/user-guide/monitoring.md) in ACK's managed Prometheus, over its HTTP API
//!   (<https://www.alibabacloud.com/help/en/prometheus/user-guide/http-api-urls>);
//! - Istio: `istio_requests_total` and `istio_request_duration_milliseconds`
//!   (<https://istio.io/latest/docs/reference/config/metrics/>);
//! - slb-weights' steps: the old SLB's listener in CloudMonitor (`acs_slb_dashboard`:
//!   `Qps`, `UpstreamCode5xx`, `UpstreamRt`,
//!   <https://www.alibabacloud.com/help/en/slb/classic-load-balancer/user-guide/monitoring-and-alerting-metrics>),
//!   which counts the old and new backends together;
//! - ALB and Gateway API: no query (see [`Backend::Manual`]): ALB's server-group metrics live
//!   in CloudMonitor `acs_alb`
//!   (<https://www.alibabacloud.com/help/en/slb/application-load-balancer/alb-monitoring-metrics>),
//!   read in the console; `RuleId::RolloutGates` warns.
//!
//! A query that finds no requests fails: no traffic never passes as "0 errors".

use serde::Serialize;

use super::rollout::{Phase, PhaseKind};
use crate::model::gates::{Threshold, defaults};
use crate::model::rollout::{Router, router};
use crate::model::{Comparison, GateMetric, MeasuredGate, Spec, Strategy};
use crate::shell::{Line, Piece};

/// The variable that holds the base URL of the managed Prometheus's HTTP API (the operator
/// copies it from the console; each runbook that queries it guards it).
pub const PROMETHEUS_URL: &str = "PROMETHEUS_URL";

/// The variable that holds the old SLB's id (each runbook that reads it looks it up).
pub const OLD_SLB_ID: &str = "OLD_SLB_ID";

/// Where a gate is read.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Backend {
    /// PromQL over the managed Prometheus's HTTP API, with `curl`.
    Prometheus,
    /// `aliyun cms DescribeMetricList`.
    CloudMonitor,
    /// Nothing to run: a free-text gate, or a router whose metrics the bundle cannot name.
    Manual,
}

/// One gate of a phase.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PhaseGate {
    /// The gate in words, as the spec states it (`error-rate below 1% over 5m`, or its text).
    pub text: String,
    /// The spec path it comes from (`rollout.gates[0]`), or `default`.
    pub source: String,
    pub backend: Backend,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metric: Option<GateMetric>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub comparison: Option<Comparison>,
    /// The threshold in [`PhaseGate::unit`], as the check compares it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub threshold: Option<f64>,
    /// `ratio` (a fraction of one), `s` or `ms`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unit: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub window_seconds: Option<u64>,
    /// The PromQL query, or the CloudMonitor metrics read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub query: Option<String>,
    /// The exact command lines the runbook gives: each exits non-zero when the gate fails
    /// or measured nothing.
    pub commands: Vec<String>,
    /// What the gate reads, and what it cannot see.
    pub scope: String,
}

/// The gates checked before the phase after `phase` starts: the spec's, in order, then the
/// defaults.
pub fn gates(spec: &Spec, phase: &Phase) -> Vec<PhaseGate> {
    if !phase.kind.moves_traffic() {
        return Vec::new();
    }
    let mut out = Vec::new();
    for (i, gate) in spec.rollout.gates.iter().enumerate() {
        let source = format!("rollout.gates[{i}]");
        match gate.measured() {
            Some(measured) => out.extend(compile(spec, phase, measured, source)),
            None => out.push(PhaseGate {
                text: gate.describe(),
                source,
                backend: Backend::Manual,
                metric: None,
                comparison: None,
                threshold: None,
                unit: None,
                window_seconds: None,
                query: None,
                commands: Vec::new(),
                scope: "free text: checked by the operator, measured by nobody".into(),
            }),
        }
    }
    if spec.rollout.default_gates {
        for gate in defaults() {
            out.extend(compile(spec, phase, &gate, "default".into()));
        }
    }
    out
}

/// What reads a phase's side of the traffic.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Reader {
    Nginx,
    Istio,
    Slb,
    Alb,
    GatewayApi,
}

fn reader(spec: &Spec, phase: &Phase) -> Reader {
    match spec.rollout.strategy {
        Strategy::Istio => Reader::Istio,
        Strategy::IngressCanary => match router(spec.rollout.strategy, spec.rollout.controller) {
            Router::Alb => Reader::Alb,
            Router::GatewayApi => Reader::GatewayApi,
            _ => Reader::Nginx,
        },
        // Complete moves DNS to the new cluster's own entrypoint and its plain routes.
        Strategy::SlbWeights if phase.kind == PhaseKind::Complete => Reader::Nginx,
        Strategy::SlbWeights => Reader::Slb,
        Strategy::DnsWeights | Strategy::Client => Reader::Nginx,
    }
}

/// The services a phase's gates read: the wave's, or every moved one at entry and complete.
fn services(phase: &Phase) -> Vec<String> {
    if phase.services.is_empty() {
        phase.after.services.keys().cloned().collect()
    } else {
        phase.services.clone()
    }
}

/// A measured gate (whose threshold `RuleId::SpecValue` checked) as its query and check; `None`
/// when the threshold does not read (the checks refused the spec already).
fn compile(spec: &Spec, phase: &Phase, gate: &MeasuredGate, source: String) -> Option<PhaseGate> {
    let threshold = gate.threshold().ok()?;
    let window = gate.window_seconds().max(60);
    let reader = reader(spec, phase);
    let services = services(phase);
    let (backend, unit, value, query, commands, scope) = match reader {
        Reader::Nginx | Reader::Istio => {
            let (selector, scope) = if reader == Reader::Nginx {
                nginx_selector(spec, phase, &services)
            } else {
                istio_selector(spec, phase, &services)
            };
            let (query, unit, value) = promql(reader, gate.metric, &selector, window, threshold);
            let command = prometheus_command(&query, gate.comparison, value, unit);
            (
                Backend::Prometheus,
                unit,
                value,
                Some(query),
                vec![command],
                scope,
            )
        }
        Reader::Slb => {
            let (query, unit, value, command) = slb_command(spec, gate, window, threshold);
            let scope = format!(
                "the old SLB's listener on port {}, which serves the old backends and the new nodes together: CloudMonitor cannot split the new side's share out, so a failing gate may be the old cluster's; read the new services' logs before rolling back",
                spec.source.entrypoint.port()
            );
            (
                Backend::CloudMonitor,
                unit,
                value,
                Some(query),
                vec![command],
                scope,
            )
        }
        Reader::Alb | Reader::GatewayApi => {
            let (unit, value) = plain_unit(threshold);
            let scope = if reader == Reader::Alb {
                format!(
                    "no query: in the ALB console, the instance's Monitoring tab, Listener, dimension Server group, the server group of each of {}: the backend 5xx count against the requests, and the backend response time (CloudMonitor namespace acs_alb)",
                    services.join(", ")
                )
            } else {
                format!(
                    "no query: the Gateway API implementation's own metrics for the routes of {} (the bundle cannot name them for every implementation)",
                    services.join(", ")
                )
            };
            (Backend::Manual, unit, value, None, Vec::new(), scope)
        }
    };
    Some(PhaseGate {
        text: crate::model::Gate::Measured(gate.clone()).describe(),
        source,
        backend,
        metric: Some(gate.metric),
        comparison: Some(gate.comparison),
        threshold: Some(value),
        unit: Some(unit),
        window_seconds: Some(window),
        query,
        commands,
        scope,
    })
}

fn plain_unit(threshold: Threshold) -> (&'static str, f64) {
    match threshold {
        Threshold::Share(_) => ("ratio", threshold.value()),
        Threshold::Millis(_) => ("s", threshold.value()),
    }
}

/// A PromQL string literal's content: `\` and `"` escaped.
fn promql_string(value: &str) -> String {
    value.replace('\\', "\\\\").replace('"', "\\\"")
}

/// `label="a"`, or `label=~"a|b"` with each name's regex characters escaped.
fn label_match(label: &str, values: &[String]) -> String {
    if let [one] = values {
        return format!("{label}=\"{}\"", promql_string(one));
    }
    let alternatives: Vec<String> = values
        .iter()
        .map(|v| {
            let mut escaped = String::new();
            for c in v.chars() {
                if "\\.+*?()|[]{}^$".contains(c) {
                    escaped.push('\\');
                }
                escaped.push(c);
            }
            promql_string(&escaped)
        })
        .collect();
    format!("{label}=~\"{}\"", alternatives.join("|"))
}

fn nginx_selector(spec: &Spec, phase: &Phase, services: &[String]) -> (String, String) {
    let namespace = format!("namespace=\"{}\"", promql_string(spec.namespace()));
    match phase.kind {
        // At entry the new ingress sends everything to the old cluster; at a mirror its
        // copies go to the new services past the ingress, whose metrics do not see them.
        PhaseKind::Entry | PhaseKind::Mirror => (
            namespace,
            format!(
                "every request the new cluster's ingress-nginx serves in namespace {} (still answered by the old cluster{})",
                spec.namespace(),
                if phase.kind == PhaseKind::Mirror {
                    "; the mirrored copies' answers are not in the ingress's metrics: read the new services' logs for them"
                } else {
                    ""
                }
            ),
        ),
        _ => (
            format!("{namespace},{}", label_match("service", services)),
            format!(
                "the requests the new cluster's ingress-nginx sends to the new {} (label service)",
                services.join(", ")
            ),
        ),
    }
}

fn istio_selector(spec: &Spec, phase: &Phase, services: &[String]) -> (String, String) {
    // The ingress gateway's workload, as plan::ingress names it.
    let gateway = "reporter=\"source\",source_workload=\"istio-ingressgateway\",source_workload_namespace=\"istio-system\"";
    let destination = format!(
        "destination_service_namespace=\"{}\",{}",
        promql_string(spec.namespace()),
        label_match("destination_service_name", services)
    );
    match phase.kind {
        PhaseKind::Entry => (
            gateway.to_string(),
            "every request the ingress gateway sends on (at entry, to the old cluster)".into(),
        ),
        // Only the new workloads' sidecars see the mirrored copies' answers.
        PhaseKind::Mirror => (
            format!("reporter=\"destination\",{destination}"),
            format!(
                "the mirrored copies as the sidecars of the new {} answer them",
                services.join(", ")
            ),
        ),
        _ => (
            format!("{gateway},{destination}"),
            format!(
                "the requests the ingress gateway sends to the new {}, as the gateway sees them",
                services.join(", ")
            ),
        ),
    }
}

/// The query, the unit it answers in, and the threshold in that unit.
fn promql(
    reader: Reader,
    metric: GateMetric,
    selector: &str,
    window: u64,
    threshold: Threshold,
) -> (String, &'static str, f64) {
    let (requests, status, duration, unit, scale) = if reader == Reader::Istio {
        (
            "istio_requests_total",
            "response_code",
            "istio_request_duration_milliseconds_bucket",
            "ms",
            1000.0,
        )
    } else {
        (
            "nginx_ingress_controller_requests",
            "status",
            "nginx_ingress_controller_request_duration_seconds_bucket",
            "s",
            1.0,
        )
    };
    match metric {
        // `or vector(0)`: no 5xx series yet is 0 errors; no requests stays empty (and fails).
        // `5..` also matches the `5xx` of ingress-nginx's --report-status-classes.
        GateMetric::ErrorRate => (
            format!(
                "(sum(rate({requests}{{{selector},{status}=~\"5..\"}}[{window}s])) or vector(0)) / sum(rate({requests}{{{selector}}}[{window}s]))"
            ),
            "ratio",
            threshold.value(),
        ),
        GateMetric::P99Latency => (
            format!(
                "histogram_quantile(0.99, sum by (le) (rate({duration}{{{selector}}}[{window}s])))"
            ),
            unit,
            threshold.value() * scale,
        ),
    }
}

/// jq's test of `$v` against `$limit`, and the words for a failure.
fn comparison(comparison: Comparison) -> (&'static str, &'static str) {
    match comparison {
        Comparison::Below => ("<", "below"),
        Comparison::Above => (">", "above"),
    }
}

fn number(value: f64) -> String {
    // Shortest form that reads back the same value; never an exponent for these ranges.
    let text = format!("{value}");
    if text.contains('e') {
        format!("{value:.6}")
    } else {
        text
    }
}

/// `curl` the instant query; `jq` passes only a number on the right side of the threshold,
/// and fails on an empty result or NaN (no requests in the window).
fn prometheus_command(query: &str, how: Comparison, limit: f64, unit: &str) -> String {
    let (op, word) = comparison(how);
    let filter = format!(
        ".data.result as $r | if ($r | length) == 0 then error(\"no data: no requests reached the measured side in the window, or the metric is not scraped; the gate does not pass on no traffic\") \
else $r[0].value[1] as $s | if $s == \"NaN\" then error(\"NaN: no requests in the window; the gate does not pass on no traffic\") \
else ($s | tonumber) as $v | if $v {op} $limit then \"pass: \\($v) {unit} is {word} \\($limit)\" \
else error(\"gate failed: \\($v) {unit} is not {word} \\($limit)\") end end end"
    );
    Line::new("curl -fsS --netrc-optional --get")
        .word(&[Piece::Var(PROMETHEUS_URL), Piece::Lit("/api/v1/query")])
        .opt("--data-urlencode", format!("query={query}"))
        .pipe(
            Line::new("jq -er")
                .lit("--argjson limit")
                .arg(number(limit))
                .arg(filter),
        )
        .build()
}

/// `aliyun cms DescribeMetricList` of one listener metric over the window.
fn cms(spec: &Spec, metric: &str, window: u64) -> Line {
    let dimensions = Line::new("jq -cn")
        .lit("--arg id")
        .var(OLD_SLB_ID)
        .lit("--arg port")
        .arg(spec.source.entrypoint.port().to_string())
        .arg("[{instanceId: $id, port: $port}]");
    Line::new("aliyun cms DescribeMetricList")
        .opt("--region", &spec.target.region)
        .lit("--Namespace acs_slb_dashboard")
        .opt("--MetricName", metric)
        .lit("--Period 60")
        .lit("--Dimensions")
        .subst(dimensions)
        // Milliseconds since the epoch, as DescribeMetricList accepts them.
        .lit(&format!("--StartTime \"$(( $(date +%s) - {window} ))000\""))
        .lit("--EndTime \"$(date +%s)000\"")
}

/// The CloudMonitor reading of a gate on the old SLB's listener: the metrics, the unit,
/// the threshold in it, and the command.
fn slb_command(
    spec: &Spec,
    gate: &MeasuredGate,
    window: u64,
    threshold: Threshold,
) -> (String, &'static str, f64, String) {
    let (op, word) = comparison(gate.comparison);
    let no_data = "error(\"no data: the listener served no requests in the window, or it is not a layer-7 (HTTP) listener; the gate does not pass on no traffic\")";
    match gate.metric {
        GateMetric::ErrorRate => {
            let limit = threshold.value();
            // The 5xx series on stdin, the requests' as an argument: the line starts with the
            // query it runs, like every other gate's.
            let filter = format!(
                "[.Datapoints | fromjson | .[].Average] as $e | [$requests.Datapoints | fromjson | .[].Average] as $q \
| if ($q | length) == 0 or ($q | add) == 0 then {no_data} \
else ((($e | add) // 0) / ($q | add)) as $v | if $v {op} $limit then \"pass: \\($v) of the requests were 5xx, {word} \\($limit)\" \
else error(\"gate failed: \\($v) of the requests were 5xx, not {word} \\($limit)\") end end"
            );
            let command = cms(spec, "UpstreamCode5xx", window)
                .pipe(
                    Line::new("jq -er")
                        .lit("--argjson requests")
                        .subst(cms(spec, "Qps", window))
                        .lit("--argjson limit")
                        .arg(number(limit))
                        .arg(filter),
                )
                .build();
            (
                "acs_slb_dashboard UpstreamCode5xx / Qps".into(),
                "ratio",
                limit,
                command,
            )
        }
        GateMetric::P99Latency => {
            // CloudMonitor keeps per-minute averages, no percentile: the highest minute's
            // average backend time stands for the p99, which it understates.
            let limit = threshold.value() * 1000.0;
            let filter = format!(
                "[.Datapoints | fromjson | .[].Average] as $t | if ($t | length) == 0 then {no_data} \
else ($t | max) as $v | if $v {op} $limit then \"pass: the slowest minute averaged \\($v) ms, {word} \\($limit)\" \
else error(\"gate failed: the slowest minute averaged \\($v) ms, not {word} \\($limit)\") end end"
            );
            let command = cms(spec, "UpstreamRt", window)
                .pipe(
                    Line::new("jq -er")
                        .lit("--argjson limit")
                        .arg(number(limit))
                        .arg(filter),
                )
                .build();
            (
                "acs_slb_dashboard UpstreamRt (per-minute average, the highest minute)".into(),
                "ms",
                limit,
                command,
            )
        }
    }
}
