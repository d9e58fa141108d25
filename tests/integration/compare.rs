//! compare.py's rules in Rust, for a fresh clone without `../shared`: objects key by key,
//! lists in order, numbers exactly, decimal strings by value (`"1.50"` = `"1.5"`),
//! RFC 3339 strings as instants, `null` only equal to `null`; `--ignore` patterns where
//! `*` matches within one path step.

use std::str::FromStr;

use chrono::DateTime;
use rust_decimal::Decimal;
use serde_json::Value;

/// One difference: the JSON path and both values.
#[derive(Debug)]
pub struct Mismatch {
    pub path: String,
    pub expected: String,
    pub actual: String,
}

fn is_decimal(s: &str) -> bool {
    let body = s.strip_prefix(['-', '+']).unwrap_or(s);
    let (int, frac) = body.split_once('.').unwrap_or((body, "1"));
    let leading_zero_int = !s.contains('.') && body.len() > 1 && body.starts_with('0');
    !int.is_empty()
        && int.bytes().all(|b| b.is_ascii_digit())
        && !frac.is_empty()
        && frac.bytes().all(|b| b.is_ascii_digit())
        && !leading_zero_int
}

fn scalar_equal(expected: &Value, actual: &Value) -> bool {
    match (expected, actual) {
        (Value::String(e), Value::String(a)) if e != a => {
            if is_decimal(e)
                && is_decimal(a)
                && let (Ok(x), Ok(y)) = (Decimal::from_str(e), Decimal::from_str(a))
            {
                return x == y;
            }
            if let (Ok(x), Ok(y)) = (
                DateTime::parse_from_rfc3339(e),
                DateTime::parse_from_rfc3339(a),
            ) {
                return x == y;
            }
            false
        }
        (Value::Number(e), Value::Number(a)) => {
            // An integer never equals a fraction (1 != 1.0), as in compare.py.
            e.is_f64() == a.is_f64() && e == a
        }
        _ => expected == actual,
    }
}

fn glob_matches(pattern: &str, path: &str) -> bool {
    // `*` matches any run of characters other than '.'.
    fn go(p: &[u8], s: &[u8]) -> bool {
        match p.split_first() {
            None => s.is_empty(),
            Some((b'*', rest)) => (0..=s.len())
                .take_while(|&i| i == 0 || s[i - 1] != b'.')
                .any(|i| go(rest, &s[i..])),
            Some((c, rest)) => s.first() == Some(c) && go(rest, &s[1..]),
        }
    }
    go(pattern.as_bytes(), path.as_bytes())
}

fn walk(e: &Value, a: &Value, path: &str, ignore: &[&str], out: &mut Vec<Mismatch>) {
    if ignore.iter().any(|p| glob_matches(p, path)) {
        return;
    }
    let miss = |out: &mut Vec<Mismatch>, e: &Value, a: &Value, path: &str| {
        out.push(Mismatch {
            path: path.to_owned(),
            expected: e.to_string(),
            actual: a.to_string(),
        })
    };
    match (e, a) {
        (Value::Object(eo), Value::Object(ao)) => {
            for (k, ev) in eo {
                let p = if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                };
                match ao.get(k) {
                    Some(av) => walk(ev, av, &p, ignore, out),
                    None if !ignore.iter().any(|g| glob_matches(g, &p)) => {
                        miss(out, ev, &Value::Null, &format!("{p} (missing)"))
                    }
                    None => {}
                }
            }
            for (k, av) in ao {
                if !eo.contains_key(k) {
                    let p = if path.is_empty() {
                        k.clone()
                    } else {
                        format!("{path}.{k}")
                    };
                    if !ignore.iter().any(|g| glob_matches(g, &p)) {
                        miss(out, &Value::Null, av, &format!("{p} (not expected)"));
                    }
                }
            }
        }
        (Value::Array(ea), Value::Array(aa)) => {
            for i in 0..ea.len().max(aa.len()) {
                let p = format!("{path}[{i}]");
                match (ea.get(i), aa.get(i)) {
                    (Some(x), Some(y)) => walk(x, y, &p, ignore, out),
                    (Some(x), None) => miss(out, x, &Value::Null, &format!("{p} (missing)")),
                    (None, Some(y)) => miss(out, &Value::Null, y, &format!("{p} (not expected)")),
                    (None, None) => {}
                }
            }
        }
        _ if scalar_equal(e, a) => {}
        _ => miss(out, e, a, path),
    }
}

/// Differences between `expected` and `actual` in the given top-level `sections`.
pub fn compare(
    expected: &Value,
    actual: &Value,
    sections: &[&str],
    ignore: &[&str],
) -> Vec<Mismatch> {
    let mut out = Vec::new();
    for section in sections {
        match (expected.get(section), actual.get(section)) {
            (Some(e), Some(a)) => walk(e, a, section, ignore, &mut out),
            (e, a) => out.push(Mismatch {
                path: (*section).to_owned(),
                expected: format!("{e:?}"),
                actual: format!("{a:?}"),
            }),
        }
    }
    out
}

#[test]
fn comparator_follows_compare_py() {
    use serde_json::json;
    let e =
        json!({"s": {"a": "1.50", "t": "2026-11-15T03:00:00Z", "n": 1, "id": "0901", "x": [1, 2]}});
    let same = json!({"s": {"a": "1.5", "t": "2026-11-15T10:00:00+07:00", "n": 1, "id": "0901", "x": [1, 2]}});
    assert!(compare(&e, &same, &["s"], &[]).is_empty());
    let other = json!({"s": {"a": "1.51", "t": "2026-11-15T03:00:01Z", "n": 1.0, "id": "901", "x": [1], "y": 0}});
    let paths: Vec<_> = compare(&e, &other, &["s"], &[])
        .into_iter()
        .map(|m| m.path)
        .collect();
    // serde_json maps iterate in key order.
    assert_eq!(
        paths,
        [
            "s.a",
            "s.id",
            "s.n",
            "s.t",
            "s.x[1] (missing)",
            "s.y (not expected)"
        ]
    );
    assert!(glob_matches(
        "data_quality.rejected[*].detail",
        "data_quality.rejected[12].detail"
    ));
    assert!(!glob_matches("a.*", "a.b.c"));
}
