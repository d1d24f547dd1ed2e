//! What `fauxauth test` says: a failure in plain words (what the app accepted, why it matters,
//! the requirement, the transcript), the summary, and the JSON, JUnit and HTML reports.

use std::fmt::Write as _;

use super::{CheckResult, Report, Verdict};
use crate::scenario::model::Severity;

/// The verdict's word.
pub fn verdict_word(verdict: &Verdict) -> &'static str {
    match verdict {
        Verdict::Passed => "passed",
        Verdict::Failed => "failed",
        Verdict::Warned => "warned",
        Verdict::Skipped(_) => "skipped",
    }
}

/// A check that did not pass, as a person should read it.
pub fn failure(result: &CheckResult) -> String {
    let scenario = &result.check.scenario;
    let head = match result.verdict {
        Verdict::Failed => "FAILED",
        _ => "WARNING",
    };
    let mut out = format!("\n{head} {} — {}\n", result.id(), scenario.name);
    let why = scenario
        .why
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    let _ = writeln!(out, "  {why}");
    if !scenario.refs.is_empty() {
        let _ = writeln!(out, "  requirement: {}", scenario.refs.join("; "));
    }
    if let Some(fact) = result.relaxed_by {
        let _ = writeln!(
            out,
            "  a warning, not a failure: the app has {}, which stands in for this protection \
             (--strict fails on it)",
            fact.name(),
        );
    } else if result.severity == Severity::Should && result.verdict == Verdict::Warned {
        out.push_str(
            "  a warning: defence in depth, not a requirement here (--strict fails on it)\n",
        );
    }
    if let Some(outcome) = &result.outcome {
        for f in &outcome.failures {
            let _ = writeln!(
                out,
                "  step {}: {}\n    expected: {}\n    actual:   {}",
                f.step, f.check, f.expected, f.actual
            );
        }
        // A warning's transcript is in the reports (--html, --json); a failure's is printed.
        if let Some(first) = outcome
            .failures
            .first()
            .filter(|f| !f.context.is_empty() && result.verdict == Verdict::Failed)
        {
            let _ = writeln!(out, "  transcript of step {}:", first.step);
            for line in first.context.lines() {
                let _ = writeln!(out, "    {line}");
            }
        }
    }
    out
}

/// The checks as a Markdown table (`fauxauth test --list`): id, what it checks, its level, the
/// facts that relax it or that it needs, and its requirements. The README's table is this text.
pub fn list(checks: &[crate::scenario::Loaded]) -> String {
    let facts = |list: &[crate::scenario::model::Fact]| {
        list.iter()
            .map(|f| format!("`{}`", f.name()))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut out = String::from(
        "| check | what it checks | level | relaxed by | applies when | requirements |\n\
         |---|---|---|---|---|---|\n",
    );
    for check in checks {
        let s = &check.scenario;
        let mut relaxed = facts(&s.relaxed_by);
        if !s.not_relaxed_for.is_empty() {
            let _ = write!(relaxed, " (not for {})", facts(&s.not_relaxed_for));
        }
        let mut applies = facts(&s.applies_when);
        if !s.unless.is_empty() {
            let _ = write!(
                applies,
                "{}not {}",
                if applies.is_empty() { "" } else { "; " },
                facts(&s.unless)
            );
        }
        let _ = writeln!(
            out,
            "| `{}` | {} | {} | {relaxed} | {applies} | {} |",
            super::check_id(&check.path),
            s.name,
            match s.level {
                Severity::Must => "must",
                Severity::Should => "should",
            },
            s.refs.join("; "),
        );
    }
    out
}

/// The summary: by kind of check, how many passed, failed, warned and were skipped.
pub fn summary(report: &Report) -> String {
    let mut groups: std::collections::BTreeMap<&str, [usize; 4]> = Default::default();
    for r in &report.results {
        let group = r
            .check
            .scenario
            .tags
            .first()
            .map_or("other", String::as_str);
        let counts = groups.entry(group).or_default();
        counts[match r.verdict {
            Verdict::Passed => 0,
            Verdict::Failed => 1,
            Verdict::Warned => 2,
            Verdict::Skipped(_) => 3,
        }] += 1;
    }
    let width = groups.keys().map(|g| g.len()).max().unwrap_or(5).max(5);
    let mut out = format!("\n{:<width$}  passed  failed  warned  skipped\n", "checks");
    for (group, [p, f, w, s]) in &groups {
        let _ = writeln!(out, "{group:<width$}  {p:>6}  {f:>6}  {w:>6}  {s:>7}");
    }
    let facts: Vec<&str> = report.facts.iter().map(|f| f.name()).collect();
    let _ = write!(
        out,
        "\nlearned from the normal login: {}\n{} passed, {} failed, {} warned, {} skipped{}\nchecks: {} in {:.2} s",
        if facts.is_empty() {
            "nothing".to_owned()
        } else {
            facts.join(", ")
        },
        report.count(|v| *v == Verdict::Passed),
        report.count(|v| *v == Verdict::Failed),
        report.count(|v| *v == Verdict::Warned),
        report.count(|v| matches!(v, Verdict::Skipped(_))),
        if report.strict {
            " (strict: warnings fail)"
        } else {
            ""
        },
        report.results.len(),
        report.elapsed.as_secs_f64()
    );
    out
}

/// The JSON report.
pub fn json(report: &Report) -> String {
    let checks: Vec<_> = report
        .results
        .iter()
        .map(|r| {
            let scenario = &r.check.scenario;
            serde_json::json!({
                "id": r.id(),
                "name": scenario.name,
                "verdict": verdict_word(&r.verdict),
                "skipped_because": match &r.verdict { Verdict::Skipped(why) => Some(why), _ => None },
                "level": match r.severity { Severity::Must => "must", Severity::Should => "should" },
                "relaxed_by": r.relaxed_by.map(|f| f.name()),
                "refs": scenario.refs,
                "why": scenario.why.split_whitespace().collect::<Vec<_>>().join(" "),
                "millis": r.outcome.as_ref().map(|o| o.elapsed.as_millis() as u64),
                "failures": r.outcome.iter().flat_map(|o| &o.failures).map(|f| serde_json::json!({
                    "step": f.step, "check": f.check, "expected": f.expected, "actual": f.actual,
                })).collect::<Vec<_>>(),
            })
        })
        .collect();
    serde_json::to_string_pretty(&serde_json::json!({
        "app": report.app,
        "passed": report.passed(),
        "strict": report.strict,
        "facts": report.facts.iter().map(|f| f.name()).collect::<Vec<_>>(),
        "seconds": report.elapsed.as_secs_f64(),
        "checks": checks,
    }))
    .expect("a report serializes")
}

/// The JUnit report: a failed `must` is a failure; a warning is a failure only when strict,
/// and otherwise shows in the test's output; a skipped check is skipped.
pub fn junit(report: &Report) -> String {
    let failed = report
        .results
        .iter()
        .filter(|r| r.verdict == Verdict::Failed || (report.strict && r.verdict == Verdict::Warned))
        .count();
    let skipped = report.count(|v| matches!(v, Verdict::Skipped(_)));
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out,
        "<testsuite name=\"fauxauth test\" tests=\"{}\" failures=\"{failed}\" skipped=\"{skipped}\" time=\"{:.3}\">",
        report.results.len(),
        report.elapsed.as_secs_f64()
    );
    for r in &report.results {
        let seconds = r.outcome.as_ref().map_or(0.0, |o| o.elapsed.as_secs_f64());
        let _ = write!(
            out,
            "  <testcase classname=\"app\" name=\"{}: {}\" time=\"{seconds:.3}\">",
            xml(&r.id()),
            xml(&r.check.scenario.name)
        );
        match &r.verdict {
            Verdict::Passed => {}
            Verdict::Skipped(why) => {
                let _ = write!(out, "<skipped message=\"{}\"/>", xml(why));
            }
            Verdict::Warned if !report.strict => {
                let _ = write!(out, "<system-out>{}</system-out>", xml(&failure(r)));
            }
            _ => {
                let _ = write!(
                    out,
                    "<failure message=\"{}\">{}</failure>",
                    xml(&r.check.scenario.name),
                    xml(&failure(r))
                );
            }
        }
        out.push_str("</testcase>\n");
    }
    out.push_str("</testsuite>\n");
    out
}

/// The HTML report (see `crate::report`).
pub fn html(report: &Report) -> String {
    let items: Vec<crate::report::Item<'_>> = report
        .results
        .iter()
        .map(|r| crate::report::Item {
            id: r.id(),
            name: &r.check.scenario.name,
            verdict: verdict_word(&r.verdict),
            note: match (&r.verdict, r.relaxed_by) {
                (Verdict::Skipped(why), _) => why.clone(),
                (_, Some(fact)) => format!("should: the app has {}", fact.name()),
                _ if r.severity == Severity::Should => "should".into(),
                _ => String::new(),
            },
            refs: &r.check.scenario.refs,
            why: &r.check.scenario.why,
            failures: r.outcome.iter().flat_map(|o| &o.failures).collect(),
            record: r.outcome.as_ref().map(|o| &o.record),
        })
        .collect();
    let summary = vec![
        ("app file".to_owned(), report.app.clone()),
        (
            "verdict".to_owned(),
            if report.passed() { "passed" } else { "FAILED" }.to_owned(),
        ),
        (
            "checks".to_owned(),
            format!(
                "{} passed, {} failed, {} warned, {} skipped in {:.2} s{}",
                report.count(|v| *v == Verdict::Passed),
                report.count(|v| *v == Verdict::Failed),
                report.count(|v| *v == Verdict::Warned),
                report.count(|v| matches!(v, Verdict::Skipped(_))),
                report.elapsed.as_secs_f64(),
                if report.strict { " (strict)" } else { "" }
            ),
        ),
        (
            "learned from the normal login".to_owned(),
            report
                .facts
                .iter()
                .map(|f| f.name())
                .collect::<Vec<_>>()
                .join(", "),
        ),
    ];
    crate::report::html("fauxauth test", &summary, &items)
}

/// Escapes text for XML attributes and content.
pub fn xml(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}
