//! `fauxauth run`: the scenario library against the built-in ecosystem.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::time::Instant;

use std::io::IsTerminal as _;

use anyhow::{Context as _, bail};
use harness::scenario::{self, Loaded, Outcome};
use indicatif::{ProgressBar, ProgressStyle};
use sample_client::Weakness;

use crate::process::announce;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Scenario files or folders (searched for `.yaml`). Without one: `./scenarios` when there
    /// is one, else the library built into fauxauth. The app checks (`app/`) are left out: they
    /// run against an app, with `fauxauth test`.
    paths: Vec<PathBuf>,
    /// Run only scenarios whose name, path or tags contain this.
    #[arg(long)]
    filter: Option<String>,
    /// How many scenarios run at once.
    #[arg(long, default_value_t = 8)]
    jobs: usize,
    /// Write a JUnit XML report here.
    #[arg(long)]
    junit: Option<PathBuf>,
    /// Write a JSON report here.
    #[arg(long)]
    json: Option<PathBuf>,
    /// Write a self-contained HTML report here: each scenario as a sequence diagram.
    #[arg(long, value_name = "FILE")]
    html: Option<PathBuf>,
    /// Write each scenario's transcript into this folder (`<group>/<file>.yaml`).
    #[arg(long, value_name = "DIR")]
    transcripts: Option<PathBuf>,
    /// Run against a reference client with this protection switched off (repeatable): the
    /// scenarios that then fail are the ones that catch it.
    #[arg(long = "weakness", value_name = "NAME")]
    weaknesses: Vec<Weakness>,
}

/// `fauxauth weaknesses`: which scenarios catch each of the client's weaknesses.
#[derive(Debug, clap::Args)]
pub struct WeaknessArgs {
    /// Scenario files or folders (`./scenarios`, or the built-in library, when none).
    paths: Vec<PathBuf>,
    /// Also run the app checks against the reference client started as a separate process
    /// through this app file (`examples/reference-client/fauxauth.app.yaml`), once with every
    /// protection on and once per weakness: a weakness counts as caught by a failing scenario
    /// or app check, and every app check must catch one.
    #[arg(long, value_name = "APP_FILE")]
    app: Option<PathBuf>,
    /// Run the self-check: fail when some weakness is caught by no scenario.
    #[arg(long)]
    check: bool,
    /// How many scenarios run at once.
    #[arg(long, default_value_t = 8)]
    jobs: usize,
}

/// The protocol scenarios at `paths`, or where they are by default (app checks left out).
pub fn protocol_scenarios(paths: &[PathBuf]) -> anyhow::Result<Vec<Loaded>> {
    let local = PathBuf::from("scenarios");
    let loaded = if paths.is_empty() && !local.is_dir() {
        scenario::load_built_in(false)
    } else {
        let paths = if paths.is_empty() {
            vec![local]
        } else {
            paths.to_vec()
        };
        let files: Vec<PathBuf> = scenario::discover(&paths)
            .map_err(anyhow::Error::msg)?
            .into_iter()
            .filter(|f| !scenario::is_app_check(f))
            .collect();
        if files.is_empty() {
            bail!("no protocol scenario there (the app checks in app/ run with fauxauth test)");
        }
        scenario::load_all(&files)
    };
    loaded.map_err(|problems| {
        anyhow::anyhow!(
            "{} problem(s) in the scenarios; nothing was run:\n{}",
            problems.len(),
            problems.join("\n")
        )
    })
}

pub async fn run(args: Args) -> anyhow::Result<bool> {
    let loaded = protocol_scenarios(&args.paths)?;
    let selected: Vec<Loaded> = loaded
        .into_iter()
        .filter(|l| match &args.filter {
            None => true,
            Some(f) => {
                l.scenario.name.contains(f.as_str())
                    || l.path.display().to_string().contains(f.as_str())
                    || l.scenario.tags.iter().any(|t| t == f)
            }
        })
        .collect();
    if selected.is_empty() {
        bail!("no scenario matches");
    }
    let started = Instant::now();
    // A progress bar on a terminal; a plain line per scenario otherwise (CI logs).
    let bar = std::io::stdout().is_terminal().then(|| {
        let bar = ProgressBar::new(selected.len() as u64);
        bar.set_style(
            ProgressStyle::with_template("{bar:40} {pos}/{len} {msg}")
                .expect("a valid template")
                .progress_chars("=> "),
        );
        bar
    });
    let shown = bar.clone();
    let outcomes = scenario::run_all(
        &selected,
        args.jobs,
        &args.weaknesses,
        move |n, total, outcome| {
            let verdict = if outcome.passed() { "ok  " } else { "FAIL" };
            let line = format!(
                "[{n:>3}/{total}] {verdict} {} ({} ms)",
                outcome.path,
                outcome.elapsed.as_millis()
            );
            match &shown {
                Some(bar) => {
                    if !outcome.passed() {
                        bar.println(line);
                    }
                    bar.set_message(outcome.path.clone());
                    bar.inc(1);
                }
                None => announce(&line),
            }
        },
    )
    .await;
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    let elapsed = started.elapsed();

    let failed: Vec<&Outcome> = outcomes.iter().filter(|o| !o.passed()).collect();
    for outcome in &failed {
        announce(&failure_report(outcome));
    }
    announce(&summary(&outcomes, elapsed));
    if let Some(dir) = &args.transcripts {
        for outcome in &outcomes {
            let path = dir.join(relative(&outcome.path));
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent)
                    .with_context(|| format!("creating {}", parent.display()))?;
            }
            std::fs::write(&path, &outcome.transcript)
                .with_context(|| format!("writing {}", path.display()))?;
        }
    }
    if let Some(path) = &args.json {
        std::fs::write(path, json_report(&outcomes, elapsed))
            .with_context(|| format!("writing {}", path.display()))?;
    }
    if let Some(path) = &args.junit {
        std::fs::write(path, junit_report(&outcomes, elapsed))
            .with_context(|| format!("writing {}", path.display()))?;
    }
    if let Some(path) = &args.html {
        std::fs::write(path, html_report(&outcomes, elapsed))
            .with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(failed.is_empty())
}

/// `scenarios/code/replay.yaml` → `code/replay.yaml`: the last two parts of a scenario's path.
fn relative(path: &str) -> PathBuf {
    let parts: Vec<&str> = path.rsplit('/').take(2).collect();
    parts.into_iter().rev().collect()
}

/// Lists the weaknesses with the scenarios that catch each; with `check`, fails when one is
/// caught by none.
pub async fn weaknesses(args: WeaknessArgs) -> anyhow::Result<bool> {
    if !args.check {
        for w in Weakness::ALL {
            announce(&format!(
                "{:<26} {} ({})",
                w.name(),
                w.what_is_lost(),
                w.presets()
            ));
        }
        announce("\nfauxauth weaknesses --check runs the self-check.");
        return Ok(true);
    }
    let loaded = protocol_scenarios(&args.paths)?;
    let started = Instant::now();
    // One word of warning, not one per client started.
    eprintln!(
        "fauxauth: the reference client now runs with each of its {} weaknesses in turn, on \
         purpose, on this machine only",
        Weakness::ALL.len()
    );
    let mut report = scenario::self_check(&loaded, args.jobs, &Weakness::ALL).await;
    let mut app_report = None;
    if let Some(file) = &args.app {
        let checks = harness::app::checks(None, None)
            .or_else(|_| harness::app::checks(Some(&PathBuf::from("scenarios")), None))
            .map_err(|p| anyhow::anyhow!("{}", p.join("\n")))?;
        let found = harness::app::self_check(file, &checks, &Weakness::ALL).await?;
        report.merge(&found.caught, &found.failing_baseline);
        app_report = Some(found);
    }
    for path in &report.failing_baseline {
        announce(&format!("FAIL with every protection on: {path}"));
    }
    announce(&report.table());
    let mut passed = report.passed();
    if let Some(found) = &app_report {
        let idle = found.catching_nothing();
        for check in &idle {
            announce(&format!(
                "app check {check} catches no weakness of the reference client"
            ));
        }
        passed &= idle.is_empty();
    }
    let uncaught = report.uncaught();
    announce(&format!(
        "{} weaknesses, {} caught, {} not caught ({:.2} s)",
        report.caught.len(),
        report.caught.len() - uncaught.len(),
        uncaught.len(),
        started.elapsed().as_secs_f64()
    ));
    Ok(passed)
}

fn failure_report(outcome: &Outcome) -> String {
    let mut out = format!("\nFAILED {} — {}\n", outcome.path, outcome.name);
    for f in &outcome.failures {
        let _ = writeln!(
            out,
            "  step {}: {}\n    expected: {}\n    actual:   {}",
            f.step, f.check, f.expected, f.actual
        );
    }
    if let Some(first) = outcome.failures.first().filter(|f| !f.context.is_empty()) {
        let _ = writeln!(out, "  transcript of step {}:", first.step);
        for line in first.context.lines() {
            let _ = writeln!(out, "    {line}");
        }
    }
    out
}

/// The summary table: per folder, how many passed and failed, and the time taken.
pub fn summary(outcomes: &[Outcome], elapsed: std::time::Duration) -> String {
    let mut groups: std::collections::BTreeMap<String, (usize, usize)> = Default::default();
    for o in outcomes {
        let group = std::path::Path::new(&o.path)
            .parent()
            .and_then(|p| p.file_name())
            .map_or_else(|| ".".to_owned(), |n| n.to_string_lossy().into_owned());
        let entry = groups.entry(group).or_default();
        if o.passed() {
            entry.0 += 1
        } else {
            entry.1 += 1
        }
    }
    let width = groups.keys().map(String::len).max().unwrap_or(5).max(5);
    let mut out = format!("\n{:<width$}  passed  failed\n", "group");
    for (group, (passed, failed)) in &groups {
        let _ = writeln!(out, "{group:<width$}  {passed:>6}  {failed:>6}");
    }
    let passed = outcomes.iter().filter(|o| o.passed()).count();
    let failed = outcomes.len() - passed;
    let _ = write!(
        out,
        "\n{passed} passed, {failed} failed\nscenarios: {} in {:.2} s",
        outcomes.len(),
        elapsed.as_secs_f64()
    );
    out
}

fn json_report(outcomes: &[Outcome], elapsed: std::time::Duration) -> String {
    let scenarios: Vec<_> = outcomes
        .iter()
        .map(|o| {
            serde_json::json!({
                "name": o.name, "path": o.path, "tags": o.tags, "passed": o.passed(),
                "millis": o.elapsed.as_millis() as u64,
                "failures": o.failures.iter().map(|f| serde_json::json!({
                    "step": f.step, "check": f.check, "expected": f.expected, "actual": f.actual,
                })).collect::<Vec<_>>(),
            })
        })
        .collect();
    let passed = outcomes.iter().filter(|o| o.passed()).count();
    serde_json::to_string_pretty(&serde_json::json!({
        "passed": passed, "failed": outcomes.len() - passed,
        "seconds": elapsed.as_secs_f64(), "scenarios": scenarios,
    }))
    .expect("a report serializes")
}

fn junit_report(outcomes: &[Outcome], elapsed: std::time::Duration) -> String {
    let failed = outcomes.iter().filter(|o| !o.passed()).count();
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out,
        "<testsuite name=\"fauxauth\" tests=\"{}\" failures=\"{failed}\" time=\"{:.3}\">",
        outcomes.len(),
        elapsed.as_secs_f64()
    );
    for o in outcomes {
        let _ = write!(
            out,
            "  <testcase classname=\"{}\" name=\"{}\" time=\"{:.3}\"",
            xml(&o.path),
            xml(&o.name),
            o.elapsed.as_secs_f64()
        );
        if o.passed() {
            out.push_str("/>\n");
        } else {
            out.push_str(">\n");
            for f in &o.failures {
                let _ = writeln!(
                    out,
                    "    <failure message=\"step {}: {}\">expected: {}\nactual: {}</failure>",
                    xml(&f.step),
                    xml(&f.check),
                    xml(&f.expected),
                    xml(&f.actual)
                );
            }
            out.push_str("  </testcase>\n");
        }
    }
    out.push_str("</testsuite>\n");
    out
}

/// Escapes text for XML attributes and content.
fn xml(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn html_report(outcomes: &[Outcome], elapsed: std::time::Duration) -> String {
    let items: Vec<harness::report::Item<'_>> = outcomes
        .iter()
        .map(|o| harness::report::Item {
            id: relative(&o.path).with_extension("").display().to_string(),
            name: &o.name,
            verdict: if o.passed() { "passed" } else { "failed" },
            note: String::new(),
            refs: &[],
            why: "",
            failures: o.failures.iter().collect(),
            record: Some(&o.record),
        })
        .collect();
    let passed = outcomes.iter().filter(|o| o.passed()).count();
    let summary = vec![(
        "scenarios".to_owned(),
        format!(
            "{passed} passed, {} failed in {:.2} s",
            outcomes.len() - passed,
            elapsed.as_secs_f64()
        ),
    )];
    harness::report::html("fauxauth run", &summary, &items)
}
