"""slack_sdk, Slack's own Python SDK, against the Slack preset: "Sign in with Slack" as its
documentation shows it, the authorization URL from OpenIDConnectAuthorizeUrlGenerator, the code
exchanged by WebClient.openid_connect_token, UserInfo read by openid_connect_userInfo. The SDK
raises SlackApiError on `"ok": false`, which is how Slack answers a refused request."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest
from joserfc import jwt
from joserfc.jwk import KeySet
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.oauth import AuthorizeUrlGenerator, OpenIDConnectAuthorizeUrlGenerator

from conftest import REDIRECT_URI, browse, get_json

CLIENT_ID = "2141029472.691202649728"
SECRET = "conformance-slack-secret-0123"


@pytest.fixture(scope="module")
def root(issuer: str) -> str:
    return f"{issuer}/sl"


def code_for(root: str) -> str:
    generator = OpenIDConnectAuthorizeUrlGenerator(
        client_id=CLIENT_ID,
        redirect_uri=REDIRECT_URI,
        scopes=["openid", "email", "profile"],
        authorization_url=f"{root}/openid/connect/authorize",
    )
    callback = browse(generator.generate(state="slack-state", nonce="slack-nonce"))
    query = parse_qs(urlsplit(callback).query)
    assert query["state"] == ["slack-state"], callback
    return query["code"][0]


def test_sign_in_with_slack_through_the_sdk(root: str):
    metadata = get_json(f"{root}/.well-known/openid-configuration")
    assert metadata["token_endpoint"] == f"{root}/api/openid.connect.token"
    client = WebClient(base_url=f"{root}/api/")
    answer = client.openid_connect_token(
        client_id=CLIENT_ID, client_secret=SECRET, code=code_for(root), redirect_uri=REDIRECT_URI
    )
    assert answer["ok"] is True
    assert re.fullmatch(r"xoxp-\d{10}-\d{10}-\d{13}-[0-9a-f]{32}", answer["access_token"])
    assert "refresh_token" not in answer.data and "expires_in" not in answer.data
    keys = KeySet.import_key_set(get_json(metadata["jwks_uri"]))
    claims = jwt.decode(answer["id_token"], keys).claims
    jwt.JWTClaimsRegistry(
        iss={"essential": True, "value": root},
        aud={"essential": True, "value": CLIENT_ID},
        exp={"essential": True},
    ).validate(claims)
    assert claims["sub"] == "U0G9QF9C6" and claims["nonce"] == "slack-nonce"
    info = WebClient(base_url=f"{root}/api/", token=answer["access_token"]).openid_connect_userInfo()
    assert info["sub"] == "U0G9QF9C6"
    assert info["email"] == "alice@example.com"
    assert info["https://slack.com/team_id"] == "T0G9PQBBK"


def test_an_app_installation_through_the_sdk(root: str):
    generator = AuthorizeUrlGenerator(
        client_id=CLIENT_ID,
        redirect_uri=REDIRECT_URI,
        scopes=["commands", "chat:write"],
        user_scopes=["identity.basic", "identity.email"],
        authorization_url=f"{root}/oauth/v2/authorize",
    )
    query = parse_qs(urlsplit(browse(generator.generate(state="install"))).query)
    assert query["state"] == ["install"]
    client = WebClient(base_url=f"{root}/api/")
    installed = client.oauth_v2_access(
        client_id=CLIENT_ID, client_secret=SECRET, code=query["code"][0], redirect_uri=REDIRECT_URI
    )
    assert installed["token_type"] == "bot" and installed["scope"] == "commands,chat:write"
    assert installed["access_token"].startswith("xoxb-")
    person = installed["authed_user"]
    assert person["token_type"] == "user" and person["access_token"].startswith("xoxp-")
    assert person["id"] == "U0G9QF9C6" and installed["team"] == {"id": "T0G9PQBBK", "name": "Conformance"}


def test_a_replayed_code_is_refused_as_slack_does(root: str):
    client = WebClient(base_url=f"{root}/api/")
    code = code_for(root)
    client.openid_connect_token(
        client_id=CLIENT_ID, client_secret=SECRET, code=code, redirect_uri=REDIRECT_URI
    )
    with pytest.raises(SlackApiError) as refused:
        client.openid_connect_token(
            client_id=CLIENT_ID, client_secret=SECRET, code=code, redirect_uri=REDIRECT_URI
        )
    # HTTP 200, "ok": false, Slack's code.
    assert refused.value.response.status_code == 200
    assert refused.value.response["error"] == "code_already_used"
    with pytest.raises(SlackApiError) as refused:
        client.openid_connect_token(
            client_id=CLIENT_ID, client_secret="wrong", code=code_for(root), redirect_uri=REDIRECT_URI
        )
    assert refused.value.response["error"] == "bad_client_secret"
