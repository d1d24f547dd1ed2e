"""Shared setup for the authlib suite: the issuer under test, its metadata, and a login helper.

conformance/run starts `fauxauth provider` with conformance/provider.yaml and passes its issuer
URL in FAUXAUTH_ISSUER. The clients below are the ones that file registers.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from authlib.common.security import generate_token
from authlib.integrations.requests_client import OAuth2Session

REDIRECT_URI = "http://127.0.0.1:8765/callback"
SCOPE = "openid profile email offline_access items:read"


@dataclass(frozen=True)
class Client:
    client_id: str
    client_secret: str | None
    auth_method: str  # client_secret_basic, client_secret_post or none

    @property
    def confidential(self) -> bool:
        return self.client_secret is not None

    def __str__(self) -> str:
        return f"{self.client_id!r} ({self.auth_method})"


# As registered in conformance/provider.yaml.
WEB = Client("conformance-web", "conformance-web-secret-0123", "client_secret_basic")
# A client id with a space and a colon, a secret with "+", "/", "%", "&", "=": each must survive
# the form encoding of client_secret_post (and of client_secret_basic, RFC 6749 §2.3.1).
ODD = Client("odd client:1", "p+ss/w%rd 20&x=y/%2F==", "client_secret_post")
SPA = Client("conformance-spa", None, "none")
# Registered with id_token_signed_response_alg: RS256, on every issuer.
RS256_CLIENT = Client("conformance-rs256", "conformance-rs256-secret-0123", "client_secret_basic")
# The password grant's client (not in CLIENTS: it has no code flow).
LEGACY = Client("conformance-legacy", "conformance-legacy-secret-0123", "client_secret_basic")

# JWT client authentication: the first signs with the published test key (scenarios/keys/), the
# second with an HMAC of its secret. Each is registered for its method and no other.
KEYED = Client("conformance-keyed", None, "private_key_jwt")
HMAC = Client("conformance-hmac", "conformance-hmac-secret-0123456789abcdef", "client_secret_jwt")
TEST_KEY = os.path.join(os.path.dirname(__file__), "..", "..", "scenarios", "keys", "scenario-client.pem")

CLIENTS = [WEB, ODD, SPA]

# Every issuer of conformance/provider.yaml: its path under the root issuer, by signing algorithm.
ISSUER_PATHS = {"RS256": "", "ES256": "/es256", "EdDSA": "/eddsa"}


def id_token_algs(alg: str) -> list[str]:
    """What an issuer signing with `alg` lists in id_token_signing_alg_values_supported: its own
    algorithm, then RS256 (OpenID Connect Discovery 1.0 §3), which it keeps a key for."""
    return [alg] if alg == "RS256" else [alg, "RS256"]

CONFIDENTIAL = [c for c in CLIENTS if c.confidential]


def client_ids(client: Client) -> str:
    return client.client_id.replace(" ", "_")


@pytest.fixture(scope="session")
def issuer() -> str:
    url = os.environ.get("FAUXAUTH_ISSUER")
    if not url:
        pytest.exit("FAUXAUTH_ISSUER is not set: run conformance/run", returncode=2)
    return url


def get_json(url: str) -> dict:
    response = requests.get(url, timeout=10)
    response.raise_for_status()
    assert response.headers["Content-Type"].split(";")[0] == "application/json", url
    return response.json()


@pytest.fixture(scope="session")
def metadata(issuer: str) -> dict:
    return get_json(f"{issuer}/.well-known/openid-configuration")


@pytest.fixture(scope="session")
def jwks(metadata: dict) -> dict:
    return get_json(metadata["jwks_uri"])


def session_for(client: Client, metadata: dict, **kwargs) -> OAuth2Session:
    """An authlib session for `client`, every endpoint taken from discovery."""
    return OAuth2Session(
        client.client_id,
        client.client_secret,
        token_endpoint_auth_method=client.auth_method,
        revocation_endpoint_auth_method=client.auth_method,
        redirect_uri=REDIRECT_URI,
        code_challenge_method="S256",
        token_endpoint=metadata["token_endpoint"],
        default_timeout=10,
        **kwargs,
    )


@dataclass
class Login:
    client: Client
    session: OAuth2Session
    token: dict
    nonce: str
    state: str
    callback: str  # the Location the provider redirected the browser to

    def callback_params(self) -> dict[str, list[str]]:
        return parse_qs(urlsplit(self.callback).query)


def browse(url: str) -> str:
    """Play the browser: the headless provider logs the default user in at once and redirects."""
    response = requests.get(url, allow_redirects=False, timeout=10)
    assert response.status_code in (302, 303), (response.status_code, response.text)
    return response.headers["Location"]


def authorize(client: Client, metadata: dict, scope: str = SCOPE):
    """Start a code flow with PKCE (S256), state and nonce; return what the callback needs."""
    session = session_for(client, metadata, scope=scope)
    verifier = generate_token(64)
    nonce = generate_token(24)
    url, state = session.create_authorization_url(
        metadata["authorization_endpoint"], code_verifier=verifier, nonce=nonce
    )
    return session, verifier, nonce, state, browse(url)


def login(client: Client, metadata: dict, scope: str = SCOPE) -> Login:
    session, verifier, nonce, state, callback = authorize(client, metadata, scope)
    # authlib reads the code from the callback URL and checks `state` there.
    token = session.fetch_token(
        authorization_response=callback, state=state, code_verifier=verifier
    )
    return Login(client, session, dict(token), nonce, state, callback)
