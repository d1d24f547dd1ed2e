"""okta-jwt-verifier, Okta's own verifier, against the Okta preset's default authorization
server: it fetches `{issuer}/v1/keys` and checks access tokens (`aud` api://default, `cid`) and
ID tokens as Okta's are. And Okta's rule that a client's credentials come in one place."""

from __future__ import annotations

from urllib.parse import parse_qs, urlencode, urlsplit

import jwt
import pytest
import requests
from okta_jwt_verifier import AccessTokenVerifier, IDTokenVerifier

from conftest import REDIRECT_URI, browse

CLIENT_ID = "conformance-okta"
SECRET = "conformance-okta-secret-0123"


@pytest.fixture(scope="module")
def okta(issuer: str) -> str:
    """The default authorization server's issuer."""
    return f"{issuer}/ok/oauth2/default"


def tokens(okta: str) -> dict:
    query = urlencode(
        {
            "response_type": "code",
            "client_id": CLIENT_ID,
            "redirect_uri": REDIRECT_URI,
            "scope": "openid profile email offline_access",
            "state": "ok-state",
            "nonce": "ok-nonce",
        }
    )
    code = parse_qs(urlsplit(browse(f"{okta}/v1/authorize?{query}")).query)["code"][0]
    answer = requests.post(
        f"{okta}/v1/token",
        data={"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT_URI},
        auth=(CLIENT_ID, SECRET),
        timeout=10,
    )
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_oktas_verifier_takes_its_access_and_id_tokens(okta: str):
    issued = tokens(okta)
    access = AccessTokenVerifier(issuer=okta, audience="api://default")
    access.verify_sync(issued["access_token"])
    claims = jwt.decode(issued["access_token"], options={"verify_signature": False})
    # The access token's sub is the login (read after the verifier checked the token); uid
    # the user id, which the ID token's sub is.
    assert claims["sub"] == "alice@example.com"
    assert claims["uid"] == "00u1a2b3c4d5e6f7g8h9" and claims["cid"] == CLIENT_ID
    ident = IDTokenVerifier(issuer=okta, client_id=CLIENT_ID)
    ident.verify_sync(issued["id_token"], nonce="ok-nonce")


def test_credentials_in_two_places_are_refused(okta: str):
    query = urlencode(
        {
            "response_type": "code",
            "client_id": CLIENT_ID,
            "redirect_uri": REDIRECT_URI,
            "scope": "openid",
            "state": "ok-state-2",
        }
    )
    code = parse_qs(urlsplit(browse(f"{okta}/v1/authorize?{query}")).query)["code"][0]
    answer = requests.post(
        f"{okta}/v1/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": REDIRECT_URI,
            "client_id": CLIENT_ID,
        },
        auth=(CLIENT_ID, SECRET),
        timeout=10,
    )
    assert answer.status_code == 401
    assert answer.json()["error"] == "invalid_request"
    assert answer.json()["error_description"].startswith("Cannot supply multiple client credentials")
