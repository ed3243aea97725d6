//! Mutated scenario text through the parser, the validator and, where the
//! mutant is valid, a short run and every text output: nothing may panic on
//! any input (issue 9). Each case mutates one shipped scenario once: a number
//! replaced by an extreme or non-finite value, a line deleted or doubled, a
//! name swapped for another, or the text cut short.

mod common;

use std::path::Path;

use proptest::prelude::*;
use trialsim::engine;
use trialsim::export;
use trialsim::report::RunReport;
use trialsim::scenario::{self, Overrides};

/// The shipped scenarios, read once.
fn shipped() -> Vec<String> {
    let mut files: Vec<_> = std::fs::read_dir("scenarios")
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    files
        .iter()
        .map(|p| std::fs::read_to_string(p).unwrap())
        .collect()
}

/// Values a number may be replaced by: extremes, non-finite, boundaries.
const NUMBERS: &[&str] = &[
    "0",
    "-0.0",
    "1",
    "-1",
    "2",
    "0.5",
    "1e-300",
    "1e7",
    "-1e7",
    "1e19",
    "1e300",
    "-1e308",
    "nan",
    "inf",
    "-inf",
    "9223372036854775807",
    "-9223372036854775808",
    "520",
    "521",
    "10000",
    "10001",
];

/// Names a quoted string may be replaced by.
const NAMES: &[&str] = &[
    "welch_t",
    "ancova",
    "wilcoxon",
    "fisher_responder",
    "paired_t",
    "stratified_ancova",
    "single_arm",
    "parallel",
    "sle",
    "jia",
    "mctd",
    "continuous",
    "sledai2k",
    "jadas27",
    "pga",
    "withdraw",
    "continue",
    "msc",
    "control",
    "flare",
    "baseline",
    "nonresponse",
    "hypothetical",
    "composite",
    "while_on_treatment",
    "treatment_policy",
    "",
    "x",
];

#[derive(Debug, Clone)]
enum Mutation {
    Number(usize, usize),
    Name(usize, usize),
    DeleteLine(usize),
    DoubleLine(usize),
    Truncate(usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), 0..NUMBERS.len()).prop_map(|(i, v)| Mutation::Number(i, v)),
        (any::<usize>(), 0..NAMES.len()).prop_map(|(i, v)| Mutation::Name(i, v)),
        any::<usize>().prop_map(Mutation::DeleteLine),
        any::<usize>().prop_map(Mutation::DoubleLine),
        any::<usize>().prop_map(Mutation::Truncate),
    ]
}

/// Byte ranges of the number literals (outside comments) in `text`.
fn numbers(text: &str) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let code = line.split('#').next().unwrap_or("");
        let bytes = code.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            let starts = bytes[i].is_ascii_digit()
                || (bytes[i] == b'-' && i + 1 < bytes.len() && bytes[i + 1].is_ascii_digit());
            let inside_word = i > 0
                && (bytes[i - 1].is_ascii_alphanumeric()
                    || bytes[i - 1] == b'_'
                    || bytes[i - 1] == b'.');
            if starts && !inside_word {
                let mut j = i + 1;
                while j < bytes.len()
                    && (bytes[j].is_ascii_alphanumeric()
                        || matches!(bytes[j], b'.' | b'_' | b'+' | b'-'))
                {
                    j += 1;
                }
                out.push((offset + i, offset + j));
                i = j;
            } else {
                i += 1;
            }
        }
        offset += line.len();
    }
    out
}

/// Byte ranges of the short quoted strings (outside comments) in `text`.
fn names(text: &str) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let code = line.split('#').next().unwrap_or("");
        let mut rest = code;
        let mut base = offset;
        while let Some(a) = rest.find('"') {
            let Some(len) = rest[a + 1..].find('"') else {
                break;
            };
            if len <= 20 {
                out.push((base + a + 1, base + a + 1 + len));
            }
            base += a + len + 2;
            rest = &rest[a + len + 2..];
        }
        offset += line.len();
    }
    out
}

fn apply(text: &str, m: &Mutation) -> String {
    let splice = |ranges: Vec<(usize, usize)>, i: usize, with: &str| {
        if ranges.is_empty() {
            return text.to_string();
        }
        let (a, b) = ranges[i % ranges.len()];
        format!("{}{with}{}", &text[..a], &text[b..])
    };
    let lines: Vec<&str> = text.lines().collect();
    match *m {
        Mutation::Number(i, v) => splice(numbers(text), i, NUMBERS[v]),
        Mutation::Name(i, v) => splice(names(text), i, NAMES[v]),
        Mutation::DeleteLine(i) => {
            let k = i % lines.len().max(1);
            lines
                .iter()
                .enumerate()
                .filter(|(j, _)| *j != k)
                .map(|(_, l)| *l)
                .collect::<Vec<_>>()
                .join("\n")
        }
        Mutation::DoubleLine(i) => {
            let k = i % lines.len().max(1);
            let mut out: Vec<&str> = lines.clone();
            if let Some(l) = lines.get(k) {
                out.insert(k, l);
            }
            out.join("\n")
        }
        Mutation::Truncate(i) => {
            let mut cut = i % (text.len() + 1);
            while !text.is_char_boundary(cut) {
                cut -= 1;
            }
            text[..cut].to_string()
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn mutated_scenarios_never_panic(file in 0usize..64, m in mutation()) {
        let texts = shipped();
        let text = apply(&texts[file % texts.len()], &m);
        let path = Path::new("mutant.toml");
        // A short run: two replicates per cell, whatever the file asked.
        let overrides = Overrides { replicates: Some(2), seed: None, n_per_arm: None };
        if let Ok(s) = scenario::parse_with(path, &text, &overrides) {
            let runs = engine::run_scenario(&s, &|_| {});
            let report = RunReport::new(&s, &runs, 1, 0.0);
            let _ = export::markdown::render(&report);
            let _ = export::json::to_string(&report).unwrap();
            let _ = export::csv::rows_to_bytes(&report.results).unwrap();
        }
    }
}

#[test]
fn the_mutations_reach_numbers_and_names() {
    // A fuzz test whose mutations never touch a value would pass vacuously.
    let text = "a = 1.5 # 7\nb = \"welch_t\"\nc = [-2, 3e4]\n";
    let found: Vec<&str> = numbers(text).iter().map(|&(a, b)| &text[a..b]).collect();
    assert_eq!(found, ["1.5", "-2", "3e4"]);
    let found: Vec<&str> = names(text).iter().map(|&(a, b)| &text[a..b]).collect();
    assert_eq!(found, ["welch_t"]);
    let mutated = apply(text, &Mutation::Number(0, 12));
    assert!(mutated.starts_with("a = nan"));
    // And some mutants of every shipped file are still valid, so the run
    // and the outputs are exercised, not only the validator.
    let overrides = Overrides {
        replicates: Some(2),
        seed: None,
        n_per_arm: None,
    };
    for text in shipped() {
        let valid = (0..NUMBERS.len())
            .filter(|&v| {
                let m = apply(&text, &Mutation::Number(0, v));
                scenario::parse_with(Path::new("m.toml"), &m, &overrides).is_ok()
            })
            .count();
        assert!(valid > 0);
    }
}
