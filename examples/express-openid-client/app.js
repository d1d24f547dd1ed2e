// A small Express app that logs people in with OpenID Connect through
// openid-client 6, written the way openid-client's README and its
// examples/oidc.ts show the authorization code flow: discovery, PKCE, and
// state and nonce only when the server does not advertise PKCE;
// authorizationCodeGrant; the ID token's claims(). Around it, what a real app
// needs: every failure of the login becomes a 4xx "Login failed" page and
// leaves nobody logged in.
//
// Configuration, all from the environment:
//   ISSUER          issuer URL, e.g. http://127.0.0.1:9400
//   CLIENT_ID       the client registered at the issuer
//   CLIENT_SECRET   its secret (openid-client sends it with client_secret_post)
//   REDIRECT_URI    e.g. http://127.0.0.1:5002/callback
//   PORT            listens on 127.0.0.1:PORT only
//   SESSION_SECRET  optional; a random one per start when unset

import { randomBytes } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'

import express from 'express'
import session from 'express-session'
import { compactVerify, createRemoteJWKSet } from 'jose'
import * as client from 'openid-client'

function env(name) {
  const value = process.env[name]
  if (!value) {
    console.error(`express-openid-client: the environment variable ${name} is required`)
    process.exit(1)
  }
  return value
}

const ISSUER = env('ISSUER')
const CLIENT_ID = env('CLIENT_ID')
const CLIENT_SECRET = env('CLIENT_SECRET')
const REDIRECT_URI = env('REDIRECT_URI')
const PORT = Number.parseInt(env('PORT'), 10)
const SESSION_SECRET = process.env.SESSION_SECRET || randomBytes(32).toString('hex')
const SCOPE = 'openid email profile'

// openid-client 6 refuses plain HTTP; fauxauth serves its provider over HTTPS
// and hands Node its certificate authority in NODE_EXTRA_CA_CERTS.
const options = { timeout: 10 }

// Discovery at start, retried until the issuer answers (for at most a minute).
async function discover() {
  const deadline = Date.now() + 60_000
  for (;;) {
    try {
      return await client.discovery(new URL(ISSUER), CLIENT_ID, CLIENT_SECRET, undefined, options)
    } catch (err) {
      if (Date.now() > deadline) {
        console.error(`express-openid-client: discovery at ${ISSUER} failed: ${err.message}`)
        process.exit(1)
      }
      await sleep(250)
    }
  }
}

const config = await discover()

// openid-client does not check the signature of an ID token that comes
// straight from the token endpoint: OpenID Connect Core 1.0 §3.1.3.7 lets TLS
// server authentication of the endpoint stand in for it. The issuer may be
// plain HTTP here (see above), so check the signature against the issuer's
// JWKS too, with jose (openid-client's own JOSE library). openid-client could
// do it (enableNonRepudiationChecks), but it refetches the JWKS for an unknown
// "kid" only once its copy is a minute old, so logins would fail for up to a
// minute after the issuer rotates its keys. ID tokens reach this check only
// from the token endpoint, so refetching on every unknown kid is safe.
const metadata = config.serverMetadata()
const jwks = createRemoteJWKSet(new URL(metadata.jwks_uri), { cooldownDuration: 0, timeoutDuration: 10_000 })
const idTokenAlgorithms = metadata.id_token_signing_alg_values_supported ?? ['RS256']

const app = express()
app.disable('x-powered-by')
app.use(
  session({
    name: 'sid',
    secret: SESSION_SECRET,
    resave: false,
    saveUninitialized: false,
    // The provider sends the browser back with a top-level GET, which Lax allows.
    cookie: { httpOnly: true, sameSite: 'lax' },
  }),
)

const escapeHtml = (s) =>
  String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c])

function page(res, body, status = 200) {
  res
    .status(status)
    .set('Cache-Control', 'no-store')
    .type('html')
    .send(
      '<!doctype html>\n<html><head><meta charset="utf-8"><title>express-openid-client example</title></head>\n' +
        `<body>\n${body}\n</body></html>\n`,
    )
}

const promisify = (fn) => new Promise((resolve, reject) => fn((err) => (err ? reject(err) : resolve())))

// A short reason for a failed login, from openid-client's / oauth4webapi's errors.
function describe(err) {
  if (err instanceof client.AuthorizationResponseError || err instanceof client.ResponseBodyError) {
    return err.error_description ? `${err.error}: ${err.error_description}` : err.error
  }
  // openid-client wraps oauth4webapi's errors in a generic message; the
  // specific one (or the offending HTTP response) is the cause.
  const cause = err?.cause
  let message = err?.message || String(err)
  if (cause instanceof Error && cause.message) {
    message = cause.message
  } else if (cause instanceof Response) {
    message = `${message} (HTTP ${cause.status})`
  }
  return err?.code ? `${err.code}: ${message}` : message
}

async function loginFailed(req, res, reason, status = 401) {
  // Whatever went wrong, nobody is logged in afterwards.
  delete req.session.user
  delete req.session.login
  try {
    await promisify((cb) => req.session.save(cb))
  } catch {
    // the page below is what matters
  }
  console.warn(`login failed: ${reason}`)
  page(res, `<h1>Login failed</h1>\n<p>Login failed: ${escapeHtml(reason)}</p>\n<p><a href="/">Home</a></p>`, status)
}

app.get('/', (req, res) => {
  const user = req.session.user
  if (!user) {
    return page(res, '<p>Not signed in.</p>\n<p><a href="/login">Log in</a></p>')
  }
  // The ID token's sub identifies the person; name and email are only shown.
  page(
    res,
    `<p>Signed in as ${escapeHtml(user.name || user.sub)}</p>\n` +
      `<p>Email: ${escapeHtml(user.email || '(none)')}</p>\n` +
      '<p><a href="/logout">Log out</a></p>',
  )
})

app.get('/login', async (req, res) => {
  try {
    // PKCE: a fresh verifier for every redirect to the authorization endpoint,
    // kept in the session until the browser comes back.
    const code_verifier = client.randomPKCECodeVerifier()
    const code_challenge = await client.calculatePKCECodeChallenge(code_verifier)
    const parameters = {
      redirect_uri: REDIRECT_URI,
      scope: SCOPE,
      code_challenge,
      code_challenge_method: 'S256',
    }
    let state
    let nonce
    if (!config.serverMetadata().supportsPKCE()) {
      // As the docs do: we cannot be sure the server supports PKCE, so use
      // state and nonce too.
      state = client.randomState()
      nonce = client.randomNonce()
      parameters.state = state
      parameters.nonce = nonce
    }
    const redirectTo = client.buildAuthorizationUrl(config, parameters)
    req.session.login = { code_verifier, state, nonce }
    await promisify((cb) => req.session.save(cb))
    res.redirect(redirectTo.href)
  } catch (err) {
    await loginFailed(req, res, `could not start the login (${describe(err)})`, 400)
  }
})

app.get('/callback', async (req, res) => {
  // One try per login: the pending login leaves the session now, whatever happens.
  const pending = req.session.login
  delete req.session.login
  delete req.session.user
  if (!pending?.code_verifier) {
    const error = typeof req.query.error === 'string' ? ` (the callback carries error=${req.query.error})` : ''
    return loginFailed(req, res, `no login in progress${error}`)
  }
  let claims
  try {
    // The URL the browser came back to: REDIRECT_URI with this request's query.
    const currentUrl = new URL(REDIRECT_URI)
    currentUrl.search = new URL(req.originalUrl, currentUrl).search
    // Checks the response (RFC 9207 iss, state, error=...), redeems the code
    // with the PKCE verifier and validates the ID token's claims:
    // iss, aud, azp, exp, nonce, iat present (and, below, the signature).
    const tokens = await client.authorizationCodeGrant(config, currentUrl, {
      pkceCodeVerifier: pending.code_verifier,
      expectedState: pending.state,
      expectedNonce: pending.nonce,
      idTokenExpected: true,
    })
    await compactVerify(tokens.id_token, jwks, { algorithms: idTokenAlgorithms })
    claims = tokens.claims()
    if (!claims?.sub) throw new Error('no ID token claims')
  } catch (err) {
    return loginFailed(req, res, describe(err))
  }
  try {
    // A fresh session (new id) for the person who just logged in.
    await promisify((cb) => req.session.regenerate(cb))
    req.session.user = { sub: claims.sub, name: claims.name, email: claims.email }
    await promisify((cb) => req.session.save(cb))
  } catch (err) {
    return loginFailed(req, res, `could not keep the session (${describe(err)})`)
  }
  res.redirect('/')
})

app.get('/logout', (req, res) => {
  req.session.destroy(() => {
    res.clearCookie('sid')
    res.redirect('/')
  })
})

app.get('/healthz', (req, res) => {
  res.type('text/plain').send('ok')
})

app.listen(PORT, '127.0.0.1', (err) => {
  if (err) {
    console.error(`express-openid-client: cannot listen on 127.0.0.1:${PORT}: ${err.message}`)
    process.exit(1)
  }
  console.log(`express-openid-client: listening on http://127.0.0.1:${PORT}`)
})
