//! Learning the app: a normal login must succeed before anything can be judged. When it does
//! not, this says exactly why from what fauxauth saw (the provider's journal and the browser's
//! way), which is a debugging tool of its own. When it does, what the login sent becomes the facts
//! the checks depend on (does the app send a nonce? use PKCE? call UserInfo?).

use mock_provider::Scripted as _;
use std::collections::BTreeSet;
use std::fmt::Write as _;

use fauxauth_core::journal::{Entry, Filter};
use serde_json::Value;

use super::{Error, Session};
use crate::scenario::ecosystem::App;
use crate::scenario::model::Fact;
use crate::scenario::{Loaded, run_in};
use fauxauth_browser as browser;

/// The normal login: the person logs in, and the app must show its logged-in sign.
const NORMAL_LOGIN: &str = "\
name: A normal login
steps:
  - login: {}
    expect: { client: { logged_in: true, server_error: false } }
";

/// Logs the person in once; the facts of the login, or why it failed.
pub async fn learn(session: &Session) -> Result<BTreeSet<Fact>, Error> {
    session.reset().await?;
    let scenario = crate::scenario::parse(NORMAL_LOGIN, "(the normal login)")
        .map_err(|e| Error::Setup(e.join("\n")))?;
    let loaded = Loaded {
        path: "app/normal-login.yaml".into(),
        scenario,
    };
    let outcome = run_in(&loaded, &session.world).await;
    let journal = session
        .world
        .provider
        .provider()
        .journal()
        .query(&Filter::default());
    if outcome.passed() {
        return Ok(facts(session, &journal));
    }
    Err(Error::Learn(diagnose(session, &outcome, &journal)))
}

/// What the normal login showed of the app.
fn facts(session: &Session, journal: &[Entry]) -> BTreeSet<Fact> {
    let world = &session.world;
    let mut out = BTreeSet::new();
    let authorize = journal.iter().rev().find(|e| e.endpoint == "authorize");
    let param = |name: &str| {
        authorize
            .and_then(|e| e.query.get(name).or_else(|| e.form.get(name)))
            .and_then(Value::as_str)
            .filter(|v| !v.is_empty())
    };
    if param("state").is_some() {
        out.insert(Fact::SendsState);
    }
    if param("nonce").is_some() {
        out.insert(Fact::SendsNonce);
    }
    if param("code_challenge").is_some() && param("code_challenge_method") == Some("S256") {
        out.insert(Fact::UsesPkce);
    }
    if param("scope").is_some_and(|s| s.split(' ').any(|t| t == "openid")) {
        out.insert(Fact::Openid);
    }
    if journal.iter().any(|e| e.endpoint == "userinfo") {
        out.insert(Fact::CallsUserinfo);
    }
    let issuer = &world.config.issuers[0];
    if issuer.clients[0].client_secret.is_none() {
        out.insert(Fact::PublicClient);
    }
    if issuer.clients[0].backchannel_logout_uri.is_some() {
        out.insert(Fact::BackchannelLogout);
    }
    if world.issuer().starts_with("https://") {
        out.insert(Fact::Tls);
    }
    if matches!(
        issuer.preset,
        mock_provider::preset::Preset::Generic | mock_provider::preset::Preset::Google
    ) {
        out.insert(Fact::ProviderSendsIss);
    }
    if let Some(slot) = &world.client {
        if slot.logout_path.is_some() {
            out.insert(Fact::HasLogout);
        }
        if let App::UnderTest(sign) = &slot.app
            && sign.names_user()
        {
            out.insert(Fact::SignNamesUser);
        }
    }
    out
}

/// Why the normal login failed, in plain words, from what the provider saw and where the browser
/// went; then the provider's journal in brief and the app's last output.
fn diagnose(session: &Session, outcome: &crate::scenario::Outcome, journal: &[Entry]) -> String {
    let world = &session.world;
    let slot = world.client.as_ref().expect("an app's world has its slot");
    let issuer = &world.config.issuers[0];
    let client = &issuer.clients[0];
    let mut out =
        String::from("the normal login did not succeed, so nothing can be judged yet:\n  ");
    let authorize: Vec<&Entry> = journal
        .iter()
        .filter(|e| e.endpoint == "authorize")
        .collect();
    let token: Vec<&Entry> = journal.iter().filter(|e| e.endpoint == "token").collect();
    let last_browser = last_browser_hop(&outcome.record);
    let failure = outcome.failures.first();
    if let Some(f) = failure.filter(|f| f.check == "run") {
        let _ = write!(
            out,
            "the login could not be walked: {} (from {}{})",
            f.actual, slot.url, slot.login_path
        );
    } else if authorize.is_empty() {
        let _ = write!(
            out,
            "the app never reached the provider's authorization endpoint ({}). The browser \
             opened {}{}",
            world.endpoint("authorize").unwrap_or_default(),
            slot.url,
            slot.login_path
        );
        if let Some((hop, status)) = &last_browser {
            let _ = write!(out, " and ended at {hop}, which answered {status}");
        }
        out.push_str(
            ". Is app.login the page where a login starts, and does the app discover the \
             provider at the issuer it was given?",
        );
        if status_of(&last_browser) == Some(404) {
            out.push_str(" (404: no such page.)");
        }
    } else if let Some(refused) = authorize.iter().rev().find(|e| e.status >= 400) {
        let page = refused
            .response_body
            .as_str()
            .map(browser::visible_text)
            .unwrap_or_default();
        let detail: String = page.chars().take(400).collect();
        let _ = write!(
            out,
            "the provider refused the app's authorization request ({} {}): {detail}",
            refused.status, refused.path
        );
        if let Some(sent) = refused.query.get("redirect_uri").and_then(Value::as_str)
            && !client.redirect_uris.iter().any(|r| r == sent)
        {
            let _ = write!(
                out,
                "\n  The app asked for redirect_uri {sent:?}; the registration has {:?}. Register \
                 it in provider.client.redirect_uris, or have the app use a registered one \
                 ({{redirect_uri}} is the first).",
                client.redirect_uris
            );
        }
    } else if let Some(error) = authorize.iter().rev().find_map(|e| redirect_error(e)) {
        let _ = write!(
            out,
            "the provider answered the app's authorization request with an error: {error}"
        );
    } else if token.is_empty() {
        let _ = write!(
            out,
            "the provider sent the browser back to the app with a code, but the app never \
             redeemed it at the token endpoint ({})",
            world.endpoint("token").unwrap_or_default()
        );
        if let Some((hop, status)) = &last_browser {
            let _ = write!(
                out,
                "; the app's callback ended at {hop}, which answered {status}"
            );
        }
        out.push('.');
    } else if let Some(refused) = token.iter().rev().find(|e| e.status != 200) {
        let body = &refused.response_body;
        let _ = write!(
            out,
            "the app's token request was refused: {} {}: {}",
            refused.status,
            body["error"].as_str().unwrap_or("?"),
            body["error_description"].as_str().unwrap_or("")
        );
        if body["error"] == "invalid_client" {
            out.push_str(&auth_hint(refused, client));
        }
    } else {
        let _ = write!(
            out,
            "the provider issued tokens, but the app never showed the logged-in sign"
        );
        if let Some(f) = failure {
            let _ = write!(out, ": {} ({})", f.actual, f.expected);
        }
        if let Some(App::UnderTest(sign)) = world.client.as_ref().map(|c| &c.app) {
            let wanted = sign.text_for(world.user(&world.person));
            let _ = write!(
                out,
                ". app.logged_in says to look at {} for {}{}",
                sign.path,
                sign.status
                    .map_or_else(String::new, |s| format!("status {s}")),
                wanted.map_or_else(String::new, |w| format!(" the text {w:?}"))
            );
        }
        out.push('.');
    }
    if let Some(tls) = world.provider.tls()
        && (authorize.is_empty() || token.is_empty())
    {
        let failed = tls.failed_handshakes();
        let ca_file = session
            .placeholders()
            .get("ca_file")
            .cloned()
            .unwrap_or_default();
        if failed > 0 {
            let _ = write!(
                out,
                "\n  {failed} TLS handshake(s) with the provider failed: the app does not trust \
                 fauxauth's certificate authority."
            );
        }
        let _ = write!(
            out,
            "\n  The provider serves HTTPS. fauxauth test gives the app its authority's \
             certificate, {ca_file}, in SSL_CERT_FILE, REQUESTS_CA_BUNDLE, NODE_EXTRA_CA_CERTS \
             and CURL_CA_BUNDLE; an app that reads none of them (a JVM: a truststore) must be \
             given it in app.start (`{{ca_file}}`)."
        );
    }
    // The record writes addresses as placeholders; a person reads them as they are.
    out = out
        .replace("{client}", &slot.url)
        .replace("{provider}", &world.issuer())
        .replace("{origin}", &world.origin())
        .replace("{resource}", &world.resource_url());
    out.push_str("\nwhat the provider saw:\n");
    for e in journal {
        let _ = writeln!(out, "  {} {} -> {}", e.method, e.path, e.status);
    }
    if journal.is_empty() {
        out.push_str("  nothing: the app never called it\n");
    }
    out.push_str(&session.tail());
    out
}

/// How the app authenticated at the token endpoint, against its registration.
fn auth_hint(entry: &Entry, client: &mock_provider::ClientConfig) -> String {
    let basic = entry
        .headers
        .get("authorization")
        .is_some_and(|a| a.to_ascii_lowercase().starts_with("basic "));
    let post = entry.form.contains_key("client_secret");
    let jwt = entry.form.contains_key("client_assertion");
    let sent = match (basic, post, jwt) {
        (true, true, _) => "the secret both in HTTP Basic and in the body",
        (true, false, _) => "HTTP Basic (client_secret_basic)",
        (false, true, _) => "the secret in the body (client_secret_post)",
        (false, false, true) => "a JWT assertion",
        (false, false, false) => "no credentials at all",
    };
    let registered = client
        .token_endpoint_auth_method
        .map_or("client_secret_basic or client_secret_post", |m| m.as_str());
    format!(
        "\n  The app sent {sent}; the registration allows {}. Set \
         provider.client.token_endpoint_auth_method to what the app uses, or check \
         provider.client.client_secret.",
        registered
    )
}

/// `error=...` of an authorization response redirected to the app, with its description.
fn redirect_error(entry: &Entry) -> Option<String> {
    let location = entry.response_headers.get("location")?;
    let url = url::Url::parse(location).ok()?;
    let pairs: std::collections::HashMap<_, _> = url.query_pairs().into_owned().collect();
    let error = pairs.get("error")?;
    Some(match pairs.get("error_description") {
        Some(d) => format!("{error}: {d}"),
        None => error.clone(),
    })
}

/// The last page the browser opened on its way through the login (not looking for the sign
/// after it), and its status.
fn last_browser_hop(record: &Value) -> Option<(String, String)> {
    let steps = record["steps"].as_array()?;
    let exchanges = steps.last()?["exchanges"].as_array()?;
    let hop = exchanges
        .iter()
        .rev()
        .find(|e| e.get("browser").is_some() && e.get("looking_for_the_sign").is_none())?;
    Some((
        hop["browser"].as_str()?.to_owned(),
        hop["response"]["status"].to_string(),
    ))
}

fn status_of(hop: &Option<(String, String)>) -> Option<u16> {
    hop.as_ref()?.1.parse().ok()
}
