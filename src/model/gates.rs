//! Gates: what must hold before a traffic phase goes on to the next. A gate is measured
//! (`{ metric, comparison, threshold, window }`, which the plan compiles into a query the
//! operator runs) or free text (shown to the operator, measured by nobody).

use std::borrow::Cow;
use std::fmt;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::de::{self, MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize};
use strum::{IntoStaticStr, VariantArray};

use super::Duration;

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
                let window = gate.window.as_ref().map_or("5m", |w| w.as_str());
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
    pub metric: GateMetric,
    /// `below` (default) or `above` the threshold.
    #[serde(default, skip_serializing_if = "Comparison::is_below")]
    pub comparison: Comparison,
    /// A share (`1%`) for rates, a duration (`300ms`) for latencies.
    pub threshold: String,
    /// The window the metric is read over (default `5m`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub window: Option<Duration>,
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
                Ok(Gate::Text(value.to_string()))
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
