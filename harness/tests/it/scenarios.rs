//! The scenario library as a test: every scenario passes against the reference ecosystem, and its
//! transcript matches the committed snapshot (`cargo insta review` to accept a change).

use std::path::Path;

use harness::scenario::{self, Loaded};

fn run(path: &Path, runtime: &tokio::runtime::Runtime) -> scenario::Outcome {
    let scenario =
        scenario::load(path).unwrap_or_else(|problems| panic!("{}", problems.join("\n")));
    runtime.block_on(scenario::run(&Loaded {
        path: path.to_owned(),
        scenario,
    }))
}

#[test]
fn every_scenario_passes_and_its_transcript_matches_the_snapshot() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    insta::glob!("../../../scenarios", "**/*.yaml", |path| {
        // The app checks need an app: the `app` tests run them.
        if scenario::is_app_check(path) {
            return;
        }
        let outcome = run(path, &runtime);
        let failures: Vec<String> = outcome
            .failures
            .iter()
            .map(|f| {
                format!(
                    "step {}: {}: expected {}, got {}",
                    f.step, f.check, f.expected, f.actual
                )
            })
            .collect();
        assert!(
            outcome.passed(),
            "{}:\n{}",
            path.display(),
            failures.join("\n")
        );
        insta::assert_snapshot!(outcome.transcript);
    });
}

#[test]
fn transcripts_are_the_same_bytes_on_every_run() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let library = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios");
    for file in scenario::discover(&[library]).unwrap() {
        if scenario::is_app_check(&file) {
            continue;
        }
        let first = run(&file, &runtime).transcript;
        let second = run(&file, &runtime).transcript;
        assert_eq!(first, second, "{} differs between runs", file.display());
    }
}

#[test]
fn every_weakness_of_the_reference_client_is_caught_by_some_scenario() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let library = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios");
    let files = scenario::discover(&[library]).unwrap();
    let loaded =
        scenario::load_all(&files).unwrap_or_else(|problems| panic!("{}", problems.join("\n")));
    let report = runtime.block_on(scenario::self_check(
        &loaded,
        8,
        &sample_client::Weakness::ALL,
    ));
    assert!(
        report.failing_baseline.is_empty(),
        "{:?}",
        report.failing_baseline
    );
    // The rest show only in the app checks, which `fauxauth weaknesses --check --app` runs
    // against the reference client as a process.
    let uncaught: Vec<_> = report
        .uncaught()
        .into_iter()
        .filter(|w| !w.app_checks_only())
        .collect();
    assert_eq!(uncaught, [], "\n{}", report.table());
}
