"""authlib against the Apple preset, configured as Sign in with Apple's documentation has web
apps do it: `name email` with `response_mode=form_post`, the code redeemed with a client secret
the app signs (an ES256 JWT from its team, about the client, for https://appleid.apple.com; made
here with joserfc and the published test key of scenarios/keys/), in the body."""

from __future__ import annotations

import json
import os
import time
from html.parser import HTMLParser

import pytest
import requests
from authlib.integrations.requests_client import OAuth2Session
from joserfc import jwt
from joserfc.jwk import ECKey, KeySet

from conftest import REDIRECT_URI, get_json

CLIENT_ID = "com.example.conformance"
TEAM_ID = "CONFTEAM01"
KEY_PEM = os.path.join(os.path.dirname(__file__), "..", "..", "scenarios", "keys", "scenario-client.pem")


@pytest.fixture(scope="module")
def root(issuer: str) -> str:
    return f"{issuer}/ap"


def client_secret(lifetime: int = 3600, audience: str = "https://appleid.apple.com") -> str:
    with open(KEY_PEM, "rb") as pem:
        key = ECKey.import_key(pem.read())
    now = int(time.time())
    claims = {"iss": TEAM_ID, "iat": now, "exp": now + lifetime, "aud": audience, "sub": CLIENT_ID}
    return jwt.encode({"alg": "ES256", "kid": "scenario-client"}, claims, key)


class _Fields(HTMLParser):
    """The hidden fields of the page form_post answers with."""

    def __init__(self) -> None:
        super().__init__()
        self.fields: dict[str, str] = {}

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "input" and attrs.get("type") == "hidden":
            self.fields[attrs["name"]] = attrs.get("value", "")


def posted(url: str) -> dict[str, str]:
    """Play the browser: the provider answers with a page that posts the response."""
    page = requests.get(url, allow_redirects=False, timeout=10)
    assert page.status_code == 200, (page.status_code, page.text)
    parser = _Fields()
    parser.feed(page.text)
    return parser.fields


def session(secret: str) -> OAuth2Session:
    return OAuth2Session(
        CLIENT_ID,
        secret,
        token_endpoint_auth_method="client_secret_post",
        redirect_uri=REDIRECT_URI,
        scope="openid name email",
        default_timeout=10,
    )


def test_sign_in_with_apple_and_the_name_given_once(root: str):
    metadata = get_json(f"{root}/.well-known/openid-configuration")
    assert metadata["token_endpoint_auth_methods_supported"] == ["client_secret_post"]
    assert "userinfo_endpoint" not in metadata
    client = session(client_secret())
    url, state = client.create_authorization_url(
        metadata["authorization_endpoint"], response_mode="form_post", nonce="apple-nonce"
    )
    first = posted(url)
    assert first["state"] == state
    user = json.loads(first["user"])
    assert user == {"name": {"firstName": "Alice", "lastName": "Example"}, "email": "alice@example.com"}
    token = client.fetch_token(metadata["token_endpoint"], code=first["code"])
    claims = jwt.decode(token["id_token"], KeySet.import_key_set(get_json(metadata["jwks_uri"]))).claims
    jwt.JWTClaimsRegistry(
        iss={"essential": True, "value": root},
        aud={"essential": True, "value": CLIENT_ID},
        exp={"essential": True},
    ).validate(claims)
    # Apple's older tokens: strings, which validators must take.
    assert claims["email_verified"] == "true" and claims["is_private_email"] == "false"
    assert claims["nonce"] == "apple-nonce" and "name" not in claims
    # The second authorization posts no `user`.
    url, _ = client.create_authorization_url(metadata["authorization_endpoint"], response_mode="form_post")
    assert "user" not in posted(url)
    # A refresh keeps the refresh token.
    refreshed = client.refresh_token(metadata["token_endpoint"], refresh_token=token["refresh_token"])
    assert "id_token" in refreshed


def test_name_and_email_need_form_post_and_a_bad_secret_is_a_bare_invalid_client(root: str):
    metadata = get_json(f"{root}/.well-known/openid-configuration")
    client = session(client_secret(lifetime=15_777_001))
    url, _ = client.create_authorization_url(metadata["authorization_endpoint"])
    page = requests.get(url, allow_redirects=False, timeout=10)
    assert page.status_code == 400
    assert "response_mode must be form_post when name or email scope is requested." in page.text
    url, _ = client.create_authorization_url(metadata["authorization_endpoint"], response_mode="form_post")
    code = posted(url)["code"]
    refused = requests.post(
        metadata["token_endpoint"],
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": REDIRECT_URI,
            "client_id": CLIENT_ID,
            "client_secret": client_secret(lifetime=15_777_001),
        },
        timeout=10,
    )
    assert refused.status_code == 400 and refused.json() == {"error": "invalid_client"}
