"""auth0-python, Auth0's own SDK, against the Auth0 preset: its authentication API (which posts
JSON to /oauth/token) and its ID token verifier (which expects the issuer with its trailing
slash)."""

from __future__ import annotations

from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from auth0.authentication import GetToken
from auth0.authentication.token_verifier import AsymmetricSignatureVerifier, TokenVerifier
from auth0.authentication.exceptions import Auth0Error

from conftest import REDIRECT_URI, browse

CLIENT_ID = "conformance-auth0"
SECRET = "conformance-auth0-secret-0123"


@pytest.fixture(scope="module")
def domain(issuer: str) -> str:
    """The tenant's domain as the SDK takes it: host, port and the issuer's path."""
    return issuer.removeprefix("https://") + "/au"


def code_for(issuer: str, **extra: str) -> str:
    query = urlencode(
        {
            "response_type": "code",
            "client_id": CLIENT_ID,
            "redirect_uri": REDIRECT_URI,
            "scope": "openid profile email offline_access",
            "state": "a0-state",
            "nonce": "a0-nonce",
            **extra,
        }
    )
    params = parse_qs(urlsplit(browse(f"{issuer}/au/authorize?{query}")).query)
    return params["code"][0]


def test_code_exchange_and_id_token_verification(issuer: str, domain: str):
    tokens = GetToken(domain, CLIENT_ID, client_secret=SECRET).authorization_code(
        code_for(issuer, audience="https://api.example"), REDIRECT_URI
    )
    verifier = TokenVerifier(
        signature_verifier=AsymmetricSignatureVerifier(f"{issuer}/au/.well-known/jwks.json"),
        # Auth0's issuer ends with "/", and the SDK compares it exactly.
        issuer=f"{issuer}/au/",
        audience=CLIENT_ID,
    )
    claims = verifier.verify(tokens["id_token"], nonce="a0-nonce")
    assert claims["sub"] == "auth0|5c9f106d18518c11b70cae99"
    assert claims["updated_at"] == "2030-01-01T00:00:00.000Z"
    # With an audience, the access token is a JWT for it; a refresh token came with
    # offline_access.
    assert tokens["access_token"].count(".") == 2
    assert tokens["refresh_token"]
    refreshed = GetToken(domain, CLIENT_ID, client_secret=SECRET).refresh_token(
        tokens["refresh_token"]
    )
    assert refreshed["access_token"]


def test_without_an_audience_the_access_token_is_opaque(issuer: str, domain: str):
    tokens = GetToken(domain, CLIENT_ID, client_secret=SECRET).authorization_code(
        code_for(issuer), REDIRECT_URI
    )
    assert "." not in tokens["access_token"] and len(tokens["access_token"]) == 32


def test_a_wrong_secret_is_access_denied(issuer: str, domain: str):
    with pytest.raises(Auth0Error) as refused:
        GetToken(domain, CLIENT_ID, client_secret="not-the-secret-0123").authorization_code(
            code_for(issuer), REDIRECT_URI
        )
    assert refused.value.status_code == 401
    assert refused.value.error_code == "access_denied"
    assert refused.value.message == "Unauthorized"
