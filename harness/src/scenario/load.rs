//! Loading scenario files: every problem reported with file, line, step and field before anything
//! runs.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::model::{Action, Scenario};

/// A scenario and where it came from.
#[derive(Clone, Debug)]
pub struct Loaded {
    pub path: PathBuf,
    pub scenario: Scenario,
}

/// The scenario library as built into this binary, deflated (`build.rs` says how it is laid out).
const BUILT_IN: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/library.deflate"));

/// The scenario library built into this binary: (path, text), paths as in the repository
/// (`scenarios/code/replayed-code.yaml`), sorted. Inflated on each call (a few milliseconds).
pub fn built_in() -> Vec<(String, String)> {
    let raw = miniz_oxide::inflate::decompress_to_vec(BUILT_IN)
        .expect("build.rs deflated the library it wrote");
    let mut rest = raw.as_slice();
    let mut next = || -> Option<String> {
        let (len, tail) = rest.split_first_chunk::<4>()?;
        let (part, tail) =
            tail.split_at_checked(usize::try_from(u32::from_le_bytes(*len)).ok()?)?;
        rest = tail;
        Some(String::from_utf8_lossy(part).into_owned())
    };
    let mut files = Vec::new();
    while let (Some(path), Some(text)) = (next(), next()) {
        files.push((path, text));
    }
    files
}

/// The folder of the app checks (`fauxauth test`); the rest is the protocol library
/// (`fauxauth run`).
pub const APP_GROUP: &str = "app";

/// Whether a scenario is an app check: it lives in `scenarios/app/`.
pub fn is_app_check(path: &Path) -> bool {
    path.parent()
        .and_then(Path::file_name)
        .is_some_and(|group| group == APP_GROUP)
}

/// Loads the built-in library: the app checks, or the protocol scenarios.
pub fn load_built_in(app_checks: bool) -> Result<Vec<Loaded>, Vec<String>> {
    let mut loaded = Vec::new();
    let mut problems = Vec::new();
    for (path, text) in built_in() {
        let path = PathBuf::from(path);
        if is_app_check(&path) != app_checks {
            continue;
        }
        let origin = format!("(built in) {}", path.display());
        let parsed = if app_checks {
            parse_app_check(&text, &origin)
        } else {
            parse(&text, &origin)
        };
        match parsed {
            Ok(scenario) => loaded.push(Loaded { path, scenario }),
            Err(mut p) => problems.append(&mut p),
        }
    }
    if problems.is_empty() {
        Ok(loaded)
    } else {
        Err(problems)
    }
}

/// Every `.yaml` / `.yml` file under `paths` (files are taken as they are), sorted.
pub fn discover(paths: &[PathBuf]) -> Result<Vec<PathBuf>, String> {
    let mut out = Vec::new();
    for path in paths {
        if path.is_dir() {
            walk(path, &mut out).map_err(|e| format!("{}: {e}", path.display()))?;
        } else if path.exists() {
            out.push(path.clone());
        } else {
            return Err(format!("{}: no such file or directory", path.display()));
        }
    }
    out.sort();
    out.dedup();
    Ok(out)
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            walk(&path, out)?;
        } else if path.extension().is_some_and(|e| e == "yaml" || e == "yml") {
            out.push(path);
        }
    }
    Ok(())
}

/// Loads every file; all the problems of all files, or every scenario.
pub fn load_all(files: &[PathBuf]) -> Result<Vec<Loaded>, Vec<String>> {
    let mut loaded = Vec::new();
    let mut problems = Vec::new();
    for path in files {
        match load(path) {
            Ok(scenario) => loaded.push(Loaded {
                path: path.clone(),
                scenario,
            }),
            Err(mut p) => problems.append(&mut p),
        }
    }
    if problems.is_empty() {
        Ok(loaded)
    } else {
        Err(problems)
    }
}

/// Reads, parses and checks one scenario file (as an app check when it is in `app/`).
pub fn load(path: &Path) -> Result<Scenario, Vec<String>> {
    let origin = path.display().to_string();
    let text =
        std::fs::read_to_string(path).map_err(|e| vec![format!("{origin}: cannot read: {e}")])?;
    if is_app_check(path) {
        parse_app_check(&text, &origin)
    } else {
        parse(&text, &origin)
    }
}

/// Parses and checks an app check: a scenario that runs against an app fauxauth knows only by
/// what it shows, in a world the app file describes. So no `setup`; only what a person and the
/// provider can do (browser steps, rules, keys); no verdict only the reference client can give
/// (`client.error`); and no moving the clock, which the app does not read.
pub fn parse_app_check(text: &str, origin: &str) -> Result<Scenario, Vec<String>> {
    let scenario = parse(text, origin)?;
    let mut problems = Vec::new();
    let setup = &scenario.setup;
    if setup.provider.is_some()
        || setup.preset.is_some()
        || setup.resource.is_some()
        || setup.client.is_some()
        || setup.start.is_some()
    {
        problems.push(format!(
            "{origin}: setup: an app check runs in the world its app file describes; it has no setup"
        ));
    }
    if scenario.why.trim().is_empty() {
        problems.push(format!(
            "{origin}: why: an app check says, in plain words, what a failing app accepted and why it matters"
        ));
    }
    if scenario.refs.is_empty() {
        problems.push(format!(
            "{origin}: refs: an app check names the requirements it checks"
        ));
    }
    for (i, step) in scenario.steps.iter().enumerate() {
        let allowed = matches!(
            step.action,
            Action::Login(_)
                | Action::Visit(_)
                | Action::Open(_)
                | Action::Explore(_)
                | Action::Logout(_)
                | Action::RotateKeys(_)
                | Action::AddRule(_)
                | Action::AddResourceRule(_)
                | Action::RemoveRule(_)
                | Action::RemoveResourceRule(_)
                | Action::TlsCertificate(_)
                | Action::EndSession(_)
        );
        if !allowed {
            problems.push(format!(
                "{origin}: step {}: {}: an app check acts as a person and as the provider (login, \
                 visit, open, explore, logout, rotate_keys, add_rule, remove_rule, tls_certificate, \
                 end_session), not as the client",
                i + 1,
                super::model::action_name(&step.action)
            ));
        }
        if step
            .expect
            .client
            .as_ref()
            .is_some_and(|c| c.error.is_some())
        {
            problems.push(format!(
                "{origin}: step {}: expect.client.error: only the reference client names the check \
                 that refused; an app is judged by what it shows (logged_in, shows, hides)",
                i + 1
            ));
        }
    }
    if problems.is_empty() {
        Ok(scenario)
    } else {
        Err(problems)
    }
}

/// Parses and checks scenario text; `origin` names it in messages.
pub fn parse(text: &str, origin: &str) -> Result<Scenario, Vec<String>> {
    let scenario: Scenario =
        fauxauth_core::yaml::from_str(text).map_err(|e| vec![e.describe(origin)])?;
    let lines: StepLines = serde_saphyr::from_str(text).unwrap_or_default();
    let mut problems = Vec::new();
    let at = |i: usize| match lines.steps.get(i) {
        Some(step) => format!("{origin}:{}", step.referenced.line()),
        None => origin.to_owned(),
    };
    if let Some(provider) = &scenario.setup.provider
        && let Err(errors) = provider.validate()
    {
        for e in errors {
            problems.push(format!("{origin}: setup.provider.{e}"));
        }
    }
    let setup_line = |key: fn(&SetupLines) -> Option<u64>| match lines.setup.as_ref().and_then(key)
    {
        Some(line) => format!("{origin}:{line}"),
        None => origin.to_owned(),
    };
    if scenario.setup.preset.is_some() && scenario.setup.provider.is_some() {
        problems.push(format!(
            "{}: setup.preset: give `preset` or `provider`, not both (a provider's issuers \
             name their own `preset` and `quirks`)",
            setup_line(|s| s.preset.as_ref().map(|p| p.referenced.line()))
        ));
    }
    if scenario.setup.quirks.is_some() && scenario.setup.preset.is_none() {
        problems.push(format!(
            "{}: setup.quirks: quirks belong to a preset; give `preset` too",
            setup_line(|s| s.quirks.as_ref().map(|q| q.referenced.line()))
        ));
    }
    if let Some(start) = &scenario.setup.start
        && humantime::parse_rfc3339_weak(start).is_err()
    {
        problems.push(format!(
            "{origin}: setup.start: {start:?} is not an RFC 3339 time"
        ));
    }
    if scenario.steps.is_empty() {
        problems.push(format!(
            "{origin}: steps: a scenario needs at least one step"
        ));
    }
    let mut names = HashSet::new();
    let mut captured: HashSet<&str> = super::model::REMEMBERED.iter().copied().collect();
    for (i, step) in scenario.steps.iter().enumerate() {
        let label = match &step.name {
            Some(name) => format!("step {} ({name})", i + 1),
            None => format!("step {}", i + 1),
        };
        if let Some(name) = &step.name
            && !names.insert(name.as_str())
        {
            problems.push(format!(
                "{}: {label}: name: another step is already named {name:?}",
                at(i)
            ));
        }
        if let Action::Replay(target) = &step.action
            && (!names.contains(target.as_str()) || step.name.as_deref() == Some(target))
        {
            problems.push(format!(
                "{}: {label}: replay: no earlier step is named {target:?}",
                at(i)
            ));
        }
        for source in step.capture.values() {
            if let Err(e) = super::model::Source::parse(source) {
                problems.push(format!("{}: {label}: capture: {e}", at(i)));
            }
        }
        for variable in references(step) {
            // The world's people (`${person_email}`), its issuer and its client's base URL are
            // known without capturing.
            let known = variable.starts_with("person")
                || variable.starts_with("attacker")
                || variable == "issuer"
                || variable == "client";
            if !known && !captured.contains(variable.as_str()) {
                problems.push(format!(
                    "{}: {label}: ${{{variable}}} is not captured by an earlier step",
                    at(i)
                ));
            }
        }
        captured.extend(step.capture.keys().map(String::as_str));
    }
    if problems.is_empty() {
        Ok(scenario)
    } else {
        Err(problems)
    }
}

/// The `${name}` references in a step's action.
fn references(step: &super::model::Step) -> Vec<String> {
    let text = serde_json::to_string(&step.action).unwrap_or_default();
    let mut out = Vec::new();
    let mut rest = text.as_str();
    while let Some(start) = rest.find("${") {
        let after = &rest[start + 2..];
        let Some(end) = after.find('}') else { break };
        out.push(after[..end].to_owned());
        rest = &after[end..];
    }
    out
}

/// The lines where steps begin, for messages.
#[derive(Debug, Default, Deserialize)]
struct StepLines {
    #[serde(default)]
    steps: Vec<fauxauth_core::yaml::Mark>,
    #[serde(default)]
    setup: Option<SetupLines>,
}

/// The lines of the setup's keys that are checked together.
#[derive(Debug, Default, Deserialize)]
struct SetupLines {
    #[serde(default)]
    preset: Option<fauxauth_core::yaml::Mark>,
    #[serde(default)]
    quirks: Option<fauxauth_core::yaml::Mark>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_built_in_library_is_every_scenario_file_as_it_is_in_the_repository() {
        let built_in = built_in();
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let mut on_disk = discover(&[root.join("scenarios")]).unwrap();
        on_disk.retain(|p| p.extension().is_some_and(|e| e == "yaml"));
        assert_eq!(built_in.len(), on_disk.len());
        for (path, text) in &built_in {
            assert_eq!(
                &std::fs::read_to_string(root.join(path)).unwrap(),
                text,
                "{path}"
            );
        }
        assert!(
            built_in
                .iter()
                .any(|(p, _)| p == "scenarios/code/replayed-code.yaml")
        );
    }

    const GOOD: &str = "\
name: A replayed code is refused
tags: [code]
refs: [RFC 6749 §4.1.2]
steps:
  - authorize: {}
  - name: redeem
    token: {}
    expect: { status: 200 }
  - replay: redeem
    expect: { status: 400, error: invalid_grant }
";

    #[test]
    fn a_good_scenario_parses() {
        let scenario = parse(GOOD, "s.yaml").unwrap();
        assert_eq!(scenario.steps.len(), 3);
        assert_eq!(
            scenario.steps[2].expect.error.as_deref(),
            Some("invalid_grant")
        );
    }

    #[test]
    fn the_clients_preset_is_read_by_name() {
        let with = |preset: &str| {
            GOOD.replace(
                "steps:\n",
                &format!("setup:\n  client: {{ preset: {preset} }}\nsteps:\n"),
            )
        };
        let scenario = parse(&with("github"), "s.yaml").unwrap();
        let client = scenario.setup.client.unwrap();
        assert_eq!(client.preset, Some(fauxauth_core::preset::Preset::Github));
        let err = parse(&with("pingone"), "s.yaml").unwrap_err();
        assert!(
            err[0].starts_with("s.yaml:5:") && err[0].contains("pingone"),
            "{err:?}"
        );
    }

    #[test]
    fn a_preset_is_not_given_beside_a_provider_and_quirks_need_a_preset() {
        let with = |setup: &str| GOOD.replace("steps:\n", &format!("setup:\n{setup}steps:\n"));
        let scenario = parse(
            &with("  preset: github\n  quirks: { token_errors_with_200: false }\n"),
            "s.yaml",
        )
        .unwrap();
        assert_eq!(
            scenario.setup.preset,
            Some(fauxauth_core::preset::Preset::Github)
        );
        assert_eq!(
            scenario.setup.quirks.unwrap().token_errors_with_200,
            Some(false)
        );
        let err = parse(
            &with("  provider: { issuers: [{ name: x }] }\n  preset: google\n"),
            "s.yaml",
        )
        .unwrap_err();
        assert!(
            err[0].starts_with("s.yaml:6: setup.preset: give `preset` or `provider`"),
            "{err:?}"
        );
        let err = parse(&with("  quirks: { expanded_scope_urls: true }\n"), "s.yaml").unwrap_err();
        assert_eq!(
            err,
            ["s.yaml:5: setup.quirks: quirks belong to a preset; give `preset` too"]
        );
        let err = parse(
            &with("  preset: github\n  quirks: { token_errors: false }\n"),
            "s.yaml",
        )
        .unwrap_err();
        assert!(
            err[0].starts_with("s.yaml:6:") && err[0].contains("token_errors_with_200"),
            "{err:?}"
        );
    }

    #[test]
    fn a_misspelt_action_names_the_line_and_suggests() {
        let err = parse(&GOOD.replace("token: {}", "tokne: {}"), "s.yaml").unwrap_err();
        assert!(
            err[0].starts_with("s.yaml:7:5: unknown field `tokne`"),
            "{err:?}"
        );
        assert!(err[0].ends_with("(did you mean `token`?)"), "{err:?}");
    }

    #[test]
    fn a_misspelt_expectation_is_refused() {
        let err = parse(
            &GOOD.replace("{ status: 200 }", "{ stauts: 200 }"),
            "s.yaml",
        )
        .unwrap_err();
        assert!(
            err[0].contains("unknown field `stauts`") && err[0].contains("did you mean `status`"),
            "{err:?}"
        );
    }

    #[test]
    fn a_replay_of_an_unknown_step_names_the_step_and_its_line() {
        let err = parse(&GOOD.replace("replay: redeem", "replay: redeme"), "s.yaml").unwrap_err();
        assert_eq!(
            err,
            ["s.yaml:9: step 3: replay: no earlier step is named \"redeme\""]
        );
    }

    #[test]
    fn an_uncaptured_variable_is_refused() {
        let text = GOOD.replace(
            "  - authorize: {}\n",
            "  - authorize: { params: { state: \"${st}\" } }\n",
        );
        let err = parse(&text, "s.yaml").unwrap_err();
        assert_eq!(
            err,
            ["s.yaml:5: step 1: ${st} is not captured by an earlier step"]
        );
    }

    #[test]
    fn two_actions_in_one_step_are_refused() {
        let err = parse(
            &GOOD.replace("  - authorize: {}", "  - authorize: {}\n    token: {}"),
            "s.yaml",
        )
        .unwrap_err();
        assert!(err[0].contains("a step has one action"), "{err:?}");
    }
}
