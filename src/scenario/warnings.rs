//! Plausibility warnings: a valid scenario that very likely says something
//! its author did not mean. Printed on stderr and kept in `summary.json`;
//! never an error, since each can be intended.

use super::intercurrent::{Policy, Strategy, Trigger};
use super::{EndpointKind, Scenario};
use crate::evidence;

/// A flare hazard per week above which a percentage was probably typed as a rate.
pub const SUSPECT_HAZARD: f64 = 1.0;

/// The warnings for `s`, each naming its key.
pub fn plausibility(s: &Scenario) -> Vec<String> {
    let mut out = Vec::new();
    hazards(s, &mut out);
    effect_direction(s, &mut out);
    effect_row(s, &mut out);
    ignored_hazards(s, &mut out);
    outcome_triggered_rescue(s, &mut out);
    peto_estimate(s, &mut out);
    out
}

/// The log-rank analysis's estimate is Peto's one-step `(O - E) / V`, which
/// overstates a hazard ratio far from 1 or with unequal arms (Collett 2015,
/// section 3.9); its test is unaffected.
fn peto_estimate(s: &Scenario, out: &mut Vec<String>) {
    let Some(ic) = &s.intercurrent else { return };
    if s.design.analysis != super::AnalysisKind::Logrank {
        return;
    }
    let hr = ic.therapy.msc_hazard_ratio;
    let why = if s.design.allocation != 1.0 {
        format!("allocation {}", s.design.allocation)
    } else if hr.ln().abs() > std::f64::consts::LN_2 {
        format!("a hazard ratio of {hr}, beyond 0.5 to 2")
    } else {
        return;
    };
    out.push(format!(
        "design.analysis: the log-rank estimate is Peto's (O - E) / V, biased away from 0 with {why}; its test is sound, but read the hazard ratio from analysis = \"cox\""
    ));
}

/// A hazard above 1 per week: 63% of patients flaring within a week.
fn hazards(s: &Scenario, out: &mut Vec<String>) {
    let Some(ic) = &s.intercurrent else { return };
    let t = &ic.therapy;
    let tables = [
        ("flare_hazard_on", Some(&t.hazard_on)),
        ("flare_hazard_taper", t.hazard_taper.as_ref()),
        ("flare_hazard_off", Some(&t.hazard_off)),
    ];
    for (key, hazard) in tables {
        if let Some(h) = hazard
            && let Some(&max) = h.rates.iter().find(|&&r| r > SUSPECT_HAZARD)
        {
            out.push(format!(
                "standard_therapy.{key}: {max} per week means {:.0}% of patients flare within a week; a hazard is per week, not a percentage (a 5% weekly risk is about 0.05)",
                100.0 * (1.0 - (-max).exp())
            ));
        }
    }
}

/// An effect that makes MSC worse: lower is better on every scale, so a
/// helpful MSC has a negative effect.
fn effect_direction(s: &Scenario, out: &mut Vec<String>) {
    if s.strata.is_empty() && s.effect.mean > 0.0 {
        out.push(format!(
            "effect.mean: {} makes MSC worse than control (lower is better on every scale, so a benefit is negative); if MSC is meant to help, write -{}",
            s.effect.mean, s.effect.mean
        ));
    }
}

/// The endpoint an evidence row's numbers are on, from its id.
fn row_endpoint(id: &str) -> Option<EndpointKind> {
    if id.contains("pga") {
        Some(EndpointKind::Pga)
    } else if id.starts_with("sle.") || id.starts_with("mctd.") || id.contains("sledai") {
        Some(EndpointKind::Sledai2k)
    } else if id.starts_with("jia.") {
        Some(EndpointKind::Jadas27)
    } else {
        None
    }
}

/// `effect.from` naming a row that is not an MSC effect, or one on another scale.
fn effect_row(s: &Scenario, out: &mut Vec<String>) {
    let Some(id) = &s.effect.from else { return };
    let Some(row) = evidence::row(id) else { return };
    let is_effect = id.contains(".effect.") || id.contains("improvement");
    if !is_effect {
        out.push(format!(
            "effect.from: `{id}` is not an MSC effect ({}); its value {} is used as the MSC minus control difference",
            row.quantity, row.value
        ));
    }
    let kind = s.endpoint.scale.kind;
    if let Some(on) = row_endpoint(id)
        && on != kind
    {
        out.push(format!(
            "effect.from: `{id}` is on the {on} scale but the endpoint is {kind}; its value {} is used in {kind} units",
            row.value
        ));
    }
}

/// A hazard the policy never uses: off or taper hazards while every arm
/// continues, or a taper hazard with no taper.
fn ignored_hazards(s: &Scenario, out: &mut Vec<String>) {
    let Some(ic) = &s.intercurrent else { return };
    let t = &ic.therapy;
    let withdraws = t.policy == Policy::Withdraw && (t.withdraws.msc || t.withdraws.control);
    if !withdraws && t.hazard_off != t.hazard_on {
        out.push(
            "standard_therapy.flare_hazard_off: no arm withdraws (policy = \"continue\"), so this hazard is never used; set policy = \"withdraw\" to use it".into(),
        );
    }
    if t.hazard_taper.is_some() && (!withdraws || t.taper_weeks == 0.0) {
        out.push(
            "standard_therapy.flare_hazard_taper: there is no taper (no arm withdraws, or taper_weeks = 0), so this hazard is never used".into(),
        );
    }
}

/// The hypothetical strategy imputes under missing at random; a rescue
/// triggered by a flare depends on worsening the observed visits do not show.
fn outcome_triggered_rescue(s: &Scenario, out: &mut Vec<String>) {
    let Some(ic) = &s.intercurrent else { return };
    if ic.strategy != Strategy::Hypothetical {
        return;
    }
    for (i, c) in ic.concomitants.iter().enumerate() {
        if c.trigger == Trigger::Flare && ic.therapy.has_flares() {
            out.push(format!(
                "concomitant[{i}] ({}): a rescue triggered by a flare depends on worsening the recorded visits before it do not show, so the hypothetical strategy's imputation (missing at random) can be biased; compare the estimands' bias in the output",
                c.name
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::tests::GOOD;
    use std::path::Path;

    fn warnings(text: &str) -> Vec<String> {
        plausibility(&crate::scenario::parse(Path::new("s.toml"), text).unwrap())
    }

    #[test]
    fn a_good_file_draws_no_warning() {
        assert!(warnings(GOOD).is_empty());
    }

    #[test]
    fn a_percentage_typed_as_a_weekly_hazard_is_flagged() {
        let w = warnings(&format!(
            "{GOOD}[standard_therapy]\nflare_hazard_on = [[0, 0.01], [23, 5]]\nsource = \"test\"\n"
        ));
        assert!(w.iter().any(|w| w.contains("flare_hazard_on")), "{w:?}");
    }

    #[test]
    fn a_peto_estimate_far_from_its_range_is_flagged() {
        let tte = |hr: f64, allocation: f64| {
            warnings(&format!(
                "{}[standard_therapy]\nflare_hazard_on = 0.02\nmsc_flare_hazard_ratio = {hr}\nsource = \"t\"\n",
                GOOD.replace(
                    "\"welch_t\"",
                    &format!("\"logrank\"\nallocation = {allocation}")
                )
                .replace("kind = \"continuous\"", "kind = \"time_to_flare\"")
            ))
        };
        assert!(tte(0.6, 1.0).is_empty());
        assert!(tte(0.4, 1.0).iter().any(|w| w.contains("Peto")));
        assert!(tte(0.8, 2.0).iter().any(|w| w.contains("allocation 2")));
    }

    #[test]
    fn an_effect_favouring_control_is_flagged() {
        let w = warnings(&GOOD.replace("mean = -2.5", "mean = 2.5"));
        assert!(w.iter().any(|w| w.starts_with("effect.mean")), "{w:?}");
    }

    #[test]
    fn an_effect_row_on_another_scale_or_not_an_effect_is_flagged() {
        let text = GOOD
            .replace("kind = \"continuous\"", "kind = \"jadas27\"")
            .replace("mean = -2.5", "from = \"sle.effect.prior\"");
        let w = warnings(&text);
        assert!(w.iter().any(|w| w.contains("sledai2k scale")), "{w:?}");
        let text = GOOD.replace("mean = -2.5", "from = \"sle.baseline.default\"");
        let w = warnings(&text);
        assert!(w.iter().any(|w| w.contains("not an MSC effect")), "{w:?}");
    }

    #[test]
    fn a_hazard_the_policy_ignores_is_flagged() {
        let w = warnings(&format!(
            "{GOOD}[standard_therapy]\nflare_hazard_on = 0.01\nflare_hazard_off = 0.05\nsource = \"test\"\n"
        ));
        assert!(w.iter().any(|w| w.contains("flare_hazard_off")), "{w:?}");
    }

    #[test]
    fn hypothetical_with_flare_rescue_is_flagged_as_not_missing_at_random() {
        let w = warnings(&format!(
            "{GOOD}[standard_therapy]\nflare_hazard_on = 0.02\nsource = \"test\"\n[[concomitant]]\nname = \"steroid\"\ntrigger = \"flare\"\neffect = -3\nsource = \"test\"\n[estimand]\nstrategy = \"hypothetical\"\n"
        ));
        assert!(w.iter().any(|w| w.contains("missing at random")), "{w:?}");
    }
}
