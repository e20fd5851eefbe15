//! `reports/timeline.svg`: the rollout as a picture. One step line per wave, the share of its
//! traffic on the new cluster (0–100%) over the traffic phases laid back to back by their
//! holds, with the DNS changes, the DNS TTL lead before the first of them, the gates at the
//! end of each hold and the phases (numbered as in the README's table) marked. The README
//! embeds it, so a pull request shows it.
//!
//! Everything drawn is read from the plan: the phases' holds, traffic states and gates
//! ([`crate::plan::rollout`], [`crate::plan::gates`]), the SLB's exact shares where the
//! strategy moves traffic by backend weights, and the DNS change list's waits
//! ([`crate::plan::dns`]). Nothing is decided here.
//!
//! Written with the `svg` crate rather than a plotting crate's SVG backend (plotters): the
//! picture is a step chart with markers, bands and a legend that we lay out ourselves either
//! way; the crate only composes elements, writes attributes in sorted order (deterministic),
//! escapes text nodes (`&`, `<`, `>`) and attribute values (also `"` and `'`), and brings no
//! dependency or font handling with it. Numbers are formatted here at one decimal; no id,
//! date or random value is written. Spec values (names, hosts) only ever reach text nodes,
//! after [`xml_text`] has replaced what XML cannot hold.

use std::collections::BTreeMap;

use serde::Serialize;
use svg::node::element::{
    Description, Element, Group, Line, Polygon, Polyline, Rectangle, Style, Title,
};
use svg::{Document, Node};

use crate::model::Strategy;
use crate::plan::Plan;
use crate::plan::dns::ChangeKind;
use crate::plan::rollout::{Phase, PhaseKind, TrafficState};

/// Where the picture goes in the bundle (the README links it relatively).
pub const PATH: &str = "reports/timeline.svg";

/// The picture and what the README says of it.
#[derive(Clone, Debug, Serialize)]
pub struct Timeline {
    /// The bundle path of the SVG file.
    pub path: &'static str,
    /// The picture's essentials in words: the README's alt text, and the SVG's description.
    pub alt: String,
    #[serde(skip)]
    pub svg: String,
}

/// One traffic phase on the time axis.
#[derive(Clone, Debug, PartialEq)]
pub struct Span {
    pub number: usize,
    pub title: String,
    /// Seconds from the start of the first traffic phase.
    pub start: i64,
    pub hold: i64,
    /// How many gates are checked at the end of its hold.
    pub gates: usize,
    /// The phase changes DNS answers of the moving records (or, without a DNS section,
    /// points production DNS at the new cluster).
    pub dns: bool,
}

/// A wave's share on the new cluster over time.
#[derive(Clone, Debug, PartialEq)]
pub struct Wave {
    pub name: String,
    /// What it moves: its services, or its hosts where the strategy moves whole hosts.
    pub members: Vec<String>,
    /// Whether `members` are hosts.
    pub hosts: bool,
    /// The corners of the step line: (seconds, share in hundredths of a percent), going
    /// right in time.
    pub points: Vec<(i64, u32)>,
    /// Holds during which the wave's requests are mirrored (start, end).
    pub mirrored: Vec<(i64, i64)>,
    /// Holds during which its share applies to the matched requests only (start, end, share).
    pub matched: Vec<(i64, i64, u32)>,
    /// The weights of its steps, in order, as the plan states them (for the words).
    pub steps: Vec<String>,
}

/// The DNS TTL lead: the first value change of the moving records waits at least this long
/// after the TTL was lowered.
#[derive(Clone, Debug, PartialEq)]
pub struct Lead {
    pub seconds: i64,
    /// When the first value change happens (the lead ends there).
    pub at: i64,
    pub phase: usize,
    pub ttl_normal: u32,
    pub ttl_cutover: u32,
}

/// What the picture shows, read from the plan.
#[derive(Clone, Debug, PartialEq)]
pub struct Model {
    pub name: String,
    pub strategy: Strategy,
    pub spans: Vec<Span>,
    pub waves: Vec<Wave>,
    pub lead: Option<Lead>,
    /// The time axis: from the lead's start (or 0) to the end of the last hold.
    pub start: i64,
    pub end: i64,
}

/// A change of DNS answers (not a TTL change, a check or a PrivateZone record).
fn changes_answers(kind: ChangeKind) -> bool {
    matches!(
        kind,
        ChangeKind::Add | ChangeKind::Remove | ChangeKind::SetWeights
    )
}

/// The exact shares a phase's backend weights give (slb-weights, L4 members), by service,
/// in hundredths.
fn exact_shares(phase: &Phase) -> BTreeMap<&str, u32> {
    let mut shares: BTreeMap<&str, u32> = phase
        .l4_backends
        .iter()
        .map(|b| (b.service.as_str(), b.share_hundredths))
        .collect();
    shares.extend(
        phase
            .slb_backends
            .iter()
            .map(|b| (b.service.as_str(), b.share_hundredths)),
    );
    shares
}

/// The wave's share after a phase, in hundredths: the exact share where backend weights give
/// it, else the weight; the lowest of the wave's services (they move together). With
/// whether its requests are mirrored, and whether the share is of the matched ones only.
fn share(
    state: &TrafficState,
    exact: &BTreeMap<&str, u32>,
    services: &[String],
) -> (u32, bool, bool) {
    let mut lowest: Option<u32> = None;
    let (mut mirror, mut matched) = (false, false);
    for service in services {
        let Some(s) = state.services.get(service) else {
            continue;
        };
        let share = exact
            .get(service.as_str())
            .copied()
            .unwrap_or(s.weight * 100);
        lowest = Some(lowest.map_or(share, |l| l.min(share)));
        mirror |= s.mirror;
        matched |= s.matched_only;
    }
    (lowest.unwrap_or(0).min(10_000), mirror, matched)
}

/// The hosts whose answers or server lists a phase changes (dns-weights, client); before the
/// first traffic phase every host answers with the old entrypoint only (`old`).
fn moved_hosts(previous: Option<&Phase>, phase: &Phase, old: &str) -> Vec<String> {
    let weights_before: BTreeMap<&str, _> = previous
        .iter()
        .flat_map(|p| &p.dns_weights)
        .map(|w| (w.host.as_str(), w))
        .collect();
    let servers_before: BTreeMap<&str, _> = previous
        .iter()
        .flat_map(|p| &p.client_servers)
        .map(|c| (c.host.as_str(), &c.servers))
        .collect();
    let mut hosts = Vec::new();
    for w in &phase.dns_weights {
        let moved = match weights_before.get(w.host.as_str()) {
            Some(before) => *before != w,
            None => w.new_weight.is_some(),
        };
        if moved {
            hosts.push(w.host.clone());
        }
    }
    for c in &phase.client_servers {
        let moved = match servers_before.get(c.host.as_str()) {
            Some(before) => **before != c.servers,
            None => c.servers != [old],
        };
        if moved {
            hosts.push(c.host.clone());
        }
    }
    hosts
}

/// Reads the plan.
pub fn model(plan: &Plan) -> Model {
    let traffic: Vec<&Phase> = plan
        .phases
        .iter()
        .filter(|p| p.kind.moves_traffic())
        .collect();
    let dns_phases: Vec<&str> = plan
        .dns
        .iter()
        .flat_map(|d| &d.phases)
        .filter(|c| c.changes.iter().any(|c| changes_answers(c.kind)))
        .map(|c| c.phase.as_str())
        .collect();
    let mut spans = Vec::new();
    let mut cursor: i64 = 0;
    for phase in &traffic {
        let hold = i64::try_from(phase.hold_seconds).unwrap_or(i64::MAX / 4);
        let dns = match &plan.dns {
            Some(_) => dns_phases.contains(&phase.id.as_str()),
            None => phase.before.dns_on_new != phase.after.dns_on_new,
        };
        spans.push(Span {
            number: phase.number,
            title: phase.title.clone(),
            start: cursor,
            hold,
            gates: phase.gates.len(),
            dns,
        });
        cursor = cursor.saturating_add(hold);
    }
    let end = cursor;
    let at = |id: &str| {
        traffic
            .iter()
            .zip(&spans)
            .find(|(p, _)| p.id == id)
            .map(|(p, s)| (p.number, s.start))
    };
    // The first change of answers, and how long it waits after the TTL was lowered.
    let lead = plan.dns.as_ref().and_then(|dns| {
        let (phase, change) = dns
            .phases
            .iter()
            .flat_map(|p| p.changes.iter().map(move |c| (p.phase.as_str(), c)))
            .find(|(_, c)| changes_answers(c.kind))?;
        let (number, time) = at(phase)?;
        let seconds = i64::try_from(change.wait_seconds).unwrap_or(0);
        (seconds > 0).then_some(Lead {
            seconds,
            at: time,
            phase: number,
            ttl_normal: dns.ttl_normal,
            ttl_cutover: dns.ttl_cutover,
        })
    });
    let start = lead.as_ref().map_or(0, |l| (l.at - l.seconds).min(0));
    let hosts_move = matches!(plan.strategy, Strategy::DnsWeights | Strategy::Client);
    let old = plan.spec.source.entrypoint.address.to_string();
    let exact: Vec<BTreeMap<&str, u32>> = traffic.iter().map(|p| exact_shares(p)).collect();
    let waves = plan
        .spec
        .rollout
        .waves
        .iter()
        .map(|name| {
            let own: Vec<&&Phase> = traffic
                .iter()
                .filter(|p| p.wave.as_deref() == Some(name.as_str()))
                .collect();
            let services = own.first().map(|p| p.services.clone()).unwrap_or_default();
            let (members, hosts) = if hosts_move {
                let mut hosts: Vec<String> = Vec::new();
                let mut seen = std::collections::BTreeSet::new();
                for (i, phase) in traffic.iter().enumerate() {
                    if phase.wave.as_deref() != Some(name.as_str()) {
                        continue;
                    }
                    let previous = i.checked_sub(1).map(|j| traffic[j]);
                    for host in moved_hosts(previous, phase, &old) {
                        if seen.insert(host.clone()) {
                            hosts.push(host);
                        }
                    }
                }
                if hosts.is_empty() {
                    (services.clone(), false)
                } else {
                    (hosts, true)
                }
            } else {
                (services.clone(), false)
            };
            let initial = traffic.first().map_or(0, |p| {
                services
                    .iter()
                    .filter_map(|s| p.before.services.get(s))
                    .map(|s| s.weight * 100)
                    .min()
                    .unwrap_or(0)
            });
            let mut points = vec![(start, initial)];
            let mut current = initial;
            let (mut mirrored, mut matched) = (Vec::new(), Vec::new());
            for ((phase, span), exact) in traffic.iter().zip(&spans).zip(&exact) {
                let (now, mirror, matched_only) = share(&phase.after, exact, &services);
                if now != current {
                    points.push((span.start, current));
                    points.push((span.start, now));
                    current = now;
                }
                let until = span.start.saturating_add(span.hold);
                if mirror && span.hold > 0 {
                    mirrored.push((span.start, until));
                }
                if matched_only && span.hold > 0 {
                    matched.push((span.start, until, now));
                }
            }
            points.push((end, current));
            points.dedup();
            let steps = own
                .iter()
                .map(|p| match (p.kind, p.weight) {
                    (PhaseKind::Mirror, _) => "mirror".to_string(),
                    (_, Some(w))
                        if p.services
                            .iter()
                            .any(|s| p.after.services.get(s).is_some_and(|s| s.matched_only)) =>
                    {
                        format!("{w}% of matched requests")
                    }
                    (_, Some(w)) => format!("{w}%"),
                    (_, None) => String::new(),
                })
                .filter(|s| !s.is_empty())
                .collect();
            Wave {
                name: name.clone(),
                members,
                hosts,
                points,
                mirrored,
                matched,
                steps,
            }
        })
        .collect();
    Model {
        name: plan.name.clone(),
        strategy: plan.strategy,
        spans,
        waves,
        lead,
        start,
        end,
    }
}

/// `5d17h`, `1h30m`, `45s`, `0`: a duration as the spec writes them.
pub fn duration(seconds: i64) -> String {
    if seconds <= 0 {
        return "0".into();
    }
    let mut out = String::new();
    let mut rest = seconds;
    for (unit, size) in [("d", 86_400), ("h", 3_600), ("m", 60), ("s", 1)] {
        if rest >= size {
            out.push_str(&format!("{}{unit}", rest / size));
            rest %= size;
        }
    }
    out
}

/// A coordinate at one decimal, without a trailing `.0` and never `-0`.
fn num(value: f64) -> String {
    if !value.is_finite() || value.abs() < 0.05 {
        return "0".into();
    }
    let text = format!("{value:.1}");
    text.strip_suffix(".0").map_or(text.clone(), str::to_string)
}

/// A spec value as XML character data: the characters XML 1.0 cannot hold (control
/// characters other than tab and line breaks, U+FFFE, U+FFFF) and those that make text read
/// differently from what it is (bidirectional controls, line separators) become U+FFFD;
/// line breaks become spaces (a label is one line). The `svg` crate escapes `&`, `<`, `>`.
pub fn xml_text(value: &str) -> String {
    value
        .chars()
        .map(|c| match c {
            '\t' | '\n' | '\r' => ' ',
            '\u{fffe}' | '\u{ffff}' => '\u{fffd}',
            c if crate::markdown::is_unsafe_char(c) => '\u{fffd}',
            c => c,
        })
        .collect()
}

/// At most `max` characters, with `…` when cut.
fn clip(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let mut out: String = text.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// What the share is, by strategy.
fn share_meaning(strategy: Strategy) -> &'static str {
    match strategy {
        Strategy::IngressCanary | Strategy::Istio => {
            "requests the new ingress sends to the new services"
        }
        Strategy::SlbWeights => "connections by the old SLB's backend weights",
        Strategy::DnsWeights => "DNS answers pointing at the new entrypoint",
        Strategy::Client => "requests of clients that weigh their server lists",
    }
}

/// The picture in words: the README's alt text and the SVG's description.
pub fn words(model: &Model) -> String {
    let mut out = format!(
        "Rollout timeline of {}, the share of each wave on the new cluster over {} of holds: ",
        model.name,
        duration(model.end)
    );
    if model.waves.is_empty() {
        out.push_str("no wave moves traffic");
    } else {
        let listed: Vec<String> = model
            .waves
            .iter()
            .take(12)
            .map(|w| format!("wave {} {}", w.name, w.steps.join(", ")))
            .collect();
        out.push_str(&listed.join("; "));
        if model.waves.len() > 12 {
            out.push_str(&format!("; and {} more waves", model.waves.len() - 12));
        }
    }
    out.push('.');
    let dns: Vec<String> = model
        .spans
        .iter()
        .filter(|s| s.dns)
        .map(|s| s.number.to_string())
        .collect();
    match dns.len() {
        0 => {}
        1 => out.push_str(&format!(" DNS changes in phase {}", dns[0])),
        _ => out.push_str(&format!(" DNS changes in phases {}", dns.join(", "))),
    }
    if !dns.is_empty() {
        if let Some(lead) = &model.lead {
            out.push_str(&format!(
                ", at least {} after the TTL is lowered to {} s",
                duration(lead.seconds),
                lead.ttl_cutover
            ));
        }
        out.push('.');
    }
    let gated = model.spans.iter().filter(|s| s.gates > 0).count();
    if gated > 0 {
        out.push_str(&format!(
            " Gates are checked at the end of {gated} traffic phases."
        ));
    }
    out
}

// Layout, in pixels.
const WIDTH: f64 = 880.0;
const LEFT: f64 = 56.0;
const RIGHT: f64 = 28.0;
const TOP: f64 = 70.0;
const PLOT_HEIGHT: f64 = 220.0;
const BOTTOM: f64 = TOP + PLOT_HEIGHT;
const ROW: f64 = 18.0;
/// A generous width of one character at 12px, for fitting labels without font metrics.
const CHAR: f64 = 7.0;

/// Okabe and Ito's colour-blind safe palette (without its yellow, faint on white); past it,
/// the lines repeat the colours dashed.
const COLOURS: [&str; 7] = [
    "#0072b2", "#d55e00", "#009e73", "#cc79a7", "#e69f00", "#56b4e9", "#000000",
];
const DASHES: [&str; 3] = ["", "8 4", "2 3"];

const CSS: &str = "text{font-family:sans-serif;font-size:12px;fill:#222}\
.title{font-size:16px;font-weight:bold}\
.note{font-size:11px;fill:#555}\
.end{text-anchor:end}.mid{text-anchor:middle}\
.grid{stroke:#e2e2e2}.axis{stroke:#444}\
.wave{fill:none;stroke-width:2.5;stroke-linejoin:round}\
.dns{stroke:#6a3d9a;stroke-dasharray:4 3}.diamond{fill:#6a3d9a}\
.lead{fill:#6a3d9a;fill-opacity:.18}.gate{fill:#333}\
.phase{fill:#e6e6e6}.phase.odd{fill:#cfcfcf}";

struct Scale {
    start: f64,
    span: f64,
}

impl Scale {
    fn x(&self, t: i64) -> f64 {
        LEFT + (t as f64 - self.start) / self.span * (WIDTH - LEFT - RIGHT)
    }
    fn y(share_hundredths: u32) -> f64 {
        BOTTOM - f64::from(share_hundredths.min(10_000)) / 10_000.0 * PLOT_HEIGHT
    }
}

/// A `<text>` element on one line (the crate's `Text` element writes its content on lines
/// of its own, which SVG then reads as spaces around it).
fn text(x: f64, y: f64, class: &str, content: &str) -> Element {
    let mut node = Element::new("text");
    node.assign("x", num(x));
    node.assign("y", num(y));
    if !class.is_empty() {
        node.assign("class", class);
    }
    node.append(svg::node::Text::new(xml_text(content)));
    node
}

fn line(x1: f64, y1: f64, x2: f64, y2: f64, class: &str) -> Line {
    Line::new()
        .set("class", class)
        .set("x1", num(x1))
        .set("y1", num(y1))
        .set("x2", num(x2))
        .set("y2", num(y2))
}

fn rect(x: f64, y: f64, w: f64, h: f64) -> Rectangle {
    Rectangle::new()
        .set("x", num(x))
        .set("y", num(y))
        .set("width", num(w.max(0.0)))
        .set("height", num(h.max(0.0)))
}

fn diamond(x: f64, y: f64) -> Polygon {
    Polygon::new().set("class", "diamond").set(
        "points",
        format!(
            "{},{} {},{} {},{} {},{}",
            num(x),
            num(y - 5.0),
            num(x + 5.0),
            num(y),
            num(x),
            num(y + 5.0),
            num(x - 5.0),
            num(y)
        ),
    )
}

fn triangle(x: f64, y: f64) -> Polygon {
    Polygon::new().set("class", "gate").set(
        "points",
        format!(
            "{},{} {},{} {},{}",
            num(x),
            num(y),
            num(x - 4.0),
            num(y + 7.0),
            num(x + 4.0),
            num(y + 7.0)
        ),
    )
}

/// The tick step: the smallest round duration that gives at most 8 ticks.
fn tick_step(span: i64) -> i64 {
    const STEPS: [i64; 16] = [
        60, 300, 600, 900, 1_800, 3_600, 7_200, 10_800, 21_600, 43_200, 86_400, 172_800, 604_800,
        1_209_600, 2_592_000, 31_536_000,
    ];
    STEPS
        .iter()
        .copied()
        .find(|s| span / s <= 8)
        .unwrap_or_else(|| (span / 8).max(1))
}

fn colour(i: usize) -> (&'static str, &'static str) {
    (
        COLOURS[i % COLOURS.len()],
        DASHES[(i / COLOURS.len()) % DASHES.len()],
    )
}

/// The wave's stroke: its colour, and a dash once the palette repeats.
fn stroked(node: Polyline, i: usize) -> Polyline {
    let (stroke, dash) = colour(i);
    let node = node.set("stroke", stroke);
    if dash.is_empty() {
        node
    } else {
        node.set("stroke-dasharray", dash)
    }
}

/// The SVG document of a model.
pub fn draw(model: &Model) -> String {
    let span = (model.end - model.start).max(1);
    let scale = Scale {
        start: model.start as f64,
        span: span as f64,
    };
    let words = words(model);
    let mut doc = Document::new()
        .set("width", num(WIDTH))
        .set("role", "img")
        .set("aria-labelledby", "title desc")
        .add(
            Title::new(xml_text(&format!("Rollout timeline of {}", model.name))).set("id", "title"),
        )
        .add(
            Description::new()
                .set("id", "desc")
                .add(svg::node::Text::new(xml_text(&words))),
        )
        .add(Style::new(CSS));
    let mut body = Group::new();
    // Title and what the share is.
    body = body
        .add(text(
            LEFT,
            24.0,
            "title",
            &clip(&format!("Rollout timeline: {}", model.name), 90),
        ))
        .add(text(
            LEFT,
            42.0,
            "note",
            &format!(
                "Share of each wave on the new cluster ({}: {}), the traffic phases back to back by their holds.",
                <&str>::from(model.strategy),
                share_meaning(model.strategy)
            ),
        ));
    // The TTL lead, behind everything.
    if let Some(lead) = &model.lead {
        let (x0, x1) = (scale.x(lead.at - lead.seconds), scale.x(lead.at));
        // Drawn to scale, but never thinner than 3px.
        let w = (x1 - x0).max(3.0);
        body = body.add(
            rect(x1 - w, TOP, w, PLOT_HEIGHT)
                .set("class", "lead")
                .add(Title::new(xml_text(&format!(
                    "TTL lead: the TTL goes from {} s to {} s in the prepare phase, at least {} before the first DNS change (phase {})",
                    lead.ttl_normal,
                    lead.ttl_cutover,
                    duration(lead.seconds),
                    lead.phase
                )))),
        );
        let label = format!("TTL lead {}", duration(lead.seconds));
        let (x, class) = if x1 - w < LEFT + (WIDTH - LEFT - RIGHT) / 2.0 {
            (x1 - w, "note")
        } else {
            (x1, "note end")
        };
        body = body.add(text(x, TOP - 8.0, class, &label));
    }
    // Grid and share axis.
    for share in [0u32, 2_500, 5_000, 7_500, 10_000] {
        let y = Scale::y(share);
        body = body
            .add(line(
                LEFT,
                y,
                WIDTH - RIGHT,
                y,
                if share == 0 { "axis" } else { "grid" },
            ))
            .add(text(
                LEFT - 6.0,
                y + 4.0,
                "end",
                &format!("{}%", share / 100),
            ));
    }
    body = body.add(line(LEFT, TOP, LEFT, BOTTOM, "axis")).add(
        Group::new()
            .set(
                "transform",
                format!("translate(14,{}) rotate(-90)", num(TOP + PLOT_HEIGHT / 2.0)),
            )
            .add(text(0.0, 0.0, "mid", "on the new cluster")),
    );
    // Time ticks from 0.
    let step = tick_step(model.end.max(1));
    let mut t = 0;
    while t <= model.end {
        let x = scale.x(t);
        body = body.add(line(x, BOTTOM, x, BOTTOM + 4.0, "axis")).add(text(
            x,
            BOTTOM + 24.0,
            "mid",
            &duration(t),
        ));
        t += step;
    }
    // DNS changes.
    for s in model.spans.iter().filter(|s| s.dns) {
        let x = scale.x(s.start);
        body = body
            .add(line(x, TOP, x, BOTTOM, "dns"))
            .add(diamond(x, TOP).add(Title::new(xml_text(&format!(
                "DNS change: phase {}, {}",
                s.number, s.title
            )))));
    }
    // The waves, offset a little from each other so that lines on the same share stay
    // visible side by side.
    let n = model.waves.len();
    let gap = if n > 1 {
        (3.0f64).min(15.0 / (n - 1) as f64)
    } else {
        0.0
    };
    for (i, wave) in model.waves.iter().enumerate() {
        let offset = (i as f64 - (n as f64 - 1.0) / 2.0) * gap;
        let (fill, _) = colour(i);
        for (a, b) in &wave.mirrored {
            let (x0, x1) = (scale.x(*a), scale.x(*b));
            body = body.add(
                rect(x0, Scale::y(0) + offset - 12.0, x1 - x0, 12.0)
                    .set("fill", fill)
                    .set("fill-opacity", "0.3")
                    .add(Title::new(xml_text(&format!(
                        "wave {}: requests mirrored, the old cluster answers",
                        wave.name
                    )))),
            );
        }
        for (a, b, share) in &wave.matched {
            let (x0, x1) = (scale.x(*a), scale.x(*b));
            let y = Scale::y(*share) + offset;
            body = body.add(
                rect(x0, y, x1 - x0, Scale::y(0) - y)
                    .set("fill", fill)
                    .set("fill-opacity", "0.12")
                    .set("stroke", fill)
                    .set("stroke-dasharray", "3 2")
                    .add(Title::new(xml_text(&format!(
                        "wave {}: {}% of the matched requests; the others stay on the old cluster",
                        wave.name,
                        share / 100
                    )))),
            );
        }
        let points: Vec<String> = wave
            .points
            .iter()
            .map(|(t, s)| format!("{},{}", num(scale.x(*t)), num(Scale::y(*s) + offset)))
            .collect();
        body = body.add(
            stroked(Polyline::new(), i)
                .set("class", "wave")
                .set("data-wave", i)
                .set("points", points.join(" "))
                .add(Title::new(xml_text(&format!(
                    "wave {}: {}",
                    wave.name,
                    wave.steps.join(", ")
                )))),
        );
    }
    // Gates at the end of each hold, and the phases as numbered in the README.
    for (k, s) in model.spans.iter().enumerate() {
        let until = s.start.saturating_add(s.hold);
        if s.gates > 0 {
            body = body.add(
                triangle(scale.x(until), BOTTOM + 2.0).add(Title::new(xml_text(&format!(
                    "{} gates checked after phase {} before the next",
                    s.gates, s.number
                )))),
            );
        }
        if s.hold > 0 {
            let (x0, x1) = (scale.x(s.start), scale.x(until));
            body = body.add(
                rect(x0, BOTTOM + 32.0, x1 - x0, 14.0)
                    .set("class", if k % 2 == 1 { "phase odd" } else { "phase" })
                    .add(Title::new(xml_text(&format!(
                        "phase {}: {}, hold {}",
                        s.number,
                        s.title,
                        duration(s.hold)
                    )))),
            );
            let label = s.number.to_string();
            if x1 - x0 >= label.len() as f64 * CHAR + 2.0 {
                body = body.add(text((x0 + x1) / 2.0, BOTTOM + 43.0, "mid note", &label));
            }
        }
    }
    body = body.add(text(
        LEFT,
        BOTTOM + 62.0,
        "note",
        "Time from the first traffic phase; the bar below the axis shows the phases with a hold, numbered as in the phase table.",
    ));
    // Legend: one row per wave, then the marks.
    let mut y = BOTTOM + 86.0;
    let room = ((WIDTH - LEFT - RIGHT - 34.0) / CHAR) as usize;
    for (i, wave) in model.waves.iter().enumerate() {
        let sample = stroked(Polyline::new(), i).set("class", "wave").set(
            "points",
            format!(
                "{},{} {},{}",
                num(LEFT),
                num(y - 4.0),
                num(LEFT + 26.0),
                num(y - 4.0)
            ),
        );
        let what = match (wave.hosts, wave.members.len()) {
            (true, 1) => "host",
            (true, _) => "hosts",
            (false, 1) => "service",
            (false, _) => "services",
        };
        let label = format!("{}: {what} {}", wave.name, wave.members.join(", "));
        body = body
            .add(sample)
            .add(text(LEFT + 34.0, y, "", &clip(&label, room)));
        y += ROW;
    }
    if model.waves.is_empty() {
        body = body.add(text(LEFT, y, "", "No wave moves traffic."));
        y += ROW;
    }
    let mut x = LEFT;
    let mut key = |body: Group, mark: Element, label: String, y: &mut f64| {
        // Ordinary text is narrower than CHAR: 6.2px a character at 12px leaves room enough.
        let width = 20.0 + label.chars().count() as f64 * 6.2 + 20.0;
        if x > LEFT && x + width > WIDTH - RIGHT {
            x = LEFT;
            *y += ROW;
        }
        let placed = body
            .add(
                Group::new()
                    .set("transform", format!("translate({},{})", num(x), num(*y)))
                    .add(mark),
            )
            .add(text(x + 20.0, *y, "", &label));
        x += width;
        placed
    };
    if model.spans.iter().any(|s| s.dns) {
        body = key(body, diamond(6.0, -4.0).into(), "DNS change".into(), &mut y);
    }
    if let Some(lead) = &model.lead {
        body = key(
            body,
            rect(0.0, -11.0, 12.0, 12.0).set("class", "lead").into(),
            format!(
                "TTL lead: {} s to {} s at least {} before the first DNS change",
                lead.ttl_normal,
                lead.ttl_cutover,
                duration(lead.seconds)
            ),
            &mut y,
        );
    }
    if model.spans.iter().any(|s| s.gates > 0) {
        body = key(
            body,
            triangle(6.0, -10.0).into(),
            "gates checked".into(),
            &mut y,
        );
    }
    if model.waves.iter().any(|w| !w.mirrored.is_empty()) {
        body = key(
            body,
            rect(0.0, -11.0, 12.0, 12.0)
                .set("fill", "#888")
                .set("fill-opacity", "0.3")
                .into(),
            "mirrored: the old cluster answers".into(),
            &mut y,
        );
    }
    if model.waves.iter().any(|w| !w.matched.is_empty()) {
        body = key(
            body,
            rect(0.0, -11.0, 12.0, 12.0)
                .set("fill", "#888")
                .set("fill-opacity", "0.12")
                .set("stroke", "#888")
                .set("stroke-dasharray", "3 2")
                .into(),
            "share of the matched requests only".into(),
            &mut y,
        );
    }
    let height = y + 12.0;
    doc = doc
        .set("height", num(height))
        .set("viewBox", format!("0 0 {} {}", num(WIDTH), num(height)))
        .add(rect(0.0, 0.0, WIDTH, height).set("fill", "#fff"))
        .add(body);
    let mut out = doc.to_string();
    out.push('\n');
    out
}

/// The timeline of a plan.
pub fn build(plan: &Plan) -> Timeline {
    let model = model(plan);
    Timeline {
        path: PATH,
        alt: words(&model),
        svg: draw(&model),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_as_the_spec_writes_them() {
        assert_eq!(duration(0), "0");
        assert_eq!(duration(600), "10m");
        assert_eq!(duration(5_400), "1h30m");
        assert_eq!(duration(86_400 * 5 + 3_600 * 17), "5d17h");
        assert_eq!(duration(45), "45s");
    }

    #[test]
    fn numbers_have_one_decimal_at_most() {
        assert_eq!(num(12.0), "12");
        assert_eq!(num(12.25), "12.2");
        assert_eq!(num(-0.01), "0");
        assert_eq!(num(f64::NAN), "0");
        assert_eq!(num(-3.46), "-3.5");
    }

    #[test]
    fn xml_text_drops_what_xml_cannot_hold() {
        assert_eq!(
            xml_text("a\u{0}b\u{1b}c\nd\u{202e}e"),
            "a\u{fffd}b\u{fffd}c d\u{fffd}e"
        );
        assert_eq!(
            xml_text("<&\"]]>"),
            "<&\"]]>",
            "the svg crate escapes these"
        );
    }

    #[test]
    fn ticks_are_round_and_few() {
        assert_eq!(tick_step(5_400), 900);
        assert_eq!(tick_step(86_400 * 6), 86_400);
        assert_eq!(tick_step(1), 60);
    }
}
