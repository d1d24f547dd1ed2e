// The issuer under test and the clients conformance/provider.yaml registers.
import { readFileSync } from 'node:fs'
import * as client from 'openid-client'

// An https issuer, whose certificate authority conformance/run gives Node in
// NODE_EXTRA_CA_CERTS: openid-client runs with its TLS-only default, no insecure switch.
export const ISSUER = process.env.FAUXAUTH_ISSUER
if (!ISSUER) {
  throw new Error('FAUXAUTH_ISSUER is not set: run conformance/run')
}

// Every issuer of conformance/provider.yaml: its path under the root issuer, by signing algorithm.
export const ISSUER_PATHS = { RS256: '', ES256: '/es256', EdDSA: '/eddsa' }

/** What an issuer signing with `alg` lists for ID tokens: its own, then RS256 (Discovery §3). */
export function idTokenAlgs(alg) {
  return alg === 'RS256' ? [alg] : [alg, 'RS256']
}

export const REDIRECT_URI = 'http://127.0.0.1:8765/callback'
export const POST_LOGOUT_REDIRECT_URI = 'http://127.0.0.1:8765/'
export const SCOPE = 'openid profile email offline_access items:read'
export const SUB = '248289761001'

export const WEB = {
  id: 'conformance-web',
  secret: 'conformance-web-secret-0123',
  auth: 'client_secret_basic',
}
// A space and a colon in the id; "+", "/", "%", "&", "=" and a space in the secret.
export const ODD = {
  id: 'odd client:1',
  secret: 'p+ss/w%rd 20&x=y/%2F==',
  auth: 'client_secret_basic',
}
export const ODD_POST = { ...ODD, auth: 'client_secret_post' }
export const SPA = { id: 'conformance-spa', secret: undefined, auth: 'none' }
// Registered with id_token_signed_response_alg: RS256, on every issuer; it tells openid-client
// so, which then accepts RS256 ID tokens alone.
export const RS256_CLIENT = {
  id: 'conformance-rs256',
  secret: 'conformance-rs256-secret-0123',
  auth: 'client_secret_basic',
  idTokenAlg: 'RS256',
}

// JWT client authentication (RFC 7523 §2.2, OpenID Connect Core §9), each registered for its
// method alone: assertions signed by the published test key of scenarios/keys/ (ES256), or an
// HMAC of the secret.
export const KEYED = { id: 'conformance-keyed', secret: undefined, auth: 'private_key_jwt' }
export const HMAC = {
  id: 'conformance-hmac',
  secret: 'conformance-hmac-secret-0123456789abcdef',
  auth: 'client_secret_jwt',
}

// Allowed the JWT bearer grant (RFC 7523 §2.1), from the trusted issuer https://idp.example.
export const WORKLOAD = {
  id: 'conformance-workload',
  secret: 'conformance-workload-secret-0123',
  auth: 'client_secret_basic',
}

export const CLIENTS = [WEB, ODD, ODD_POST, SPA]
export const CONFIDENTIAL = CLIENTS.filter((c) => c.secret !== undefined)

export function label(c) {
  return `${JSON.stringify(c.id)} (${c.auth})`
}

/** The published test key (PKCS#8 PEM), as the WebCrypto key openid-client signs with. */
export async function testKey() {
  const pem = readFileSync(new URL('../../scenarios/keys/scenario-client.pem', import.meta.url), 'utf8')
  const der = Buffer.from(pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64')
  return crypto.subtle.importKey('pkcs8', der, { name: 'ECDSA', namedCurve: 'P-256' }, false, [
    'sign',
  ])
}

async function clientAuth(c) {
  switch (c.auth) {
    case 'client_secret_basic':
      return client.ClientSecretBasic(c.secret)
    case 'client_secret_post':
      return client.ClientSecretPost(c.secret)
    case 'client_secret_jwt':
      return client.ClientSecretJwt(c.secret)
    case 'private_key_jwt':
      return client.PrivateKeyJwt({ key: await testKey(), kid: 'scenario-client' })
    case 'none':
      return client.None()
  }
  throw new Error(`unknown auth method ${c.auth}`)
}

/**
 * Discovery for `c`, over HTTPS only (openid-client's default); ID token
 * signatures are checked against the JWKS (openid-client skips that by default for tokens it
 * got straight from the token endpoint over TLS).
 */
export async function configure(c, issuer = ISSUER) {
  const metadata = { client_secret: c.secret }
  if (c.idTokenAlg) {
    metadata.id_token_signed_response_alg = c.idTokenAlg
  }
  return client.discovery(new URL(issuer), c.id, metadata, await clientAuth(c), {
    execute: [client.enableNonRepudiationChecks],
    timeout: 10,
  })
}

/** Play the browser: the headless provider logs the default user in and redirects at once. */
export async function browse(url) {
  const response = await fetch(url, { redirect: 'manual' })
  if (response.status !== 302 && response.status !== 303) {
    throw new Error(`authorization answered ${response.status}: ${await response.text()}`)
  }
  return new URL(response.headers.get('location'))
}

/** Start a code flow with PKCE (S256), state and nonce. */
export async function authorize(config, scope = SCOPE, extra = {}) {
  const codeVerifier = client.randomPKCECodeVerifier()
  const state = client.randomState()
  const nonce = client.randomNonce()
  const url = client.buildAuthorizationUrl(config, {
    redirect_uri: REDIRECT_URI,
    scope,
    code_challenge: await client.calculatePKCECodeChallenge(codeVerifier),
    code_challenge_method: 'S256',
    state,
    nonce,
    ...extra,
  })
  return { codeVerifier, state, nonce, callback: await browse(url) }
}

/** A whole login: authorize, then the code grant with every check openid-client makes. */
export async function login(config, scope = SCOPE) {
  const flow = await authorize(config, scope)
  const tokens = await client.authorizationCodeGrant(config, flow.callback, {
    pkceCodeVerifier: flow.codeVerifier,
    expectedState: flow.state,
    expectedNonce: flow.nonce,
  })
  return { ...flow, tokens }
}
