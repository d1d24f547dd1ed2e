// openid-client v6 against `fauxauth provider`: every check goes through the library, which
// validates the callback (state, RFC 9207 iss), the token responses, and the ID token
// (signature, iss, aud, azp, nonce, exp, iat, auth_time).
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import * as client from 'openid-client'

import {
  CLIENTS,
  CONFIDENTIAL,
  HMAC,
  ISSUER,
  ISSUER_PATHS,
  KEYED,
  POST_LOGOUT_REDIRECT_URI,
  REDIRECT_URI,
  RS256_CLIENT,
  SCOPE,
  SPA,
  SUB,
  WEB,
  WORKLOAD,
  authorize,
  browse,
  configure,
  idTokenAlgs,
  label,
  login,
  testKey,
} from '../clients.js'

describe('discovery', () => {
  it('accepts the issuer and its metadata', async () => {
    const config = await configure(WEB)
    const metadata = config.serverMetadata()
    assert.equal(metadata.issuer, ISSUER)
    assert.ok(metadata.supportsPKCE())
    assert.equal(metadata.authorization_response_iss_parameter_supported, true)
    for (const endpoint of ['token', 'userinfo', 'revocation', 'introspection']) {
      assert.ok(metadata[`${endpoint}_endpoint`].startsWith(ISSUER), endpoint)
    }
  })

  it('accepts the RFC 8414 metadata too', async () => {
    const config = await client.discovery(new URL(ISSUER), WEB.id, WEB.secret, undefined, {
      algorithm: 'oauth2',
    })
    assert.equal(config.serverMetadata().issuer, ISSUER)
  })
})

for (const c of CLIENTS) {
  describe(`code flow, ${label(c)}`, () => {
    it('authorization response carries code, state and iss', async () => {
      const config = await configure(c)
      const flow = await authorize(config)
      assert.equal(`${flow.callback.origin}${flow.callback.pathname}`, REDIRECT_URI)
      assert.equal(flow.callback.searchParams.get('state'), flow.state)
      assert.equal(flow.callback.searchParams.get('iss'), ISSUER)
      assert.ok(flow.callback.searchParams.get('code'))
    })

    it('exchanges the code with PKCE and validates the ID token', async () => {
      const config = await configure(c)
      const { tokens, nonce } = await login(config)
      assert.equal(tokens.token_type, 'bearer') // openid-client lowercases it
      assert.ok(tokens.access_token && tokens.refresh_token && tokens.id_token)
      assert.ok(tokens.expiresIn() > 0)
      assert.deepEqual(new Set(tokens.scope.split(' ')), new Set(SCOPE.split(' ')))
      const claims = tokens.claims()
      assert.equal(claims.iss, ISSUER)
      assert.equal(claims.aud, c.id)
      assert.equal(claims.sub, SUB)
      assert.equal(claims.nonce, nonce)
      assert.equal(claims.email, 'alice@example.com')
    })

    it('fetches userinfo for the ID token subject', async () => {
      const config = await configure(c)
      const { tokens } = await login(config)
      const info = await client.fetchUserInfo(config, tokens.access_token, tokens.claims().sub)
      assert.equal(info.sub, SUB)
      assert.equal(info.name, 'Alice Example')
      assert.equal(info.email, 'alice@example.com')
    })

    it('refreshes: rotated tokens, same subject, an ID token without nonce', async () => {
      const config = await configure(c)
      const { tokens } = await login(config)
      const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token)
      assert.notEqual(refreshed.access_token, tokens.access_token)
      assert.notEqual(refreshed.refresh_token, tokens.refresh_token)
      const claims = refreshed.claims()
      assert.equal(claims.sub, tokens.claims().sub)
      assert.equal(claims.auth_time, tokens.claims().auth_time)
      assert.equal(claims.nonce, undefined)
      await client.fetchUserInfo(config, refreshed.access_token, claims.sub)
      // The spent refresh token is refused.
      await assert.rejects(client.refreshTokenGrant(config, tokens.refresh_token), {
        name: 'ResponseBodyError',
        error: 'invalid_grant',
      })
    })

    it('revokes the access token; userinfo then refuses it', async () => {
      const config = await configure(c)
      const { tokens } = await login(config)
      await client.tokenRevocation(config, tokens.access_token, {
        token_type_hint: 'access_token',
      })
      await assert.rejects(client.fetchUserInfo(config, tokens.access_token, SUB), (err) => {
        assert.equal(err.name, 'WWWAuthenticateChallengeError')
        assert.equal(err.status, 401)
        assert.equal(err.cause[0].parameters.error, 'invalid_token')
        return true
      })
    })

    it('revokes the refresh token, ending the grant', async () => {
      const config = await configure(c)
      const { tokens } = await login(config)
      await client.tokenRevocation(config, tokens.refresh_token, {
        token_type_hint: 'refresh_token',
      })
      await assert.rejects(client.refreshTokenGrant(config, tokens.refresh_token), {
        error: 'invalid_grant',
      })
    })
  })
}

for (const c of CONFIDENTIAL) {
  describe(`introspection and client credentials, ${label(c)}`, () => {
    it('introspects access and refresh tokens, then a revoked one', async () => {
      const config = await configure(c)
      const { tokens } = await login(config)
      const access = await client.tokenIntrospection(config, tokens.access_token, {
        token_type_hint: 'access_token',
      })
      assert.equal(access.active, true)
      assert.equal(access.client_id, c.id)
      assert.equal(access.sub, SUB)
      assert.equal(access.iss, ISSUER)
      assert.ok(access.scope.split(' ').includes('items:read'))
      const refresh = await client.tokenIntrospection(config, tokens.refresh_token, {
        token_type_hint: 'refresh_token',
      })
      assert.equal(refresh.active, true)
      await client.tokenRevocation(config, tokens.access_token)
      const revoked = await client.tokenIntrospection(config, tokens.access_token)
      assert.deepEqual({ ...revoked }, { active: false })
    })

    it('gets a token by client credentials', async () => {
      const config = await configure(c)
      const tokens = await client.clientCredentialsGrant(config, { scope: 'items:read' })
      assert.equal(tokens.token_type, 'bearer')
      assert.equal(tokens.scope, 'items:read')
      assert.equal(tokens.refresh_token, undefined)
      assert.equal(tokens.id_token, undefined)
      const info = await client.tokenIntrospection(config, tokens.access_token)
      assert.equal(info.active, true)
      assert.equal(info.client_id, c.id)
    })
  })
}

describe('refusals', () => {
  it('revoking an unknown token is no error (RFC 7009 §2.2)', async () => {
    const config = await configure(WEB)
    await client.tokenRevocation(config, 'no-such-token')
  })

  it('a code is single-use', async () => {
    const config = await configure(WEB)
    const flow = await authorize(config)
    const checks = {
      pkceCodeVerifier: flow.codeVerifier,
      expectedState: flow.state,
      expectedNonce: flow.nonce,
    }
    await client.authorizationCodeGrant(config, flow.callback, checks)
    await assert.rejects(client.authorizationCodeGrant(config, flow.callback, checks), {
      name: 'ResponseBodyError',
      error: 'invalid_grant',
    })
  })

  it('a wrong PKCE verifier is invalid_grant', async () => {
    const config = await configure(WEB)
    const flow = await authorize(config)
    await assert.rejects(
      client.authorizationCodeGrant(config, flow.callback, {
        pkceCodeVerifier: client.randomPKCECodeVerifier(),
        expectedState: flow.state,
        expectedNonce: flow.nonce,
      }),
      { name: 'ResponseBodyError', error: 'invalid_grant' },
    )
  })

  it('a wrong secret is invalid_client with a Basic challenge', async () => {
    const config = await configure({ ...WEB, secret: `${WEB.secret}x` })
    // RFC 6749 §5.2: 401 with a challenge for the scheme the client used; openid-client
    // reports the challenge first and leaves the JSON body on the response.
    const err = await client
      .clientCredentialsGrant(config, { scope: 'items:read' })
      .then(() => assert.fail('a wrong secret was accepted'), (e) => e)
    assert.equal(err.name, 'WWWAuthenticateChallengeError')
    assert.equal(err.status, 401)
    assert.equal(err.cause[0].scheme, 'basic')
    assert.equal((await err.response.json()).error, 'invalid_client')
  })
})

describe('more of the authorization code flow', () => {
  it('an error at the authorization endpoint comes back with state and iss', async () => {
    const config = await configure(WEB)
    const flow = await authorize(config, 'openid no-such-scope')
    assert.equal(flow.callback.searchParams.get('iss'), ISSUER)
    // openid-client checks iss and state before it reports the error.
    await assert.rejects(
      client.authorizationCodeGrant(config, flow.callback, {
        pkceCodeVerifier: flow.codeVerifier,
        expectedState: flow.state,
        expectedNonce: flow.nonce,
      }),
      { name: 'AuthorizationResponseError', error: 'invalid_scope' },
    )
  })

  it('max_age: the ID token carries auth_time and openid-client checks it', async () => {
    const config = await configure(WEB)
    const flow = await authorize(config, SCOPE, { max_age: '300' })
    const tokens = await client.authorizationCodeGrant(config, flow.callback, {
      pkceCodeVerifier: flow.codeVerifier,
      expectedState: flow.state,
      expectedNonce: flow.nonce,
      maxAge: 300,
    })
    assert.equal(typeof tokens.claims().auth_time, 'number')
  })

  it('RP-initiated logout redirects to the registered URI with state', async () => {
    const config = await configure(WEB)
    const { tokens } = await login(config)
    const state = client.randomState()
    const url = client.buildEndSessionUrl(config, {
      id_token_hint: tokens.id_token,
      post_logout_redirect_uri: POST_LOGOUT_REDIRECT_URI,
      state,
    })
    const response = await fetch(url, { redirect: 'manual' })
    assert.ok([302, 303].includes(response.status), `logout answered ${response.status}`)
    const location = new URL(response.headers.get('location'))
    assert.equal(`${location.origin}${location.pathname}`, POST_LOGOUT_REDIRECT_URI)
    assert.equal(location.searchParams.get('state'), state)
  })
})

for (const [alg, path] of Object.entries(ISSUER_PATHS)) {
  describe(`issuer signing with ${alg} at ${path || '/'}`, () => {
    const issuer = ISSUER + path

    it('discovery (both documents), code flow, ID token, refresh, userinfo', async () => {
      const config = await configure(WEB, issuer)
      const metadata = config.serverMetadata()
      assert.equal(metadata.issuer, issuer)
      assert.deepEqual(metadata.id_token_signing_alg_values_supported, idTokenAlgs(alg))
      const oauth = await client.discovery(new URL(issuer), WEB.id, WEB.secret, undefined, {
        algorithm: 'oauth2',
      })
      assert.equal(oauth.serverMetadata().issuer, issuer)

      const { tokens, callback } = await login(config)
      assert.equal(callback.searchParams.get('iss'), issuer)
      const header = JSON.parse(Buffer.from(tokens.id_token.split('.')[0], 'base64url'))
      assert.equal(header.alg, alg)
      assert.equal(tokens.claims().iss, issuer)
      assert.equal(tokens.claims().sub, SUB)
      const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token)
      assert.equal(refreshed.claims().sub, SUB)
      const info = await client.fetchUserInfo(config, refreshed.access_token, SUB)
      assert.equal(info.email, 'alice@example.com')
    })

    it('a client registered for RS256 gets RS256 ID tokens, access tokens stay ' + alg, async () => {
      const config = await configure(RS256_CLIENT, issuer)
      assert.equal(config.clientMetadata().id_token_signed_response_alg, 'RS256')
      const jwks = await (await fetch(config.serverMetadata().jwks_uri)).json()
      const rs256 = jwks.keys.filter((k) => k.alg === 'RS256')
      assert.equal(rs256.length, 1)
      const header = (jwt) => JSON.parse(Buffer.from(jwt.split('.')[0], 'base64url'))

      const { tokens } = await login(config)
      const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token)
      for (const t of [tokens, refreshed]) {
        // openid-client has checked the signature against the JWKS, RS256 alone accepted.
        assert.deepEqual([header(t.id_token).alg, header(t.id_token).kid], ['RS256', rs256[0].kid])
        assert.equal(t.claims().sub, SUB)
        assert.equal(header(t.access_token).alg, alg)
      }
    })
  })
}

describe('JWT client authentication (RFC 7523 §2.2, OpenID Connect Core §9)', () => {
  for (const c of [KEYED, HMAC]) {
    it(`${label(c)}: the code flow, refresh, introspection, revocation and client credentials`, async () => {
      const config = await configure(c)
      const metadata = config.serverMetadata()
      assert.ok(metadata.token_endpoint_auth_methods_supported.includes(c.auth))
      const { tokens } = await login(config)
      assert.equal(tokens.claims().sub, SUB)
      const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token)
      assert.notEqual(refreshed.access_token, tokens.access_token)
      const info = await client.tokenIntrospection(config, refreshed.access_token)
      assert.equal(info.active, true)
      assert.equal(info.client_id, c.id)
      await client.tokenRevocation(config, refreshed.refresh_token)
      const machine = await client.clientCredentialsGrant(config, { scope: 'items:read' })
      assert.equal(machine.scope, 'items:read')
    })
  }

  it('a client registered for private_key_jwt is refused with a secret', async () => {
    const config = await configure({ ...KEYED, secret: 'a-guess', auth: 'client_secret_post' })
    await assert.rejects(client.clientCredentialsGrant(config, { scope: 'items:read' }), (e) => {
      assert.equal(e.status, 401)
      return true
    })
  })
})

describe('the JWT bearer grant (RFC 7523 §2.1)', () => {
  const GRANT = 'urn:ietf:params:oauth:grant-type:jwt-bearer'

  /** A JWT the trusted issuer signs about `sub` (ES256, with WebCrypto: JWS's r||s form). */
  async function assertion(sub, audience, extra = {}) {
    const encode = (value) => Buffer.from(JSON.stringify(value)).toString('base64url')
    const now = Math.floor(Date.now() / 1000)
    const input = `${encode({ alg: 'ES256', kid: 'scenario-client', typ: 'JWT' })}.${encode({
      iss: 'https://idp.example',
      sub,
      aud: audience,
      jti: crypto.randomUUID(),
      iat: now,
      exp: now + 60,
      ...extra,
    })}`
    const signature = await crypto.subtle.sign(
      { name: 'ECDSA', hash: 'SHA-256' },
      await testKey(),
      Buffer.from(input),
    )
    return `${input}.${Buffer.from(signature).toString('base64url')}`
  }

  it('gives tokens for the user a trusted JWT names, once', async () => {
    const config = await configure(WORKLOAD)
    const metadata = config.serverMetadata()
    assert.ok(metadata.grant_types_supported.includes(GRANT))
    const jwt = await assertion(SUB, metadata.token_endpoint)
    const tokens = await client.genericGrantRequest(config, GRANT, {
      assertion: jwt,
      scope: 'openid items:read',
    })
    assert.equal(tokens.claims().sub, SUB)
    assert.equal(tokens.refresh_token, undefined)
    await assert.rejects(client.genericGrantRequest(config, GRANT, { assertion: jwt }), {
      name: 'ResponseBodyError',
      error: 'invalid_grant',
    })
  })

  it('refuses a JWT for another audience or an expired one', async () => {
    const config = await configure(WORKLOAD)
    const token = config.serverMetadata().token_endpoint
    for (const jwt of [
      await assertion(SUB, 'https://other.example/token'),
      await assertion(SUB, token, { exp: Math.floor(Date.now() / 1000) - 300 }),
    ]) {
      await assert.rejects(client.genericGrantRequest(config, GRANT, { assertion: jwt }), {
        name: 'ResponseBodyError',
        error: 'invalid_grant',
      })
    }
  })
})

describe('token exchange (RFC 8693)', () => {
  const GRANT = 'urn:ietf:params:oauth:grant-type:token-exchange'
  const ACCESS = 'urn:ietf:params:oauth:token-type:access_token'
  const GATEWAY = {
    id: 'conformance-gateway',
    secret: 'conformance-gateway-secret-0123',
    auth: 'client_secret_basic',
  }

  it('exchanges a user\'s access token for one for the orders API', async () => {
    const { tokens } = await login(await configure(WEB))
    const config = await configure(GATEWAY)
    assert.ok(config.serverMetadata().grant_types_supported.includes(GRANT))
    const exchanged = await client.genericGrantRequest(config, GRANT, {
      subject_token: tokens.access_token,
      subject_token_type: ACCESS,
      audience: 'orders-api',
    })
    assert.equal(exchanged.issued_token_type, ACCESS)
    assert.equal(exchanged.refresh_token, undefined)
    const claims = JSON.parse(Buffer.from(exchanged.access_token.split('.')[1], 'base64url'))
    assert.equal(claims.sub, SUB)
    assert.equal(claims.aud, 'orders-api')
    await assert.rejects(
      client.genericGrantRequest(config, GRANT, {
        subject_token: 'made-up',
        subject_token_type: ACCESS,
      }),
      { name: 'ResponseBodyError', error: 'invalid_request' },
    )
  })
})

describe('the device authorization grant (RFC 8628)', () => {
  it('initiates, is approved through the admin API, and polls to tokens', async () => {
    const config = await configure({ id: 'conformance-tv', secret: undefined, auth: 'none' })
    assert.ok(config.serverMetadata().device_authorization_endpoint)
    const device = await client.initiateDeviceAuthorization(config, { scope: 'openid' })
    assert.match(device.user_code, /^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$/)
    assert.equal(device.interval, 5)
    // The person's answer, as a test script gives it: the admin API of the provider.
    const answer = await fetch(
      `${ISSUER}/_fauxauth/issuers/default/devices/${encodeURIComponent(device.user_code)}`,
      {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ approve: { user: 'alice' } }),
      },
    )
    assert.equal(answer.status, 204)
    // openid-client waits the interval (5 s) before its first poll.
    const tokens = await client.pollDeviceAuthorizationGrant(config, device)
    assert.equal(tokens.claims().sub, SUB)
    assert.ok(tokens.refresh_token)
  })
})

describe('DPoP (RFC 9449)', () => {
  for (const c of [WEB, SPA]) {
    it(`binds the tokens of ${label(c)} to its key: the code, userinfo, the refresh`, async () => {
      const config = await configure(c)
      const DPoP = client.getDPoPHandle(config, await client.randomDPoPKeyPair('ES256'))
      assert.ok(config.serverMetadata().dpop_signing_alg_values_supported.includes('ES256'))
      const flow = await authorize(config, SCOPE, { dpop_jkt: await DPoP.calculateThumbprint() })
      const tokens = await client.authorizationCodeGrant(
        config,
        flow.callback,
        {
          pkceCodeVerifier: flow.codeVerifier,
          expectedState: flow.state,
          expectedNonce: flow.nonce,
        },
        undefined,
        { DPoP },
      )
      assert.equal(tokens.token_type, 'dpop')
      const info = await client.fetchUserInfo(config, tokens.access_token, SUB, { DPoP })
      assert.equal(info.sub, SUB)
      // Without its key the token is refused, with a DPoP challenge.
      await assert.rejects(client.fetchUserInfo(config, tokens.access_token, SUB), (err) => {
        assert.equal(err.status, 401)
        assert.equal(err.cause[0].scheme, 'dpop')
        assert.equal(err.cause[0].parameters.error, 'invalid_token')
        return true
      })
      const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token, undefined, {
        DPoP,
      })
      assert.equal(refreshed.token_type, 'dpop')
      assert.equal(refreshed.claims().sub, SUB)
    })
  }

  it('retries with the nonce the token endpoint asks for (use_dpop_nonce)', async () => {
    const rule = await fetch(`${ISSUER}/_fauxauth/rules`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        when: { endpoint: 'token', client_id: WEB.id, times: 1 },
        then: ['use_dpop_nonce'],
      }),
    })
    assert.equal(rule.status, 201)
    const config = await configure(WEB)
    const DPoP = client.getDPoPHandle(config, await client.randomDPoPKeyPair('ES256'))
    const tokens = await client.clientCredentialsGrant(config, { scope: 'items:read' }, { DPoP })
    assert.equal(tokens.token_type, 'dpop')
  })
})

describe('pushed authorization requests (RFC 9126)', () => {
  for (const c of [WEB, SPA]) {
    it(`pushes the request of ${label(c)} and logs in through its request_uri`, async () => {
      const config = await configure(c)
      assert.ok(config.serverMetadata().pushed_authorization_request_endpoint)
      const codeVerifier = client.randomPKCECodeVerifier()
      const state = client.randomState()
      const nonce = client.randomNonce()
      const url = await client.buildAuthorizationUrlWithPAR(config, {
        redirect_uri: REDIRECT_URI,
        scope: SCOPE,
        code_challenge: await client.calculatePKCECodeChallenge(codeVerifier),
        code_challenge_method: 'S256',
        state,
        nonce,
      })
      assert.deepEqual([...url.searchParams.keys()].sort(), ['client_id', 'request_uri'])
      const callback = await browse(url)
      const tokens = await client.authorizationCodeGrant(config, callback, {
        pkceCodeVerifier: codeVerifier,
        expectedState: state,
        expectedNonce: nonce,
      })
      assert.equal(tokens.claims().sub, SUB)
      // The request_uri is spent.
      const again = await fetch(url, { redirect: 'manual' })
      assert.equal(again.status, 400)
    })
  }
})
