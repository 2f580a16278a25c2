//! A strict reader of the Prometheus text format, shared by the console tests
//! (`#[path = "support/prometheus.rs"] mod prometheus;`).

use std::collections::{BTreeMap, BTreeSet};

/// A strict reader of the Prometheus text format 0.0.4: every line a comment (`# HELP`,
/// `# TYPE` with a known type, declared once and before its samples) or a sample
/// `name{label="value",...} value`; returns the samples.
pub fn parse_prometheus(text: &str) -> BTreeMap<String, f64> {
    let mut samples = BTreeMap::new();
    let mut typed = BTreeMap::new();
    let name_ok = |name: &str| {
        !name.is_empty()
            && name.chars().enumerate().all(|(i, c)| {
                c.is_ascii_alphabetic() || c == '_' || c == ':' || (i > 0 && c.is_ascii_digit())
            })
    };
    for line in text.lines() {
        if let Some(comment) = line.strip_prefix("# ") {
            let mut words = comment.splitn(3, ' ');
            match (words.next(), words.next(), words.next()) {
                (Some("HELP"), Some(name), Some(_)) => assert!(name_ok(name), "{line}"),
                (Some("TYPE"), Some(name), Some(kind)) => {
                    assert!(name_ok(name), "{line}");
                    assert!(
                        ["counter", "gauge", "histogram", "summary", "untyped"].contains(&kind),
                        "{line}"
                    );
                    assert!(
                        typed.insert(name.to_owned(), kind.to_owned()).is_none(),
                        "declared twice: {line}"
                    );
                }
                _ => panic!("a bad comment line: {line}"),
            }
            continue;
        }
        assert!(!line.is_empty(), "an empty line");
        let (series, value) = line
            .rsplit_once(' ')
            .unwrap_or_else(|| panic!("no value: {line}"));
        let value: f64 = match value {
            "+Inf" => f64::INFINITY,
            "-Inf" => f64::NEG_INFINITY,
            v => v.parse().unwrap_or_else(|_| panic!("a bad value: {line}")),
        };
        let name = series.split('{').next().unwrap();
        assert!(name_ok(name), "a bad name: {line}");
        let family = ["_bucket", "_sum", "_count"]
            .iter()
            .find_map(|suffix| {
                name.strip_suffix(suffix)
                    .filter(|base| typed.get(*base).is_some_and(|k| k == "histogram"))
            })
            .unwrap_or(name);
        assert!(
            typed.contains_key(family),
            "a sample before its TYPE: {line}"
        );
        if let Some(labels) = series.strip_prefix(name) {
            if !labels.is_empty() {
                let inner = labels
                    .strip_prefix('{')
                    .and_then(|l| l.strip_suffix('}'))
                    .unwrap_or_else(|| panic!("bad labels: {line}"));
                // label="value" pairs, values with \\ \" \n escapes.
                let mut rest = inner;
                let mut keys = BTreeSet::new();
                while !rest.is_empty() {
                    let (key, after) = rest
                        .split_once("=\"")
                        .unwrap_or_else(|| panic!("bad label: {line}"));
                    assert!(name_ok(key) && keys.insert(key), "bad label name: {line}");
                    let mut chars = after.char_indices();
                    let end = loop {
                        match chars.next() {
                            Some((_, '\\')) => assert!(
                                matches!(chars.next(), Some((_, '\\' | '"' | 'n'))),
                                "bad escape: {line}"
                            ),
                            Some((i, '"')) => break i,
                            Some(_) => {}
                            None => panic!("an unterminated label value: {line}"),
                        }
                    };
                    rest = &after[end + 1..];
                    rest = rest.strip_prefix(',').unwrap_or(rest);
                }
            }
        }
        assert!(
            samples.insert(series.to_owned(), value).is_none(),
            "a sample twice: {line}"
        );
    }
    samples
}
