//! Running many scenarios: in parallel, and the self-check that proves each of the client's
//! protections is tested by some scenario.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use sample_client::Weakness;
use tokio::sync::Semaphore;

use super::load::Loaded;
use super::runner::{Outcome, run_with};

/// Runs every scenario, `jobs` at a time, with `weaknesses` switched off in the client; calls
/// `done(finished, total, outcome)` as each ends. Outcomes come back in input order.
pub async fn run_all(
    scenarios: &[Loaded],
    jobs: usize,
    weaknesses: &[Weakness],
    done: impl Fn(usize, usize, &Outcome) + Send + Sync + 'static,
) -> Vec<Outcome> {
    let permits = Arc::new(Semaphore::new(jobs.max(1)));
    let total = scenarios.len();
    let finished = Arc::new(AtomicUsize::new(0));
    let done = Arc::new(done);
    let weaknesses: Arc<[Weakness]> = weaknesses.into();
    let tasks: Vec<_> = scenarios
        .iter()
        .cloned()
        .map(|loaded| {
            let (permits, finished, done, weaknesses) = (
                permits.clone(),
                finished.clone(),
                done.clone(),
                weaknesses.clone(),
            );
            tokio::spawn(async move {
                let _permit = permits
                    .acquire_owned()
                    .await
                    .expect("the semaphore stays open");
                let outcome = run_with(&loaded, &weaknesses).await;
                done(
                    finished.fetch_add(1, Ordering::Relaxed) + 1,
                    total,
                    &outcome,
                );
                outcome
            })
        })
        .collect();
    let mut outcomes = Vec::with_capacity(tasks.len());
    for task in tasks {
        outcomes.push(task.await.expect("a scenario task does not panic"));
    }
    outcomes
}

/// Which scenarios caught each weakness.
#[derive(Clone, Debug)]
pub struct SelfCheck {
    /// Scenarios that failed with every protection on: the check means nothing until they pass.
    pub failing_baseline: Vec<String>,
    pub caught: Vec<(Weakness, Vec<String>)>,
}

impl SelfCheck {
    /// Adds what another self-check found (the app checks'): its catchers beside each
    /// weakness's, its failing baseline beside this one's.
    pub fn merge(&mut self, caught: &[(Weakness, Vec<String>)], failing_baseline: &[String]) {
        for (weakness, by) in caught {
            match self.caught.iter_mut().find(|(w, _)| w == weakness) {
                Some((_, existing)) => existing.extend(by.iter().cloned()),
                None => self.caught.push((*weakness, by.clone())),
            }
        }
        self.failing_baseline
            .extend(failing_baseline.iter().cloned());
    }

    /// Weaknesses no scenario caught.
    pub fn uncaught(&self) -> Vec<Weakness> {
        self.caught
            .iter()
            .filter(|(_, by)| by.is_empty())
            .map(|(w, _)| *w)
            .collect()
    }

    pub fn passed(&self) -> bool {
        self.failing_baseline.is_empty() && self.uncaught().is_empty()
    }

    /// The table: weakness → the scenarios that caught it.
    pub fn table(&self) -> String {
        let width = self
            .caught
            .iter()
            .map(|(w, _)| w.name().len())
            .max()
            .unwrap_or(8)
            .max(8);
        let mut out = format!("{:<width$}  caught by\n", "weakness");
        for (weakness, by) in &self.caught {
            let shown = if by.is_empty() {
                "NOTHING: no scenario tests this protection".to_owned()
            } else {
                by.join(", ")
            };
            out.push_str(&format!("{:<width$}  {shown}\n", weakness.name()));
        }
        out
    }
}

/// Runs the scenarios that use the client once with every protection on, then once per weakness
/// with that one protection off: a scenario catches a weakness when it passed before and fails
/// now.
pub async fn self_check(scenarios: &[Loaded], jobs: usize, weaknesses: &[Weakness]) -> SelfCheck {
    // The app checks run against an app through its app file (`crate::app::self_check`).
    let with_client: Vec<Loaded> = scenarios
        .iter()
        .filter(|l| l.scenario.uses_client() && !super::is_app_check(&l.path))
        .cloned()
        .collect();
    let baseline = run_all(&with_client, jobs, &[], |_, _, _| {}).await;
    let failing_baseline: Vec<String> = baseline
        .iter()
        .filter(|o| !o.passed())
        .map(|o| o.path.clone())
        .collect();
    let passing: Vec<Loaded> = with_client
        .into_iter()
        .zip(&baseline)
        .filter(|(_, o)| o.passed())
        .map(|(l, _)| l)
        .collect();
    let mut caught = Vec::new();
    for weakness in weaknesses {
        let outcomes = run_all(&passing, jobs, &[*weakness], |_, _, _| {}).await;
        let by = outcomes
            .iter()
            .filter(|o| !o.passed())
            .map(|o| short(&o.path))
            .collect();
        caught.push((*weakness, by));
    }
    SelfCheck {
        failing_baseline,
        caught,
    }
}

/// `scenarios/client/state-mismatch.yaml` → `client/state-mismatch`.
fn short(path: &str) -> String {
    let trimmed = path.trim_end_matches(".yaml").trim_end_matches(".yml");
    let parts: Vec<&str> = trimmed.rsplit('/').take(2).collect();
    parts.into_iter().rev().collect::<Vec<_>>().join("/")
}
