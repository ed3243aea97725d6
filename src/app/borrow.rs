//! `trialsim borrow`: the posterior rule's operating characteristics over
//! the prior's weights and the children's true effect
//! ([`crate::engine::borrow`]), the observed result's tipping point, a
//! table on stdout, `borrowing.csv`/`.json` and `borrowing.png`/`.svg`.

use std::fmt::Write as _;
use std::time::Instant;

use serde::Serialize;

use super::progress::Progress;
use super::run::thread_pool_of;
use crate::cli::BorrowArgs;
use crate::decision::lower_is_benefit;
use crate::decision::posterior::{PosteriorThreshold, tipping_point};
use crate::engine::borrow::{self, Row};
use crate::error::{Error, Result};
use crate::export;
use crate::plot::borrow::BorrowPlot;
use crate::plot::{self, Format};
use crate::scenario::raw::PriorKind;
use crate::scenario::{self, Borrowing, Overrides, Scenario};

/// The observed result at one weight.
#[derive(Debug, Clone, Serialize)]
pub struct ObservedAt {
    pub weight: f64,
    pub prob_benefit: f64,
    pub credible_low: f64,
    pub credible_high: f64,
    pub success: bool,
}

/// The `[observed]` result under the prior: its posterior at each weight
/// listed and its tipping point.
#[derive(Debug, Clone, Serialize)]
pub struct Observed {
    pub estimate: f64,
    pub se: f64,
    pub source: String,
    pub threshold: f64,
    /// The smallest weight at which the result succeeds (`None`: none up to 1).
    pub tipping_point: Option<f64>,
    pub at: Vec<ObservedAt>,
}

/// What `borrowing.json` holds.
#[derive(Debug, Clone, Serialize)]
struct Output<'a> {
    scenario: &'a str,
    prior: &'a Borrowing,
    prior_source: &'a str,
    /// The one-sided level the type I error is compared with.
    alpha: f64,
    threshold: Option<f64>,
    rows: &'a [Row],
    observed: Option<&'a Observed>,
}

/// The `[observed]` result's posterior at each weight and its tipping point.
pub fn observed(s: &Scenario, b: &Borrowing) -> Option<Observed> {
    posterior_at_weights(s, b, b.observed?, &b.observed_source)
}

/// A result `(y, se)`'s posterior at each weight of `b` and its tipping
/// point (a fixed threshold only: a calibrated one changes with the weight).
pub fn posterior_at_weights(
    s: &Scenario,
    b: &Borrowing,
    (y, se): (f64, f64),
    source: &str,
) -> Option<Observed> {
    let threshold = s.decision.threshold?;
    let lower = lower_is_benefit(s.design.analysis);
    let level = 2.0 * threshold - 1.0;
    let at = b
        .weights
        .iter()
        .map(|&w| {
            let rule = PosteriorThreshold::new(b.prior_at(w), threshold, lower);
            let p = rule.prob_benefit(y, se);
            let (lo, hi) = rule.credible_interval(y, se, level);
            ObservedAt {
                weight: w,
                prob_benefit: p,
                credible_low: lo,
                credible_high: hi,
                success: p > threshold,
            }
        })
        .collect();
    Some(Observed {
        estimate: y,
        se,
        source: source.to_string(),
        threshold,
        tipping_point: tipping_point(|w| b.prior_at(w), (y, se), threshold, lower),
        at,
    })
}

/// Runs the borrowing passes and writes their files.
///
/// # Errors
/// A bad scenario or one without a prior that borrows (exit 2), a failure to write.
pub fn run(args: &BorrowArgs) -> Result<()> {
    let overrides = Overrides {
        replicates: args.replicates,
        seed: args.seed,
        n_per_arm: args
            .n
            .as_ref()
            .map(|n| n.iter().map(|&x| x as usize).collect()),
    };
    let s = scenario::load_with(&args.file, &overrides)?;
    let Some(b) = s.decision.borrowing.clone() else {
        return Err(Error::input(format!(
            "{}: key `prior.kind`: `trialsim borrow` varies the weight on an informative prior: set decision.rule = \"posterior\" and [prior] kind = \"robust_mixture\", \"power_prior\" or \"normal\"",
            args.file.display()
        )));
    };
    export::check_writable(&args.out)?;
    let pool = thread_pool_of(args.threads)?;
    let passes = pool.install(|| borrow::passes(&s))?;
    let total = s.simulation.replicates * s.design.n_per_arm.len() as u64 * passes.len() as u64;
    let started = Instant::now();
    let bar = Progress::new(&s, total, args.quiet || args.json);
    let rows = pool.install(|| borrow::run(&passes, &|d| bar.tick_by(d, started)));
    bar.finish();
    let observed = observed(&s, &b);
    let alpha = s.design.sided.one_sided(s.design.alpha);
    let output = Output {
        scenario: &s.name,
        prior: &b,
        prior_source: &s.decision.prior_source,
        alpha,
        threshold: s.decision.threshold,
        rows: &rows,
        observed: observed.as_ref(),
    };
    let weight_name = match b.kind {
        PriorKind::PowerPrior => "power prior a0 on the adult likelihood",
        _ => "prior weight on the adult (informative) part",
    };
    let chart = BorrowPlot {
        rows: &rows,
        alpha,
        weight_name,
    };
    let files = vec![
        ("borrowing.csv", export::csv::rows_to_bytes(&rows)?),
        ("borrowing.json", serde_json::to_vec_pretty(&output)?),
        (
            "borrowing.png",
            plot::render("borrowing.png", &chart, Format::Png)?,
        ),
        (
            "borrowing.svg",
            plot::render("borrowing.svg", &chart, Format::Svg)?,
        ),
    ];
    let dir = args.out.join(&s.name);
    super::write_and_print(
        &dir,
        &files,
        &output,
        (args.json, args.quiet),
        || tables(&s, &b, &rows, observed.as_ref()),
        started,
    )
}

/// The stdout tables: the prior, P(success) by weight and true effect,
/// posterior bias and coverage, and the observed result.
fn tables(s: &Scenario, b: &Borrowing, rows: &[Row], observed: Option<&Observed>) -> String {
    let mut t = String::new();
    let weight = match b.kind {
        PriorKind::PowerPrior => "a0",
        _ => "weight",
    };
    let _ = writeln!(t, "## {}: borrowing adult evidence\n", s.name);
    let _ = writeln!(
        t,
        "Prior: {} ({}). Informative part: mean {:.4}, SD {:.4}, ESS {:.1} children per arm (unit-information SD {:.3}); vague part Normal(0, {}). Source: {}.",
        b.kind,
        b.built,
        b.informative_mean,
        b.informative_sd,
        b.ess,
        b.unit_sd,
        b.vague_sd,
        s.decision.prior_source
    );
    let rule = match (s.decision.threshold, s.decision.calibrate_to) {
        (Some(t), _) => format!("P(benefit | data) > {t}"),
        (None, Some(level)) => format!(
            "P(benefit | data) above a threshold calibrated per sample size and {weight} to a type I error of at most {level} without effect"
        ),
        _ => String::new(),
    };
    let _ = writeln!(
        t,
        "Success: {rule}. One-sided alpha for comparison: {}.\n",
        s.design.sided.one_sided(s.design.alpha)
    );
    let sizes = s.design.n_per_arm.clone();
    let mut weights = b.weights.clone();
    weights.sort_by(f64::total_cmp);
    weights.dedup();
    for n in sizes {
        let at: Vec<&Row> = rows.iter().filter(|r| r.n_per_arm == n).collect();
        if at.is_empty() {
            continue;
        }
        let mut passes: Vec<(&str, f64, f64)> = Vec::new();
        for r in &at {
            if !passes.iter().any(|p| p.0 == r.pass) {
                passes.push((&r.pass, r.effect_mean, r.true_effect));
            }
        }
        let _ = writeln!(
            t,
            "### {n} per arm ({} trials per effect): P(success) ± MC SE\n",
            at[0].replicates
        );
        let mut head = format!("| {weight} | threshold |");
        let mut rule = "|---:|---:|".to_string();
        for (pass, mean, truth) in &passes {
            let _ = write!(head, " {pass} (effect {mean:.3}; truth {truth:.3}) |");
            rule.push_str("---:|");
        }
        let _ = writeln!(t, "{head}\n{rule}");
        for &w in &weights {
            let cells: Vec<Option<&&Row>> = passes
                .iter()
                .map(|(pass, _, _)| at.iter().find(|r| r.pass == *pass && r.figures.weight == w))
                .collect();
            let threshold = cells.iter().flatten().next().map(|r| r.figures.threshold);
            let design = if w == b.weights[0] { " (design)" } else { "" };
            let mut line = format!("| {w}{design} | {:.4} |", threshold.unwrap_or(f64::NAN));
            for cell in cells {
                match cell {
                    Some(r) => {
                        let _ = write!(
                            line,
                            " {:.3} ± {:.3} |",
                            r.figures.success, r.figures.success_mc_se
                        );
                    }
                    None => line.push_str(" |"),
                }
            }
            let _ = writeln!(t, "{line}");
        }
        if let Some(r) = at
            .iter()
            .find(|r| r.pass == "no_effect" && r.population_effect.abs() > 1e-9)
        {
            let _ = writeln!(
                t,
                "\nWithout MSC's effect the estimand here is still {:.4} (arm-specific therapies, withdrawal or dropout act as effects): the no_effect column is not a type I error.",
                r.population_effect
            );
        }
        let _ = writeln!(
            t,
            "\nPosterior mean bias and 95% credible-interval coverage against the population effect (± MC SE):\n"
        );
        let _ = writeln!(
            t,
            "| {weight} | effect | bias | coverage |\n|---:|---|---:|---:|"
        );
        let mut by_weight = at.clone();
        by_weight.sort_by(|x, y| x.figures.weight.total_cmp(&y.figures.weight));
        for r in &by_weight {
            let _ = writeln!(
                t,
                "| {} | {} | {:.4} ± {:.4} | {:.3} ± {:.3} |",
                r.figures.weight,
                r.pass,
                r.figures.posterior_bias,
                r.figures.posterior_bias_mc_se,
                r.figures.credible_coverage,
                r.figures.credible_coverage_mc_se
            );
        }
        t.push('\n');
    }
    if observed.is_none() && b.observed.is_some() {
        let _ = writeln!(
            t,
            "The [observed] result's tipping point needs a fixed threshold: a calibrated one changes with the {weight}.\n"
        );
    }
    if let Some(o) = observed {
        let level = 2.0 * o.threshold - 1.0;
        let _ = writeln!(
            t,
            "### Observed result {} (SE {}), {}\n",
            o.estimate, o.se, o.source
        );
        let _ = writeln!(
            t,
            "| {weight} | P(benefit) | {:.0}% credible interval | success |\n|---:|---:|---|---|",
            level * 100.0
        );
        let mut at: Vec<&ObservedAt> = o.at.iter().collect();
        at.sort_by(|x, y| x.weight.total_cmp(&y.weight));
        for a in at {
            let _ = writeln!(
                t,
                "| {} | {:.4} | {:.4} to {:.4} | {} |",
                a.weight,
                a.prob_benefit,
                a.credible_low,
                a.credible_high,
                if a.success { "yes" } else { "no" }
            );
        }
        let _ = writeln!(
            t,
            "\nTipping point: {}\n",
            match o.tipping_point {
                Some(0.0) => format!("the result succeeds without borrowing ({weight} 0)"),
                Some(w) => format!(
                    "the smallest {weight} at which P(benefit) > {} is {w:.4}",
                    o.threshold
                ),
                None => format!("no {weight} up to 1 gives success"),
            }
        );
    }
    t
}
