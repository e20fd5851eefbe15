//! `cutover plan`: the phase table for a terminal, at most 100 columns wide. Spec values
//! (wave, service and migration names, gates) are shown through [`visible`]: no control
//! character reaches the terminal raw.

use unicode_width::UnicodeWidthStr;

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

/// `text` in exactly `width` terminal columns: padded, or cut with `…`. Columns, not
/// characters: a CJK character takes two, a combining mark none.
fn fit(text: &str, width: usize) -> String {
    let shown = text.width();
    if shown <= width {
        return format!("{text}{}", " ".repeat(width - shown));
    }
    let room = width.saturating_sub(1);
    let mut cut = String::new();
    let mut used = 0;
    for c in text.chars() {
        let w = unicode_width::UnicodeWidthChar::width(c).unwrap_or(0);
        if used + w > room {
            break;
        }
        cut.push(c);
        used += w;
    }
    // A wide character that did not fit leaves a column: pad it, to keep the next aligned.
    format!("{cut}…{}", " ".repeat(room - used))
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
    let mut out = format!(
        "{} · {} · {} phases\n\n",
        visible(&plan.name),
        <&str>::from(plan.strategy),
        plan.phases.len()
    );
    out.push_str(&table(headers, &rows));
    let gates = plan
        .phases
        .iter()
        .find(|p| !p.gates.is_empty())
        .map(|p| p.gates.clone())
        .unwrap_or_default();
    if !gates.is_empty() {
        out.push_str("\nBefore every next step, after its hold:\n");
        for gate in gates {
            out.push_str(&format!("  - {}\n", visible(&gate.text)));
        }
    }
    out.push_str(
        "\nRollback folders are under manifests/ in the bundle; the runbooks give every command.\n",
    );
    if let Some(abort) = &plan.abort {
        out.push_str(&abort_section(plan, abort));
    }
    out
}

/// The one-step abort, in a few lines: what it does and where its runbook is.
fn abort_section(plan: &Plan, abort: &crate::plan::abort::AbortPlan) -> String {
    let mut does: Vec<String> = Vec::new();
    if let Some(folder) = &abort.folder {
        does.push(format!(
            "apply manifests/{folder}/ (every route to the old cluster)"
        ));
    }
    if !abort.slb.is_empty() || !abort.l4.is_empty() {
        does.push("old SLB groups back to the old servers, new nodes out".into());
    }
    if !abort.clients.is_empty() {
        does.push("ship the old server list".into());
    }
    if !abort.dns.is_empty() || plan.dns.is_none() {
        does.push("DNS back to the old entrypoint".into());
    }
    if let Some(wait) = &abort.wait {
        does.push(format!("keep the new side {} s", wait.longest()));
    }
    let mut out = format!(
        "\nAbort from any phase after {}, every request back on the old cluster: {}\n",
        visible(&abort.from_phase),
        abort.runbook,
    );
    for item in does {
        out.push_str(&format!("  - {item}\n"));
    }
    out
}

/// The header, a rule and the rows, in columns two spaces apart.
fn table(headers: [&str; 5], rows: &[[String; 5]]) -> String {
    // Natural widths, in terminal columns, then the traffic column gives way until the
    // table fits.
    let mut widths: Vec<usize> = (0..5)
        .map(|c| {
            rows.iter()
                .map(|r| r[c].width())
                .chain(std::iter::once(headers[c].width()))
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
    let mut out = line(headers);
    out.push_str(&line([
        &"-".repeat(widths[0]),
        &"-".repeat(widths[1]),
        &"-".repeat(widths[2]),
        &"-".repeat(widths[3]),
        &"-".repeat(widths[4]),
    ]));
    for row in rows {
        out.push_str(&line([&row[0], &row[1], &row[2], &row[3], &row[4]]));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The terminal column at which each cell after the first starts (cells are two or more
    /// spaces apart; none holds two spaces in a row).
    fn column_starts(line: &str) -> Vec<usize> {
        let (mut starts, mut column, mut spaces) = (Vec::new(), 0, 0);
        for c in line.chars() {
            if c == ' ' {
                spaces += 1;
            } else {
                if spaces >= 2 {
                    starts.push(column);
                }
                spaces = 0;
            }
            column += unicode_width::UnicodeWidthChar::width(c).unwrap_or(0);
        }
        starts
    }

    #[test]
    fn wide_characters_keep_the_columns_aligned() {
        let row = |cells: [&str; 5]| cells.map(str::to_string);
        let rows = [
            row(["1", "prepare", "-", "-", "-"]),
            row(["2", "step-支付服务", "10% of 支付服务", "1h", "apply x"]),
            row(["3", "complete", "100%, settled", "-", "-"]),
        ];
        let text = table(
            [
                "#",
                "Phase",
                "Traffic on the new cluster",
                "Hold",
                "Rollback",
            ],
            &rows,
        );
        let lines: Vec<&str> = text.lines().collect();
        let expected = column_starts(lines[0]);
        assert_eq!(expected.len(), 4, "{text}");
        for line in &lines[1..] {
            assert_eq!(column_starts(line), expected, "{text}");
        }
    }

    #[test]
    fn a_cut_wide_cell_still_fills_its_width() {
        assert_eq!(fit("支付服务", 8).width(), 8);
        assert_eq!(fit("支付服务", 6), "支付… ");
        assert_eq!(fit("abcdef", 4), "abc…");
        assert_eq!(fit("ab", 4), "ab  ");
    }
}
