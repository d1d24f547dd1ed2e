"""authlib against the GitLab preset, configured as GitLab's documentation says: the secret in
the body, the endpoints from discovery, and `redirect_uri` repeated when refreshing."""

from __future__ import annotations

import re

import pytest
from authlib.integrations.requests_client import OAuth2Session
from joserfc import jwt
from joserfc.jwk import KeySet

from conftest import REDIRECT_URI, browse, get_json

CLIENT_ID = "conformance-gitlab"
SECRET = "conformance-gitlab-secret-0123"


@pytest.fixture(scope="module")
def gitlab(issuer: str) -> dict:
    return get_json(f"{issuer}/gl/.well-known/openid-configuration")


def session(metadata: dict) -> OAuth2Session:
    return OAuth2Session(
        CLIENT_ID,
        SECRET,
        token_endpoint_auth_method="client_secret_post",
        redirect_uri=REDIRECT_URI,
        scope="openid profile email read_user",
        code_challenge_method="S256",
        token_endpoint=metadata["token_endpoint"],
        default_timeout=10,
    )


def test_gitlabs_paths_are_where_gitlab_puts_them(gitlab: dict, issuer: str):
    root = f"{issuer}/gl"
    assert gitlab["issuer"] == root
    assert gitlab["authorization_endpoint"] == f"{root}/oauth/authorize"
    assert gitlab["token_endpoint"] == f"{root}/oauth/token"
    assert gitlab["jwks_uri"] == f"{root}/oauth/discovery/keys"
    assert "end_session_endpoint" not in gitlab


def test_code_flow_and_refresh_with_the_redirect_uri(gitlab: dict, issuer: str):
    client = session(gitlab)
    verifier = "v" * 64
    url, state = client.create_authorization_url(
        gitlab["authorization_endpoint"], code_verifier=verifier, nonce="gl-nonce"
    )
    callback = browse(url)
    token = client.fetch_token(authorization_response=callback, code_verifier=verifier)
    # Doorkeeper's format and members.
    assert re.fullmatch(r"[0-9a-f]{64}", token["access_token"])
    assert re.fullmatch(r"[0-9a-f]{64}", token["refresh_token"])
    assert isinstance(token["created_at"], int)
    keys = KeySet.import_key_set(get_json(gitlab["jwks_uri"]))
    claims = jwt.decode(token["id_token"], keys).claims
    jwt.JWTClaimsRegistry(
        iss={"essential": True, "value": f"{issuer}/gl"},
        aud={"essential": True, "value": CLIENT_ID},
        exp={"essential": True},
    ).validate(claims)
    assert claims["sub"] == "4810375" and claims["nonce"] == "gl-nonce"
    # Without the redirect_uri, GitLab refuses the refresh; with it, both tokens rotate.
    refusal = client.post(
        gitlab["token_endpoint"],
        data={
            "grant_type": "refresh_token",
            "refresh_token": token["refresh_token"],
            "client_id": CLIENT_ID,
            "client_secret": SECRET,
        },
    )
    assert refusal.status_code == 400 and refusal.json()["error"] == "invalid_request"
    refreshed = client.refresh_token(
        gitlab["token_endpoint"], refresh_token=token["refresh_token"], redirect_uri=REDIRECT_URI
    )
    assert refreshed["refresh_token"] != token["refresh_token"]
    assert refreshed["access_token"] != token["access_token"]
