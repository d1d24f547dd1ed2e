//! The README's sample output states counts of the scenario library (how many scenarios, per
//! group, how many app checks): they are the library's as it is.

use std::collections::BTreeMap;
use std::path::Path;

use harness::scenario;

fn readme() -> String {
    std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../README.md")).unwrap()
}

/// The library's files: the protocol scenarios by folder, and the app checks.
fn library() -> (BTreeMap<String, usize>, usize) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios");
    let mut groups = BTreeMap::new();
    let mut app_checks = 0;
    for file in scenario::discover(&[root]).unwrap() {
        if scenario::is_app_check(&file) {
            app_checks += 1;
            continue;
        }
        let group = file.parent().unwrap().file_name().unwrap();
        *groups
            .entry(group.to_string_lossy().into_owned())
            .or_default() += 1;
    }
    (groups, app_checks)
}

#[test]
fn the_main_jobs_sample_summary_counts_the_library_as_it_is() {
    let readme = readme();
    let (groups, _) = library();
    let total: usize = groups.values().sum();
    for said in [
        format!("[  1/{total}] ok"),
        format!("{total} passed, 0 failed"),
        format!("scenarios: {total} in"),
    ] {
        assert!(readme.contains(&said), "the README says {said:?}");
    }
    let after_header = readme
        .split("\ngroup ")
        .nth(1)
        .expect("the sample summary")
        .split_once("passed  failed\n")
        .expect("the summary's header")
        .1;
    let table = after_header.split_once("\n\n").unwrap().0;
    let shown: BTreeMap<String, usize> = table
        .lines()
        .map(|line| {
            let columns: Vec<&str> = line.split_whitespace().collect();
            (columns[0].to_owned(), columns[1].parse().unwrap())
        })
        .collect();
    assert_eq!(shown, groups, "the README's summary table, group by group");
}

#[test]
fn the_app_tests_sample_output_counts_the_app_checks_as_they_are() {
    let readme = readme();
    let (_, checks) = library();
    for said in [
        format!("; {checks} checks against provider"),
        format!("[  1/{checks}] ok"),
    ] {
        assert!(readme.contains(&said), "the README says {said:?}");
    }
}
