"""python-keycloak against the Keycloak preset: a realm where a Keycloak library looks for one.

KeycloakOpenID builds every URL from the server URL and the realm name
(`{server}/realms/{realm}/protocol/openid-connect/...`), sends the client secret in the body,
and verifies tokens with the realm's certs: what an app written with it does against Keycloak.
"""

from __future__ import annotations

import os
from urllib.parse import parse_qs, urlsplit

import pytest
from keycloak import KeycloakOpenID
from keycloak.exceptions import KeycloakAuthenticationError, KeycloakPostError

from conftest import REDIRECT_URI, browse

REALM = "conformance"
CLIENT_ID = "conformance-keycloak"
SECRET = "conformance-keycloak-secret-0123"


@pytest.fixture(scope="module")
def keycloak(issuer: str) -> KeycloakOpenID:
    return KeycloakOpenID(
        server_url=f"{issuer}/kc/",
        realm_name=REALM,
        client_id=CLIENT_ID,
        client_secret_key=SECRET,
        # The authority conformance/run gives every suite (its path, as Keycloak's docs say).
        verify=os.environ["REQUESTS_CA_BUNDLE"],
    )


def code_for(keycloak: KeycloakOpenID) -> str:
    url = keycloak.auth_url(
        redirect_uri=REDIRECT_URI, scope="openid profile email", state="kc-state", nonce="kc-n"
    )
    params = parse_qs(urlsplit(browse(url)).query)
    assert params["state"] == ["kc-state"]
    return params["code"][0]


def test_the_realm_is_where_keycloak_libraries_look(keycloak: KeycloakOpenID, issuer: str):
    known = keycloak.well_known()
    realm = f"{issuer}/kc/realms/{REALM}"
    assert known["issuer"] == realm
    assert known["token_endpoint"] == f"{realm}/protocol/openid-connect/token"
    assert known["jwks_uri"] == f"{realm}/protocol/openid-connect/certs"
    assert known["introspection_endpoint"] == f"{realm}/protocol/openid-connect/token/introspect"
    assert keycloak.certs()["keys"]


def test_code_flow_tokens_roles_userinfo_and_refresh(keycloak: KeycloakOpenID, issuer: str):
    token = keycloak.token(
        grant_type="authorization_code", code=code_for(keycloak), redirect_uri=REDIRECT_URI
    )
    # Keycloak's own members beside RFC 6749's.
    assert token["token_type"] == "Bearer"
    assert token["refresh_expires_in"] > 0
    assert token["not-before-policy"] == 0
    # Verified with the realm's certs, as the library does.
    claims = keycloak.decode_token(token["access_token"])
    assert claims["iss"] == f"{issuer}/kc/realms/{REALM}"
    assert claims["azp"] == CLIENT_ID
    assert claims["typ"] == "Bearer"
    assert "admin" in claims["realm_access"]["roles"]
    assert claims["resource_access"]["account"]["roles"] == ["view-profile"]
    id_claims = keycloak.decode_token(token["id_token"])
    assert id_claims["nonce"] == "kc-n" and "realm_access" not in id_claims
    userinfo = keycloak.userinfo(token["access_token"])
    assert userinfo["sub"] == claims["sub"] and userinfo["email"] == "alice@example.com"
    assert "realm_access" not in userinfo
    assert keycloak.introspect(token["access_token"])["active"] is True
    refreshed = keycloak.refresh_token(token["refresh_token"])
    assert keycloak.decode_token(refresh_access := refreshed["access_token"])["sub"] == claims["sub"]
    assert refresh_access != token["access_token"]


def test_a_replayed_code_is_refused_in_keycloaks_words(keycloak: KeycloakOpenID):
    code = code_for(keycloak)
    keycloak.token(grant_type="authorization_code", code=code, redirect_uri=REDIRECT_URI)
    with pytest.raises(KeycloakPostError) as refused:
        keycloak.token(grant_type="authorization_code", code=code, redirect_uri=REDIRECT_URI)
    assert refused.value.response_code == 400
    assert b"Code not valid" in refused.value.response_body


def test_a_wrong_secret_is_refused_in_keycloaks_words(issuer: str):
    wrong = KeycloakOpenID(
        server_url=f"{issuer}/kc/",
        realm_name=REALM,
        client_id=CLIENT_ID,
        client_secret_key="not-the-secret-0123456789",
        verify=os.environ["REQUESTS_CA_BUNDLE"],
    )
    # The library knows Keycloak's 401 for what it is.
    with pytest.raises(KeycloakAuthenticationError) as refused:
        wrong.token(grant_type="authorization_code", code="x", redirect_uri=REDIRECT_URI)
    assert refused.value.response_code == 401
    assert b"Invalid client or Invalid client credentials" in refused.value.response_body
