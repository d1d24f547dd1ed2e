//! The app as a process: started with the values fauxauth decided, waited for until it answers,
//! its output kept (the last lines, to show when something goes wrong), and stopped, with
//! everything it started, also when fauxauth is interrupted.

use std::collections::{BTreeMap, VecDeque};
use std::path::Path;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::io::{AsyncBufReadExt as _, BufReader};
use tokio::process::{Child, Command};

use super::file::{self, Start};

/// How many lines of the app's output are kept.
const TAIL: usize = 40;

/// A running app: its process group, and the tail of what it printed.
#[derive(Debug)]
pub struct AppProcess {
    child: Child,
    tail: Arc<Mutex<VecDeque<String>>>,
    /// What it was started with, for messages.
    pub command: String,
}

/// Why the app could not be made ready.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("the app could not be started ({command}): {source}")]
    Spawn {
        command: String,
        source: std::io::Error,
    },
    #[error("the app exited ({status}) before it answered at {url}{tail}")]
    Exited {
        status: String,
        url: String,
        tail: String,
    },
    #[error("the app did not answer at {url} within {timeout:?}{tail}")]
    Timeout {
        url: String,
        timeout: Duration,
        tail: String,
    },
}

impl AppProcess {
    /// Starts the app: `placeholders` filled into its command and environment, in its own
    /// process group (so stopping it stops what it started), output captured.
    pub fn start(
        start: &Start,
        base_dir: &Path,
        placeholders: &BTreeMap<&'static str, String>,
        extra_env: &[(String, String)],
    ) -> Result<Self, StartError> {
        let fill = |text: &str| fill(text, placeholders);
        let (mut command, shown) = match &start.command {
            file::Command::Shell(line) => {
                let line = fill(line);
                let mut command = Command::new("sh");
                command.arg("-c").arg(&line);
                (command, line)
            }
            file::Command::Argv(argv) => {
                let argv: Vec<String> = argv.iter().map(|a| fill(a)).collect();
                let mut command = Command::new(&argv[0]);
                command.args(&argv[1..]);
                (command, argv.join(" "))
            }
        };
        let dir = match &start.dir {
            Some(dir) => base_dir.join(dir),
            None => base_dir.to_path_buf(),
        };
        command
            .current_dir(dir)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        // The CA certificate of an HTTPS provider, where common stacks look for one; the
        // file's own `env` may say otherwise.
        if let Some(ca_file) = placeholders.get("ca_file") {
            for name in super::CA_VARIABLES {
                command.env(name, ca_file);
            }
        }
        for (name, value) in &start.env {
            command.env(name, fill(value));
        }
        for (name, value) in extra_env {
            command.env(name, value);
        }
        #[cfg(unix)]
        command.process_group(0);
        let mut child = command.spawn().map_err(|source| StartError::Spawn {
            command: shown.clone(),
            source,
        })?;
        let tail = Arc::new(Mutex::new(VecDeque::with_capacity(TAIL)));
        for stream in [
            child
                .stdout
                .take()
                .map(|s| Box::new(s) as Box<dyn tokio::io::AsyncRead + Send + Unpin>),
            child
                .stderr
                .take()
                .map(|s| Box::new(s) as Box<dyn tokio::io::AsyncRead + Send + Unpin>),
        ]
        .into_iter()
        .flatten()
        {
            let tail = tail.clone();
            tokio::spawn(async move {
                let mut lines = BufReader::new(stream).lines();
                while let Ok(Some(mut line)) = lines.next_line().await {
                    if line.len() > 500 {
                        let mut end = 500;
                        while !line.is_char_boundary(end) {
                            end -= 1;
                        }
                        line.truncate(end);
                        line.push_str(" ...");
                    }
                    let mut tail = tail.lock().unwrap_or_else(|p| p.into_inner());
                    if tail.len() == TAIL {
                        tail.pop_front();
                    }
                    tail.push_back(line);
                }
            });
        }
        Ok(Self {
            child,
            tail,
            command: shown,
        })
    }

    /// Waits until `url` answers (any status: the app is listening), the app exits, or
    /// `timeout` passes.
    pub async fn wait_ready(&mut self, url: &str, timeout: Duration) -> Result<(), StartError> {
        let deadline = Instant::now() + timeout;
        let http = reqwest::Client::builder()
            .use_preconfigured_tls(fauxauth_core::Trust::default().client_config())
            .no_proxy()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(5))
            .build()
            .expect("an HTTP client");
        loop {
            if let Some(status) = self.exited() {
                // Its last words may still be in the pipes.
                tokio::time::sleep(Duration::from_millis(100)).await;
                return Err(StartError::Exited {
                    status,
                    url: url.to_owned(),
                    tail: self.tail_text(),
                });
            }
            if http.get(url).send().await.is_ok() {
                return Ok(());
            }
            if Instant::now() >= deadline {
                return Err(StartError::Timeout {
                    url: url.to_owned(),
                    timeout,
                    tail: self.tail_text(),
                });
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// How it exited, if it has.
    pub fn exited(&mut self) -> Option<String> {
        match self.child.try_wait() {
            Ok(Some(status)) => Some(status.to_string()),
            Ok(None) => None,
            Err(e) => Some(format!("unknown ({e})")),
        }
    }

    /// The last lines it printed, as a block to append to a message (empty when it printed
    /// nothing).
    pub fn tail_text(&self) -> String {
        let tail = self.tail.lock().unwrap_or_else(|p| p.into_inner());
        if tail.is_empty() {
            return String::new();
        }
        let mut out = String::from("\nthe app's last output:\n");
        for line in tail.iter() {
            out.push_str("  | ");
            out.push_str(line);
            out.push('\n');
        }
        out
    }

    /// Stops the app and everything it started: SIGTERM to its process group, then SIGKILL
    /// after five seconds.
    pub async fn stop(mut self) {
        if self.exited().is_some() {
            return;
        }
        #[cfg(unix)]
        if let Some(pid) = self.child.id() {
            let group = nix::unistd::Pid::from_raw(i32::try_from(pid).unwrap_or(i32::MAX));
            let _ = nix::sys::signal::killpg(group, nix::sys::signal::Signal::SIGTERM);
            if tokio::time::timeout(Duration::from_secs(5), self.child.wait())
                .await
                .is_ok()
            {
                // The group's other members go with a last signal.
                let _ = nix::sys::signal::killpg(group, nix::sys::signal::Signal::SIGKILL);
                return;
            }
            let _ = nix::sys::signal::killpg(group, nix::sys::signal::Signal::SIGKILL);
        }
        let _ = self.child.kill().await;
    }
}

impl Drop for AppProcess {
    /// However fauxauth ends (an error, Ctrl-C dropping the run), nothing it started stays:
    /// the app's whole process group is killed.
    fn drop(&mut self) {
        #[cfg(unix)]
        if let (Ok(None), Some(pid)) = (self.child.try_wait(), self.child.id()) {
            let group = nix::unistd::Pid::from_raw(i32::try_from(pid).unwrap_or(i32::MAX));
            let _ = nix::sys::signal::killpg(group, nix::sys::signal::Signal::SIGKILL);
        }
    }
}

/// `text` with each `{name}` of `placeholders` filled in.
pub fn fill(text: &str, placeholders: &BTreeMap<&'static str, String>) -> String {
    let mut out = text.to_owned();
    for (name, value) in placeholders {
        out = out.replace(&format!("{{{name}}}"), value);
    }
    out
}

/// A port nobody listens on now (the operating system's pick), for an app or provider whose
/// URL fauxauth decides.
pub fn free_port() -> std::io::Result<u16> {
    let listener = std::net::TcpListener::bind(("127.0.0.1", 0))?;
    Ok(listener.local_addr()?.port())
}
