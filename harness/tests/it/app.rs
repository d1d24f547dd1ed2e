//! `fauxauth test` end to end: the binary against the reference client started as a separate
//! process through app files, as a user would run it: the checks, the reports, the diagnosis of
//! a login that fails, and an app that never comes up or dies.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const FAUXAUTH: &str = env!("CARGO_BIN_EXE_fauxauth");

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The reference client's app file, with `edit` applied to its text, written to a temporary
/// folder; the folder (kept alive by the caller) and the file's path.
fn app_file(edit: impl FnOnce(String) -> String) -> (tempdir::Dir, PathBuf) {
    let text = std::fs::read_to_string(root().join("examples/reference-client/fauxauth.app.yaml"))
        .unwrap();
    let dir = tempdir::Dir::new();
    let path = dir.path().join("fauxauth.app.yaml");
    std::fs::write(&path, edit(text)).unwrap();
    (dir, path)
}

/// `fauxauth test FILE ARGS...` with the checks of this checkout.
fn test(file: &Path, args: &[&str]) -> Output {
    Command::new(FAUXAUTH)
        .arg("test")
        .arg(file)
        .arg("--library")
        .arg(root().join("scenarios"))
        .args(args)
        .output()
        .unwrap()
}

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

mod tempdir {
    /// A folder of its own under the system's temporary folder, removed when dropped.
    pub struct Dir(std::path::PathBuf);

    impl Dir {
        pub fn new() -> Self {
            use std::sync::atomic::{AtomicU32, Ordering};
            static N: AtomicU32 = AtomicU32::new(0);
            let path = std::env::temp_dir().join(format!(
                "fauxauth-app-test-{}-{}",
                std::process::id(),
                N.fetch_add(1, Ordering::Relaxed)
            ));
            std::fs::create_dir_all(&path).unwrap();
            Self(path)
        }

        pub fn path(&self) -> &std::path::Path {
            &self.0
        }
    }

    impl Drop for Dir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

#[test]
fn the_reference_client_passes_every_check_and_the_reports_say_so() {
    let (dir, file) = app_file(|t| t);
    let json = dir.path().join("report.json");
    let junit = dir.path().join("report.xml");
    let html = dir.path().join("report.html");
    let output = test(
        &file,
        &[
            "--json",
            json.to_str().unwrap(),
            "--junit",
            junit.to_str().unwrap(),
            "--html",
            html.to_str().unwrap(),
        ],
    );
    assert!(output.status.success(), "{}", text(&output));
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert_eq!(report["passed"], true);
    let checks = report["checks"].as_array().unwrap();
    let library = std::fs::read_dir(root().join("scenarios/app"))
        .unwrap()
        .count();
    assert_eq!(checks.len(), library, "every check of the library ran");
    assert!(
        checks.iter().all(|c| c["verdict"] == "passed"),
        "{report:#}"
    );
    for fact in [
        "sends_state",
        "sends_nonce",
        "uses_pkce",
        "calls_userinfo",
        "sign_names_user",
    ] {
        assert!(
            report["facts"]
                .as_array()
                .unwrap()
                .iter()
                .any(|f| f == fact),
            "{fact} learned: {}",
            report["facts"]
        );
    }
    let junit = std::fs::read_to_string(&junit).unwrap();
    assert!(
        junit.contains(&format!("tests=\"{library}\" failures=\"0\"")),
        "{junit}"
    );
    let html = std::fs::read_to_string(&html).unwrap();
    assert!(html.contains("app/state-forged") && html.contains("class=\"seq\""));
    assert!(!html.contains("<script"), "self-contained, no scripts");
}

#[test]
fn a_weak_app_fails_the_checks_that_catch_it_with_what_it_accepted_and_why() {
    // The state is not compared: the forged-state check must fail, in plain words.
    let (_dir, file) = app_file(|t| {
        t.replace(
            "    ready: /\n",
            "    ready: /\n    env:\n      FAUXAUTH_CLIENT_WEAKNESSES: skip-state-check\n",
        )
    });
    let output = test(&file, &["--filter", "state"]);
    let out = text(&output);
    assert_eq!(output.status.code(), Some(1), "{out}");
    assert!(out.contains("FAILED app/state-forged"), "{out}");
    assert!(out.contains("login CSRF"), "the why: {out}");
    assert!(out.contains("RFC 6749 §10.12"), "the requirement: {out}");
    assert!(out.contains("transcript of step"), "{out}");
}

#[test]
fn a_should_check_warns_and_fails_only_a_strict_run() {
    let (_dir, file) = app_file(|t| {
        t.replace(
            "    ready: /\n",
            "    ready: /\n    env:\n      FAUXAUTH_CLIENT_WEAKNESSES: skip-iss-check\n",
        )
    });
    let lenient = test(&file, &["--filter", "iss-"]);
    let out = text(&lenient);
    assert!(lenient.status.success(), "{out}");
    assert!(out.contains("WARNING app/iss-wrong"), "{out}");
    assert!(
        !out.contains("transcript of step"),
        "a warning's transcript is in the reports, not the output: {out}"
    );
    let strict = test(&file, &["--filter", "iss-", "--strict"]);
    assert_eq!(strict.status.code(), Some(1), "{}", text(&strict));
}

#[test]
fn a_login_with_another_authentication_method_than_registered_is_explained() {
    // The reference client uses HTTP Basic; the registration says the body.
    let (_dir, file) = app_file(|t| {
        t.replace(
            "    scopes: [openid",
            "    token_endpoint_auth_method: client_secret_post\n    scopes: [openid",
        )
    });
    let output = test(&file, &[]);
    let out = text(&output);
    assert_eq!(output.status.code(), Some(2), "{out}");
    assert!(
        out.contains(
            "The app sent HTTP Basic (client_secret_basic); the registration allows \
             client_secret_post."
        ),
        "{out}"
    );
}

#[test]
fn a_login_refused_for_client_authentication_is_explained() {
    // The app sends another secret than the registration's.
    let (_dir, file) =
        app_file(|t| t.replace("- \"{client_secret}\"", "- not-the-registered-secret"));
    let output = test(&file, &[]);
    let out = text(&output);
    assert_eq!(output.status.code(), Some(2), "{out}");
    assert!(out.contains("the normal login did not succeed"), "{out}");
    assert!(
        out.contains("token request was refused: 401 invalid_client"),
        "{out}"
    );
    assert!(out.contains("The app sent HTTP Basic"), "{out}");
    assert!(
        out.contains("POST /token -> 401"),
        "the journal in brief: {out}"
    );
}

/// An app that does not trust fauxauth's authority fails its handshakes before any request
/// is journaled: the diagnosis counts them and says where the certificate is.
#[test]
fn an_app_that_does_not_trust_the_authority_is_told_so() {
    let dir = tempdir::Dir::new();
    let other = dir.path().join("other-ca.pem");
    let out = Command::new(FAUXAUTH)
        .args(["ca", "--seed", "another world", "--out"])
        .arg(&other)
        .output()
        .unwrap();
    assert!(out.status.success());
    let (_app_dir, file) = app_file(|t| {
        t.replace(
            "    ready: /\n",
            &format!(
                "    ready: /\n    env:\n      SSL_CERT_FILE: {}\n",
                other.display()
            ),
        )
    });
    let output = test(&file, &[]);
    let out = text(&output);
    assert_eq!(output.status.code(), Some(2), "{out}");
    assert!(out.contains("the normal login did not succeed"), "{out}");
    assert!(
        out.contains("TLS handshake(s) with the provider failed: the app does not trust"),
        "{out}"
    );
    assert!(
        out.contains("fauxauth-ca-"),
        "the certificate's file: {out}"
    );
}

#[test]
fn an_unregistered_redirect_uri_is_named_with_what_is_registered() {
    let (_dir, file) = app_file(|t| {
        t.replace(
            "    client_secret: reference-client-secret-0123456789\n",
            "    client_secret: reference-client-secret-0123456789\n    redirect_uris: [\"http://127.0.0.1:1/elsewhere\"]\n",
        )
    });
    let output = test(&file, &[]);
    let out = text(&output);
    assert_eq!(output.status.code(), Some(2), "{out}");
    assert!(
        out.contains("refused the app's authorization request"),
        "{out}"
    );
    assert!(out.contains("is not a redirect URI registered"), "{out}");
    assert!(
        out.contains("provider.client.redirect_uris"),
        "the way out: {out}"
    );
}

#[test]
fn a_login_path_that_leads_nowhere_and_a_sign_never_shown_are_explained() {
    let (_dir, nowhere) = app_file(|t| t.replace("  login: /login\n", "  login: /no-such-page\n"));
    let out = text(&test(&nowhere, &[]));
    assert!(
        out.contains("never reached the provider's authorization endpoint"),
        "{out}"
    );
    assert!(out.contains("answered 404"), "{out}");
    let (_dir, unseen) = app_file(|t| t.replace("Logged in as {name}", "Welcome back, {name}"));
    let out = text(&test(&unseen, &[]));
    assert!(out.contains("never showed the logged-in sign"), "{out}");
    assert!(
        out.contains("Welcome back, Alice Example"),
        "what was looked for: {out}"
    );
}

#[test]
fn an_app_that_dies_or_never_answers_is_reported_with_its_output_and_left_stopped() {
    let dir = tempdir::Dir::new();
    let dies = dir.path().join("dies.yaml");
    std::fs::write(
        &dies,
        "app:\n  start:\n    command: \"echo starting up; echo no database >&2; exit 3\"\n  login: /login\n  logged_in: { shows: Hello }\nprovider:\n  client: { client_id: app, client_secret: app-secret-0123456789 }\n",
    )
    .unwrap();
    let output = test(&dies, &[]);
    let out = text(&output);
    assert_eq!(output.status.code(), Some(2), "{out}");
    assert!(out.contains("the app exited (exit status: 3)"), "{out}");
    assert!(out.contains("no database"), "its last output: {out}");

    let pid_file = dir.path().join("pid");
    let silent = dir.path().join("silent.yaml");
    std::fs::write(
        &silent,
        format!(
            "app:\n  start:\n    command: \"echo $$ > {}; exec sleep 60\"\n    timeout: 1s\n  login: /login\n  logged_in: {{ shows: Hello }}\nprovider:\n  client: {{ client_id: app, client_secret: app-secret-0123456789 }}\n",
            pid_file.display()
        ),
    )
    .unwrap();
    let output = test(&silent, &[]);
    let out = text(&output);
    assert_eq!(output.status.code(), Some(2), "{out}");
    assert!(out.contains("did not answer at http://127.0.0.1:"), "{out}");
    let pid = std::fs::read_to_string(&pid_file).unwrap();
    // `kill -0` asks only whether the process exists ("No such process" is the answer hoped for).
    let alive = Command::new("kill")
        .args(["-0", pid.trim()])
        .stderr(std::process::Stdio::null())
        .status()
        .unwrap()
        .success();
    assert!(!alive, "the app ({}) was stopped", pid.trim());
}

#[test]
fn a_bad_app_file_is_refused_with_its_line_before_anything_starts() {
    let dir = tempdir::Dir::new();
    let file = dir.path().join("bad.yaml");
    std::fs::write(
        &file,
        "app:\n  login: /login\n  logged_in: { shows: Hi }\n  logotu: /logout\nprovider:\n  client: { client_id: a }\n",
    )
    .unwrap();
    let output = test(&file, &[]);
    let out = text(&output);
    assert_eq!(output.status.code(), Some(2), "{out}");
    assert!(out.contains("bad.yaml:4:"), "{out}");
    assert!(out.contains("did you mean `logout`"), "{out}");
}

#[test]
fn init_writes_a_starting_file_and_never_overwrites_one() {
    let dir = tempdir::Dir::new();
    let file = dir.path().join("fauxauth.app.yaml");
    let first = Command::new(FAUXAUTH)
        .args(["test", "--init"])
        .arg(&file)
        .output()
        .unwrap();
    assert!(first.status.success(), "{}", text(&first));
    let written = std::fs::read_to_string(&file).unwrap();
    assert!(written.contains("logged_in:"), "{written}");
    let again = Command::new(FAUXAUTH)
        .args(["test", "--init"])
        .arg(&file)
        .output()
        .unwrap();
    assert_eq!(again.status.code(), Some(2), "{}", text(&again));
}

/// The README's table of app checks is what `fauxauth test --list` prints for the built-in
/// library: a check added, removed or changed without the README fails here.
#[test]
fn the_readme_lists_every_check_as_it_is() {
    let output = Command::new(FAUXAUTH)
        .args(["test", "--list"])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", text(&output));
    let table = String::from_utf8(output.stdout).unwrap();
    assert!(table.lines().count() > 30, "{table}");
    assert!(table.contains("| `app/state-forged` |"), "{table}");
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    assert!(
        readme.contains(&table),
        "README.md's table of checks differs from `fauxauth test --list`; paste it in:\n{table}"
    );
}
