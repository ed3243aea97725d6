//! `[accrual]` (children's calendar entry) and `[interim]` (interim looks
//! with group-sequential stopping): their values, the boundaries computed
//! once here, and the rules joining them to the other tables.

use super::Checker;
use crate::decision::sequential::{Boundaries, HSD_GAMMA_RANGE, Spending};
use crate::scenario::raw::{RawAccrual, RawFutility, RawInterim, RawRate, RawSpending};
use crate::scenario::{Accrual, DesignKind, Futility, Interim, ScenarioError, Sided};

/// Largest `accrual.patients_per_month`.
pub const MAX_PATIENTS_PER_MONTH: f64 = 1000.0;
/// Largest `accrual.max_months` and `from_month`: 50 years.
pub const MAX_MONTHS: f64 = 600.0;
/// Most looks, the final analysis included.
pub use crate::summary::looks::MAX_LOOKS;
/// Smallest step between information fractions (and the first fraction):
/// the numerical integration's grid is fine enough from here on.
pub const MIN_FRACTION_STEP: f64 = 0.01;
/// Largest |z| of a futility bound.
pub const MAX_FUTILITY_Z: f64 = 10.0;

/// `[accrual]`: `patients_per_month` (a rate, or `[from_month, rate]`
/// pieces from month 0 with increasing months, rates from 0 to
/// [`MAX_PATIENTS_PER_MONTH`] and the last above 0), an optional
/// `max_months` (above 0, at most [`MAX_MONTHS`]) and a `source`.
///
/// # Errors
/// The first value out of range, or a missing rate or source.
pub fn accrual(c: &Checker, a: &RawAccrual) -> Result<Accrual, ScenarioError> {
    let key = "patients_per_month";
    let pieces = match &a.patients_per_month {
        None => {
            return Err(c.bad(
                key,
                format!("missing: give the children entering per month (above 0, at most {MAX_PATIENTS_PER_MONTH}), or pieces [[from_month, rate], ...]"),
            ));
        }
        Some(RawRate::Constant(rate)) => {
            vec![(
                0.0,
                c.above_zero_at_most(key, *rate, MAX_PATIENTS_PER_MONTH, "children per month")?,
            )]
        }
        Some(RawRate::Pieces(pieces)) => {
            if pieces.is_empty() {
                return Err(c.bad(key, "no pieces: give at least [[0, rate]]"));
            }
            let mut out: Vec<(f64, f64)> = Vec::with_capacity(pieces.len());
            for (i, &[from, rate]) in pieces.iter().enumerate() {
                let at = format!("{key}[{i}]");
                if i == 0 && from != 0.0 {
                    return Err(c.bad(
                        &at,
                        format!("the first piece starts at month {from}: it must start at month 0"),
                    ));
                }
                if let Some(&(before, _)) = out.last()
                    && !(from > before && from <= MAX_MONTHS)
                {
                    return Err(c.bad(
                        &at,
                        format!("month {from} is not allowed: each piece starts after the one before ({before}) and at most at month {MAX_MONTHS}"),
                    ));
                }
                let rate = c.within(
                    &at,
                    rate,
                    (0.0, MAX_PATIENTS_PER_MONTH),
                    "children per month",
                )?;
                out.push((from, rate));
            }
            if out.last().is_some_and(|p| p.1 <= 0.0) {
                return Err(c.bad(
                    &format!("{key}[{}]", out.len() - 1),
                    "the last piece's rate is 0: recruitment would never finish; give it a rate above 0",
                ));
            }
            out
        }
    };
    let max_months = a
        .max_months
        .map(|m| {
            c.above_zero_at_most(
                "max_months",
                m,
                MAX_MONTHS,
                "the recruitment window in months",
            )
        })
        .transpose()?;
    let source = c.source(
        a.source.as_deref(),
        "missing: cite the recruitment rate, or say it is an assumption",
    )?;
    Ok(Accrual {
        pieces,
        max_months,
        source,
    })
}

/// What `[interim]` needs from the rest of the scenario.
pub struct Context<'a> {
    pub design: DesignKind,
    pub alpha: f64,
    pub sided: Sided,
    /// `[accrual]` as written.
    pub accrual: Option<&'a RawAccrual>,
    /// The tables `[interim]` does not work with yet, by key.
    pub unsupported: Vec<(&'static str, &'static str)>,
}

/// `[interim]`: fractions increasing by at least [`MIN_FRACTION_STEP`] to
/// 1 (at most [`MAX_LOOKS`]), the efficacy spending (`gamma` in
/// [`HSD_GAMMA_RANGE`] with `"hsd"` only), the futility rule (below every
/// efficacy bound), `binding_futility` (z bounds on a one-sided design
/// only); `[accrual]` required. The boundaries are computed here.
///
/// # Errors
/// The first broken rule, naming its key.
pub fn interim(c: &Checker, i: &RawInterim, ctx: &Context<'_>) -> Result<Interim, ScenarioError> {
    if let Some((key, what)) = ctx.unsupported.first() {
        return Err(c.bad(
            "information_fractions",
            format!("[interim] does not work with {key} yet ({what}): remove one of them"),
        ));
    }
    if ctx.design != DesignKind::Parallel {
        return Err(c.bad(
            "information_fractions",
            format!(
                "interim looks are built for design.kind = \"parallel\" so far, not {}",
                ctx.design
            ),
        ));
    }
    if ctx.accrual.is_none() {
        return Err(c.bad(
            "information_fractions",
            "interim looks happen in calendar time: add [accrual] with patients_per_month and its source",
        ));
    }
    let key = "information_fractions";
    let fractions = i.information_fractions.clone().ok_or_else(|| {
        c.bad(
            key,
            "missing: give the looks' shares of the information, increasing and ending at 1 (e.g. [0.5, 1])",
        )
    })?;
    if fractions.is_empty() || fractions.len() > MAX_LOOKS {
        return Err(c.bad(
            key,
            format!(
                "{} looks are not allowed: give 1 to {MAX_LOOKS}, the last at 1",
                fractions.len()
            ),
        ));
    }
    let mut before = 0.0;
    for &f in &fractions {
        if !(f.is_finite() && f - before >= MIN_FRACTION_STEP - 1e-12 && f <= 1.0) {
            return Err(c.bad(
                key,
                format!("{fractions:?} is not allowed: the fractions must increase (each at least {MIN_FRACTION_STEP} above the one before, the first at least {MIN_FRACTION_STEP}) up to 1"),
            ));
        }
        before = f;
    }
    if fractions.last() != Some(&1.0) {
        return Err(c.bad(
            key,
            format!("{fractions:?} does not end at 1: the last look is the final analysis, with all the information"),
        ));
    }
    let efficacy = match (i.efficacy.unwrap_or(RawSpending::ObrienFleming), i.gamma) {
        (RawSpending::Hsd, None) => {
            return Err(c.bad(
                "gamma",
                format!("missing: \"hsd\" spending needs gamma, from {} to {} (-4: close to O'Brien-Fleming; 1: close to Pocock)", HSD_GAMMA_RANGE.0, HSD_GAMMA_RANGE.1),
            ));
        }
        (RawSpending::Hsd, Some(g)) => {
            Spending::Hsd(c.within("gamma", g, HSD_GAMMA_RANGE, "the Hwang-Shih-DeCani gamma")?)
        }
        (_, Some(_)) => {
            return Err(c.bad("gamma", "is for efficacy = \"hsd\" only: remove it"));
        }
        (RawSpending::ObrienFleming, None) => Spending::OBrienFleming,
        (RawSpending::Pocock, None) => Spending::Pocock,
        (RawSpending::None, None) => Spending::None,
    };
    let interims = fractions.len() - 1;
    let futility = match &i.futility {
        None | Some(RawFutility::Named(_)) => Futility::None,
        Some(RawFutility::Bounds(z)) => {
            if z.len() != interims {
                return Err(c.bad(
                    "futility",
                    format!("{} bounds given: give one z bound per interim look ({interims}; the final analysis has none)", z.len()),
                ));
            }
            for (k, &b) in z.iter().enumerate() {
                c.within(
                    &format!("futility[{k}]"),
                    b,
                    (-MAX_FUTILITY_Z, MAX_FUTILITY_Z),
                    "a futility bound on the z scale",
                )?;
            }
            Futility::Z(z.clone())
        }
        Some(RawFutility::ConditionalPower(cp)) => {
            let below = cp.conditional_power_below;
            if !(below > 0.0 && below < 1.0) {
                return Err(c.bad(
                    "futility.conditional_power_below",
                    format!("{below} is not allowed: a conditional power must lie above 0 and below 1 (0.1 to 0.2 is usual)"),
                ));
            }
            Futility::ConditionalPowerBelow(below)
        }
    };
    let binding = i.binding_futility.unwrap_or(false);
    if binding {
        if !matches!(futility, Futility::Z(_)) {
            return Err(c.bad(
                "binding_futility",
                "binding futility needs z bounds in futility (a conditional-power rule's bounds depend on the efficacy bounds binding would change): give futility = [z, ...] or set binding_futility = false",
            ));
        }
        if ctx.accrual.is_some_and(|a| a.max_months.is_some()) {
            return Err(c.bad(
                "binding_futility",
                "binding futility counts on every interim's futility stop, but accrual.max_months can skip an interim: remove max_months or set binding_futility = false",
            ));
        }
        if ctx.sided == Sided::Two {
            return Err(c.bad(
                "binding_futility",
                "binding futility is built for one-sided designs (design.sided = \"one\"); a two-sided design's futility bounds are non-binding: set binding_futility = false",
            ));
        }
    }
    let z_futility = match &futility {
        Futility::Z(z) => z.clone(),
        _ => vec![f64::NEG_INFINITY; interims],
    };
    let mut boundaries = Boundaries::new(
        &fractions,
        ctx.alpha,
        ctx.sided == Sided::Two,
        efficacy,
        &z_futility,
        binding,
    );
    if let Futility::ConditionalPowerBelow(power) = futility {
        let last = *boundaries.efficacy.last().expect("a look");
        for (bound, &t) in boundaries.futility.iter_mut().zip(&fractions[..interims]) {
            *bound = Boundaries::trend_futility_bound(last, t, power);
        }
    }
    for k in 0..interims {
        let (f, e) = (boundaries.futility[k], boundaries.efficacy[k]);
        if f >= e {
            let key = match futility {
                Futility::ConditionalPowerBelow(_) => {
                    "futility.conditional_power_below".to_string()
                }
                _ => format!("futility[{k}]"),
            };
            return Err(c.bad(
                &key,
                format!("look {} stops for futility below z = {f:.4}, at or above its efficacy bound z = {e:.4}: lower the futility rule", k + 1),
            ));
        }
    }
    Ok(Interim {
        efficacy,
        futility,
        binding_futility: binding,
        boundaries,
    })
}
