//! `[decision]`, `[prior]` and `[observed]`: a significance test (the
//! default) or a posterior-probability rule with a vague, normal, robust
//! mixture or power prior on the MSC effect, its informative part given or
//! built from evidence rows (a pooled estimate or a MAP prior), and what
//! `trialsim borrow` varies (`effect.adult_ratio`) and reports (`[observed]`).

use super::Checker;
use crate::analysis::registry::properties;
use crate::decision::bayes::{MapPrior, Mixture, TrialEstimate};
use crate::evidence;
use crate::scenario::raw::{PriorKind, PriorScale, RawDecision, RawObserved, RawPrior};
use crate::scenario::{
    AnalysisKind, Borrowing, DecisionRule, DecisionSpec, EndpointKind, ScenarioError, Sided,
};

/// The vague component's default SD (scale units): flat over any clinical scale.
pub const DEFAULT_VAGUE_SD: f64 = 1e4;
/// The smallest SD or SE a prior or an observed result may have (smaller
/// ones would underflow the posterior's precision).
pub const MIN_SD: f64 = 1e-6;
/// The smallest power prior `a0` above 0.
pub const MIN_A0: f64 = 1e-6;
/// Most weights (or `a0`s) a prior may list.
pub const MAX_WEIGHTS: usize = 11;
/// Most values `effect.adult_ratio` may list.
pub const MAX_RATIOS: usize = 8;
/// `effect.adult_ratio`'s values lie in this range.
pub const RATIO_RANGE: (f64, f64) = (-3.0, 3.0);
/// Trials without effect a threshold is calibrated on, by default.
pub const DEFAULT_CALIBRATION_REPLICATES: u64 = 20_000;
/// `decision.calibration_replicates`' range.
pub const CALIBRATION_RANGE: (i64, i64) = (1_000, 10_000_000);
/// Normals approximating a MAP prior, by default.
pub const DEFAULT_MAP_COMPONENTS: i64 = 2;

/// What the decision tables are checked against.
#[derive(Debug, Clone, Copy)]
pub struct Context<'a> {
    pub decision: Option<&'a RawDecision>,
    pub prior: Option<&'a RawPrior>,
    pub observed: Option<&'a RawObserved>,
    /// `effect.adult_ratio` as written.
    pub adult_ratio: Option<&'a [f64]>,
    pub analysis: AnalysisKind,
    /// The endpoint's scale (`None` for a pooled trial's SD units or time to flare).
    pub endpoint: Option<EndpointKind>,
    /// `population.change_sd`: the unit-information SD of a mean difference
    /// is `change_sd · √2`.
    pub change_sd: f64,
    pub alpha: f64,
    pub sided: Sided,
    /// A pooled trial (`[[stratum]]`): its effects are per stratum.
    pub strata: bool,
}

impl Context<'_> {
    /// The scale the analysis estimates the effect on.
    fn scale(&self) -> PriorScale {
        let p = properties(self.analysis);
        if p.responder {
            PriorScale::RiskDifference
        } else if p.time_to_event {
            PriorScale::LogHazardRatio
        } else {
            PriorScale::MeanDifference
        }
    }

    /// The unit-information SD of the effect: one child per arm (a response
    /// probability of 1/2, the largest variance, for a risk difference).
    fn unit_sd(&self) -> f64 {
        match self.scale() {
            PriorScale::RiskDifference => 0.5f64.sqrt(),
            _ => self.change_sd * 2f64.sqrt(),
        }
    }

    /// What an evidence row's `effect_on` must say to be borrowed here.
    fn effect_on(&self) -> Option<String> {
        let kind = self.endpoint?;
        Some(match self.scale() {
            PriorScale::RiskDifference => format!("{kind} responder"),
            _ => kind.to_string(),
        })
    }
}

/// Checks `[decision]`, `[prior]`, `[observed]` and `effect.adult_ratio`.
///
/// # Errors
/// A prior, threshold, observed result or adult ratio without the posterior
/// rule (or without an informative prior); a posterior rule with an analysis
/// that has no normal approximation; a threshold outside (0, 1) other than
/// `"calibrate"`; a prior on another scale than the analysis's; a prior
/// missing its mean, SD, weight, `a0` or source; weights outside [0, 1];
/// evidence rows that are not effects with an SE on this endpoint.
pub fn validate(root: &Checker, c: Context) -> Result<DecisionSpec, ScenarioError> {
    let d = root.at("decision");
    let rule = c
        .decision
        .and_then(|d| d.rule)
        .unwrap_or(DecisionRule::Frequentist);
    if rule == DecisionRule::Frequentist {
        if c.decision.and_then(|d| d.threshold.as_ref()).is_some() {
            return Err(d.bad(
                "threshold",
                "is for rule = \"posterior\"; a frequentist trial succeeds at design.alpha",
            ));
        }
        for (present, key) in [
            (c.prior.is_some(), "prior"),
            (c.observed.is_some(), "observed"),
            (c.adult_ratio.is_some(), "effect.adult_ratio"),
        ] {
            if present {
                return Err(root.bad(
                    key,
                    "is for decision.rule = \"posterior\": remove it or set the rule",
                ));
            }
        }
        return Ok(DecisionSpec::frequentist());
    }
    let props = properties(c.analysis);
    if !(props.t_based || props.responder) || props.single_arm {
        return Err(d.bad(
            "rule",
            format!("\"posterior\" combines the prior with the analysis's estimate and standard error (a normal approximation); `{}` gives none: use welch_t, ancova or stratified_ancova (a difference in means) or fisher (a difference in responder proportions)", c.analysis),
        ));
    }
    let (threshold, calibrate_to) = threshold(&d, c)?;
    let calibration_replicates = match (
        c.decision.and_then(|d| d.calibration_replicates),
        calibrate_to,
    ) {
        (None, None) => 0,
        (None, Some(_)) => DEFAULT_CALIBRATION_REPLICATES,
        (Some(_), None) => {
            return Err(d.bad("calibration_replicates", "is for threshold = \"calibrate\""));
        }
        (Some(r), Some(_)) => {
            if !(CALIBRATION_RANGE.0..=CALIBRATION_RANGE.1).contains(&r) {
                return Err(d.bad(
                    "calibration_replicates",
                    format!(
                        "{r} is not allowed: from {} to {} trials without effect",
                        CALIBRATION_RANGE.0, CALIBRATION_RANGE.1
                    ),
                ));
            }
            r as u64
        }
    };
    let p = root.at("prior");
    let empty = RawPrior::default();
    let raw = c.prior.unwrap_or(&empty);
    if let Some(scale) = raw.scale
        && scale != c.scale()
    {
        return Err(p.bad(
            "scale",
            format!(
                "\"{scale}\", but `{}` estimates a {}: write the prior on that scale",
                c.analysis,
                c.scale().to_string().replace('_', " ")
            ),
        ));
    }
    let kind = raw.kind.unwrap_or(PriorKind::Vague);
    // A robust mixture's vague part defaults to one child's worth of
    // information (RBesT's robustify): a flat one would win every conflict
    // by so little likelihood that the weight stopped mattering.
    let default_vague = match kind {
        PriorKind::RobustMixture => c.unit_sd(),
        _ => DEFAULT_VAGUE_SD,
    };
    let vague_sd = p.non_negative("vague_sd", raw.vague_sd.unwrap_or(default_vague), "an SD")?;
    if vague_sd < MIN_SD {
        return Err(p.bad("vague_sd", format!("must be at least {MIN_SD}")));
    }
    for (present, key, which) in [
        (raw.weight.is_some(), "weight", PriorKind::RobustMixture),
        (raw.a0.is_some(), "a0", PriorKind::PowerPrior),
    ] {
        if present && kind != which {
            return Err(p.bad(
                key,
                format!("is for kind = \"{which}\"; this prior is \"{kind}\""),
            ));
        }
    }
    let vague = vec![(1.0, 0.0, vague_sd)];
    let borrowing = if kind == PriorKind::Vague {
        for (present, key) in [
            (raw.mean.is_some(), "mean"),
            (raw.sd.is_some(), "sd"),
            (raw.from.is_some(), "from"),
        ] {
            if present {
                return Err(p.bad(
                    key,
                    "a vague prior has no informative part: set kind = \"normal\", \"robust_mixture\" or \"power_prior\"",
                ));
            }
        }
        None
    } else {
        Some(borrowing(root, c, raw, kind, vague_sd)?)
    };
    if c.adult_ratio.is_some() && borrowing.is_none() {
        return Err(root.bad(
            "effect.adult_ratio",
            "multiplies the adult effect the prior borrows: give [prior] an informative part (kind = \"normal\", \"robust_mixture\" or \"power_prior\")",
        ));
    }
    if c.observed.is_some() && borrowing.is_none() {
        return Err(root.bad(
            "observed",
            "is the result whose tipping point (the smallest weight on adult data that gives success) `trialsim borrow` reports: give [prior] an informative part",
        ));
    }
    let source = raw.source.clone().unwrap_or_default();
    let source = match &borrowing {
        Some(_) if source.trim().is_empty() && raw.from.is_none() => {
            return Err(p.bad(
                "source",
                "missing: cite the evidence the prior is built from, or say it is an assumption",
            ));
        }
        Some(b) if source.trim().is_empty() => format!("evidence rows {}", b.from.join(", ")),
        _ => source.trim().to_string(),
    };
    Ok(DecisionSpec {
        rule,
        threshold,
        calibrate_to,
        calibration_replicates,
        prior: borrowing.as_ref().map_or(vague, |b| b.priors[0].clone()),
        prior_source: source,
        borrowing,
        tail_histogram: false,
        population_truth: Vec::new(),
    })
}

/// `decision.threshold`: a probability (default 0.975) or `"calibrate"`.
fn threshold(d: &Checker, c: Context) -> Result<(Option<f64>, Option<f64>), ScenarioError> {
    let allowed = "a probability of benefit above 0.5 and below 1 (at 0.5 or less a trial would succeed with benefit no likelier than not), or \"calibrate\"";
    match c.decision.and_then(|d| d.threshold.as_ref()) {
        None => Ok((Some(0.975), None)),
        Some(toml::Value::String(s)) if s == "calibrate" => {
            Ok((None, Some(c.sided.one_sided(c.alpha))))
        }
        Some(v) => {
            let t = v
                .as_float()
                .or_else(|| v.as_integer().map(|i| i as f64))
                .ok_or_else(|| d.bad("threshold", format!("{v} is not allowed: {allowed}")))?;
            if t > 0.5 && t < 1.0 {
                Ok((Some(t), None))
            } else {
                Err(d.bad("threshold", format!("{t} is not allowed: {allowed}")))
            }
        }
    }
}

/// A number or a non-empty list of numbers in [0, 1] (`prior.weight`,
/// `prior.a0`), each 0 or at least `smallest`.
fn weights(
    p: &Checker,
    key: &str,
    value: &toml::Value,
    smallest: f64,
) -> Result<Vec<f64>, ScenarioError> {
    let number = |v: &toml::Value| v.as_float().or_else(|| v.as_integer().map(|i| i as f64));
    let values: Vec<f64> = match value {
        toml::Value::Array(a) => a.iter().map(number).collect::<Option<_>>(),
        v => number(v).map(|x| vec![x]),
    }
    .ok_or_else(|| {
        p.bad(
            key,
            "must be a number from 0 to 1 or a list of them, e.g. [0, 0.25, 0.5, 0.75, 1]",
        )
    })?;
    if values.is_empty() || values.len() > MAX_WEIGHTS {
        return Err(p.bad(
            key,
            format!(
                "lists {} values: give 1 to {MAX_WEIGHTS} (the first is the design's)",
                values.len()
            ),
        ));
    }
    for &w in &values {
        p.within(key, w, (0.0, 1.0), "a weight")?;
        if w > 0.0 && w < smallest {
            return Err(p.bad(
                key,
                format!("{w} is not allowed: 0, or from {smallest} to 1"),
            ));
        }
    }
    Ok(values)
}

/// The informative part of a normal, robust-mixture or power prior, the
/// prior at each weight, and what `trialsim borrow` varies.
fn borrowing(
    root: &Checker,
    c: Context,
    raw: &RawPrior,
    kind: PriorKind,
    vague_sd: f64,
) -> Result<Borrowing, ScenarioError> {
    let p = &root.at("prior");
    let (informative, built, from) = informative(p, c, raw, kind)?;
    let mixture = Mixture::new(&informative).map_err(|e| p.bad("from", e.to_string()))?;
    let (mean, sd) = (mixture.mean(), mixture.variance().sqrt());
    let weights = match kind {
        PriorKind::RobustMixture => weights(
            p,
            "weight",
            raw.weight.as_ref().ok_or_else(|| {
                p.bad(
                    "weight",
                    "missing: the weight on the informative part, from 0 to 1 (or a list)",
                )
            })?,
            0.0,
        )?,
        PriorKind::PowerPrior => weights(
            p,
            "a0",
            raw.a0.as_ref().ok_or_else(|| {
                p.bad(
                    "a0",
                    "missing: the power on the adult likelihood, from 0 to 1 (or a list)",
                )
            })?,
            // A power below 1e-6 would divide the adult variance past what a
            // double holds; 0 borrows nothing.
            MIN_A0,
        )?,
        _ => vec![1.0],
    };
    let unit_sd = c.unit_sd();
    let ratio = c.adult_ratio.map(<[f64]>::to_vec).unwrap_or_default();
    let e = root.at("effect");
    if c.adult_ratio.is_some() && c.strata {
        return Err(e.bad(
            "adult_ratio",
            "a pooled trial's effects are per stratum: `trialsim borrow` runs its design effect and no effect only",
        ));
    }
    if c.adult_ratio.is_some() && (ratio.is_empty() || ratio.len() > MAX_RATIOS) {
        return Err(e.bad(
            "adult_ratio",
            format!("lists {} values: give 1 to {MAX_RATIOS}", ratio.len()),
        ));
    }
    for &k in &ratio {
        e.within(
            "adult_ratio",
            k,
            RATIO_RANGE,
            "a multiple of the adult effect",
        )?;
    }
    let (observed, observed_source) = observed(&root.at("observed"), c)?;
    let mut borrowing = Borrowing {
        kind,
        weights,
        priors: Vec::new(),
        informative_mean: mean,
        informative_sd: sd,
        informative,
        vague_sd,
        ess: unit_sd * unit_sd / (sd * sd),
        unit_sd,
        from,
        built,
        adult_ratio: ratio,
        observed,
        observed_source,
    };
    borrowing.priors = borrowing
        .weights
        .iter()
        .map(|&w| borrowing.prior_at(w))
        .collect();
    Ok(borrowing)
}

/// The informative part as mixture components, how it was built, and the
/// evidence rows it came from.
type Informative = (Vec<(f64, f64, f64)>, String, Vec<String>);

/// The informative part of a prior (see [`Informative`]).
fn informative(
    p: &Checker,
    c: Context,
    raw: &RawPrior,
    kind: PriorKind,
) -> Result<Informative, ScenarioError> {
    let Some(ids) = &raw.from else {
        let mean = p.finite(
            "mean",
            raw.mean.ok_or_else(|| {
                p.bad(
                    "mean",
                    "missing: the informative part's mean effect (analysis scale), or `from` evidence rows",
                )
            })?,
        )?;
        let sd = p.non_negative(
            "sd",
            raw.sd
                .ok_or_else(|| p.bad("sd", "missing: the informative part's SD"))?,
            "an SD",
        )?;
        if sd < MIN_SD {
            return Err(p.bad("sd", format!("must be at least {MIN_SD}")));
        }
        for (present, key) in [
            (raw.tau_scale.is_some(), "tau_scale"),
            (raw.map_components.is_some(), "map_components"),
        ] {
            if present {
                return Err(p.bad(key, "is for a prior built `from` evidence rows"));
            }
        }
        return Ok((vec![(1.0, mean, sd)], "given".into(), Vec::new()));
    };
    if raw.mean.is_some() || raw.sd.is_some() {
        return Err(p.bad(
            "from",
            "and mean/sd both give the informative part: keep one",
        ));
    }
    let studies = ids
        .iter()
        .map(|id| effect_row(p, "from", c, id))
        .collect::<Result<Vec<_>, _>>()?;
    if studies.is_empty() {
        return Err(p.bad("from", "is empty: list at least one evidence row"));
    }
    let tau_scale = p.non_negative("tau_scale", raw.tau_scale.unwrap_or(0.0), "a scale")?;
    if kind == PriorKind::PowerPrior && tau_scale > 0.0 {
        return Err(p.bad(
            "tau_scale",
            "a power prior discounts the pooled adult likelihood by a0; between-trial heterogeneity is a MAP prior's (kind = \"normal\" or \"robust_mixture\")",
        ));
    }
    let ids = ids.clone();
    if tau_scale == 0.0 {
        if raw.map_components.is_some() {
            return Err(p.bad("map_components", "is for tau_scale above 0"));
        }
        // Fixed-effect (inverse-variance) pooling.
        let precision: f64 = studies.iter().map(|s| 1.0 / (s.se * s.se)).sum();
        let mean = studies
            .iter()
            .map(|s| s.estimate / (s.se * s.se))
            .sum::<f64>()
            / precision;
        return Ok((
            vec![(1.0, mean, precision.sqrt().recip())],
            format!(
                "fixed-effect (inverse-variance) pooling of {} row(s)",
                studies.len()
            ),
            ids,
        ));
    }
    let components = p.within(
        "map_components",
        raw.map_components.unwrap_or(DEFAULT_MAP_COMPONENTS) as f64,
        (1.0, 3.0),
        "a count of normals",
    )? as usize;
    let map = MapPrior::fit(&studies, tau_scale).map_err(|e| p.bad("from", e.to_string()))?;
    let mixture = map
        .mixture(components)
        .map_err(|e| p.bad("map_components", e.to_string()))?;
    let comps = mixture
        .components()
        .iter()
        .map(|k| (k.weight, k.normal.mean, k.normal.sd))
        .collect();
    Ok((
        comps,
        format!(
            "meta-analytic-predictive prior of {} row(s), half-normal({tau_scale}) on tau, {components} normal(s) by moment matching",
            studies.len()
        ),
        ids,
    ))
}

/// An evidence row that is an effect with an SE on this endpoint's analysis scale.
fn effect_row(
    p: &Checker,
    key: &str,
    c: Context,
    id: &str,
) -> Result<TrialEstimate, ScenarioError> {
    let want = c.effect_on().ok_or_else(|| {
        p.bad(
            key,
            "evidence rows are effects on a named endpoint; a pooled or time-to-flare trial has none to borrow: give mean and sd",
        )
    })?;
    let row = evidence::row(id).ok_or_else(|| {
        p.bad(
            key,
            format!("no evidence row `{id}` (`trialsim evidence` lists them)"),
        )
    })?;
    let on = row.effect_on.as_deref().unwrap_or("");
    if on != want {
        let is = if on.is_empty() {
            "not an effect".to_string()
        } else {
            format!("an effect on \"{on}\"")
        };
        return Err(p.bad(
            key,
            format!(
                "row `{id}` is {is}; this analysis needs effects on \"{want}\" (rows whose effect_on says so)"
            ),
        ));
    }
    let se = row
        .se
        .ok_or_else(|| p.bad(key, format!("row `{id}` has no se to weigh it by")))?;
    TrialEstimate::new(row.value, se).map_err(|e| p.bad(key, format!("row `{id}`: {e}")))
}

/// `[observed]`: `(estimate, se)` given or from an evidence row.
fn observed(k: &Checker, c: Context) -> Result<(Option<(f64, f64)>, String), ScenarioError> {
    let Some(o) = c.observed else {
        return Ok((None, String::new()));
    };
    if let Some(id) = &o.from {
        if o.estimate.is_some() || o.se.is_some() {
            return Err(k.bad("from", "and estimate/se both give the result: keep one"));
        }
        let s = effect_row(k, "from", c, id)?;
        return Ok((Some((s.estimate, s.se)), format!("evidence row {id}")));
    }
    let estimate = k.finite(
        "estimate",
        o.estimate
            .ok_or_else(|| k.bad("estimate", "missing: the observed effect estimate"))?,
    )?;
    let se = k.non_negative(
        "se",
        o.se.ok_or_else(|| k.bad("se", "missing: its standard error"))?,
        "a standard error",
    )?;
    if se < MIN_SD {
        return Err(k.bad("se", format!("must be at least {MIN_SD}")));
    }
    let source = k.source(o.source.as_deref(), "cite the trial the result is from")?;
    Ok((Some((estimate, se)), source))
}
