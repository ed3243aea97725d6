//! `trialsim design`: the smallest n per arm reaching a target power or
//! assurance ([`crate::engine::search`]), printed as a table with every point
//! evaluated and written as `design.json` and `design.csv`.

use std::fmt::Write as _;
use std::io::Write as _;
use std::time::Instant;

use super::progress::Progress;
use super::run::thread_pool_of;
use crate::cli::DesignArgs;
use crate::engine::search::{self, Search, Target, Verdict};
use crate::error::{Error, Result};
use crate::export;
use crate::export::html::{Document, Source};
use crate::plot::{self, Format, design::DesignPlot};
use crate::scenario::{self, DecisionRule};

/// Runs the search and writes its files.
///
/// # Errors
/// A bad scenario or range (exit 2), assurance without an effect prior
/// (exit 2), a failure to write.
pub fn run(args: &DesignArgs) -> Result<()> {
    let (lo, hi) = args.n_range;
    let overrides = scenario::Overrides {
        replicates: None,
        seed: args.seed,
        n_per_arm: Some(vec![lo, hi]),
    };
    let s = scenario::load_with(&args.file, &overrides)?;
    let target = match (
        args.target_power,
        args.target_assurance,
        args.target_success,
    ) {
        (_, _, Some(p)) if s.decision.rule == DecisionRule::Posterior => Target::Success(p),
        (_, _, Some(_)) => {
            return Err(Error::input(format!(
                "{}: key `decision.rule`: --target-success is the posterior rule's probability of success, and this scenario decides by significance; set decision.rule = \"posterior\" with its threshold and prior, or use --target-power",
                args.file.display()
            )));
        }
        (Some(p), _, _) => Target::Power(p),
        (None, Some(p), _) if crate::engine::cell::has_prior(&s) => Target::Assurance(p),
        _ => {
            return Err(Error::input(format!(
                "{}: key `effect.sd`: --target-assurance averages over the effect's prior, and effect.sd is 0; give the prior's SD, or use --target-power",
                args.file.display()
            )));
        }
    };
    export::check_writable(&args.out)?;
    let pool = thread_pool_of(args.threads)?;
    let started = Instant::now();
    let bar = Progress::new(&s, search::MAX_REPLICATES * 8, args.quiet);
    let result = pool.install(|| {
        search::search(&s, target, (lo, hi), args.mc_se, &|d| {
            bar.tick_by(d, started)
        })
    });
    bar.finish();
    let dir = args.out.join(&s.name);
    export::write_file(&dir, "design.json", &serde_json::to_vec_pretty(&result)?)?;
    export::write_file(
        &dir,
        "design.csv",
        &export::csv::rows_to_bytes(&result.points)?,
    )?;
    let chart = DesignPlot(&result);
    for (name, format) in [("design.png", Format::Png), ("design.svg", Format::Svg)] {
        export::write_file(&dir, name, &plot::render(name, &chart, format)?)?;
    }
    if args.report {
        let html = report(
            args,
            &s,
            &result,
            &plot::render("design.svg", &chart, Format::Svg)?,
        )?;
        export::write_file(&dir, "report.html", html.as_bytes())?;
    }
    if args.json {
        let mut text = serde_json::to_string_pretty(&result)?;
        text.push('\n');
        std::io::stdout().write_all(text.as_bytes())?;
    } else if !args.quiet {
        let mut text = table(&s.name, &result, args.mc_se);
        let _ = writeln!(
            text,
            "wrote {}/{{design.json, design.csv, design.png, design.svg{}}} in {:.1} s",
            dir.display(),
            if args.report { ", report.html" } else { "" },
            started.elapsed().as_secs_f64()
        );
        std::io::stdout().write_all(text.as_bytes())?;
    }
    Ok(())
}

/// `design --report`: the search as a self-contained HTML report.
fn report(args: &DesignArgs, s: &scenario::Scenario, r: &Search, svg: &[u8]) -> Result<String> {
    let text = std::fs::read_to_string(&args.file).map_err(|e| {
        Error::input(format!(
            "{}: cannot read the file: {e}",
            args.file.display()
        ))
    })?;
    let source = Source {
        file: args.file.display().to_string(),
        text,
    };
    let results = table(&s.name, r, args.mc_se);
    let answer = results
        .lines()
        .filter(|l| {
            l.starts_with("answer:") || l.starts_with("saw-tooth") || l.starts_with("not reached")
        })
        .collect::<Vec<_>>()
        .join(" ");
    let (flag, level) = match r.target {
        Target::Power(p) => ("--target-power", p),
        Target::Assurance(p) => ("--target-assurance", p),
        Target::Success(p) => ("--target-success", p),
    };
    Ok(Document {
        title: format!("trialsim design report: {}", s.name),
        description: s.description.clone(),
        mechanism: "The model of `trialsim run` (see its report).".into(),
        source: &source,
        inputs: None,
        estimand: None,
        effect_source: s.effect.source.clone(),
        evidence: Document::evidence_of(s),
        limitations: s.notes.clone(),
        answer,
        aims: "To find the smallest number of children per arm whose probability of success reaches the target, with its Monte Carlo uncertainty.",
        methods: format!(
            "Bisection over n per arm in {}..{} on Monte Carlo estimates that gain replicates ({} first, quadrupled by top-ups) until their 99% interval excludes the target, up to {}; a point still within its Monte Carlo error there is judged by its estimate and flagged. Every n within 10% (at least 3) of the bisection's answer is then evaluated, because exact tests have saw-tooth power{}. Analysis {:?} at alpha {} ({:?}); seed {}.",
            r.n_range.0,
            r.n_range.1,
            search::FIRST_REPLICATES,
            search::MAX_REPLICATES,
            args.mc_se.map_or(String::new(), |t| format!("; every point also reaches a Monte Carlo SE of {t}")),
            s.design.analysis,
            s.design.alpha,
            s.design.sided,
            s.simulation.seed
        ),
        measures: "The rate: the share of simulated trials significant in MSC's favour (power) or, averaged over the effect's prior, assurance; its conservative Monte Carlo SE (binomial at (k + 0.5)/(R + 1), never below the plain one) and 99% interval; the verdict against the target.",
        results,
        figures: vec![(
            "Every n evaluated with its 99% Monte Carlo interval, the target and the answer (design.svg).".into(),
            String::from_utf8_lossy(svg).into_owned(),
        )],
        reproduce: format!(
            "trialsim design {} {flag} {level} --n-range {}..{} --seed {}{} --report",
            args.file.display(),
            r.n_range.0,
            r.n_range.1,
            s.simulation.seed,
            args.mc_se.map_or(String::new(), |t| format!(" --mc-se {t}"))
        ),
    }
    .render())
}

/// The answer and every point evaluated, as Markdown.
fn table(name: &str, r: &Search, mc_se: Option<f64>) -> String {
    let (what, level) = match r.target {
        Target::Power(p) => ("power (significant in MSC's favour)", p),
        Target::Assurance(p) => ("assurance", p),
        Target::Success(p) => ("probability of success (posterior rule)", p),
    };
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{name}: smallest n per arm in {}..{} with {what} at least {level} (bisection, then every n within 10% of its answer)\n",
        r.n_range.0, r.n_range.1
    );
    let at = |n: usize| r.points.iter().find(|p| p.n_per_arm == n);
    match (r.smallest, r.smallest_from_which_all) {
        (None, _) => {
            let _ = writeln!(out, "not reached within the range: try a larger HI");
        }
        (Some(n), all) => {
            if let Some(p) = at(n) {
                let _ = writeln!(
                    out,
                    "answer: n = {n} per arm ({what} {:.4} ± {:.4} MC SE, 99% interval {:.4}–{:.4}, {} replicates){}",
                    p.rate,
                    p.rate_mc_se,
                    p.ci_low,
                    p.ci_high,
                    p.replicates,
                    if p.verdict == Verdict::WithinError {
                        "; the target lies within its Monte Carlo error"
                    } else {
                        ""
                    }
                );
            }
            match all {
                Some(m) if m != n => {
                    let _ = writeln!(
                        out,
                        "saw-tooth power: n = {n} reaches the target but a larger n does not; from n = {m} on, every n evaluated reaches it"
                    );
                }
                Some(_) => {}
                None => {
                    let _ = writeln!(
                        out,
                        "saw-tooth power: above n = {n} some n evaluated does not reach the target up to the end of the window"
                    );
                }
            }
        }
    }
    let _ = writeln!(
        out,
        "\n| n per arm | replicates | rate ± MC SE (conservative) | 99% interval | verdict |\n|---|---|---|---|---|"
    );
    for p in &r.points {
        let verdict = match p.verdict {
            Verdict::Above => "above",
            Verdict::Below => "below",
            Verdict::WithinError => "within MC error",
        };
        let _ = writeln!(
            out,
            "| {} | {} | {:.4} ± {:.4} | {:.4}–{:.4} | {verdict} |",
            p.n_per_arm, p.replicates, p.rate, p.rate_mc_se, p.ci_low, p.ci_high
        );
    }
    if let Some(t) = mc_se {
        let short: Vec<String> = r
            .points
            .iter()
            .filter(|p| p.rate_mc_se > t)
            .map(|p| p.n_per_arm.to_string())
            .collect();
        if !short.is_empty() {
            let _ = writeln!(
                out,
                "\nwarning: --mc-se {t} not reached at n = {} within the most replicates ({}); their SEs are as shown",
                short.join(", "),
                search::MAX_REPLICATES
            );
        }
    }
    out
}
