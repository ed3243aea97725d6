//! `trialsim evidence` and `trialsim cases` as Markdown: the evidence rows
//! behind every default number, and the seed case series. Printed on stdout
//! (`--json` prints the records themselves), never written to a run's folder.

use std::fmt::Write;

use crate::evidence::{Case, Row};

/// The evidence table as Markdown.
pub fn evidence(rows: &[Row]) -> String {
    let mut out = String::from(
        "| id | quantity | value | uncertainty | n | population | follow-up | citation | tag |\n|---|---|---|---|---|---|---|---|---|\n",
    );
    for r in rows {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} | {} | {:?} |",
            r.id,
            r.quantity,
            r.value,
            r.spread(),
            r.n,
            r.population,
            r.follow_up,
            r.citation,
            r.confidence
        );
    }
    out.push_str(
        "\nTags: C confirmed, P partly confirmed, M from memory, D derived, A assumption.\n",
    );
    out
}

/// The seed case series as Markdown.
pub fn cases(cases: &[Case]) -> String {
    let mut out = String::from(
        "Wong SC et al., Pediatr Rheumatol 2021: three children given MSC outside a trial.\n\n\
         | case | diagnosis | age onset / MSC / follow-up | MSC source | dose per kg | route | PGA before -> after | activity before -> after | concomitant | adverse events |\n\
         |---|---|---|---|---|---|---|---|---|---|\n",
    );
    for c in cases {
        let _ = writeln!(
            out,
            "| {} | {} | {} / {} / {} | {} | {:.1e} ({}) | {} | {} -> {}{} | {} {} -> {} | {} | {} |",
            c.id,
            c.diagnosis,
            c.age_onset_years,
            c.age_msc_years,
            c.age_follow_up_years,
            c.msc_source,
            c.dose_per_kg,
            c.dose_note,
            c.route,
            c.pga_before,
            c.pga_after,
            if c.pga_note.is_empty() {
                String::new()
            } else {
                format!(" ({})", c.pga_note)
            },
            c.activity_scale,
            c.activity_before,
            c.activity_after,
            c.concomitant,
            c.adverse_events
        );
    }
    out
}
