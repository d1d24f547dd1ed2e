"""authlib against the Discord preset, configured as Discord's OAuth2 guide has apps call it:
the authorization URL at /oauth2/authorize with `%20`-separated scopes, the secret in HTTP Basic,
form bodies only, and no OpenID Connect (the guide uses no ID token)."""

from __future__ import annotations

import re

import pytest
from authlib.integrations.requests_client import OAuth2Session

from conftest import REDIRECT_URI, browse, get_json

CLIENT_ID = "1051234567890123456"
SECRET = "conformance-discord-secret-0123"


@pytest.fixture(scope="module")
def root(issuer: str) -> str:
    return f"{issuer}/dc"


def session(root: str) -> OAuth2Session:
    return OAuth2Session(
        CLIENT_ID,
        SECRET,
        token_endpoint_auth_method="client_secret_basic",
        redirect_uri=REDIRECT_URI,
        scope="identify email",
        token_endpoint=f"{root}/api/oauth2/token",
        default_timeout=10,
    )


def login(client: OAuth2Session, root: str) -> dict:
    url, _ = client.create_authorization_url(f"{root}/oauth2/authorize")
    assert "scope=identify%20email" in url or "scope=identify+email" in url
    return client.fetch_token(authorization_response=browse(url))


def test_discovery_names_discords_paths(root: str):
    metadata = get_json(f"{root}/.well-known/openid-configuration")
    assert metadata["issuer"] == root
    assert metadata["authorization_endpoint"] == f"{root}/api/oauth2/authorize"
    assert metadata["token_endpoint"] == f"{root}/api/oauth2/token"
    assert metadata["jwks_uri"] == f"{root}/api/oauth2/keys"
    assert "userinfo_endpoint" not in metadata


def test_code_flow_and_refresh_as_discords_guide_does(root: str):
    client = session(root)
    token = login(client, root)
    assert re.fullmatch(r"[0-9A-Za-z]{30}", token["access_token"])
    assert re.fullmatch(r"[0-9A-Za-z]{30}", token["refresh_token"])
    # Discord's week, which a configured issuer of the preset has unless it says otherwise.
    assert token["token_type"] == "Bearer" and token["expires_in"] == 604800
    assert token["scope"] == "identify email" and "id_token" not in token
    refreshed = client.refresh_token(f"{root}/api/oauth2/token", refresh_token=token["refresh_token"])
    assert refreshed["access_token"] != token["access_token"]
    # A replayed code: Discord's words.
    url, _ = client.create_authorization_url(f"{root}/oauth2/authorize")
    code = browse(url).split("code=")[1].split("&")[0]
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT_URI}
    assert client.post(f"{root}/api/oauth2/token", data=form, auth=(CLIENT_ID, SECRET)).ok
    again = client.post(f"{root}/api/oauth2/token", data=form, auth=(CLIENT_ID, SECRET))
    assert again.status_code == 400
    assert again.json() == {"error": "invalid_grant", "error_description": 'Invalid "code" in request.'}


def test_json_bodies_are_refused_and_revoking_ends_the_authorization(root: str):
    client = session(root)
    url, _ = client.create_authorization_url(f"{root}/oauth2/authorize")
    code = browse(url).split("code=")[1].split("&")[0]
    as_json = client.post(
        f"{root}/api/oauth2/token",
        json={"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT_URI},
        auth=(CLIENT_ID, SECRET),
    )
    assert as_json.status_code == 400 and as_json.json()["error"] == "invalid_request"
    token = login(client, root)
    revoked = client.post(
        f"{root}/api/oauth2/token/revoke",
        data={"token": token["access_token"], "token_type_hint": "access_token"},
        auth=(CLIENT_ID, SECRET),
    )
    assert revoked.status_code == 200
    # The refresh token went with the access token.
    refresh = client.post(
        f"{root}/api/oauth2/token",
        data={"grant_type": "refresh_token", "refresh_token": token["refresh_token"]},
        auth=(CLIENT_ID, SECRET),
    )
    assert refresh.status_code == 400 and refresh.json() == {"error": "invalid_grant"}
