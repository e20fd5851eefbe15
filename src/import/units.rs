//! Compose's units as the spec writes them: CPUs, memory, durations.

/// Compose CPUs (`"0.5"`, `2`) as a Kubernetes quantity (`500m`, `2`).
pub fn cpus(value: &str) -> Option<String> {
    let cores: f64 = value.trim().parse().ok()?;
    if !cores.is_finite() || cores <= 0.0 || cores > 1e6 {
        return None;
    }
    let milli = (cores * 1000.0).round() as u64;
    (milli > 0).then(|| {
        if milli.is_multiple_of(1000) {
            (milli / 1000).to_string()
        } else {
            format!("{milli}m")
        }
    })
}

/// Compose memory (`512M`, `1g`, `1073741824`; binary units) as a quantity (`512Mi`).
pub fn memory(value: &str) -> Option<String> {
    let value = value.trim().to_ascii_lowercase();
    let value = value.trim_end_matches('b');
    let (number, unit) = value.split_at(
        value
            .find(|c: char| !c.is_ascii_digit() && c != '.')
            .unwrap_or(value.len()),
    );
    let number: f64 = number.parse().ok()?;
    let bytes = number
        * match unit {
            "" => 1.0,
            "k" => 1024.0,
            "m" => 1024.0 * 1024.0,
            "g" => 1024.0 * 1024.0 * 1024.0,
            _ => return None,
        };
    if !bytes.is_finite() || bytes > 1e18 {
        return None;
    }
    let mib = (bytes / (1024.0 * 1024.0)).ceil() as u64;
    (mib > 0).then(|| {
        if mib.is_multiple_of(1024) {
            format!("{}Gi", mib / 1024)
        } else {
            format!("{mib}Mi")
        }
    })
}

/// A compose duration (Go's `time.ParseDuration`: `1m30s`, `10s`, `500ms`, `1.5s`, `2h`) as a
/// spec duration (`1m30s`), rounded up to whole seconds (at least `1s`), and whether it was
/// rounded. `None` when it is not a duration.
pub fn duration(value: &str) -> Option<(String, bool)> {
    let value = value.trim();
    if value.is_empty() {
        return None;
    }
    if value == "0" {
        return Some(("0s".into(), false));
    }
    let mut nanos: f64 = 0.0;
    let mut rest = value;
    while !rest.is_empty() {
        let number_end = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let number: f64 = rest[..number_end].parse().ok()?;
        rest = &rest[number_end..];
        let unit_end = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let per: f64 = match &rest[..unit_end] {
            "ns" => 1.0,
            "us" | "µs" => 1e3,
            "ms" => 1e6,
            "s" => 1e9,
            "m" => 60e9,
            "h" => 3600e9,
            _ => return None,
        };
        rest = &rest[unit_end..];
        nanos += number * per;
    }
    if !nanos.is_finite() || nanos > 1e18 {
        return None;
    }
    let seconds = (nanos / 1e9).ceil().max(1.0) as u64;
    let rounded = (seconds as f64) * 1e9 != nanos;
    let (h, m, s) = (seconds / 3600, seconds % 3600 / 60, seconds % 60);
    let mut text = String::new();
    for (amount, unit) in [(h, 'h'), (m, 'm'), (s, 's')] {
        if amount > 0 {
            text.push_str(&format!("{amount}{unit}"));
        }
    }
    Some((text, rounded))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compose_units_become_quantities() {
        assert_eq!(cpus("0.5").as_deref(), Some("500m"));
        assert_eq!(cpus("2").as_deref(), Some("2"));
        assert_eq!(cpus("NaN"), None);
        assert_eq!(memory("512M").as_deref(), Some("512Mi"));
        assert_eq!(memory("1g").as_deref(), Some("1Gi"));
        assert_eq!(memory("1073741824").as_deref(), Some("1Gi"));
        assert_eq!(memory("12x"), None);
    }

    #[test]
    fn compose_durations_become_spec_durations() {
        let d = |v: &str| duration(v);
        assert_eq!(d("1m30s"), Some(("1m30s".into(), false)));
        assert_eq!(d("10s"), Some(("10s".into(), false)));
        assert_eq!(d("2h"), Some(("2h".into(), false)));
        assert_eq!(d("90s"), Some(("1m30s".into(), false)));
        assert_eq!(d("500ms"), Some(("1s".into(), true)));
        assert_eq!(d("1.5s"), Some(("2s".into(), true)));
        assert_eq!(d("3x"), None);
        assert_eq!(d("s"), None);
        assert_eq!(d(""), None);
    }
}
