"""authlib (with requests and joserfc) against `fauxauth provider`.

Each check goes through authlib's own client API wherever authlib has one; what it leaves to the
application (the RFC 9207 `iss` of the callback, the ID token's `aud`) is checked here by hand.
"""

from __future__ import annotations

import base64
from urllib.parse import parse_qs, urlsplit

import pytest
from authlib.common.security import generate_token
from authlib.integrations.requests_client import OAuth2Session, OAuthError
from authlib.oauth2.rfc8414 import AuthorizationServerMetadata
from authlib.oidc.core import CodeIDToken
from authlib.oidc.discovery import OpenIDProviderMetadata
from joserfc import jwt
from joserfc.errors import BadSignatureError, InvalidClaimError
from joserfc.jwk import KeySet

from conftest import (
    CLIENTS,
    CONFIDENTIAL,
    HMAC,
    ISSUER_PATHS,
    KEYED,
    LEGACY,
    ODD,
    REDIRECT_URI,
    RS256_CLIENT,
    TEST_KEY,
    WEB,
    Client,
    authorize,
    browse,
    client_ids,
    get_json,
    id_token_algs,
    login,
    session_for,
)

# --- ID token validation, as authlib's OpenIDMixin.parse_id_token does it, plus `aud` ---------


def decode_id_token(id_token: str, metadata: dict, jwks: dict, algorithms=None):
    """Verify the signature against the published JWKS, with the advertised algorithms only
    (or those given: a client that registered its algorithm accepts that one alone)."""
    return jwt.decode(
        id_token,
        KeySet.import_key_set(jwks),
        algorithms=algorithms or metadata["id_token_signing_alg_values_supported"],
    )


def validate_id_token(
    id_token: str,
    *,
    issuer: str,
    client_id: str,
    nonce: str | None,
    access_token: str | None,
    metadata: dict,
    jwks: dict,
    algorithms: list[str] | None = None,
) -> CodeIDToken:
    token = decode_id_token(id_token, metadata, jwks, algorithms)
    claims = CodeIDToken(
        token.claims,
        token.header,
        # authlib's parse_id_token pins only `iss` here (`aud` it checks only through `azp`);
        # `aud` must be exactly this client.
        {
            "iss": {"essential": True, "value": issuer},
            "aud": {"essential": True, "value": client_id},
        },
        {"nonce": nonce, "client_id": client_id, "access_token": access_token},
    )
    # exp, iat, iss, aud, nonce, azp, at_hash, auth_time.
    claims.validate()
    return claims


# --- discovery --------------------------------------------------------------------------------


def test_discovery_document_passes_authlib_validation(issuer, metadata):
    assert metadata["issuer"] == issuer
    OpenIDProviderMetadata(metadata).validate()
    assert "S256" in metadata["code_challenge_methods_supported"]
    assert metadata["authorization_response_iss_parameter_supported"] is True


def test_rfc8414_metadata_passes_authlib_validation(issuer):
    document = get_json(f"{issuer}/.well-known/oauth-authorization-server")
    assert document["issuer"] == issuer
    AuthorizationServerMetadata(document).validate()


def test_jwks_imports_into_a_key_set(jwks):
    keys = KeySet.import_key_set(jwks)
    assert keys.keys, "the JWKS publishes no key"
    for key in jwks["keys"]:
        assert "d" not in key and "p" not in key, "a private member is published"
        assert key.get("kid"), "every key has a kid"


# --- the authorization code flow --------------------------------------------------------------


@pytest.mark.parametrize("client", CLIENTS, ids=client_ids)
def test_callback_carries_code_state_and_iss(client, issuer, metadata):
    _, _, _, state, callback = authorize(client, metadata)
    parts = urlsplit(callback)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == REDIRECT_URI
    params = parse_qs(parts.query)
    assert sorted(params) == ["code", "iss", "state"]
    assert all(len(values) == 1 for values in params.values())
    decoded = {k: v[0] for k, v in params.items()}
    assert decoded["state"] == state
    # RFC 9207: authlib's client does not check `iss`; an application should, exactly.
    assert decoded["iss"] == issuer
    assert decoded["code"]


@pytest.mark.parametrize("client", CLIENTS, ids=client_ids)
def test_code_exchange_with_pkce(client, metadata):
    result = login(client, metadata)
    token = result.token
    assert token["token_type"].lower() == "bearer"
    assert token["access_token"] and token["id_token"] and token["refresh_token"]
    assert isinstance(token["expires_in"], int) and token["expires_in"] > 0
    assert set(token["scope"].split()) == set(result.session.scope.split())


@pytest.mark.parametrize("client", CLIENTS, ids=client_ids)
def test_id_token_validates(client, issuer, metadata, jwks):
    result = login(client, metadata)
    claims = validate_id_token(
        result.token["id_token"],
        issuer=issuer,
        client_id=client.client_id,
        nonce=result.nonce,
        access_token=result.token["access_token"],
        metadata=metadata,
        jwks=jwks,
    )
    assert claims["sub"] == "248289761001"
    assert claims["nonce"] == result.nonce
    assert claims["at_hash"]
    assert claims["iat"] <= claims["exp"]
    assert claims["email"] == "alice@example.com"


def test_id_token_checks_have_teeth(issuer, metadata, jwks):
    """The validation above refuses what it should: another nonce, another audience, a bad
    signature. (So a passing run means the provider's token passed real checks.)"""
    result = login(WEB, metadata)
    id_token = result.token["id_token"]
    common = dict(issuer=issuer, access_token=None, metadata=metadata, jwks=jwks)
    with pytest.raises(InvalidClaimError):
        validate_id_token(id_token, client_id=WEB.client_id, nonce="another", **common)
    with pytest.raises(InvalidClaimError):
        validate_id_token(id_token, client_id="someone-else", nonce=result.nonce, **common)
    with pytest.raises(InvalidClaimError):
        validate_id_token(
            id_token,
            client_id=WEB.client_id,
            nonce=result.nonce,
            **{**common, "issuer": issuer + "/other"},
        )
    header, payload, signature = id_token.split(".")
    flipped = base64.urlsafe_b64encode(
        bytes([base64.urlsafe_b64decode(signature + "==")[0] ^ 1])
        + base64.urlsafe_b64decode(signature + "==")[1:]
    ).rstrip(b"=")
    with pytest.raises(BadSignatureError):
        decode_id_token(f"{header}.{payload}.{flipped.decode()}", metadata, jwks)


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_id_token_validates_with_legacy_authlib_jose(issuer, metadata, jwks):
    """authlib.jose (deprecated since authlib 1.7, still what most applications call)."""
    from authlib.jose import JsonWebKey
    from authlib.jose import jwt as legacy_jwt

    result = login(WEB, metadata)
    claims = legacy_jwt.decode(
        result.token["id_token"],
        JsonWebKey.import_key_set(jwks),
        claims_options={
            "iss": {"essential": True, "value": issuer},
            "aud": {"essential": True, "value": WEB.client_id},
            "nonce": {"essential": True, "value": result.nonce},
            "exp": {"essential": True},
            "iat": {"essential": True},
        },
    )
    claims.validate()
    assert claims["sub"] == "248289761001"


def test_code_is_single_use(metadata):
    session, verifier, _, state, callback = authorize(WEB, metadata)
    session.fetch_token(authorization_response=callback, state=state, code_verifier=verifier)
    with pytest.raises(OAuthError) as refused:
        session.fetch_token(authorization_response=callback, state=state, code_verifier=verifier)
    assert refused.value.error == "invalid_grant"


def test_wrong_pkce_verifier_is_refused(metadata):
    session, _, _, state, callback = authorize(WEB, metadata)
    with pytest.raises(OAuthError) as refused:
        session.fetch_token(
            authorization_response=callback, state=state, code_verifier="x" * 64
        )
    assert refused.value.error == "invalid_grant"


# --- userinfo -----------------------------------------------------------------------------------


@pytest.mark.parametrize("client", CLIENTS, ids=client_ids)
def test_userinfo(client, metadata):
    result = login(client, metadata)
    response = result.session.get(metadata["userinfo_endpoint"])
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"].startswith("application/json")
    info = response.json()
    assert info["sub"] == "248289761001"
    assert info["email"] == "alice@example.com"
    assert info["name"] == "Alice Example"


# --- refresh ------------------------------------------------------------------------------------


@pytest.mark.parametrize("client", CLIENTS, ids=client_ids)
def test_refresh_rotates_and_keeps_the_subject(client, issuer, metadata, jwks):
    result = login(client, metadata)
    first = result.token
    refreshed = dict(result.session.refresh_token(refresh_token=first["refresh_token"]))
    assert refreshed["access_token"] != first["access_token"]
    assert refreshed["refresh_token"] != first["refresh_token"]
    claims = validate_id_token(
        refreshed["id_token"],
        issuer=issuer,
        client_id=client.client_id,
        nonce=None,
        access_token=refreshed["access_token"],
        metadata=metadata,
        jwks=jwks,
    )
    original = decode_id_token(first["id_token"], metadata, jwks).claims
    assert claims["sub"] == original["sub"]
    assert claims["auth_time"] == original["auth_time"]
    assert "nonce" not in claims
    # The new access token works at userinfo.
    assert result.session.get(metadata["userinfo_endpoint"]).status_code == 200


def test_refresh_may_narrow_the_scope(metadata):
    result = login(WEB, metadata)
    narrowed = result.session.refresh_token(
        refresh_token=result.token["refresh_token"], scope="openid email"
    )
    assert set(narrowed["scope"].split()) == {"openid", "email"}
    info = result.session.get(metadata["userinfo_endpoint"]).json()
    assert "email" in info and "name" not in info


@pytest.mark.parametrize("client", CLIENTS, ids=client_ids)
def test_spent_refresh_token_is_refused(client, metadata):
    result = login(client, metadata)
    spent = result.token["refresh_token"]
    result.session.refresh_token(refresh_token=spent)
    with pytest.raises(OAuthError) as refused:
        result.session.refresh_token(refresh_token=spent)
    assert refused.value.error == "invalid_grant"


# --- the legacy password grant ------------------------------------------------------------------


def test_password_grant_for_the_client_configured_with_it(metadata):
    assert "password" in metadata["grant_types_supported"]
    session = session_for(LEGACY, metadata, scope="openid")
    token = session.fetch_token(
        metadata["token_endpoint"], username="carol", password="carol-password-0123"
    )
    assert token["token_type"].lower() == "bearer"
    assert "refresh_token" in token and "id_token" in token
    with pytest.raises(OAuthError) as refused:
        session.fetch_token(metadata["token_endpoint"], username="carol", password="not-it")
    assert refused.value.error == "invalid_grant"
    other = session_for(WEB, metadata)
    with pytest.raises(OAuthError) as refused:
        other.fetch_token(
            metadata["token_endpoint"], username="carol", password="carol-password-0123"
        )
    assert refused.value.error == "unauthorized_client"


# --- introspection and revocation ----------------------------------------------------------------


@pytest.mark.parametrize("client", CONFIDENTIAL, ids=client_ids)
def test_introspection(client, issuer, metadata):
    result = login(client, metadata)
    response = result.session.introspect_token(
        metadata["introspection_endpoint"],
        token=result.token["access_token"],
        token_type_hint="access_token",
    )
    assert response.status_code == 200, response.text
    info = response.json()
    assert info["active"] is True
    assert info["client_id"] == client.client_id
    assert info["sub"] == "248289761001"
    assert info["iss"] == issuer
    assert "items:read" in info["scope"].split()

    response = result.session.introspect_token(
        metadata["introspection_endpoint"],
        token=result.token["refresh_token"],
        token_type_hint="refresh_token",
    )
    assert response.json()["active"] is True


@pytest.mark.parametrize("client", CLIENTS, ids=client_ids)
def test_revoking_the_access_token(client, metadata):
    result = login(client, metadata)
    access = result.token["access_token"]
    response = result.session.revoke_token(
        metadata["revocation_endpoint"], token=access, token_type_hint="access_token"
    )
    assert response.status_code == 200, response.text
    userinfo = result.session.get(metadata["userinfo_endpoint"])
    assert userinfo.status_code == 401
    assert 'error="invalid_token"' in userinfo.headers["WWW-Authenticate"]
    if client.confidential:
        introspected = result.session.introspect_token(
            metadata["introspection_endpoint"], token=access
        )
        assert introspected.json() == {"active": False}


def test_revoking_an_unknown_token_succeeds(metadata):
    """RFC 7009 §2.2: an invalid token is no error."""
    session = session_for(WEB, metadata)
    response = session.revoke_token(metadata["revocation_endpoint"], token="no-such-token")
    assert response.status_code == 200, response.text


@pytest.mark.parametrize("client", CLIENTS, ids=client_ids)
def test_revoking_the_refresh_token_ends_the_grant(client, metadata):
    result = login(client, metadata)
    response = result.session.revoke_token(
        metadata["revocation_endpoint"],
        token=result.token["refresh_token"],
        token_type_hint="refresh_token",
    )
    assert response.status_code == 200, response.text
    with pytest.raises(OAuthError) as refused:
        result.session.refresh_token(refresh_token=result.token["refresh_token"])
    assert refused.value.error == "invalid_grant"
    # RFC 7009 §2.1: the grant's access tokens go with it here.
    assert result.session.get(metadata["userinfo_endpoint"]).status_code == 401


# --- client credentials -----------------------------------------------------------------------


@pytest.mark.parametrize("client", CONFIDENTIAL, ids=client_ids)
def test_client_credentials(client, issuer, metadata):
    session = session_for(client, metadata, scope="items:read")
    token = session.fetch_token(grant_type="client_credentials")
    assert token["token_type"].lower() == "bearer"
    assert token["scope"] == "items:read"
    assert "refresh_token" not in token and "id_token" not in token
    info = session.introspect_token(
        metadata["introspection_endpoint"], token=token["access_token"]
    ).json()
    assert info["active"] is True
    assert info["client_id"] == client.client_id
    assert info["iss"] == issuer


def test_wrong_secret_is_invalid_client(metadata):
    wrong = Client(WEB.client_id, WEB.client_secret + "x", "client_secret_basic")
    with pytest.raises(OAuthError) as refused:
        session_for(wrong, metadata, scope="items:read").fetch_token(
            grant_type="client_credentials"
        )
    assert refused.value.error == "invalid_client"


# --- an error at the authorization endpoint ---------------------------------------------------


def test_authorization_error_is_redirected_with_state_and_iss(issuer, metadata):
    session = session_for(WEB, metadata, scope="openid no-such-scope")
    url, state = session.create_authorization_url(
        metadata["authorization_endpoint"], code_verifier=generate_token(64)
    )
    params = {k: v[0] for k, v in parse_qs(urlsplit(browse(url)).query).items()}
    assert params["error"] == "invalid_scope"
    assert params["state"] == state
    assert params["iss"] == issuer
    assert "code" not in params


# --- every signing algorithm, and issuers with a path -------------------------------------------


@pytest.mark.parametrize("alg", ISSUER_PATHS)
def test_discovery_lists_rs256(alg, issuer):
    """OpenID Connect Discovery 1.0 §3: RS256 MUST be among the ID token algorithms, which
    authlib's metadata validator enforces; ES256 and EdDSA issuers list it after their own."""
    url = issuer + ISSUER_PATHS[alg]
    meta = get_json(f"{url}/.well-known/openid-configuration")
    OpenIDProviderMetadata(meta).validate()
    assert meta["id_token_signing_alg_values_supported"] == id_token_algs(alg)


# joserfc warns that RFC 9864 deprecates the polymorphic "EdDSA" for "Ed25519"; OpenID Connect
# and every client library here still use "EdDSA", and so does fauxauth.
@pytest.mark.filterwarnings("ignore:EdDSA is deprecated via RFC 9864")
@pytest.mark.parametrize("alg", ISSUER_PATHS)
def test_each_signing_algorithm_and_issuer_path(alg, issuer):
    """Discovery (both documents, RFC 8414's at its §3.1 place), the JWKS, the code flow, the ID
    token and its refresh, userinfo: on the issuer signing with `alg`."""
    path = ISSUER_PATHS[alg]
    url = issuer + path
    meta = get_json(f"{url}/.well-known/openid-configuration")
    assert meta["issuer"] == url
    OpenIDProviderMetadata(meta).validate()
    assert meta["id_token_signing_alg_values_supported"] == id_token_algs(alg)
    oauth_meta = get_json(f"{issuer}/.well-known/oauth-authorization-server{path}")
    assert oauth_meta["issuer"] == url
    AuthorizationServerMetadata(oauth_meta).validate()
    keys = get_json(meta["jwks_uri"])
    assert [k["alg"] for k in keys["keys"]] == id_token_algs(alg)

    result = login(WEB, meta)
    assert result.callback_params()["iss"] == [url]
    token = result.token
    claims = validate_id_token(
        token["id_token"],
        issuer=url,
        client_id=WEB.client_id,
        nonce=result.nonce,
        access_token=token["access_token"],
        metadata=meta,
        jwks=keys,
    )
    assert decode_id_token(token["id_token"], meta, keys).header["alg"] == alg
    assert claims["sub"] == "248289761001"
    refreshed = result.session.refresh_token(
        meta["token_endpoint"], refresh_token=token["refresh_token"]
    )
    validate_id_token(
        refreshed["id_token"],
        issuer=url,
        client_id=WEB.client_id,
        nonce=None,
        access_token=refreshed["access_token"],
        metadata=meta,
        jwks=keys,
    )
    info = result.session.get(meta["userinfo_endpoint"]).json()
    assert info["sub"] == claims["sub"]


@pytest.mark.filterwarnings("ignore:EdDSA is deprecated via RFC 9864")
@pytest.mark.parametrize("alg", ISSUER_PATHS)
def test_a_client_registered_for_rs256_gets_rs256_id_tokens_from_every_issuer(alg, issuer):
    """A client registered with id_token_signed_response_alg RS256 accepts RS256 alone: the ES256
    and EdDSA issuers sign its ID tokens with their RS256 key, its access tokens with their own."""
    url = issuer + ISSUER_PATHS[alg]
    meta = get_json(f"{url}/.well-known/openid-configuration")
    keys = get_json(meta["jwks_uri"])
    rs256_kids = [k["kid"] for k in keys["keys"] if k["alg"] == "RS256"]
    assert len(rs256_kids) == 1

    def check(token: dict, nonce: str | None):
        claims = validate_id_token(
            token["id_token"],
            issuer=url,
            client_id=RS256_CLIENT.client_id,
            nonce=nonce,
            access_token=token["access_token"],
            metadata=meta,
            jwks=keys,
            algorithms=["RS256"],
        )
        assert claims["sub"] == "248289761001"
        assert claims.header["alg"] == "RS256"
        assert claims.header["kid"] == rs256_kids[0]
        access = jwt.decode(token["access_token"], KeySet.import_key_set(keys), algorithms=[alg])
        assert access.header["alg"] == alg

    result = login(RS256_CLIENT, meta)
    check(result.token, result.nonce)
    refreshed = result.session.refresh_token(
        meta["token_endpoint"], refresh_token=result.token["refresh_token"]
    )
    check(refreshed, None)


# --- where authlib departs from the RFC ---------------------------------------------------------


@pytest.mark.xfail(
    strict=True,
    raises=OAuthError,
    reason="authlib's client_secret_basic does not form-encode the client id and secret "
    "before base64 (RFC 6749 §2.3.1), so an id with ':' or a secret with '+' or '%' "
    "arrives changed; the ODD client uses client_secret_post with authlib",
)
def test_authlib_basic_auth_with_reserved_characters(metadata):
    basic = Client(ODD.client_id, ODD.client_secret, "client_secret_basic")
    session_for(basic, metadata, scope="items:read").fetch_token(
        grant_type="client_credentials"
    )


# --- JWT client authentication (RFC 7523 §2.2, OpenID Connect Core §9) -------------------------


def jwt_session(client, metadata, **kwargs):
    """An authlib session authenticating with its own rfc7523 classes: PrivateKeyJWT signing with
    the published test key (ES256), or ClientSecretJWT (HS256) with the secret."""
    from authlib.oauth2.rfc7523 import ClientSecretJWT, PrivateKeyJWT
    from joserfc.jwk import ECKey

    if client.auth_method == "private_key_jwt":
        with open(TEST_KEY) as f:
            credential = ECKey.import_key(f.read())
        method = PrivateKeyJWT(
            metadata["token_endpoint"], alg="ES256", headers={"kid": "scenario-client"}
        )
    else:
        credential = client.client_secret
        method = ClientSecretJWT(metadata["token_endpoint"])
    session = OAuth2Session(
        client.client_id,
        credential,
        token_endpoint_auth_method=method,
        redirect_uri=REDIRECT_URI,
        code_challenge_method="S256",
        token_endpoint=metadata["token_endpoint"],
        default_timeout=10,
        **kwargs,
    )
    return session


@pytest.mark.parametrize("client", [KEYED, HMAC], ids=client_ids)
def test_jwt_client_authentication_in_the_code_flow_refresh_and_client_credentials(
    client, metadata
):
    assert client.auth_method in metadata["token_endpoint_auth_methods_supported"]
    assert "ES256" in metadata["token_endpoint_auth_signing_alg_values_supported"]
    assert "HS256" in metadata["token_endpoint_auth_signing_alg_values_supported"]
    session = jwt_session(client, metadata, scope="openid items:read")
    verifier = generate_token(64)
    url, state = session.create_authorization_url(
        metadata["authorization_endpoint"], code_verifier=verifier, nonce=generate_token(24)
    )
    token = session.fetch_token(
        authorization_response=browse(url), state=state, code_verifier=verifier
    )
    assert "id_token" in token and "refresh_token" in token
    refreshed = session.refresh_token(
        metadata["token_endpoint"], refresh_token=token["refresh_token"]
    )
    assert refreshed["access_token"] != token["access_token"]
    machine = jwt_session(client, metadata, scope="items:read")
    assert machine.fetch_token(grant_type="client_credentials")["scope"] == "items:read"


@pytest.mark.parametrize("client", [KEYED, HMAC], ids=client_ids)
def test_a_jwt_client_may_not_fall_back_to_a_secret(client, metadata):
    # Registered for one JWT method: a plain secret (or none at all) is invalid_client.
    plain = Client(client.client_id, client.client_secret or "a-guess", "client_secret_post")
    with pytest.raises(OAuthError) as refused:
        session_for(plain, metadata, scope="items:read").fetch_token(
            grant_type="client_credentials"
        )
    assert refused.value.error == "invalid_client"


def test_an_assertion_for_another_audience_is_invalid_client(metadata):
    from authlib.oauth2.rfc7523 import ClientSecretJWT

    session = OAuth2Session(
        HMAC.client_id,
        HMAC.client_secret,
        token_endpoint_auth_method=ClientSecretJWT("https://elsewhere.example/token"),
        token_endpoint=metadata["token_endpoint"],
        scope="items:read",
        default_timeout=10,
    )
    with pytest.raises(OAuthError) as refused:
        session.fetch_token(grant_type="client_credentials")
    assert refused.value.error == "invalid_client"


# --- the JWT bearer authorization grant (RFC 7523 §2.1) -----------------------------------------


def test_jwt_bearer_grant_with_authlibs_assertion_session(metadata, jwks):
    from authlib.integrations.requests_client import AssertionSession
    from authlib.oauth2.base import OAuth2Error
    from joserfc.jwk import ECKey

    grant = "urn:ietf:params:oauth:grant-type:jwt-bearer"
    assert grant in metadata["grant_types_supported"]
    with open(TEST_KEY) as f:
        key = ECKey.import_key(f.read())

    def session(subject, issuer="https://idp.example"):
        return AssertionSession(
            token_endpoint=metadata["token_endpoint"],
            issuer=issuer,
            subject=subject,
            key=key,
            alg="ES256",
            header={"kid": "scenario-client"},
            scope="openid items:read",
            client_id="conformance-assertion",
            default_timeout=10,
        )

    token = session("248289761001").refresh_token()
    assert token["token_type"].lower() == "bearer"
    assert "refresh_token" not in token
    claims = decode_id_token(token["id_token"], metadata, jwks).claims
    assert claims["sub"] == "248289761001"
    assert claims["aud"] == "conformance-assertion"
    for refused in [session("no-such-user"), session("248289761001", "https://other.example")]:
        with pytest.raises(OAuth2Error) as error:
            refused.refresh_token()
        assert error.value.error == "invalid_grant"


# --- token exchange (RFC 8693) ------------------------------------------------------------------


def test_token_exchange_through_authlibs_generic_grant(metadata, jwks):
    grant = "urn:ietf:params:oauth:grant-type:token-exchange"
    access = "urn:ietf:params:oauth:token-type:access_token"
    assert grant in metadata["grant_types_supported"]
    alice = login(WEB, metadata).token
    gateway = session_for(
        Client("conformance-gateway", "conformance-gateway-secret-0123", "client_secret_basic"),
        metadata,
    )
    own = gateway.fetch_token(grant_type="client_credentials")["access_token"]
    token = gateway.fetch_token(
        grant_type=grant,
        subject_token=alice["access_token"],
        subject_token_type=access,
        actor_token=own,
        actor_token_type=access,
        audience="orders-api",
        scope="items:read",
    )
    assert token["issued_token_type"] == access
    assert "refresh_token" not in token
    claims = jwt.decode(token["access_token"], KeySet.import_key_set(jwks)).claims
    assert claims["sub"] == "248289761001"
    assert claims["aud"] == "orders-api"
    assert claims["act"] == {"sub": "conformance-gateway"}
    with pytest.raises(OAuthError) as refused:
        gateway.fetch_token(
            grant_type=grant,
            subject_token=alice["access_token"],
            subject_token_type=access,
            audience="payroll-api",
        )
    assert refused.value.error == "invalid_target"
