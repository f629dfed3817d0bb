//! Timestamps: X-Ray's wire format is epoch seconds (f64); the AWS CLI v2 prints ISO-8601.
//!
//! Readers accept both; writers emit epoch seconds, the API's own JSON form, so output can be
//! fed back in without loss. Formatting for people is always UTC, so output does not depend on
//! the machine's time zone.

use serde::{Deserialize, Deserializer, Serializer, de::Error};
use serde_json::Value;

/// Parses an ISO-8601/RFC 3339 timestamp (`2019-09-18T13:30:10.5-07:00`; no offset means UTC)
/// into epoch seconds.
pub fn parse_iso8601(s: &str) -> Option<f64> {
    let s = s.trim();
    if let Ok(ts) = s.parse::<jiff::Timestamp>() {
        return Some(ts.as_nanosecond() as f64 / 1e9);
    }
    let dt = s.parse::<jiff::civil::DateTime>().ok()?;
    let ts = jiff::tz::TimeZone::UTC.to_timestamp(dt).ok()?;
    Some(ts.as_nanosecond() as f64 / 1e9)
}

/// Epoch seconds from a JSON number, a numeric string or an ISO-8601 string.
pub fn from_json(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse::<f64>().ok().or_else(|| parse_iso8601(s)),
        _ => None,
    }
}

/// The instant rounded to the millisecond: at epoch magnitudes an `f64` can sit just below the
/// millisecond it was written as (1499473414.794 is stored as ...414.79399...).
fn to_millis(epoch: f64) -> Result<jiff::Timestamp, jiff::Error> {
    jiff::Timestamp::from_millisecond((epoch * 1e3).round() as i64)
}

/// `2026-11-24T12:00:00.123Z` (UTC, milliseconds).
pub fn format_utc(epoch: f64) -> String {
    match to_millis(epoch) {
        Ok(ts) => ts.strftime("%Y-%m-%dT%H:%M:%S%.3fZ").to_string(),
        Err(_) => format!("{epoch}"),
    }
}

/// `12:00:00.123` (UTC), for tables.
pub fn format_clock(epoch: f64) -> String {
    match to_millis(epoch) {
        Ok(ts) => ts.strftime("%H:%M:%S%.3f").to_string(),
        Err(_) => format!("{epoch}"),
    }
}

/// A duration for people: `0µs`, `287µs`, `5.6ms`, `12.3ms`, `250ms`, `1.23s`, `2m03s`. A value
/// that rounds up to the next unit is shown in it (`0.9996 ms` is `1.0ms`, never `1000µs`).
pub fn format_duration(secs: f64) -> String {
    if !secs.is_finite() {
        return "?".into();
    }
    let a = secs.abs();
    let sign = if secs < 0.0 { "-" } else { "" };
    let us = (a * 1e6).round();
    if us < 1000.0 {
        return format!("{sign}{us:.0}µs");
    }
    let tenth_ms = (a * 1e4).round() / 10.0;
    if tenth_ms < 100.0 {
        return format!("{sign}{tenth_ms:.1}ms");
    }
    let ms = (a * 1e3).round();
    if ms < 1000.0 {
        return format!("{sign}{ms:.0}ms");
    }
    let cs = (a * 100.0).round() / 100.0;
    if cs < 60.0 {
        return format!("{sign}{cs:.2}s");
    }
    let whole = a.round();
    let m = (whole / 60.0).floor();
    format!("{sign}{m:.0}m{:02.0}s", whole - m * 60.0)
}

/// The latest instant a timestamp may name: the end of year 9999 (epoch seconds).
pub const MAX_EPOCH: f64 = 253_402_300_800.0;

/// Whether `t` names an instant in the years 1970 to 9999, the ones X-Ray data can hold.
pub fn in_range(t: f64) -> bool {
    t.is_finite() && (0.0..MAX_EPOCH).contains(&t)
}

/// Checks a timestamp read from input: a number outside the years 1970-9999 (`1e308`,
/// negative, a value in milliseconds by mistake beyond 9999) is an error that says so.
pub fn checked<E: serde::de::Error>(t: f64) -> Result<f64, E> {
    if in_range(t) {
        Ok(t)
    } else {
        // Huge values in scientific notation: a warning is no place for 300 digits.
        let shown = if t.is_finite() && t.abs() < 1e15 {
            t.to_string()
        } else {
            format!("{t:e}")
        };
        Err(E::custom(format!(
            "timestamp {shown} is outside the years 1970-9999 (epoch seconds expected)"
        )))
    }
}

/// serde helpers for a document's epoch-seconds field: a number in the years 1970-9999.
pub mod seconds {
    use super::*;
    /// Reads epoch seconds and checks the range.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
        checked(f64::deserialize(d)?)
    }
    /// Writes epoch seconds.
    pub fn serialize<S: Serializer>(v: &f64, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_f64(*v)
    }
}

/// serde helpers for an optional epoch-seconds field of a document.
pub mod opt_seconds {
    use super::*;
    /// Reads epoch seconds (null or absent: `None`) and checks the range.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
        Option::<f64>::deserialize(d)?.map(checked).transpose()
    }
    /// Writes epoch seconds.
    pub fn serialize<S: Serializer>(v: &Option<f64>, s: S) -> Result<S::Ok, S::Error> {
        match v {
            Some(v) => s.serialize_f64(*v),
            None => s.serialize_none(),
        }
    }
}

/// serde helpers for a required timestamp field.
pub mod epoch {
    use super::*;
    /// Reads a number or an ISO-8601 string.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
        let v = Value::deserialize(d)?;
        checked(from_json(&v).ok_or_else(|| {
            D::Error::custom(format!(
                "expected a timestamp (epoch seconds or ISO-8601), found {v}"
            ))
        })?)
    }
    /// Writes epoch seconds.
    pub fn serialize<S: Serializer>(v: &f64, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_f64(*v)
    }
}

/// serde helpers for an optional timestamp field.
pub mod opt_epoch {
    use super::*;
    /// Reads a number or an ISO-8601 string; null or absent is `None`.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
        match Option::<Value>::deserialize(d)? {
            None | Some(Value::Null) => Ok(None),
            Some(v) => checked(from_json(&v).ok_or_else(|| {
                D::Error::custom(format!(
                    "expected a timestamp (epoch seconds or ISO-8601), found {v}"
                ))
            })?)
            .map(Some),
        }
    }
    /// Writes epoch seconds.
    pub fn serialize<S: Serializer>(v: &Option<f64>, s: S) -> Result<S::Ok, S::Error> {
        match v {
            Some(v) => s.serialize_f64(*v),
            None => s.serialize_none(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso_with_offset_and_without() {
        assert_eq!(parse_iso8601("1970-01-01T00:00:10Z"), Some(10.0));
        assert_eq!(parse_iso8601("1970-01-01T00:00:10"), Some(10.0));
        assert_eq!(parse_iso8601("1970-01-01T01:00:10+01:00"), Some(10.0));
        let v = parse_iso8601("2019-09-18T13:30:10.5-07:00").unwrap();
        assert!((v - 1_568_838_610.5).abs() < 1e-6);
        assert_eq!(parse_iso8601("yesterday"), None);
    }

    #[test]
    fn durations_read_well() {
        assert_eq!(format_duration(0.000_85), "850µs");
        assert_eq!(format_duration(0.0123), "12.3ms");
        assert_eq!(format_duration(0.25), "250ms");
        assert_eq!(format_duration(1.523), "1.52s");
        assert_eq!(format_duration(123.0), "2m03s");
        // Rounding carries into the next unit.
        assert_eq!(format_duration(0.000_999_6), "1.0ms");
        assert_eq!(format_duration(0.099_96), "100ms");
        assert_eq!(format_duration(0.999_6), "1.00s");
        assert_eq!(format_duration(59.996), "1m00s");
        assert_eq!(format_duration(119.6), "2m00s");
        // Microseconds are kept.
        assert_eq!(format_duration(0.000_287), "287µs");
        assert_eq!(format_duration(0.0), "0µs");
    }

    #[test]
    fn timestamps_outside_1970_to_9999_are_refused_with_a_short_message() {
        let bad = |t: f64| {
            checked::<serde_json::Error>(t)
                .expect_err("refused")
                .to_string()
        };
        assert_eq!(
            bad(1e308),
            "timestamp 1e308 is outside the years 1970-9999 (epoch seconds expected)"
        );
        assert!(bad(-1.0).starts_with("timestamp -1 is outside"));
        assert!(bad(f64::NAN).contains("NaN"));
        // The first instant of year 10000 is out.
        assert!(checked::<serde_json::Error>(MAX_EPOCH).is_err());
        assert_eq!(
            checked::<serde_json::Error>(1_795_510_800.5).ok(),
            Some(1_795_510_800.5)
        );
        assert_eq!(checked::<serde_json::Error>(0.0).ok(), Some(0.0));
        // In a document: a located warning, the rest of the input still loads.
        let doc = r#"{"id":"a","name":"n","start_time":1e308,"end_time":2}"#;
        let e = serde_json::from_str::<crate::model::Segment>(doc).expect_err("refused");
        assert!(
            e.to_string()
                .contains("1e308 is outside the years 1970-9999"),
            "{e}"
        );
    }

    #[test]
    fn utc_formatting() {
        assert_eq!(format_utc(1_499_473_411.562), "2017-07-08T00:23:31.562Z");
        assert_eq!(format_clock(1_499_473_411.562), "00:23:31.562");
        assert_eq!(format_utc(1_499_473_414.794), "2017-07-08T00:23:34.794Z");
    }
}
