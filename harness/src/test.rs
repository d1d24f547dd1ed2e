//! `fauxauth test`: the app check library against the user's own app (see `harness::app`).

use std::path::PathBuf;

use anyhow::{Context as _, bail};
use harness::app::{self, Options, Session, Verdict, file, report};

use crate::process::announce;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The app file (`fauxauth test --init` writes one).
    #[arg(default_value = file::DEFAULT_FILE)]
    file: PathBuf,
    /// Write a commented starting app file (here, or at FILE) and exit.
    #[arg(long)]
    init: bool,
    /// Fail on warnings too: the defence-in-depth checks, and the requirements another
    /// protection of the app stands in for.
    #[arg(long)]
    strict: bool,
    /// Run only checks whose id (`app/state-forged`), name or tags contain this.
    #[arg(long)]
    filter: Option<String>,
    /// Take the checks from this library folder (its `app/` group) instead of the ones built
    /// into fauxauth.
    #[arg(long, value_name = "DIR")]
    library: Option<PathBuf>,
    /// Write a self-contained HTML report here: each check as a sequence diagram of browser,
    /// app, provider and resource, tokens decoded.
    #[arg(long, value_name = "FILE")]
    html: Option<PathBuf>,
    /// Write a JUnit XML report here.
    #[arg(long, value_name = "FILE")]
    junit: Option<PathBuf>,
    /// Write a JSON report here.
    #[arg(long, value_name = "FILE")]
    json: Option<PathBuf>,
    /// Print the checks (those --filter keeps) as a Markdown table and exit.
    #[arg(long)]
    list: bool,
    /// Print only failures, warnings and the summary.
    #[arg(long, short)]
    quiet: bool,
}

/// Runs the checks; whether the run passed. Interrupted (Ctrl-C, SIGTERM), it stops the app
/// and everything it started before exiting.
pub async fn run(args: Args) -> anyhow::Result<bool> {
    if args.init {
        if args.file.exists() {
            bail!(
                "{} exists; remove it or give another file: fauxauth test --init other.yaml",
                args.file.display()
            );
        }
        std::fs::write(&args.file, file::TEMPLATE)
            .with_context(|| format!("writing {}", args.file.display()))?;
        announce(&format!(
            "wrote {}: fill in how to start your app and its registration, then run fauxauth test",
            args.file.display()
        ));
        return Ok(true);
    }
    // Every problem of the file and of the checks before anything starts.
    let checks = app::checks(args.library.as_deref(), args.filter.as_deref())
        .map_err(|p| anyhow::anyhow!("{} problem(s) in the checks:\n{}", p.len(), p.join("\n")))?;
    if checks.is_empty() {
        bail!("no check matches");
    }
    if args.list {
        print!("{}", report::list(&checks));
        return Ok(true);
    }
    let loaded = file::load(&args.file)?;
    let options = Options {
        strict: args.strict,
        filter: args.filter.clone(),
        env: Vec::new(),
    };
    let work = async {
        let mut session = Session::start(loaded, &options.env).await?;
        if !args.quiet {
            announce(&format!(
                "the app at {} logged in; {} checks against provider {}",
                session.placeholders()["url"],
                checks.len(),
                session.world.issuer()
            ));
        }
        let quiet = args.quiet;
        let result = session
            .run(&checks, &options, &|n, total, r| {
                let word = match r.verdict {
                    Verdict::Passed => "ok  ",
                    Verdict::Failed => "FAIL",
                    Verdict::Warned => "warn",
                    Verdict::Skipped(_) => "skip",
                };
                if !quiet || matches!(r.verdict, Verdict::Failed | Verdict::Warned) {
                    announce(&format!("[{n:>3}/{total}] {word} {}", r.id()));
                }
            })
            .await;
        session.stop().await;
        result
    };
    let report = tokio::select! {
        report = work => report?,
        () = crate::process::shutdown_signal() => {
            // The session (and with it the app) was dropped with the future: kill_on_drop and
            // the process group's signal stopped it.
            bail!("interrupted");
        }
    };
    for r in &report.results {
        if matches!(r.verdict, Verdict::Failed | Verdict::Warned) {
            announce(&report::failure(r));
        }
    }
    announce(&report::summary(&report));
    for (path, text) in [
        (&args.html, report::html(&report)),
        (&args.junit, report::junit(&report)),
        (&args.json, report::json(&report)),
    ] {
        if let Some(path) = path {
            std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))?;
        }
    }
    Ok(report.passed())
}
