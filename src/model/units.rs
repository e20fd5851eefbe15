//! Value types written as text in a spec: quantities (`500m`, `20Gi`), durations (`1h`),
//! percentages (`10%`), CIDR blocks and addresses. Each parses into a real type with a clear
//! error, reads the same from YAML and TOML, and writes back as the text the user gave.

use std::borrow::Cow;
use std::fmt;
use std::net::{IpAddr, Ipv4Addr};
use std::str::FromStr;

use ipnet::Ipv4Net;
use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The text the loader hands a string visitor for a value it set aside after an error (the
/// loader imports it): the loader refuses NUL in any scalar, so no spec contains it, and
/// [`FromStrVisitor`] turns it into the type's default.
pub const PHANTOM_TEXT: &str = "\0";

/// Deserializes a value written as text (`500m`, `1h`, `10%`, a CIDR) with `FromStr`, so
/// that such types read the same from YAML and TOML and take numbers written bare.
pub struct FromStrVisitor<T> {
    expecting: &'static str,
    marker: std::marker::PhantomData<T>,
}

impl<T> FromStrVisitor<T> {
    pub fn new(expecting: &'static str) -> Self {
        FromStrVisitor {
            expecting,
            marker: std::marker::PhantomData,
        }
    }
}

impl<T> serde::de::Visitor<'_> for FromStrVisitor<T>
where
    T: FromStr + Default,
    T::Err: fmt::Display,
{
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.expecting)
    }

    fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<T, E> {
        if text == PHANTOM_TEXT {
            return Ok(T::default());
        }
        text.parse().map_err(E::custom)
    }

    fn visit_u64<E: serde::de::Error>(self, value: u64) -> Result<T, E> {
        self.visit_str(&value.to_string())
    }

    fn visit_i64<E: serde::de::Error>(self, value: i64) -> Result<T, E> {
        self.visit_str(&value.to_string())
    }

    fn visit_f64<E: serde::de::Error>(self, value: f64) -> Result<T, E> {
        self.visit_str(&value.to_string())
    }
}

/// Implements serde and schemars for a text-written type: it deserializes through
/// `FromStr`, serializes through `Display`, and documents itself as a patterned string.
macro_rules! text_type {
    ($ty:ty, $expecting:literal, $name:literal, $pattern:literal, $description:literal) => {
        impl<'de> Deserialize<'de> for $ty {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                deserializer.deserialize_str(FromStrVisitor::<$ty>::new($expecting))
            }
        }

        impl Serialize for $ty {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.collect_str(self)
            }
        }

        impl JsonSchema for $ty {
            fn schema_name() -> Cow<'static, str> {
                Cow::Borrowed($name)
            }

            fn json_schema(_: &mut SchemaGenerator) -> Schema {
                json_schema!({
                    "type": ["string", "number"],
                    "pattern": $pattern,
                    "description": $description,
                })
            }
        }
    };
}

/// A Kubernetes quantity: CPU (`500m`, `1`, `2.5`) or bytes (`512Mi`, `20Gi`, `1G`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Quantity {
    text: String,
    /// The amount in thousandths of the unit (millicores, or millibytes), exact.
    milli: u128,
}

impl Quantity {
    /// The amount in thousandths of the base unit: millicores for CPU.
    pub fn milli(&self) -> u128 {
        self.milli
    }

    /// The amount in base units (cores, or bytes), rounded up.
    pub fn units(&self) -> u128 {
        self.milli.div_ceil(1000)
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Builds a quantity of whole base units (bytes, or cores).
    pub fn from_units(units: u128, text: impl Into<String>) -> Self {
        Quantity {
            text: text.into(),
            milli: units * 1000,
        }
    }
}

pub const GIB: u128 = 1 << 30;

impl FromStr for Quantity {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        let trimmed = text.trim();
        let split = trimmed
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(trimmed.len());
        let (number, suffix) = trimmed.split_at(split);
        let help = "write a quantity like `500m`, `2`, `512Mi` or `20Gi`";
        if number.is_empty() || number.starts_with('.') || number.matches('.').count() > 1 {
            return Err(format!("`{text}` is not a quantity: {help}"));
        }
        // (numerator, denominator) so that fractions stay exact: 1/1000 for `m`.
        let (factor, divisor): (u128, u128) = match suffix {
            "" => (1000, 1),
            "m" => (1, 1),
            "k" => (1000 * 1000, 1),
            "M" => (1000 * 1000u128.pow(2), 1),
            "G" => (1000 * 1000u128.pow(3), 1),
            "T" => (1000 * 1000u128.pow(4), 1),
            "P" => (1000 * 1000u128.pow(5), 1),
            "Ki" => (1000 << 10, 1),
            "Mi" => (1000 << 20, 1),
            "Gi" => (1000 << 30, 1),
            "Ti" => (1000 << 40, 1),
            "Pi" => (1000 << 50, 1),
            _ => {
                return Err(format!(
                    "`{text}` has an unknown unit `{suffix}`: {help} (units: m, k, M, G, T, Ki, Mi, Gi, Ti)"
                ));
            }
        };
        let (whole, fraction) = number.split_once('.').unwrap_or((number, ""));
        if fraction.len() > 9 || whole.len() > 15 {
            return Err(format!("`{text}` is out of range: {help}"));
        }
        let scale = 10u128.pow(fraction.len() as u32);
        let digits: u128 = format!("{whole}{fraction}")
            .parse()
            .map_err(|_| format!("`{text}` is not a quantity: {help}"))?;
        let milli = digits * factor / (scale * divisor);
        if !(digits * factor).is_multiple_of(scale * divisor) {
            return Err(format!(
                "`{text}` is finer than a thousandth of a unit: {help}"
            ));
        }
        Ok(Quantity {
            text: trimmed.to_string(),
            milli,
        })
    }
}

impl fmt::Display for Quantity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

text_type!(
    Quantity,
    "a quantity like `500m`, `2` or `20Gi`",
    "Quantity",
    "^[0-9]+(\\.[0-9]+)?(m|k|M|G|T|P|Ki|Mi|Gi|Ti|Pi)?$",
    "A Kubernetes quantity: CPU in cores or millicores (`500m`, `2`), memory and sizes in bytes with a unit (`512Mi`, `20Gi`)."
);

/// A duration written as `30s`, `45m`, `2h`, `1d` or a combination such as `1h30m`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Duration {
    text: String,
    seconds: u64,
}

impl Duration {
    pub fn seconds(&self) -> u64 {
        self.seconds
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }
}

impl FromStr for Duration {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        let help = "write a duration like `30s`, `45m`, `2h`, `1d` or `1h30m`";
        let trimmed = text.trim();
        if trimmed.is_empty() {
            return Err(format!("the duration is empty: {help}"));
        }
        let mut seconds: u64 = 0;
        let mut number = String::new();
        for c in trimmed.chars() {
            if c.is_ascii_digit() {
                number.push(c);
                continue;
            }
            let unit = match c {
                's' => 1,
                'm' => 60,
                'h' => 3600,
                'd' => 86_400,
                _ => return Err(format!("`{text}` has an unknown unit `{c}`: {help}")),
            };
            let n: u64 = number
                .parse()
                .map_err(|_| format!("`{text}` is not a duration: {help}"))?;
            seconds = n
                .checked_mul(unit)
                .and_then(|s| seconds.checked_add(s))
                .ok_or_else(|| format!("`{text}` is too long: {help}"))?;
            number.clear();
        }
        if !number.is_empty() {
            return Err(format!("`{text}` lacks a unit: {help}"));
        }
        Ok(Duration {
            text: trimmed.to_string(),
            seconds,
        })
    }
}

impl fmt::Display for Duration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

text_type!(
    Duration,
    "a duration like `30m` or `2h`",
    "Duration",
    "^([0-9]+[smhd])+$",
    "A duration: `30s`, `45m`, `2h`, `1d`, or a combination such as `1h30m`."
);

/// A percentage written with its sign, `10%` or `12.5%`, kept exactly in hundredths.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Percent {
    text: String,
    hundredths: u32,
}

impl Percent {
    /// Hundredths of a percent: `12.5%` is 1250.
    pub fn hundredths(&self) -> u32 {
        self.hundredths
    }

    /// The share as a fraction of one.
    pub fn fraction(&self) -> f64 {
        f64::from(self.hundredths) / 10_000.0
    }
}

impl FromStr for Percent {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        let help = "write a percentage like `10%` or `12.5%`";
        let trimmed = text.trim();
        let Some(number) = trimmed.strip_suffix('%') else {
            return Err(format!("`{text}` lacks the `%` sign: {help}"));
        };
        let (whole, fraction) = number.split_once('.').unwrap_or((number, ""));
        let digits_ok = |s: &str| s.chars().all(|c| c.is_ascii_digit());
        if whole.is_empty() || !digits_ok(whole) || !digits_ok(fraction) || fraction.len() > 2 {
            return Err(format!("`{text}` is not a percentage: {help}"));
        }
        let whole: u32 = whole
            .parse()
            .map_err(|_| format!("`{text}` is out of range: {help}"))?;
        let fraction: u32 = format!("{fraction:0<2}").parse().unwrap_or(0);
        if whole > 100 || (whole == 100 && fraction > 0) {
            return Err(format!("`{text}` is over 100%"));
        }
        Ok(Percent {
            text: trimmed.to_string(),
            hundredths: whole * 100 + fraction,
        })
    }
}

impl fmt::Display for Percent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

text_type!(
    Percent,
    "a percentage like `10%`",
    "Percent",
    "^[0-9]{1,3}(\\.[0-9]{1,2})?%$",
    "A percentage with its sign: `10%`, `12.5%`."
);

/// An IPv4 CIDR block, written in canonical form (`10.16.0.0/16`, host bits zero).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Cidr(pub Ipv4Net);

impl Cidr {
    pub fn net(&self) -> Ipv4Net {
        self.0
    }

    /// Number of addresses in the block.
    pub fn size(&self) -> u64 {
        1u64 << (32 - u32::from(self.0.prefix_len()))
    }

    pub fn first(&self) -> u32 {
        u32::from(self.0.network())
    }

    pub fn last(&self) -> u32 {
        u32::from(self.0.broadcast())
    }

    pub fn overlaps(&self, other: &Cidr) -> bool {
        self.first() <= other.last() && other.first() <= self.last()
    }

    pub fn contains(&self, other: &Cidr) -> bool {
        self.first() <= other.first() && other.last() <= self.last()
    }
}

impl FromStr for Cidr {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        let trimmed = text.trim();
        if !trimmed.contains('/') {
            return Err(format!(
                "`{text}` lacks a prefix length: write a block like `10.16.0.0/16`"
            ));
        }
        if trimmed.contains(':') {
            return Err(format!(
                "`{text}` is an IPv6 block; cluster and VPC blocks here are IPv4, like `10.16.0.0/16`"
            ));
        }
        let net: Ipv4Net = trimmed
            .parse()
            .map_err(|_| format!("`{text}` is not an IPv4 CIDR block like `10.16.0.0/16`"))?;
        if net.network() != net.addr() {
            return Err(format!(
                "`{text}` has host bits set: the block is `{}`",
                net.trunc()
            ));
        }
        Ok(Cidr(net))
    }
}

impl fmt::Display for Cidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

text_type!(
    Cidr,
    "an IPv4 CIDR block like `10.16.0.0/16`",
    "Cidr",
    "^[0-9]{1,3}(\\.[0-9]{1,3}){3}/[0-9]{1,2}$",
    "An IPv4 CIDR block in canonical form, such as `10.16.0.0/16`."
);

/// An IP address (an SLB entrypoint, a DNS answer).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Address(pub IpAddr);

impl Default for Address {
    fn default() -> Self {
        Address(IpAddr::V4(Ipv4Addr::UNSPECIFIED))
    }
}

impl FromStr for Address {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        text.trim()
            .parse()
            .map(Address)
            .map_err(|_| format!("`{text}` is not an IP address such as `203.0.113.10`"))
    }
}

impl fmt::Display for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

text_type!(
    Address,
    "an IP address",
    "Address",
    "^[0-9a-fA-F.:]+$",
    "An IP address, such as `203.0.113.10`."
);

/// A point in time written as an RFC 3339 date-time (`2026-12-10T22:00:00+08:00`), kept as
/// written and as seconds since the Unix epoch (UTC).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DateTime {
    text: String,
    epoch: i64,
}

impl DateTime {
    /// Seconds since 1970-01-01T00:00:00Z.
    pub fn epoch(&self) -> i64 {
        self.epoch
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The instant `seconds` later, written in UTC (`2026-12-11T04:00:00Z`).
    pub fn plus(&self, seconds: i64) -> DateTime {
        let epoch = self.epoch.saturating_add(seconds);
        DateTime {
            text: utc_text(epoch),
            epoch,
        }
    }
}

/// Days from 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's `days_from_civil`).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The date of a day count from 1970-01-01 (`civil_from_days`).
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// `epoch` as `YYYY-MM-DDTHH:MM:SSZ`.
pub fn utc_text(epoch: i64) -> String {
    let (days, rest) = (epoch.div_euclid(86_400), epoch.rem_euclid(86_400));
    let (year, month, day) = civil_from_days(days);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rest / 3600,
        rest % 3600 / 60,
        rest % 60
    )
}

impl FromStr for DateTime {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        let help = "write an RFC 3339 date-time with its offset, such as `2026-12-10T22:00:00+08:00` or `2026-12-10T14:00:00Z`";
        let bad = || {
            format!(
                "`{}` is not a date-time: {help}",
                crate::markdown::visible(text)
            )
        };
        let b = text.as_bytes();
        // YYYY-MM-DDTHH:MM:SS, then an optional fraction, then Z or ±HH:MM.
        if b.len() < 20 || b.len() > 40 || !text.is_ascii() {
            return Err(bad());
        }
        let digits = |from: usize, to: usize| -> Option<i64> {
            let part = &text[from..to];
            part.bytes()
                .all(|c| c.is_ascii_digit())
                .then(|| part.parse().ok())
                .flatten()
        };
        let separators = b[4] == b'-'
            && b[7] == b'-'
            && matches!(b[10], b'T' | b't')
            && b[13] == b':'
            && b[16] == b':';
        let (Some(year), Some(month), Some(day), Some(hour), Some(minute), Some(second)) = (
            digits(0, 4),
            digits(5, 7),
            digits(8, 10),
            digits(11, 13),
            digits(14, 16),
            digits(17, 19),
        ) else {
            return Err(bad());
        };
        if !separators {
            return Err(bad());
        }
        let mut rest = &text[19..];
        if let Some(fraction) = rest.strip_prefix('.') {
            let n = fraction.bytes().take_while(u8::is_ascii_digit).count();
            if n == 0 {
                return Err(bad());
            }
            rest = &fraction[n..];
        }
        let offset = match rest {
            "Z" | "z" => 0,
            _ => {
                let o = rest.as_bytes();
                if o.len() != 6 || !matches!(o[0], b'+' | b'-') || o[3] != b':' {
                    return Err(bad());
                }
                let two = |part: &str| -> Option<i64> {
                    part.bytes()
                        .all(|c| c.is_ascii_digit())
                        .then(|| part.parse().ok())
                        .flatten()
                };
                let (Some(hours), Some(minutes)) = (two(&rest[1..3]), two(&rest[4..6])) else {
                    return Err(bad());
                };
                if hours > 23 || minutes > 59 {
                    return Err(bad());
                }
                let sign = if o[0] == b'-' { -1 } else { 1 };
                sign * (hours * 3600 + minutes * 60)
            }
        };
        let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
        let days_in_month = match month {
            1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
            4 | 6 | 9 | 11 => 30,
            2 if leap => 29,
            2 => 28,
            _ => 0,
        };
        if !(1970..=9999).contains(&year)
            || day < 1
            || day > days_in_month
            || hour > 23
            || minute > 59
            || second > 59
        {
            return Err(bad());
        }
        let epoch = days_from_civil(year, month, day) * 86_400 + hour * 3600 + minute * 60 + second
            - offset;
        Ok(DateTime {
            text: text.to_string(),
            epoch,
        })
    }
}

impl fmt::Display for DateTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

text_type!(
    DateTime,
    "an RFC 3339 date-time like `2026-12-10T22:00:00+08:00`",
    "DateTime",
    "^[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]+)?([Zz]|[+-][0-9]{2}:[0-9]{2})$",
    "An RFC 3339 date-time with its offset: `2026-12-10T22:00:00+08:00`, `2026-12-10T14:00:00Z`."
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantities_are_exact() {
        let q = |s: &str| s.parse::<Quantity>().unwrap().milli();
        assert_eq!(q("500m"), 500);
        assert_eq!(q("1"), 1000);
        assert_eq!(q("2.5"), 2500);
        assert_eq!(q("1Gi"), 1000 << 30);
        assert_eq!(q("512Mi") * 2, q("1Gi"));
        assert!("1.5.1".parse::<Quantity>().is_err());
        assert!("-1".parse::<Quantity>().is_err());
        assert!("1Gb".parse::<Quantity>().is_err());
        assert!("0.0001".parse::<Quantity>().is_err());
        assert!("".parse::<Quantity>().is_err());
    }

    #[test]
    fn durations_add_up() {
        assert_eq!("1h".parse::<Duration>().unwrap().seconds(), 3600);
        assert_eq!("1h30m".parse::<Duration>().unwrap().seconds(), 5400);
        assert!("1x".parse::<Duration>().is_err());
        assert!("15".parse::<Duration>().is_err());
    }

    #[test]
    fn percentages_need_their_sign() {
        assert_eq!("10%".parse::<Percent>().unwrap().hundredths(), 1000);
        assert_eq!("12.5%".parse::<Percent>().unwrap().hundredths(), 1250);
        assert!("10".parse::<Percent>().is_err());
        assert!("101%".parse::<Percent>().is_err());
    }

    #[test]
    fn cidrs_are_canonical_ipv4() {
        assert_eq!("10.16.0.0/16".parse::<Cidr>().unwrap().size(), 65_536);
        assert!("10.16.0.1/16".parse::<Cidr>().is_err());
        assert!("fd00::/8".parse::<Cidr>().is_err());
        assert!("10.16.0.0".parse::<Cidr>().is_err());
        let a: Cidr = "172.16.0.0/12".parse().unwrap();
        let b: Cidr = "172.16.0.0/16".parse().unwrap();
        assert!(a.contains(&b) && a.overlaps(&b) && !b.contains(&a));
    }
}
