//! `cutover plan`: the phase table for a terminal, at most 100 columns wide. Spec values
//! (wave, service and migration names, gates) are shown through [`visible`]: no control
//! character reaches the terminal raw.

use crate::markdown::visible;
use crate::plan::Plan;
use crate::plan::rollout::{Action, Phase, PhaseKind};

pub const WIDTH: usize = 100;

/// What a phase leaves on the new cluster, in a few words.
pub fn traffic_cell(phase: &Phase) -> String {
    match phase.kind {
        PhaseKind::Prepare | PhaseKind::Data | PhaseKind::Images => "-".into(),
        PhaseKind::Deploy | PhaseKind::Verify => "test domain only".into(),
        PhaseKind::Entry => "DNS on new ingress, 0%".into(),
        PhaseKind::Mirror => format!("shadow copy of {}", phase.services.join(", ")),
        PhaseKind::Step => format!(
            "{}% of {}",
            phase.weight.unwrap_or(0),
            phase.services.join(", ")
        ),
        PhaseKind::Complete => "100%, settled".into(),
        PhaseKind::Decommission => "old cluster gone".into(),
    }
}

/// How to roll a phase back, in a few words.
pub fn rollback_cell(phase: &Phase) -> String {
    match (phase.rollback, phase.kind) {
        (Action::Apply, _) => format!(
            "apply {}",
            phase.rollback_folder.clone().unwrap_or_default()
        ),
        (Action::Delete, _) => format!(
            "delete {}",
            phase.rollback_folder.clone().unwrap_or_default()
        ),
        (Action::None, PhaseKind::Entry) => "DNS back to old".into(),
        (Action::None, kind) if kind.moves_traffic() => "previous weights".into(),
        (Action::None, _) => "-".into(),
    }
}

fn fit(text: &str, width: usize) -> String {
    let count = text.chars().count();
    if count <= width {
        format!("{text:<width$}")
    } else {
        let cut: String = text.chars().take(width.saturating_sub(1)).collect();
        format!("{cut}…")
    }
}

pub fn render(plan: &Plan) -> String {
    let rows: Vec<[String; 5]> = plan
        .phases
        .iter()
        .map(|p| {
            [
                p.number.to_string(),
                p.id.split_once('-')
                    .map_or(p.id.clone(), |(_, rest)| rest.to_string()),
                traffic_cell(p),
                p.hold.clone().unwrap_or_else(|| "-".into()),
                rollback_cell(p),
            ]
            .map(|cell| visible(&cell))
        })
        .collect();
    let headers = [
        "#",
        "Phase",
        "Traffic on the new cluster",
        "Hold",
        "Rollback",
    ];
    // Natural widths, then the traffic column gives way until the table fits.
    let mut widths: Vec<usize> = (0..5)
        .map(|c| {
            rows.iter()
                .map(|r| r[c].chars().count())
                .chain(std::iter::once(headers[c].len()))
                .max()
                .unwrap_or(0)
        })
        .collect();
    // Folder names must stay whole (they are typed); the traffic column gives way.
    widths[1] = widths[1].min(28);
    let used: usize = widths.iter().sum::<usize>() + 2 * 4;
    if used > WIDTH {
        widths[2] = widths[2].saturating_sub(used - WIDTH).max(16);
    }
    let line = |cells: [&str; 5]| {
        let text = (0..5)
            .map(|c| fit(cells[c], widths[c]))
            .collect::<Vec<_>>()
            .join("  ");
        format!("{}\n", text.trim_end())
    };
    let mut out = format!(
        "{} · {} · {} phases\n\n",
        visible(&plan.name),
        <&str>::from(plan.strategy),
        plan.phases.len()
    );
    out.push_str(&line(headers));
    out.push_str(&line([
        &"-".repeat(widths[0]),
        &"-".repeat(widths[1]),
        &"-".repeat(widths[2]),
        &"-".repeat(widths[3]),
        &"-".repeat(widths[4]),
    ]));
    for row in &rows {
        out.push_str(&line([&row[0], &row[1], &row[2], &row[3], &row[4]]));
    }
    let gates = plan
        .phases
        .iter()
        .find(|p| !p.gates.is_empty())
        .map(|p| p.gates.clone())
        .unwrap_or_default();
    if !gates.is_empty() {
        out.push_str("\nBefore every next step, after its hold:\n");
        for gate in gates {
            out.push_str(&format!("  - {}\n", visible(&gate)));
        }
    }
    out.push_str(
        "\nRollback folders are under manifests/ in the bundle; the runbooks give every command.\n",
    );
    out
}
