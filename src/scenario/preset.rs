//! Disease presets: `population.disease = "sle" | "mctd" | "jia"` fills the
//! endpoint, the population and the MSC effect prior from rows of the
//! evidence table, so each default can be traced to its citation.

use super::{Disease, EndpointKind};
use crate::evidence;

/// A disease's defaults, each taken from the evidence table.
#[derive(Debug, Clone, PartialEq)]
pub struct Preset {
    pub disease: Disease,
    pub endpoint: EndpointKind,
    pub baseline_mean: f64,
    pub baseline_sd: f64,
    pub control_change_mean: f64,
    pub change_sd: f64,
    pub baseline_change_correlation: f64,
    pub responder_threshold: f64,
    pub prior_mean: f64,
    pub prior_sd: f64,
    pub prior_source: String,
    /// Evidence rows the preset read.
    pub rows: Vec<&'static str>,
    /// Printed with every run of the preset.
    pub note: Option<&'static str>,
}

/// Row ids a preset reads, in the order of [`Preset`]'s fields.
struct Ids {
    baseline: &'static str,
    change: &'static str,
    change_sd: &'static str,
    correlation: &'static str,
    threshold: &'static str,
    prior: &'static str,
}

/// The note printed with every MCTD run.
pub const MCTD_NOTE: &str = "MCTD: no MSC data exist beyond one case (Wong 2021, case 2); SLE parameters on SLEDAI-2K are used as a proxy, so treat every MCTD figure as an SLE figure";

/// A disease's endpoint, the rows its preset reads, further rows it cites,
/// and its note.
#[allow(clippy::type_complexity)]
fn rows_of(
    disease: Disease,
) -> (
    EndpointKind,
    Ids,
    &'static [&'static str],
    Option<&'static str>,
) {
    match disease {
        Disease::Sle | Disease::Mctd => (
            EndpointKind::Sledai2k,
            Ids {
                baseline: "sle.baseline.default",
                change: "sle.change.placebo.deng",
                change_sd: "sle.change_sd.default",
                correlation: "sle.correlation.default",
                threshold: "sle.sri4.definition",
                prior: "sle.effect.prior",
            },
            if disease == Disease::Mctd {
                &["mctd.proxy"][..]
            } else {
                &[][..]
            },
            (disease == Disease::Mctd).then_some(MCTD_NOTE),
        ),
        Disease::Jia => (
            EndpointKind::Jadas27,
            Ids {
                baseline: "jia.baseline.default",
                change: "jia.change.control.default",
                change_sd: "jia.change.control.default",
                correlation: "jia.correlation.default",
                threshold: "jia.mic.jadas27",
                prior: "jia.effect.prior",
            },
            &["jia.jadas27.part_noise"][..],
            None,
        ),
    }
}

/// The evidence row whose value a preset puts in `key` (a dotted scenario
/// key), for `trialsim sensitivity`'s `"key" = "evidence"`: only rows whose
/// value is the key's value (a JIA change row's SD is not its range).
pub fn row_for(disease: Disease, key: &str) -> Option<&'static str> {
    let (_, ids, _, _) = rows_of(disease);
    match key {
        "population.baseline_mean" => Some(ids.baseline),
        "population.control_change_mean" => Some(ids.change),
        "population.change_sd" => (ids.change_sd != ids.change).then_some(ids.change_sd),
        "population.baseline_change_correlation" => Some(ids.correlation),
        "effect.mean" => Some(ids.prior),
        _ => None,
    }
}

/// The preset of a disease.
pub fn preset(disease: Disease) -> Preset {
    let (endpoint, ids, extra, note) = rows_of(disease);
    let get = |id: &str| evidence::row(id).unwrap_or_else(|| panic!("evidence row {id} exists"));
    let baseline = get(ids.baseline);
    let change_sd = get(ids.change_sd);
    let prior = get(ids.prior);
    let mut rows = vec![
        ids.baseline,
        ids.change,
        ids.change_sd,
        ids.correlation,
        ids.threshold,
        ids.prior,
    ];
    rows.extend_from_slice(extra);
    rows.dedup();
    Preset {
        disease,
        endpoint,
        baseline_mean: baseline.value,
        baseline_sd: baseline.sd.expect("baseline rows carry an SD"),
        control_change_mean: get(ids.change).value,
        // The SD row is either an SD-of-change row (value) or a change row with an SD.
        change_sd: if ids.change_sd == ids.change {
            change_sd.sd.expect("change row has an SD")
        } else {
            change_sd.value
        },
        baseline_change_correlation: get(ids.correlation).value,
        responder_threshold: get(ids.threshold).value,
        prior_mean: prior.value,
        prior_sd: prior.sd.expect("prior rows carry an SD"),
        prior_source: format!(
            "{} prior (evidence row {}): {}",
            disease, ids.prior, prior.citation
        ),
        rows,
        note,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presets_read_their_rows() {
        let sle = preset(Disease::Sle);
        assert_eq!((sle.baseline_mean, sle.baseline_sd), (11.0, 4.0));
        assert_eq!((sle.control_change_mean, sle.change_sd), (-5.0, 6.0));
        assert_eq!(sle.responder_threshold, 4.0);
        assert_eq!((sle.prior_mean, sle.prior_sd), (-2.5, 2.0));
        assert!(sle.note.is_none());
        let mctd = preset(Disease::Mctd);
        assert!(mctd.note.unwrap().contains("no MSC data"));
        assert!(mctd.rows.contains(&"mctd.proxy"));
        let jia = preset(Disease::Jia);
        assert_eq!(jia.endpoint, EndpointKind::Jadas27);
        assert_eq!((jia.baseline_mean, jia.baseline_sd), (24.0, 8.0));
        assert_eq!((jia.control_change_mean, jia.change_sd), (-2.0, 7.0));
        assert_eq!(jia.responder_threshold, 5.5);
    }
}
