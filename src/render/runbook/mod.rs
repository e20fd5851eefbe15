//! The runbooks: for every phase of the plan, the steps a person follows, each with its
//! role, the exact commands, what the check must show, and the spec value it comes from;
//! the gate before the next phase; and the rollback as commands. Built in the render stage
//! from the plan (and the spec values it does not carry); `templates/runbook.md.j2` only
//! lays them out. One module per phase kind; `ids` orders the variables the commands read.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::markdown;
use crate::model::Spec;
use crate::plan::Plan;
use crate::plan::rollout::PhaseKind;

pub mod abort;
mod commands;
mod data;
mod decommission;
mod deploy;
mod dns;
mod gates;
mod ids;
mod images;
mod ports;
mod preflight;
mod prepare;
mod resources;
mod traffic;
mod verify;

use ids::Id;
pub use ids::{defines, references};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Role {
    #[serde(rename = "O&M engineer")]
    Operations,
    #[serde(rename = "developer")]
    Developer,
    #[serde(rename = "tester")]
    Tester,
}

/// One row of a settings table: what to set, to which value, from which spec path.
#[derive(Clone, Debug, Serialize)]
pub struct Setting {
    pub name: String,
    pub value: String,
    pub source: String,
}

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Step {
    pub role: Role,
    pub title: String,
    /// The spec path the step comes from.
    pub source: String,
    /// What to do, where commands alone do not say it.
    pub detail: String,
    pub settings: Vec<Setting>,
    pub commands: Vec<String>,
    /// What the check (the last commands, or the console) must show before going on.
    pub expect: String,
}

/// One phase's runbook, as data for `templates/runbook.md.j2`.
///
/// The contract with the template, by field:
///
/// - MARKDOWN, printed raw: [`Runbook::title`], [`Runbook::changes`], [`Runbook::hold`],
///   [`Runbook::gates`], [`Runbook::notes`], and of each [`Step`] (also the
///   [`Runbook::gate_checks`]) its `title`, `detail` and
///   `expect`. Every spec value in them went through [`markdown::code`] (inline code) or
///   [`markdown::text`] (plain text); spec text copied whole (gates, check names, phase
///   titles) through [`markdown::text`].
/// - PLAIN text, escaped by the template: `Step::source`, and `Setting::name`, `value` and
///   `source`.
/// - SHELL: `Step::commands`, one line each, printed inside a fence sized with
///   [`markdown::fence`]. Every value is one quoted word
///   ([`shell::quote`](crate::shell::quote)); every id only the cloud or the operator knows
///   is a variable (`"$VSG_ID_WEB"`), set or guarded in the runbook's first step ("Set the
///   ids this phase uses") or by the command that creates it, earlier in the same runbook.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Runbook {
    pub phase: String,
    pub number: usize,
    pub title: String,
    pub changes: String,
    pub steps: Vec<Step>,
    pub hold: Option<String>,
    /// Each gate in one line: the spec's (free text quoted as spec text), then the defaults.
    pub gates: Vec<String>,
    /// A check per measured gate with commands (`G1`, `G2`… in the gate lines): the plan's
    /// recorded commands, printed like a step's.
    pub gate_checks: Vec<Step>,
    pub rollback: Vec<Step>,
    pub notes: Vec<String>,
    /// How each variable the commands may use gets its value: variable → the lines that
    /// set it (a lookup) or stop until the operator sets it (a guard).
    #[serde(skip)]
    ids: BTreeMap<String, Id>,
    /// Variables that two different lookups or guards asked for: two ids under one name.
    #[serde(skip)]
    collisions: Vec<String>,
}

/// Spec values as inline code and as plain text, in the Markdown fields.
fn code(value: impl AsRef<str>) -> String {
    markdown::code(value.as_ref())
}

fn text(value: impl AsRef<str>) -> String {
    markdown::text(value.as_ref())
}

/// Spec free text shown to the operator as quoted data with the field it comes from, so it
/// never reads as one of the runbook's own instructions (already-escaped plain text).
fn from_spec(field: &str, value: &str) -> String {
    format!("From the spec ({}): “{}”", text(field), text(value))
}

fn step(role: Role, title: impl Into<String>, source: impl Into<String>) -> Step {
    Step {
        role,
        title: title.into(),
        source: source.into(),
        detail: String::new(),
        settings: Vec::new(),
        commands: Vec::new(),
        expect: String::new(),
    }
}

impl Step {
    fn detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = sentence(&detail.into());
        self
    }
    fn commands(mut self, commands: impl IntoIterator<Item = String>) -> Self {
        self.commands.extend(commands);
        self
    }
    fn expect(mut self, expect: impl Into<String>) -> Self {
        self.expect = expect.into();
        self
    }
    fn setting(mut self, name: &str, value: impl Into<String>, source: &str) -> Self {
        self.settings.push(Setting {
            name: name.into(),
            value: value.into(),
            source: source.into(),
        });
        self
    }
}

/// A phrase as a sentence: capital first letter, final full stop.
fn sentence(text: &str) -> String {
    let mut chars = text.trim().chars();
    let mut out: String = match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => return String::new(),
    };
    if !out.ends_with(['.', '!', '?', ')']) {
        out.push('.');
    }
    out
}

/// One runbook per phase of the plan, in the plan's order.
pub fn build(spec: &Spec, plan: &Plan) -> Vec<Runbook> {
    plan.phases
        .iter()
        .map(|phase| {
            let mut book = Runbook {
                phase: phase.id.clone(),
                number: phase.number,
                title: text(&phase.title),
                changes: text(&phase.changes),
                steps: Vec::new(),
                hold: phase.hold.as_deref().map(text),
                gates: Vec::new(),
                gate_checks: Vec::new(),
                rollback: Vec::new(),
                notes: Vec::new(),
                ids: BTreeMap::new(),
                collisions: Vec::new(),
            };
            gates::gates(spec, &phase.gates, &mut book);
            let dns = plan
                .dns
                .as_ref()
                .and_then(|d| d.phases.iter().find(|p| p.phase == phase.id));
            match phase.kind {
                PhaseKind::Prepare => {
                    preflight::certificates(spec, plan, &mut book);
                    prepare::prepare(spec, plan, &mut book);
                    resources::verify(spec, &mut book);
                }
                PhaseKind::Data => {
                    data::data(spec, plan, &mut book);
                    data::volume_copies(spec, plan, &mut book);
                }
                PhaseKind::Images => images::images(spec, plan, &mut book),
                PhaseKind::Deploy => deploy::deploy(spec, plan, phase, &mut book),
                PhaseKind::Verify => {
                    verify::verify(spec, plan, &mut book);
                    verify::network_policies(plan, &mut book);
                }
                PhaseKind::Decommission => {
                    decommission::decommission(spec, plan, phase, &mut book);
                    decommission::l4_old_servers(spec, plan, &mut book);
                }
                _ => {
                    traffic::traffic(spec, plan, phase, &mut book);
                    if crate::plan::copies::last_traffic_phase(&plan.phases)
                        .is_some_and(|last| last.id == phase.id)
                    {
                        data::final_pass(spec, plan, &mut book);
                    }
                }
            }
            if dns.is_none() && dns::manual_dns_switch(plan, phase) {
                let (forward, back) = dns::manual_dns(spec);
                book.steps.extend(forward);
                book.rollback.extend(back);
            }
            if let Some(dns) = dns {
                let forward = dns::dns_steps(&dns.changes, &mut book);
                book.steps.extend(forward);
                // DNS undo comes before the cluster's: the names stop pointing at what goes.
                let mut rollback = dns::dns_steps(&dns.rollback, &mut book);
                rollback.append(&mut book.rollback);
                book.rollback = rollback;
            }
            if book.rollback.is_empty() {
                book.notes.push(
                    "Nothing to roll back in this phase: it changed nothing that serves traffic."
                        .into(),
                );
            }
            ids::set_ids(&mut book);
            book
        })
        .collect()
}
