//! `trialsim sensitivity`: the scenario's `[sensitivity]` table varied one
//! key at a time at one sample size ([`crate::engine::sensitivity`]):
//! a table, `sensitivity.csv`/`.json` and a tornado plot of power.
//!
//! ```toml
//! [sensitivity]
//! "effect.mean" = { low = -1.0, high = -4.0 }
//! "population.change_sd" = [4, 6, 8]
//! ```
//! `"key" = "evidence"` takes low and high from the evidence row the value
//! came from (`effect.from`, or the disease preset's row for that key).
//! Each key is a dotted numeric key of the scenario file; its values replace the
//! file's value one at a time (tables are created as needed), and each
//! varied file is validated like any scenario, so a bad value is an error
//! that names the key and the value.

use std::fmt::Write as _;
use std::path::Path;
use std::time::Instant;

use super::progress::Progress;
use super::run::thread_pool_of;
use crate::cli::SensitivityArgs;
use crate::engine::sensitivity::{self, Row, Variation};
use crate::error::{Error, Result};
use crate::evidence;
use crate::export;
use crate::export::html::{Document, Source};
use crate::plot::tornado::{Measure, TornadoPlot};
use crate::plot::{self, Format};
use crate::scenario::{self, Disease, Overrides, preset};

/// The values of one key: `(label, value)` pairs.
type Values = Vec<(String, toml::Value)>;

/// The `[sensitivity]` entries of `table`, in file order.
fn entries(file: &Path, table: &toml::Table) -> Result<Vec<(String, Values)>> {
    let bad = |key: &str, what: &str| {
        Error::input(format!(
            "{}: key `sensitivity.\"{key}\"`: {what}; give {{ low = ..., high = ... }} or a non-empty list of values, e.g. \"effect.mean\" = {{ low = -1.0, high = -4.0 }}",
            file.display()
        ))
    };
    let Some(toml::Value::Table(s)) = table.get("sensitivity") else {
        return Err(Error::input(format!(
            "{}: no [sensitivity] table: list the keys to vary, e.g.\n[sensitivity]\n\"effect.mean\" = {{ low = -1.0, high = -4.0 }}",
            file.display()
        )));
    };
    if s.is_empty() {
        return Err(bad("", "the table is empty"));
    }
    s.iter()
        .map(|(key, v)| {
            if let Some(flag) = match key.as_str() {
                "design.n_per_arm" => Some("--n"),
                "simulation.seed" => Some("--seed"),
                "simulation.replicates" => Some("--replicates"),
                _ => None,
            } {
                return Err(bad(
                    key,
                    &format!("the sample size, seed and replicates are the command's, not a variation: use {flag}"),
                ));
            }
            if key.split('.').any(str::is_empty) {
                return Err(bad(key, "an empty part in the dotted key"));
            }
            let values: Values = match v {
                toml::Value::Table(t) => {
                    if t.keys().any(|k| k != "low" && k != "high") || t.len() != 2 {
                        return Err(bad(key, "a table needs exactly `low` and `high`"));
                    }
                    vec![
                        ("low".into(), t["low"].clone()),
                        ("high".into(), t["high"].clone()),
                    ]
                }
                toml::Value::Array(a) if !a.is_empty() => a
                    .iter()
                    .enumerate()
                    .map(|(i, v)| (format!("value {}", i + 1), v.clone()))
                    .collect(),
                toml::Value::String(e) if e == "evidence" => evidence_range(file, table, key)?,
                _ => return Err(bad(key, "not a table or a non-empty list")),
            };
            if values
                .iter()
                .any(|(_, v)| !matches!(v, toml::Value::Integer(_) | toml::Value::Float(_)))
            {
                return Err(bad(
                    key,
                    "only numeric keys can be varied: each value must be a number",
                ));
            }
            Ok((key.clone(), values))
        })
        .collect()
}

/// The value at dotted `key` of `table`, if the file sets it.
fn get<'a>(table: &'a toml::Table, key: &str) -> Option<&'a toml::Value> {
    let mut parts = key.split('.');
    let mut at = table.get(parts.next()?)?;
    for part in parts {
        at = at.as_table()?.get(part)?;
    }
    Some(at)
}

/// `"key" = "evidence"`: low and high of the evidence row the value came
/// from (`effect.from`, or the disease preset's row for the key).
fn evidence_range(file: &Path, table: &toml::Table, key: &str) -> Result<Values> {
    let fail = |what: String| {
        Error::input(format!(
            "{}: key `sensitivity.\"{key}\"` = \"evidence\": {what}; give {{ low = ..., high = ... }} instead",
            file.display()
        ))
    };
    let from = (key == "effect.mean")
        .then(|| get(table, "effect.from").and_then(toml::Value::as_str))
        .flatten();
    let id = match from {
        Some(id) => id,
        None => {
            if get(table, key).is_some() {
                return Err(fail(format!(
                    "the file sets `{key}` itself, so no evidence row filled it"
                )));
            }
            let disease: Disease = get(table, "population.disease")
                .cloned()
                .and_then(|d| d.try_into().ok())
                .ok_or_else(|| fail("no `population.disease` preset fills it".into()))?;
            preset::row_for(disease, key).ok_or_else(|| {
                fail(format!(
                    "the {disease} preset fills `{key}` from no row with a range"
                ))
            })?
        }
    };
    let row = evidence::row(id).ok_or_else(|| fail(format!("no evidence row `{id}`")))?;
    match (row.low, row.high) {
        (Some(low), Some(high)) => Ok(vec![
            (format!("low (evidence {id})"), toml::Value::Float(low)),
            (format!("high (evidence {id})"), toml::Value::Float(high)),
        ]),
        _ => Err(fail(format!("evidence row `{id}` has no low and high"))),
    }
}

/// A varied `effect.mean` replaces an `effect.from` row (a file may not set
/// both); the row's citation becomes the source, marked as a variation.
fn unpin_effect(table: &mut toml::Table) {
    let Some(toml::Value::Table(effect)) = table.get_mut("effect") else {
        return;
    };
    if let Some(toml::Value::String(id)) = effect.remove("from")
        && !effect.contains_key("source")
    {
        let citation = evidence::row(&id).map_or("", |r| r.citation.as_str());
        effect.insert(
            "source".into(),
            toml::Value::String(format!(
                "sensitivity variation of evidence row {id}: {citation}"
            )),
        );
    }
}

/// `table` with dotted `key` set to `value` (tables created as needed).
fn with_value(table: &toml::Table, key: &str, value: toml::Value) -> Option<toml::Table> {
    let mut out = table.clone();
    let mut at = &mut out;
    let parts: Vec<&str> = key.split('.').collect();
    let (last, path) = parts.split_last()?;
    for part in path {
        let next = at
            .entry(part.to_string())
            .or_insert_with(|| toml::Value::Table(toml::Table::new()));
        at = next.as_table_mut()?;
    }
    at.insert(last.to_string(), value);
    Some(out)
}

/// Runs the sensitivity analysis and writes its files.
///
/// # Errors
/// A bad scenario, a bad `[sensitivity]` entry or value (exit 2), a failure to write.
pub fn run(args: &SensitivityArgs) -> Result<()> {
    let file = &args.file;
    let text = std::fs::read_to_string(file)
        .map_err(|e| Error::input(format!("{}: cannot read the file: {e}", file.display())))?;
    // The file as a scenario first, so its own errors read as usual.
    let first = scenario::load_with(file, &Overrides::default())?;
    let mut table: toml::Table = text.parse().map_err(|e: toml::de::Error| {
        Error::input(format!("{}: invalid TOML: {}", file.display(), e.message()))
    })?;
    let keys = entries(file, &table)?;
    table.remove("sensitivity");
    let n = args.n.map_or(first.design.n_per_arm[0], |n| n as usize);
    let overrides = Overrides {
        replicates: args.replicates,
        seed: args.seed,
        n_per_arm: Some(vec![n]),
    };
    let parse = |t: &toml::Table, what: &str| -> Result<scenario::Scenario> {
        let text = toml::to_string(t)
            .map_err(|e| Error::input(format!("{}: {what}: {e}", file.display())))?;
        scenario::parse_with(file, &text, &overrides)
            .map_err(|e| Error::input(format!("{} (with {what}): {e}", file.display())))
    };
    let base = parse(&table, "the base case")?;
    let mut variations = vec![Variation {
        key: None,
        label: "base".into(),
        value: String::new(),
        scenario: base.clone(),
    }];
    for (key, values) in keys {
        for (label, value) in values {
            let shown = value.to_string();
            let what = format!("sensitivity.\"{key}\" {label} = {shown}");
            let mut varied = with_value(&table, &key, value).ok_or_else(|| {
                Error::input(format!(
                    "{}: key `sensitivity.\"{key}\"`: a part of `{key}` is not a table in the scenario (keys inside arrays of tables such as [[concomitant]] cannot be varied yet)",
                    file.display()
                ))
            })?;
            if key == "effect.mean" {
                unpin_effect(&mut varied);
            }
            variations.push(Variation {
                key: Some(key.clone()),
                label,
                value: shown,
                scenario: parse(&varied, &what)?,
            });
        }
    }
    export::check_writable(&args.out)?;
    let replicates = base.simulation.replicates;
    let pool = thread_pool_of(args.threads)?;
    let started = Instant::now();
    let bar = Progress::new(&base, replicates * variations.len() as u64, args.quiet);
    let rows =
        pool.install(|| sensitivity::run(&variations, n, replicates, &|d| bar.tick_by(d, started)));
    bar.finish();
    let dir = args.out.join(&base.name);
    let mut files = vec![
        ("sensitivity.csv", export::csv::rows_to_bytes(&rows)?),
        ("sensitivity.json", serde_json::to_vec_pretty(&rows)?),
    ];
    let has_flares = rows[0].flare_by_primary_msc.is_some();
    for (measure, png, svg) in [
        (Measure::Power, "tornado.png", "tornado.svg"),
        (Measure::Bias, "tornado_bias.png", "tornado_bias.svg"),
        (Measure::FlareRisk, "tornado_flare.png", "tornado_flare.svg"),
    ] {
        if measure == Measure::FlareRisk && !has_flares {
            continue;
        }
        let chart = TornadoPlot(&rows, measure);
        files.push((png, plot::render(png, &chart, Format::Png)?));
        files.push((svg, plot::render(svg, &chart, Format::Svg)?));
    }
    if args.report {
        let html = report(args, &base, &rows, &text, &files);
        files.push(("report.html", html.into_bytes()));
    }
    super::write_and_print(
        &dir,
        &files,
        &rows,
        (args.json, args.quiet),
        || table_text(&base.name, &rows),
        started,
    )
}

/// `sensitivity --report`: the variations as a self-contained HTML report.
fn report(
    args: &SensitivityArgs,
    base: &scenario::Scenario,
    rows: &[Row],
    text: &str,
    files: &[(&str, Vec<u8>)],
) -> String {
    let source = Source {
        file: args.file.display().to_string(),
        text: text.to_string(),
    };
    let power = TornadoPlot(rows, Measure::Power);
    let widest = power
        .keys()
        .first()
        .map(|(key, rows)| {
            let (lo, hi) = power.range(rows);
            format!(" The widest swing comes from {key}: power {lo:.3} to {hi:.3} with the base.")
        })
        .unwrap_or_default();
    let b = &rows[0];
    let figures = files
        .iter()
        .filter(|(name, _)| name.starts_with("tornado") && name.ends_with(".svg"))
        .map(|(name, bytes)| {
            (
                format!("Tornado chart ({name}): each key's range around the base case."),
                String::from_utf8_lossy(bytes).into_owned(),
            )
        })
        .collect();
    Document {
        title: format!("trialsim sensitivity report: {}", base.name),
        description: base.description.clone(),
        mechanism: "The model of `trialsim run` (see its report).".into(),
        source: &source,
        inputs: None,
        estimand: None,
        effect_source: base.effect.source.clone(),
        evidence: Document::evidence_of(base),
        limitations: base.notes.clone(),
        answer: format!(
            "At {} children per arm the base case has power {:.3} ± {:.3} (Monte Carlo SE, {} replicates).{widest} Each variation's change is given with its paired Monte Carlo SE.",
            b.n_per_arm, b.power, b.power_mc_se, b.replicates
        ),
        aims: "To show how the trial's power, bias and (with flares) flare risk move when one assumption at a time takes another plausible value.",
        methods: format!(
            "The base case and each variation of one key of the [sensitivity] table, each at {} per arm with {} replicates and seed {}: the same seed and arm sizes make every replicate draw the same random numbers in every variation (common random numbers), so differences are the assumption's effect; a variation that changes the arm sizes (allocation) draws its own streams, is marked so, and its change's paired SE is still that of the per-replicate differences. Each variation equals a plain run of the varied file.",
            b.n_per_arm, b.replicates, base.simulation.seed
        ),
        measures: "Power (share of significant results) with its Monte Carlo SE; its change from the base with the paired Monte Carlo SE sqrt(b + c - (b - c)^2 / R) / R from the b and c replicates whose decisions differ; bias with its Monte Carlo SE; with flares, each arm's probability of a flare by the primary visit.",
        results: table_text(&base.name, rows),
        figures,
        reproduce: format!(
            "trialsim sensitivity {} --n {} --replicates {} --seed {} --report",
            args.file.display(),
            b.n_per_arm,
            b.replicates,
            base.simulation.seed
        ),
    }
    .render()
}

/// The rows as a Markdown table.
fn table_text(name: &str, rows: &[Row]) -> String {
    let base = &rows[0];
    let flares = base.flare_by_primary_msc.is_some();
    let mut out = format!(
        "{name}: one key at a time at {} per arm, {} replicates each, the same random streams as the base (common random numbers)\n\n\
         | key | value | power ± MC SE | change vs base ± paired MC SE | bias ± MC SE |{} failed |\n|---|---|---|---|---|{}---|\n",
        base.n_per_arm,
        base.replicates,
        if flares {
            " flare by primary visit, MSC / control |"
        } else {
            ""
        },
        if flares { "---|" } else { "" },
    );
    for r in rows {
        let change = if r.key == "base" {
            String::from("—")
        } else {
            format!("{:+.3} ± {:.3}", r.power_change, r.power_change_mc_se)
        };
        let value = if r.key == "base" {
            String::from("as in the file")
        } else if r.same_streams {
            format!("{} = {}", r.label, r.value)
        } else {
            format!("{} = {} (own streams: arm sizes differ)", r.label, r.value)
        };
        let flare = match (flares, r.flare_by_primary_msc) {
            (false, _) => String::new(),
            (true, Some(m)) => format!(
                " {m:.3} / {} |",
                r.flare_by_primary_control
                    .map_or_else(|| "—".to_string(), |c| format!("{c:.3}"))
            ),
            (true, None) => " — |".into(),
        };
        let _ = writeln!(
            out,
            "| {} | {} | {:.3} ± {:.3} | {} | {:+.3} ± {:.3} |{flare} {} |",
            r.key, value, r.power, r.power_mc_se, change, r.bias, r.bias_mc_se, r.failures
        );
    }
    out.push('\n');
    out
}
