"""A small Flask app that logs people in with OpenID Connect through Authlib.

Written the way Authlib's Flask OpenID Connect documentation shows it
(``authlib.integrations.flask_client.OAuth``, ``server_metadata_url``,
``authorize_redirect`` / ``authorize_access_token``), plus what a real app
needs around it: every failure of the login becomes a 4xx "Login failed" page
and leaves nobody logged in.

Configuration, all from the environment:
  ISSUER          issuer URL, e.g. https://127.0.0.1:9400 (its CA in REQUESTS_CA_BUNDLE)
  CLIENT_ID       the client registered at the issuer
  CLIENT_SECRET   its secret (Authlib authenticates with client_secret_basic)
  REDIRECT_URI    e.g. http://127.0.0.1:5001/callback
  PORT            listens on 127.0.0.1:PORT only
  SESSION_SECRET  optional; a random one per start when unset
"""

import os
import secrets
import sys
import time

from authlib.integrations.flask_client import OAuth, OAuthError
from flask import Flask, redirect, request, session, url_for
from markupsafe import escape


def env(name):
    value = os.environ.get(name)
    if not value:
        sys.exit(f"flask-authlib: the environment variable {name} is required")
    return value


ISSUER = env("ISSUER")
CLIENT_ID = env("CLIENT_ID")
CLIENT_SECRET = env("CLIENT_SECRET")
REDIRECT_URI = env("REDIRECT_URI")
PORT = int(env("PORT"))

app = Flask(__name__)
app.secret_key = os.environ.get("SESSION_SECRET") or secrets.token_hex(32)
# The provider sends the browser back with a top-level GET, which Lax allows.
app.config.update(SESSION_COOKIE_SAMESITE="Lax", SESSION_COOKIE_HTTPONLY=True)

oauth = OAuth(app)
oauth.register(
    name="idp",
    server_metadata_url=ISSUER.rstrip("/") + "/.well-known/openid-configuration",
    client_id=CLIENT_ID,
    client_secret=CLIENT_SECRET,
    client_kwargs={
        "scope": "openid email profile",
        "code_challenge_method": "S256",
        # requests has no timeout of its own: never hang on a stalled provider.
        "default_timeout": 10,
    },
)


def page(body, status=200):
    html = (
        "<!doctype html>\n<html><head><meta charset=\"utf-8\">"
        "<title>flask-authlib example</title></head>\n"
        f"<body>\n{body}\n</body></html>\n"
    )
    return html, status, {"Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store"}


def login_failed(reason, status=401):
    # Whatever went wrong, nobody is logged in afterwards.
    session.pop("user", None)
    app.logger.warning("login failed: %s", reason)
    return page(
        f"<h1>Login failed</h1>\n<p>Login failed: {escape(reason)}</p>\n"
        '<p><a href="/">Home</a></p>',
        status,
    )


def describe(exc):
    """A short, safe reason for a failed login."""
    if isinstance(exc, OAuthError):
        if exc.description:
            return f"{exc.error}: {exc.description}"
        return exc.error or "authorization error"
    name = type(exc).__name__
    text = str(exc)
    return f"{name}: {text}" if text else name


@app.get("/")
def home():
    user = session.get("user")
    if not user:
        return page('<p>Not signed in.</p>\n<p><a href="/login">Log in</a></p>')
    # The ID token's sub identifies the person; name and email are only shown.
    name = user.get("name") or user["sub"]
    email = user.get("email") or "(none)"
    return page(
        f"<p>Signed in as {escape(name)}</p>\n"
        f"<p>Email: {escape(email)}</p>\n"
        '<p><a href="/logout">Log out</a></p>'
    )


@app.get("/login")
def login():
    try:
        # Authlib puts state, nonce and the PKCE verifier in the session.
        return oauth.idp.authorize_redirect(REDIRECT_URI)
    except Exception as exc:  # discovery or the provider unreachable
        return login_failed(f"could not start the login ({describe(exc)})", 400)


@app.get("/callback")
def callback():
    state = request.args.get("state")
    try:
        # RFC 9207: Authlib's client does not check the authorization
        # response's "iss" itself, so check it before redeeming the code.
        metadata = oauth.idp.load_server_metadata()
        iss = request.args.get("iss")
        if iss is None and metadata.get("authorization_response_iss_parameter_supported"):
            raise OAuthError(error="invalid_response", description='missing "iss" parameter')
        if iss is not None and iss != metadata.get("issuer"):
            raise OAuthError(error="invalid_response", description='unexpected "iss" parameter')

        # Checks state (against the session), error=..., exchanges the code
        # with the PKCE verifier, and validates the ID token: signature
        # against the JWKS, iss, aud, exp, iat, nonce, at_hash.
        token = oauth.idp.authorize_access_token()
        userinfo = token.get("userinfo")
        if not userinfo or not userinfo.get("sub"):
            raise OAuthError(error="invalid_response", description="no ID token in the token response")
    except Exception as exc:
        if state:
            # A state is good for one try only, even when the try failed.
            oauth.idp.framework.clear_state_data(session, state)
        return login_failed(describe(exc))

    # A fresh session for the person who just logged in.
    session.clear()
    session["user"] = dict(userinfo)
    return redirect(url_for("home"))


@app.get("/logout")
def logout():
    session.clear()
    return redirect(url_for("home"))


@app.get("/healthz")
def healthz():
    return "ok", 200, {"Content-Type": "text/plain; charset=utf-8"}


def discover(deadline=60.0):
    """Load the issuer's metadata, retrying until it answers."""
    start = time.monotonic()
    while True:
        try:
            metadata = oauth.idp.load_server_metadata()
            break
        except Exception as exc:
            if time.monotonic() - start > deadline:
                sys.exit(f"flask-authlib: discovery at {ISSUER} failed: {exc}")
            time.sleep(0.25)
    # OpenID Connect Discovery 1.0 §4.3: the document must name the issuer it
    # was fetched from (Authlib does not check it).
    if metadata.get("issuer", "").rstrip("/") != ISSUER.rstrip("/"):
        sys.exit(f"flask-authlib: discovery names issuer {metadata.get('issuer')!r}, expected {ISSUER!r}")


if __name__ == "__main__":
    discover()
    app.run(host="127.0.0.1", port=PORT, debug=False, threaded=True)
