//! Gates: what must hold before a traffic phase goes on to the next. A gate is measured
//! (`{ metric, comparison, threshold, window }`, which the plan compiles into a query the
//! operator runs) or free text (shown to the operator, measured by nobody).

use std::borrow::Cow;
use std::fmt;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::de::{self, MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize};
use strum::{IntoStaticStr, VariantArray};

use super::{Duration, Percent};

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Gate {
    /// Free text, as older specs write it: shown in the runbook, not measured.
    Text(String),
    /// A metric, compared with a threshold over a window.
    Measured(MeasuredGate),
}

impl Gate {
    pub fn text(&self) -> Option<&str> {
        match self {
            Gate::Text(text) => Some(text),
            Gate::Measured(_) => None,
        }
    }

    /// In words, as the spec states it: the text, or `error-rate below 1% over 5m`.
    pub fn describe(&self) -> String {
        match self {
            Gate::Text(text) => text.clone(),
            Gate::Measured(gate) => {
                let metric: &str = gate.metric.into();
                let comparison: &str = gate.comparison.into();
                let window = gate.window.as_ref().map_or(DEFAULT_WINDOW, |w| w.as_str());
                format!("{metric} {comparison} {} over {window}", gate.threshold)
            }
        }
    }

    pub fn measured(&self) -> Option<&MeasuredGate> {
        match self {
            Gate::Text(_) => None,
            Gate::Measured(gate) => Some(gate),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MeasuredGate {
    /// What is measured on the new cluster's side of the traffic.
    #[schemars(title = "Metric", example = &"error-rate")]
    pub metric: GateMetric,
    /// `below` (default) or `above` the threshold.
    #[serde(default, skip_serializing_if = "Comparison::is_below")]
    #[schemars(title = "Comparison", example = &"below")]
    pub comparison: Comparison,
    /// A share (`1%`) for error-rate, a duration (`300ms`, `1.5s`) for p99-latency.
    #[schemars(title = "Threshold", example = &"1%")]
    pub threshold: String,
    /// The window the metric is read over (default `5m`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(title = "Window", example = &"5m")]
    pub window: Option<Duration>,
}

/// The window a gate reads its metric over when the spec names none.
pub const DEFAULT_WINDOW: &str = "5m";

/// A gate's threshold, read for its metric: a share of the requests, or a duration.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Threshold {
    /// error-rate: hundredths of a percent (`1%` is 100).
    Share(u32),
    /// p99-latency: milliseconds.
    Millis(u64),
}

impl Threshold {
    /// As a number in the metric's own unit: a fraction of one, or seconds.
    pub fn value(self) -> f64 {
        match self {
            Threshold::Share(hundredths) => f64::from(hundredths) / 10_000.0,
            Threshold::Millis(ms) => ms as f64 / 1000.0,
        }
    }
}

impl MeasuredGate {
    /// The threshold read for the metric, or why it does not fit it (`300ms` for an error
    /// rate, `1%` for a latency).
    pub fn threshold(&self) -> Result<Threshold, String> {
        threshold(self.metric, &self.threshold)
    }

    /// The window in seconds (`5m` unless the spec names one).
    pub fn window_seconds(&self) -> u64 {
        self.window.as_ref().map_or(300, Duration::seconds)
    }

    /// The window as written (`5m` unless the spec names one).
    pub fn window_text(&self) -> &str {
        self.window.as_ref().map_or(DEFAULT_WINDOW, |w| w.as_str())
    }
}

/// Reads `text` as a threshold of `metric`.
pub fn threshold(metric: GateMetric, text: &str) -> Result<Threshold, String> {
    match metric {
        GateMetric::ErrorRate => {
            if latency(text).is_ok() {
                return Err(format!(
                    "`{text}` is a duration, but an error rate is a share of the requests: write a percentage such as `1%`"
                ));
            }
            let share: Percent = text.parse()?;
            // "Below 0%" never holds and "above 0%" says nothing.
            if share.hundredths() == 0 {
                return Err(format!(
                    "`{text}` is no threshold: an error-rate gate lies above 0%, such as `1%` or `0.5%`"
                ));
            }
            Ok(Threshold::Share(share.hundredths()))
        }
        GateMetric::P99Latency => latency(text).map(Threshold::Millis).map_err(|e| {
            if text.trim().ends_with('%') {
                format!(
                    "`{text}` is a share, but a latency is a duration: write one such as `500ms` or `1.5s`"
                )
            } else {
                e
            }
        }),
    }
}

/// `500ms`, `2s` or `1.5s` as milliseconds (more than zero, at most a minute: a request
/// slower than that has timed out at any proxy).
fn latency(text: &str) -> Result<u64, String> {
    let help = "write a latency such as `500ms`, `2s` or `1.5s`";
    let trimmed = text.trim();
    let (number, scale) = if let Some(n) = trimmed.strip_suffix("ms") {
        (n, 1u64)
    } else if let Some(n) = trimmed.strip_suffix('s') {
        (n, 1000u64)
    } else {
        return Err(format!("`{text}` lacks a unit: {help}"));
    };
    let (whole, fraction) = number.split_once('.').unwrap_or((number, ""));
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    let places = if scale == 1 { 0 } else { 3 };
    if whole.is_empty()
        || whole.len() > 6
        || !digits(whole)
        || !digits(fraction)
        || fraction.len() > places
    {
        return Err(format!("`{text}` is not a latency: {help}"));
    }
    let whole: u64 = whole
        .parse()
        .map_err(|_| format!("`{text}` is not a latency: {help}"))?;
    let fraction: u64 = if fraction.is_empty() {
        0
    } else {
        format!("{fraction:0<3}").parse().unwrap_or(0)
    };
    let ms = whole * scale + fraction;
    if ms == 0 || ms > 60_000 {
        return Err(format!(
            "`{text}` is out of range: a latency gate lies above 0 and at most `60s`"
        ));
    }
    Ok(ms)
}

/// The gates every traffic phase gets unless `rollout.defaultGates` is false: 5xx under 1%
/// (the share most SLOs of a web service allow, and below what a canary of a few percent
/// shows against the old cluster's noise), p99 under 500ms (an interactive request's usual
/// budget, and a bucket boundary of both ingress-nginx's and Istio's default request
/// histograms, so `histogram_quantile` does not interpolate across it), each over 5m.
pub fn defaults() -> Vec<MeasuredGate> {
    let window = DEFAULT_WINDOW.parse::<Duration>().ok();
    vec![
        MeasuredGate {
            metric: GateMetric::ErrorRate,
            comparison: Comparison::Below,
            threshold: "1%".into(),
            window: window.clone(),
        },
        MeasuredGate {
            metric: GateMetric::P99Latency,
            comparison: Comparison::Below,
            threshold: "500ms".into(),
            window,
        },
    ]
}

#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Deserialize,
    Serialize,
    JsonSchema,
    IntoStaticStr,
    VariantArray,
)]
#[serde(rename_all = "kebab-case")]
#[strum(serialize_all = "kebab-case")]
pub enum GateMetric {
    /// Share of the requests answered with a 5xx status.
    ErrorRate,
    /// 99th percentile of the request duration.
    P99Latency,
}

#[derive(
    Clone,
    Copy,
    Debug,
    Default,
    PartialEq,
    Eq,
    Deserialize,
    Serialize,
    JsonSchema,
    IntoStaticStr,
    VariantArray,
)]
#[serde(rename_all = "kebab-case")]
#[strum(serialize_all = "kebab-case")]
pub enum Comparison {
    #[default]
    Below,
    Above,
}

impl Comparison {
    pub fn is_below(&self) -> bool {
        *self == Comparison::Below
    }
}

impl From<&str> for Gate {
    fn from(value: &str) -> Self {
        Gate::Text(value.to_string())
    }
}

impl Gate {
    /// A gate written in words: measured when the words say exactly a measured gate
    /// (`error rate below 1% on the new cluster`, `p99 latency below 300ms over 10m`), as
    /// the sketch's gates do; any other text stays free text, shown and not measured.
    pub fn from_text(text: &str) -> Gate {
        measured_from_words(text).map_or_else(|| Gate::Text(text.to_string()), Gate::Measured)
    }
}

/// `<metric> <below|under|above|over> <threshold> [over|in <window>] [on the new cluster]`,
/// case aside; `None` for anything else, so that no word of the text is dropped unread.
fn measured_from_words(text: &str) -> Option<MeasuredGate> {
    let lower = text.trim().to_ascii_lowercase();
    let words: Vec<&str> = lower.split_whitespace().collect();
    let (metric, rest) = match words.as_slice() {
        ["error", "rate", rest @ ..] | ["error-rate", rest @ ..] | ["5xx", "rate", rest @ ..] => {
            (GateMetric::ErrorRate, rest)
        }
        ["p99", "latency", rest @ ..] | ["p99-latency", rest @ ..] | ["p99", rest @ ..] => {
            (GateMetric::P99Latency, rest)
        }
        _ => return None,
    };
    let (comparison, threshold_text, rest) = match rest {
        [word, value, rest @ ..] => {
            let comparison = match *word {
                "below" | "under" | "<" => Comparison::Below,
                "above" | ">" => Comparison::Above,
                _ => return None,
            };
            (comparison, *value, rest)
        }
        _ => return None,
    };
    threshold(metric, threshold_text).ok()?;
    let (window, rest) = match rest {
        ["over" | "in", value, rest @ ..] => (Some(value.parse::<Duration>().ok()?), rest),
        _ => (None, rest),
    };
    if let Some(window) = &window
        && !(60..=86_400).contains(&window.seconds())
    {
        return None;
    }
    match rest {
        [] | ["on", "the", "new", "cluster" | "side"] | ["on", "new", "cluster"] => {}
        _ => return None,
    }
    Some(MeasuredGate {
        metric,
        comparison,
        threshold: threshold_text.to_string(),
        window,
    })
}

impl<'de> Deserialize<'de> for Gate {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct GateVisitor;
        impl<'de> Visitor<'de> for GateVisitor {
            type Value = Gate;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str(
                    "a gate: `{ metric: error-rate, threshold: 1%, window: 5m }`, or free text",
                )
            }
            // The loader hands every scalar over as its text.
            fn visit_str<E: de::Error>(self, value: &str) -> Result<Gate, E> {
                Ok(Gate::from_text(value))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Gate, A::Error> {
                MeasuredGate::deserialize(de::value::MapAccessDeserializer::new(map))
                    .map(Gate::Measured)
            }
        }
        deserializer.deserialize_any(GateVisitor)
    }
}

impl JsonSchema for Gate {
    fn schema_name() -> Cow<'static, str> {
        "Gate".into()
    }
    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        let measured = generator.subschema_for::<MeasuredGate>();
        json_schema!({
            "description": "A measured gate, or free text (shown, not measured).",
            "anyOf": [ { "type": "string" }, measured ]
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thresholds_fit_their_metric() {
        assert_eq!(
            threshold(GateMetric::ErrorRate, "1%"),
            Ok(Threshold::Share(100))
        );
        assert_eq!(
            threshold(GateMetric::ErrorRate, "0.5%"),
            Ok(Threshold::Share(50))
        );
        assert_eq!(
            threshold(GateMetric::P99Latency, "500ms"),
            Ok(Threshold::Millis(500))
        );
        assert_eq!(
            threshold(GateMetric::P99Latency, "1.5s"),
            Ok(Threshold::Millis(1500))
        );
        assert_eq!(Threshold::Millis(300).value(), 0.3);
        assert_eq!(Threshold::Share(100).value(), 0.01);
        for (metric, bad) in [
            (GateMetric::ErrorRate, "300ms"),
            (GateMetric::ErrorRate, "0.01"),
            (GateMetric::ErrorRate, "101%"),
            (GateMetric::P99Latency, "1%"),
            (GateMetric::P99Latency, "0ms"),
            (GateMetric::P99Latency, "2m"),
            (GateMetric::P99Latency, "1.5ms"),
            (GateMetric::P99Latency, "fast"),
        ] {
            assert!(threshold(metric, bad).is_err(), "{bad}");
        }
        assert!(defaults().iter().all(|g| g.threshold().is_ok()));
    }

    #[test]
    fn gates_in_words_measure_when_the_words_say_exactly_a_gate() {
        let measured = |text: &str| Gate::from_text(text).measured().cloned();
        let gate = measured("error rate below 1% on the new cluster").unwrap();
        assert_eq!(
            (gate.metric, gate.comparison, gate.threshold.as_str()),
            (GateMetric::ErrorRate, Comparison::Below, "1%")
        );
        let gate = measured("P99 latency below 300ms over 10m").unwrap();
        assert_eq!(gate.metric, GateMetric::P99Latency);
        assert_eq!(gate.threshold().unwrap(), Threshold::Millis(300));
        assert_eq!(gate.window_seconds(), 600);
        for text in [
            "error rate below 1% unless it is a Monday",
            "error rate below 300ms",
            "p99 latency below 1%",
            "p99 latency below 300ms over 0s",
            "p99 latency below 300ms over 30d",
            "error rate equals 1%",
            "the dashboards look fine",
            "error rate below",
            "",
        ] {
            assert_eq!(Gate::from_text(text), Gate::Text(text.into()), "{text}");
        }
    }
}
