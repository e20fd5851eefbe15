//! The bundle's timeline picture (`reports/timeline.svg`): well-formed SVG read back with an
//! XML parser that is not the writer, one step line per wave going right in time and ending
//! at 100%, the plan's holds, DNS changes and gates on it, every spec value escaped, the same
//! bytes on every compile, embedded in the README, and seen by `cutover diff` and `verify`.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use cutover::load;
use cutover::plan::rollout::PhaseKind;
use cutover::render::timeline::{self, PATH};

fn examples() -> Vec<PathBuf> {
    common::example_specs(&["yaml"])
}

fn svg_of(files: &cutover::bundle::Files) -> String {
    String::from_utf8(
        files
            .get(PATH)
            .expect("the bundle holds the timeline")
            .to_vec(),
    )
    .expect("UTF-8")
}

/// A number attribute.
fn number(node: roxmltree::Node, name: &str) -> f64 {
    node.attribute(name)
        .unwrap_or_else(|| panic!("{name} on {node:?}"))
        .parse()
        .unwrap_or_else(|_| panic!("{name} of {node:?} is a number"))
}

fn points(node: roxmltree::Node) -> Vec<(f64, f64)> {
    node.attribute("points")
        .expect("points")
        .split(' ')
        .map(|p| {
            let (x, y) = p.split_once(',').expect("x,y");
            (x.parse().unwrap(), y.parse().unwrap())
        })
        .collect()
}

/// The step lines of the waves (the legend's samples carry no `data-wave`).
fn wave_lines<'a>(doc: &'a roxmltree::Document) -> Vec<roxmltree::Node<'a, 'a>> {
    doc.descendants()
        .filter(|n| n.has_tag_name("polyline") && n.attribute("data-wave").is_some())
        .collect()
}

/// Every text the picture shows or tells (text, title and desc nodes), decoded.
fn texts(doc: &roxmltree::Document) -> String {
    doc.descendants()
        .filter(|n| n.is_text())
        .filter_map(|n| n.text())
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn every_example_draws_one_line_per_wave_that_goes_right_and_ends_at_100_percent() {
    for spec in examples() {
        let compiled = common::compile(&spec);
        let svg = svg_of(&compiled.files);
        let doc = roxmltree::Document::parse(&svg)
            .unwrap_or_else(|e| panic!("{}: not XML: {e}", spec.display()));
        let root = doc.root_element();
        assert!(root.has_tag_name(("http://www.w3.org/2000/svg", "svg")));
        let (width, height) = (number(root, "width"), number(root, "height"));
        assert_eq!(
            root.attribute("viewBox"),
            Some(format!("0 0 {width} {height}").as_str())
        );
        assert!(
            svg.len() < 16_000,
            "{}: {} bytes",
            spec.display(),
            svg.len()
        );
        let loaded = load::load(&spec).unwrap();
        let plan = common::plan(&loaded.spec);
        let lines = wave_lines(&doc);
        assert_eq!(
            lines.len(),
            loaded.spec.rollout.waves.len(),
            "{}: one line per wave",
            spec.display()
        );
        // The share axis: the 0% and 100% grid lines.
        let grid: Vec<f64> = doc
            .descendants()
            .filter(|n| n.has_tag_name("line") && n.attribute("y1") == n.attribute("y2"))
            .map(|n| number(n, "y1"))
            .collect();
        let (top, bottom) = (
            grid.iter().copied().fold(f64::MAX, f64::min),
            grid.iter().copied().fold(f64::MIN, f64::max),
        );
        for (i, line) in lines.iter().enumerate() {
            let pts = points(*line);
            assert!(pts.len() >= 2);
            assert!(
                pts.windows(2).all(|w| w[1].0 >= w[0].0),
                "{} wave {i}: the line goes right in time: {pts:?}",
                spec.display()
            );
            // Lines are offset from each other by a few pixels at most.
            let (first, last) = (pts[0], pts[pts.len() - 1]);
            assert!(
                (first.1 - bottom).abs() <= 8.0 || first.1 < bottom,
                "{pts:?}"
            );
            assert!(
                (last.1 - top).abs() <= 8.0,
                "{} wave {i} ends at 100% ({top}): {pts:?}",
                spec.display()
            );
            assert!(last.0 > first.0 && last.0 <= width);
            assert!(pts.iter().all(
                |&(x, y)| (0.0..=width).contains(&x) && (top - 8.0..=bottom + 8.0).contains(&y)
            ));
        }
        // The words name every wave, and so does the legend.
        let shown = texts(&doc);
        for wave in &loaded.spec.rollout.waves {
            assert!(shown.contains(&format!("wave {}", wave.name)), "{shown}");
        }
        // A gate mark per traffic phase with gates, a DNS mark per phase that changes DNS.
        let gated = plan
            .phases
            .iter()
            .filter(|p| p.kind.moves_traffic() && !p.gates.is_empty())
            .count();
        let marks = |class: &str| {
            doc.descendants()
                .filter(|n| n.attribute("class") == Some(class))
                .filter(|n| n.children().any(|c| c.has_tag_name("title")))
                .count()
        };
        assert_eq!(marks("gate"), gated, "{}", spec.display());
        let model = timeline::model(&plan);
        assert_eq!(
            marks("diamond"),
            model.spans.iter().filter(|s| s.dns).count()
        );
        assert!(
            marks("diamond") >= 1,
            "{}: DNS moves somewhere",
            spec.display()
        );
    }
}

#[test]
fn the_model_follows_the_plan_holds_and_reaches_100_percent_when_each_wave_ends() {
    for spec in examples() {
        let loaded = load::load(&spec).unwrap();
        let plan = common::plan(&loaded.spec);
        let model = timeline::model(&plan);
        let traffic: Vec<_> = plan
            .phases
            .iter()
            .filter(|p| p.kind.moves_traffic())
            .collect();
        assert_eq!(model.spans.len(), traffic.len());
        let total: u64 = traffic.iter().map(|p| p.hold_seconds).sum();
        assert_eq!(model.end, total as i64, "{}", spec.display());
        // Back to back.
        for pair in model.spans.windows(2) {
            assert_eq!(pair[1].start, pair[0].start + pair[0].hold);
        }
        for wave in &model.waves {
            assert!(wave.points.windows(2).all(|w| w[1].0 >= w[0].0));
            assert_eq!(wave.points.last().unwrap().1, 10_000, "{}", wave.name);
            assert_eq!(wave.points.last().unwrap().0, model.end);
            // The line reaches 100% where the wave's last step starts, not before.
            let last_step = traffic
                .iter()
                .zip(&model.spans)
                .rfind(|(p, _)| p.kind == PhaseKind::Step && p.wave.as_deref() == Some(&wave.name))
                .map(|(_, s)| s.start)
                .unwrap();
            let reached = wave
                .points
                .iter()
                .find(|(_, share)| *share == 10_000)
                .unwrap()
                .0;
            assert_eq!(reached, last_step, "{} {}", spec.display(), wave.name);
            assert!(wave.points.iter().all(|(_, s)| *s <= 10_000));
            assert!(!wave.members.is_empty());
        }
        // The TTL lead ends at the first DNS change, as long as the change list waits.
        if let (Some(lead), Some(dns)) = (&model.lead, &plan.dns) {
            assert_eq!(lead.seconds, i64::from(dns.ttl_normal));
            let first = model.spans.iter().find(|s| s.dns).unwrap();
            assert_eq!(lead.at, first.start);
            assert_eq!(model.start, (lead.at - lead.seconds).min(0));
        }
    }
}

#[test]
fn the_slb_line_is_the_share_the_backend_weights_give() {
    let loaded = load::load(Path::new("examples/slb-weights.yaml")).unwrap();
    let plan = common::plan(&loaded.spec);
    let model = timeline::model(&plan);
    let shares: Vec<u32> = model.waves[0].points.iter().map(|p| p.1).collect();
    let exact: Vec<u32> = plan
        .phases
        .iter()
        .filter(|p| p.wave.as_deref() == Some(model.waves[0].name.as_str()))
        .map(|p| {
            p.slb_backends
                .iter()
                .find(|b| b.service == p.services[0])
                .unwrap()
                .share_hundredths
        })
        .collect();
    for share in exact {
        assert!(shares.contains(&share), "{share} in {shares:?}");
    }
}

#[test]
fn strategies_that_move_hosts_name_the_hosts() {
    for (spec, host) in [
        ("examples/dns-weights.yaml", "api.hello.example"),
        ("examples/client.yaml", "api.hello.example"),
    ] {
        let loaded = load::load(Path::new(spec)).unwrap();
        let model = timeline::model(&common::plan(&loaded.spec));
        let api = model.waves.iter().find(|w| w.name == "api").unwrap();
        assert!(api.hosts, "{spec}");
        assert_eq!(api.members, [host], "{spec}");
    }
}

const HOSTILE: &str = "w<&\"']]><!--x--><script>\u{1b}\u{0}\u{202e}\n-->";

/// The dns-weights example (which names hosts) with `name` as the migration's name, in the
/// first wave's name and in the first service's host.
fn named(name: &str) -> (cutover::model::Spec, cutover::plan::Plan) {
    let mut loaded = load::load(Path::new("examples/dns-weights.yaml")).unwrap();
    loaded.spec.metadata.name = name.into();
    loaded.spec.rollout.waves[0].name = format!("{name}wave");
    loaded.spec.services[0].routes[0].host = format!("{name}.example");
    let plan = common::plan(&loaded.spec);
    (loaded.spec, plan)
}

#[test]
fn hostile_names_are_escaped_as_xml_text() {
    let (spec, plan) = named(HOSTILE);
    let picture = timeline::build(&plan);
    let doc = roxmltree::Document::parse(&picture.svg)
        .unwrap_or_else(|e| panic!("not XML: {e}\n{}", picture.svg));
    // What the names become: the characters XML cannot hold, and those that read
    // differently from what they are, as U+FFFD, a line break as a space; the rest as it is.
    let shown = HOSTILE
        .replace(['\u{1b}', '\u{0}', '\u{202e}'], "\u{fffd}")
        .replace('\n', " ");
    let text = texts(&doc);
    assert!(
        text.contains(&format!("Rollout timeline: {shown}")),
        "{text}"
    );
    assert!(text.contains(&format!("wave {shown}wave")), "{text}");
    assert!(text.contains(&format!("{shown}.example")), "{text}");
    // Nothing the names hold became markup: the same elements as the plain spec's picture.
    let plain = timeline::build(&named("plain").1);
    let tags = |svg: &str| -> Vec<String> {
        roxmltree::Document::parse(svg)
            .unwrap()
            .descendants()
            .filter(|n| n.is_element() || n.is_comment() || n.is_pi())
            .map(|n| format!("{:?}", n.tag_name()))
            .collect()
    };
    assert_eq!(tags(&picture.svg), tags(&plain.svg));
    assert!(!picture.svg.contains("<script") && !picture.svg.contains("<!--"));
    assert!(!picture.svg.contains('\u{1b}') && !picture.svg.contains('\u{0}'));
    // The README's image keeps its alt text as text and its link to the picture.
    let renderer = cutover::render::Renderer::new(None).unwrap();
    let memory = cutover::render::Memory::new();
    let out = cutover::render::Out::new(&memory);
    let plan = std::sync::Arc::new(plan);
    cutover::render::render(&renderer, &spec, &plan, &[], &BTreeMap::new(), &out).unwrap();
    out.finish().unwrap();
    let files = memory.into_files();
    let readme = String::from_utf8(files.get("README.md").unwrap().to_vec()).unwrap();
    let images: Vec<String> = pulldown_cmark::Parser::new(&readme)
        .filter_map(|e| match e {
            pulldown_cmark::Event::Start(pulldown_cmark::Tag::Image { dest_url, .. }) => {
                Some(dest_url.to_string())
            }
            _ => None,
        })
        .collect();
    assert_eq!(images, [PATH]);
    assert!(
        !pulldown_cmark::Parser::new(&readme).any(|e| matches!(
            e,
            pulldown_cmark::Event::Html(_) | pulldown_cmark::Event::InlineHtml(_)
        )),
        "no HTML from a name"
    );
}

#[test]
fn two_compiles_draw_the_same_bytes() {
    let spec = Path::new("examples/piggymetrics.yaml");
    let (a, b) = (common::compile(spec), common::compile(spec));
    assert_eq!(svg_of(&a.files), svg_of(&b.files));
    // And in another process, where every hash map has other keys.
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("bundle");
    let run = std::process::Command::new(env!("CARGO_BIN_EXE_cutover"))
        .args(["compile", "examples/piggymetrics.yaml", "-o"])
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(0));
    assert_eq!(
        std::fs::read_to_string(out.join(PATH)).unwrap(),
        svg_of(&a.files)
    );
}

#[test]
fn every_readme_embeds_its_timeline_and_the_index_lists_it() {
    for spec in examples() {
        let compiled = common::compile(&spec);
        let readme = String::from_utf8(compiled.files.get("README.md").unwrap().to_vec()).unwrap();
        let image = readme
            .lines()
            .find(|l| l.starts_with("![") && l.ends_with(&format!("]({PATH})")))
            .unwrap_or_else(|| panic!("{}: no image line", spec.display()));
        let loaded = load::load(&spec).unwrap();
        let alt = timeline::build(&common::plan(&loaded.spec)).alt;
        assert!(alt.contains("over") && alt.contains("holds"), "{alt}");
        assert!(image.len() > alt.len() / 2);
        let index: cutover::bundle::Index =
            serde_json::from_slice(compiled.files.get("index.json").unwrap()).unwrap();
        assert!(index.files.iter().any(|e| e.path == PATH));
    }
}

#[test]
fn diff_and_verify_see_a_changed_picture() {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string("examples/minimal.yaml").unwrap();
    assert!(text.contains("hold: 1h"));
    let old = common::compile(Path::new("examples/minimal.yaml"));
    let spec = common::temp_spec(&dir, "spec.yaml", &text.replacen("hold: 1h", "hold: 3h", 1));
    let new = common::compile(&spec);
    let diff = cutover::diff::diff(&old.files, &new.files);
    assert!(
        diff.files
            .iter()
            .any(|(s, p)| *s == cutover::diff::Status::Changed && p == PATH),
        "{:?}",
        diff.files
    );
    assert!(cutover::diff::render_text(&diff, false).contains(&format!("~ {PATH}")));
    // verify: a picture edited by hand is a stale file.
    let mut edited = old.files.clone();
    edited.insert(PATH, b"<svg/>\n".to_vec());
    assert_eq!(
        cutover::diff::diff_files(&old.files, &edited),
        [(cutover::diff::Status::Changed, PATH.to_string())]
    );
}
