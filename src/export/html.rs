//! `report.html` (`run --report`): one self-contained file a protocol
//! committee, a data monitoring committee or a regulator can read without
//! trialsim: inline SVG, no script, no network. Its sections follow ADEMP
//! (Morris, White and Crowther, Stat Med 2019): aims, data-generating
//! mechanism, estimand, methods, performance measures; then the results
//! with every plot, the sources of every number, limitations and how to
//! reproduce the run. The answer comes first, as a paragraph a protocol can
//! quote.

use std::fmt::Write;

use super::chart;
use super::markdown;
use crate::plot::Format;
use crate::report::RunReport;
use crate::scenario::Scenario;
use anyhow::Result;

/// What only a run knows and the report needs: the scenario file.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Source {
    pub file: String,
    pub text: String,
}

/// A value's name as the scenario file spells it (`ancova`, `sledai2k`).
fn name(value: &impl serde::Serialize) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

/// Escapes text for HTML.
fn esc(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A Markdown pipe table (as the stdout table prints it) as an HTML table.
fn table(lines: &[&str]) -> String {
    let cells = |line: &str| -> Vec<String> {
        line.trim()
            .trim_matches('|')
            .split('|')
            .map(|c| esc(c.trim()))
            .collect()
    };
    let mut out = String::from("<table>\n<thead><tr>");
    for c in cells(lines[0]) {
        let _ = write!(out, "<th>{c}</th>");
    }
    out.push_str("</tr></thead>\n<tbody>\n");
    for line in &lines[2..] {
        out.push_str("<tr>");
        for c in cells(line) {
            let _ = write!(out, "<td>{c}</td>");
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody>\n</table>\n");
    out
}

/// The page's head, style and title block.
fn head(title: &str, description: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>{}</title>\n<style>\n\
         body {{ font-family: sans-serif; max-width: 60em; margin: 2em auto; line-height: 1.45; color: #222; }}\n\
         table {{ border-collapse: collapse; margin: 1em 0; font-size: 0.9em; }}\n\
         th, td {{ border: 1px solid #bbb; padding: 0.25em 0.5em; text-align: right; }}\n\
         th {{ background: #eee; }} td:first-child, th:first-child {{ text-align: left; }}\n\
         pre {{ background: #f6f6f6; padding: 0.8em; overflow-x: auto; font-size: 0.85em; }}\n\
         .answer {{ border-left: 4px solid #2a6; padding: 0.5em 1em; background: #f3fbf6; }}\n\
         .note {{ color: #555; font-size: 0.9em; }} svg {{ max-width: 100%; height: auto; }}\n\
         </style>\n</head>\n<body>\n<h1>{}</h1>\n<p>{}</p>\n<p class=\"note\">A design aid from a simulation model, never medical advice.</p>\n",
        esc(title),
        esc(title),
        esc(description)
    )
}

/// Markdown as the stdout tables print it: pipe tables become HTML tables,
/// other non-empty lines paragraphs.
fn markdown_to_html(md: &str) -> String {
    let mut h = String::new();
    let lines: Vec<&str> = md.lines().collect();
    let mut i = 0;
    while i < lines.len() {
        if lines[i].starts_with('|') {
            let start = i;
            while i < lines.len() && lines[i].starts_with('|') {
                i += 1;
            }
            h.push_str(&table(&lines[start..i]));
        } else {
            if !lines[i].trim().is_empty() {
                let _ = writeln!(h, "<p>{}</p>", esc(lines[i]));
            }
            i += 1;
        }
    }
    h
}

/// A report page in ADEMP order: what `run`, `design` and `sensitivity`
/// each fill with their own text, tables and plots.
pub struct Document<'a> {
    pub title: String,
    pub description: String,
    /// The answer, a paragraph.
    pub answer: String,
    pub aims: &'a str,
    /// The model in prose; the scenario file follows it verbatim.
    pub mechanism: String,
    pub source: &'a Source,
    /// Every resolved input as JSON (a run's), folded under the file.
    pub inputs: Option<String>,
    /// The estimand paragraph (a run's).
    pub estimand: Option<String>,
    pub methods: String,
    pub measures: &'a str,
    /// The command's Markdown output (tables and lines).
    pub results: String,
    /// `(caption, svg)` per plot.
    pub figures: Vec<(String, String)>,
    pub effect_source: String,
    /// `(id, citation)` of each evidence row used.
    pub evidence: Vec<(String, String)>,
    /// Notes and warnings of the scenario or run.
    pub limitations: Vec<String>,
    pub reproduce: String,
}

impl Document<'_> {
    /// The evidence rows of `s` with their citations.
    pub fn evidence_of(s: &Scenario) -> Vec<(String, String)> {
        s.evidence
            .iter()
            .map(|id| {
                let citation = crate::evidence::row(id).map_or("", |r| r.citation.as_str());
                (id.clone(), citation.to_string())
            })
            .collect()
    }

    /// The HTML page.
    pub fn render(&self) -> String {
        let mut h = head(&self.title, &self.description);
        let section = |h: &mut String, id: &str, heading: &str, text: &str| {
            let _ = write!(h, "<h2 id=\"{id}\">{heading}</h2>\n<p>{}</p>\n", esc(text));
        };
        let _ = write!(
            h,
            "<h2 id=\"answer\">Answer</h2>\n<p class=\"answer\">{}</p>\n",
            esc(&self.answer)
        );
        section(&mut h, "aims", "Aims", self.aims);
        let _ = write!(
            h,
            "<h2 id=\"mechanism\">Data-generating mechanism</h2>\n<p>{} The scenario file, verbatim (<code>{}</code>):</p>\n<pre>{}</pre>\n",
            esc(&self.mechanism),
            esc(&self.source.file),
            esc(&self.source.text)
        );
        if let Some(inputs) = &self.inputs {
            let _ = write!(
                h,
                "<details><summary>Every resolved input (after presets, evidence rows and command-line options)</summary>\n<pre>{}</pre>\n</details>\n",
                esc(inputs)
            );
        }
        if let Some(estimand) = &self.estimand {
            section(&mut h, "estimand", "Estimand", estimand);
        }
        section(&mut h, "methods", "Methods", &self.methods);
        section(&mut h, "measures", "Performance measures", self.measures);
        h.push_str("<h2 id=\"results\">Results</h2>\n");
        h.push_str(&markdown_to_html(&self.results));
        for (caption, svg) in &self.figures {
            let _ = write!(
                h,
                "<figure>\n{}\n<figcaption>{}</figcaption>\n</figure>\n",
                svg.trim(),
                esc(caption)
            );
        }
        h.push_str("<h2 id=\"sources\">Sources</h2>\n<ul>\n");
        let _ = writeln!(h, "<li>MSC effect: {}</li>", esc(&self.effect_source));
        for (id, citation) in &self.evidence {
            let _ = writeln!(
                h,
                "<li>Evidence row <code>{}</code>: {}</li>",
                esc(id),
                esc(citation)
            );
        }
        h.push_str("</ul>\n<p class=\"note\">Every default number has its row in <code>trialsim evidence</code>, with a confidence tag.</p>\n");
        h.push_str("<h2 id=\"limitations\">Limitations</h2>\n<ul>\n");
        for note in &self.limitations {
            let _ = writeln!(h, "<li>{}</li>", esc(note));
        }
        h.push_str(
            "<li>The figures are as good as the model and its inputs: the effect size, the outcome's variability and the event rates are assumptions with the sources above, several of them weak; vary them (<code>trialsim sensitivity</code>) before relying on one number.</li>\n\
             <li>Monte Carlo error is shown on every figure; it shrinks with more replicates, the model's error does not.</li>\n</ul>\n",
        );
        let _ = write!(
            h,
            "<h2 id=\"reproduce\">Reproducing this report</h2>\n<pre>{}</pre>\n<p class=\"note\">trialsim {}; the same seed gives bit-identical results on any number of threads or shards.</p>\n</body>\n</html>\n",
            esc(&self.reproduce),
            env!("CARGO_PKG_VERSION")
        );
        h
    }
}

/// The answer in one paragraph, at the sample size whose power is nearest
/// 0.8 from above (the largest if none reaches it).
fn answer(r: &RunReport) -> String {
    let pick = r
        .results
        .iter()
        .filter(|c| c.power_favourable >= 0.8)
        .min_by_key(|c| c.n_per_arm)
        .or_else(|| r.results.iter().max_by_key(|c| c.n_per_arm));
    let Some(c) = pick else {
        return String::from("The run has no sample size.");
    };
    let sided = match r.sided {
        crate::scenario::Sided::Two => "two-sided",
        crate::scenario::Sided::One => "one-sided",
    };
    let reach = if c.power_favourable >= 0.8 {
        "the smallest simulated sample size whose power reaches 0.8"
    } else {
        "the largest simulated sample size; none reached a power of 0.8"
    };
    // The posterior rule's success is its threshold crossed, not a test.
    let (rule, success) = match c.borrow.posterior_threshold {
        Some(t) => (
            format!("judged by a posterior probability of benefit above {t:.4}"),
            "of success".to_string(),
        ),
        None => (
            format!("at {sided} alpha {}", r.alpha),
            "of a significant result (either direction)".to_string(),
        ),
    };
    let mut text = format!(
        "With {} children randomised to MSC and {} to control ({reach}), a {} {} analysis {rule} has a probability of {:.3} (95% Monte Carlo interval {:.3}–{:.3}) {success}, {:.3} ± {:.3} of one favouring MSC, under {}. ",
        c.n_msc,
        c.n_control,
        r.estimand.replace('_', " "),
        name(&r.analysis),
        c.power,
        c.power_ci_low,
        c.power_ci_high,
        c.power_favourable,
        c.power_favourable_mc_se,
        match r.msc_flare_hazard_ratio {
            Some(hr) => format!(
                "an assumed MSC flare hazard ratio of {hr} (estimates are log hazard ratios)"
            ),
            None => format!(
                "an assumed MSC effect of {} on the analysis scale ({})",
                r.effect_mean, r.effect_source
            ),
        },
    );
    if let (Some(a), Some(se)) = (c.assurance, c.assurance_mc_se) {
        let _ = write!(
            text,
            "Averaged over the effect's prior (SD {}), the probability of success (assurance) is {a:.3} ± {se:.3}. ",
            r.effect_sd
        );
    }
    let _ = write!(
        text,
        "The mean estimate is {:.3} against MSC's own effect of {:.3} in the simulated children (bias {:+.3} ± {:.3}). Figures come from {} simulated trials per sample size (seed {}, trialsim {}); every figure carries its Monte Carlo error.",
        c.mean_estimate,
        c.msc_own_effect,
        c.bias_vs_own_effect,
        c.bias_vs_own_effect_mc_se,
        c.replicates,
        r.seed,
        r.trialsim_version
    );
    text
}

/// Renders the report, or `None` when the run did not ask for it.
///
/// # Errors
/// If a plot cannot be drawn.
pub fn render(r: &RunReport) -> Result<Option<Vec<u8>>> {
    let Some(source) = &r.html else {
        return Ok(None);
    };
    let mut figures = Vec::new();
    for (name, draw, caption) in [
        (
            "power.svg",
            chart::power as chart::Draw,
            "Power by sample size, with its 95% Wilson band (power.svg).",
        ),
        (
            "flare.svg",
            chart::flare,
            "Share of children without a flare by week, per arm, with ±1.96 Monte Carlo SE (flare.svg).",
        ),
        (
            "km.svg",
            chart::km,
            "Kaplan-Meier flare-free curves per arm at the largest sample size: the median of the trials' curves, the 5-95% range of the trials' curves, and the curve the model expects (km.svg).",
        ),
        (
            "estimand_bias.svg",
            chart::estimand_bias,
            "Mean estimate minus MSC's own effect under each estimand strategy, with ±1.96 Monte Carlo SE (estimand_bias.svg).",
        ),
    ] {
        if let Some(bytes) = draw(r, name, Format::Svg)? {
            figures.push((
                caption.to_string(),
                String::from_utf8_lossy(&bytes).into_owned(),
            ));
        }
    }
    let page = Document {
        title: format!("trialsim report: {}", r.scenario),
        description: r.description.clone(),
        answer: answer(r),
        aims: "To estimate, for each candidate sample size, the probability that the trial described below gives a significant result (power), the probability of one favouring MSC, the bias and coverage of its estimate, and (where the scenario has them) flare risks and assurance, before any child is enrolled.",
        mechanism: format!(
            "Design: {}; endpoint {}{}; visits up to the primary visit at week {}; follow-up {} weeks. Each simulated child has a baseline and a change by the primary visit drawn from the population's distribution (with the correlation the scenario gives), MSC's effect added in the MSC arm, intermediate visits on a Brownian bridge, and values rounded and bounded to the scale; flares, withdrawal and concomitant therapies follow the scenario's hazards when it has them.",
            name(&r.design),
            name(&r.endpoint),
            r.disease
                .map(|d| format!(" ({} preset)", name(&d)))
                .unwrap_or_default(),
            r.primary_week,
            r.follow_up_weeks,
        ) + if r.msc_flare_hazard_ratio.is_some() {
            " The primary endpoint is the time to the first flare, censored at the end of follow-up and at dropout; in a randomized withdrawal design every child enters an open-label MSC run-in, responders are randomised to continue or to withdraw (MSC's effect waning there), and flares count from randomisation."
        } else {
            ""
        },
        source,
        inputs: Some(serde_json::to_string_pretty(&r.inputs).unwrap_or_default()),
        estimand: Some(format!(
            "Strategy: {} (ICH E9(R1)); the estimate is MSC minus control on the {} scale. Bias is measured against MSC's own effect in the simulated children (each child's outcome under both arms){}.",
            r.estimand.replace('_', " "),
            r.estimate_scale.replace('_', " "),
            if r.standard_therapy_policy.is_some() {
                ", and against the chosen estimand's true value"
            } else {
                ""
            }
        )),
        methods: format!(
            "Analysis: {}; decision: {} at alpha {} ({}). {} replicates per sample size, seed {}, trialsim {}, {} threads (results are identical on any number of threads).",
            name(&r.analysis),
            r.decision,
            r.alpha,
            name(&r.sided),
            r.replicates,
            r.seed,
            r.trialsim_version,
            r.threads
        ),
        measures: "Power: the share of simulated trials with a significant result, with its Monte Carlo SE sqrt(p(1-p)/R) and a 95% Wilson interval; the share significant in MSC's favour; bias: the mean estimate minus the true value, with its Monte Carlo SE (SD of the estimates / sqrt(R)); coverage of the 95% confidence interval; and the share of trials whose analysis failed.",
        results: markdown::render(r),
        figures,
        effect_source: r.effect_source.clone(),
        evidence: r
            .evidence_used
            .iter()
            .map(|e| (e.id.clone(), e.citation.clone()))
            .collect(),
        limitations: r.notes.iter().chain(&r.warnings).cloned().collect(),
        reproduce: format!(
            "trialsim run {} --seed {} --replicates {} --report",
            source.file, r.seed, r.replicates
        ),
    };
    Ok(Some(page.render().into_bytes()))
}

/// `report.html` as an exporter (written only by `run --report`).
pub struct ReportHtml;

impl super::Exporter for ReportHtml {
    fn file_name(&self) -> &'static str {
        "report.html"
    }

    fn render(&self, report: &RunReport) -> Result<Option<Vec<u8>>> {
        render(report)
    }
}
