//! DPoP proofs (RFC 9449 §4), judged the same way by the provider's token endpoint and the
//! resource: a JWT the client signs with a key it holds, whose public half rides in the header,
//! naming the request it was made for. A token bound to that key (`cnf.jkt`, the key's RFC 7638
//! thumbprint) is worth nothing without a fresh proof by the same key.
//!
//! The header is read here, as [`crate::jose`] reads access tokens', so each refusal says what
//! was wrong; the signature is `jsonwebtoken`'s, and the thumbprint too, computed only once the
//! key has verified the proof (so it is a well-formed key of a type its `alg` fits).

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use jsonwebtoken::jwk::{Jwk, ThumbprintHash};
use jsonwebtoken::{DecodingKey, Validation};
use serde_json::{Map, Value};
use sha2::Digest as _;

use crate::bounded::Bounded;
use crate::jose::{Alg, shown};

/// The `typ` of a DPoP proof (§4.2).
pub const TYP: &str = "dpop+jwt";

/// The algorithms a proof may be signed with: every asymmetric one fauxauth verifies, never
/// `none` nor a MAC (§4.2: "MUST NOT be none or an identifier for a symmetric algorithm").
pub const ALGS: [Alg; 9] = Alg::ALL;

/// How old a proof's `iat` may be (§11.1 leaves the window to the server; a proof is made for
/// one request, so minutes are generous).
pub const MAX_AGE_SECS: u64 = 300;

/// How far ahead of the server's clock a proof's `iat` may be.
pub const FUTURE_SKEW_SECS: u64 = 60;

/// The members of a private JWK (RFC 7518 §6.2.2, §6.3.2, §6.4; RFC 8037 §2): a proof's key must
/// have none of them (§4.2: "MUST NOT contain a private key").
const PRIVATE_MEMBERS: [&str; 8] = ["d", "p", "q", "dp", "dq", "qi", "oth", "k"];

/// What the request a proof comes with must look like.
#[derive(Clone, Copy, Debug)]
pub struct Expected<'a> {
    /// The request's method (`htm`).
    pub method: &'a str,
    /// The request's URL, without query and fragment (`htu`).
    pub url: &'a str,
    /// Now, on the virtual clock (Unix seconds).
    pub now: u64,
    /// The access token the request presents, whose hash the proof must carry (`ath`, §4.2).
    pub access_token: Option<&'a str>,
    /// The nonces the server takes at the moment, when it requires one (§8, §9).
    pub nonces: Option<&'a [String]>,
}

/// A proof that passed: the key's thumbprint, and the `jti` the caller must see only once.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Proof {
    /// The RFC 7638 SHA-256 thumbprint of the proof's key, base64url: `cnf.jkt`.
    pub jkt: String,
    pub jti: String,
    pub iat: u64,
}

impl Proof {
    /// Until when (Unix seconds) its `jti` must be remembered: after that its `iat` would no
    /// longer pass, so a replay is refused anyway (§11.1).
    pub fn remembered_until(&self) -> u64 {
        self.iat + MAX_AGE_SECS + FUTURE_SKEW_SECS
    }
}

/// The proofs a server has seen (§11.1), by key thumbprint and `jti`, each until it could no
/// longer pass. Anyone can make proofs with keys of their own, so at most `MAX` are held: past
/// it the oldest are forgotten first (one forgotten before its `iat` would stop passing could
/// then be replayed once more).
#[derive(Debug, Default)]
pub struct Spent<const MAX: usize>(Bounded<(String, String), u64, MAX>);

impl<const MAX: usize> Spent<MAX> {
    /// Records `proof`'s use at `now` (Unix seconds); false when it was used before.
    pub fn spend(&mut self, proof: &Proof, now: u64) -> bool {
        let key = (proof.jkt.clone(), proof.jti.clone());
        if self.0.get(&key).is_some_and(|until| now <= *until) {
            return false;
        }
        self.0.insert(key, proof.remembered_until(), drop);
        true
    }

    /// Forgets the proofs that could no longer pass at `now`.
    pub fn sweep(&mut self, now: u64) {
        self.0.retain(|until| now <= *until);
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn clear(&mut self) {
        self.0.clear();
    }
}

/// Why a proof is refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ProofError {
    /// `invalid_dpop_proof`: the proof is malformed, badly signed, or not for this request.
    Invalid(String),
    /// `use_dpop_nonce`: the server requires a nonce and the proof has none, or a stale one.
    UseNonce(String),
}

impl fmt::Display for ProofError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Invalid(why) | Self::UseNonce(why) => f.write_str(why),
        }
    }
}

impl std::error::Error for ProofError {}

impl ProofError {
    /// The error code (§5, §7.1, §8).
    pub fn code(&self) -> &'static str {
        match self {
            Self::Invalid(_) => "invalid_dpop_proof",
            Self::UseNonce(_) => "use_dpop_nonce",
        }
    }
}

fn invalid(why: impl Into<String>) -> ProofError {
    ProofError::Invalid(why.into())
}

/// The `ath` of an access token: base64url(SHA-256(token)) (§4.2).
pub fn ath(access_token: &str) -> String {
    B64.encode(sha2::Sha256::digest(access_token.as_bytes()))
}

/// The proof in a request's `DPoP` headers: `None` without one; refused when there are several
/// (§4.3 step 1).
pub fn single<'a>(
    mut values: impl Iterator<Item = &'a axum::http::HeaderValue>,
) -> Result<Option<&'a str>, ProofError> {
    let Some(first) = values.next() else {
        return Ok(None);
    };
    if values.next().is_some() {
        return Err(invalid(
            "the request has more than one DPoP header (RFC 9449 §4.3)",
        ));
    }
    first
        .to_str()
        .map(Some)
        .map_err(|_| invalid("the DPoP header is not visible ASCII"))
}

/// Judges `proof` as RFC 9449 §4.3 lists the checks.
pub fn check(proof: &str, expected: &Expected<'_>) -> Result<Proof, ProofError> {
    let mut parts = proof.split('.');
    let (Some(header), Some(_), Some(_), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(invalid(
            "the DPoP proof is not a JWS in compact form (RFC 7515 §7.1)",
        ));
    };
    let header: Map<String, Value> = B64
        .decode(header)
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .ok_or_else(|| invalid("the DPoP proof's header is not base64url-encoded JSON"))?;
    match header.get("typ").and_then(Value::as_str) {
        Some(typ) if typ.eq_ignore_ascii_case(TYP) => {}
        Some(typ) => {
            return Err(invalid(format!(
                "the DPoP proof's typ is {}, not dpop+jwt (RFC 9449 §4.2)",
                shown(typ)
            )));
        }
        None => {
            return Err(invalid(
                "the DPoP proof has no typ: dpop+jwt (RFC 9449 §4.2)",
            ));
        }
    }
    let alg = header
        .get("alg")
        .and_then(Value::as_str)
        .ok_or_else(|| invalid("the DPoP proof has no alg"))?;
    let alg = Alg::from_name(alg)
        .filter(|a| ALGS.contains(a))
        .ok_or_else(|| {
            invalid(format!(
                "the DPoP proof's alg {} is not an asymmetric algorithm allowed here (RFC 9449 \
                 §4.2)",
                shown(alg)
            ))
        })?;
    let Some(Value::Object(jwk)) = header.get("jwk") else {
        return Err(invalid(
            "the DPoP proof's header carries no jwk (RFC 9449 §4.2)",
        ));
    };
    if let Some(member) = PRIVATE_MEMBERS.iter().find(|m| jwk.contains_key(**m)) {
        return Err(invalid(format!(
            "the DPoP proof's jwk holds private key material ({member}) (RFC 9449 §4.2)"
        )));
    }
    let member = |name| jwk.get(name).and_then(Value::as_str);
    if !fits(alg, member("kty"), member("crv")) {
        return Err(invalid(format!(
            "the DPoP proof's jwk is not a key for {alg} (RFC 7518 §6)"
        )));
    }
    let key: Jwk = serde_json::from_value(Value::Object(jwk.clone()))
        .map_err(|e| invalid(format!("the DPoP proof's jwk is not a usable key ({e})")))?;
    let decoding = DecodingKey::from_jwk(&key)
        .map_err(|e| invalid(format!("the DPoP proof's jwk is not a usable key ({e})")))?;
    let mut validation = Validation::new(alg.jwt());
    validation.required_spec_claims.clear();
    validation.validate_exp = false;
    validation.validate_nbf = false;
    validation.validate_aud = false;
    let claims = jsonwebtoken::decode::<Map<String, Value>>(proof, &decoding, &validation)
        .map_err(|_| invalid("the DPoP proof's signature does not verify with its jwk"))?
        .claims;
    let claim = |name: &str| claims.get(name).and_then(Value::as_str);
    let jti = claim("jti")
        .filter(|j| !j.is_empty())
        .ok_or_else(|| invalid("the DPoP proof has no jti (RFC 9449 §4.2)"))?;
    match claim("htm") {
        Some(htm) if htm == expected.method => {}
        htm => {
            return Err(invalid(format!(
                "the DPoP proof's htm is {}, and this request is {} (RFC 9449 §4.3)",
                htm.map_or("missing".to_owned(), shown),
                expected.method
            )));
        }
    }
    match claim("htu") {
        Some(htu) if same_target(htu, expected.url) => {}
        htu => {
            return Err(invalid(format!(
                "the DPoP proof's htu is {}, and this request is for {} (RFC 9449 §4.3)",
                htu.map_or("missing".to_owned(), shown),
                expected.url
            )));
        }
    }
    let iat = claims
        .get("iat")
        .and_then(Value::as_u64)
        .ok_or_else(|| invalid("the DPoP proof has no iat (RFC 9449 §4.2)"))?;
    if iat > expected.now + FUTURE_SKEW_SECS {
        return Err(invalid(format!(
            "the DPoP proof was made {} s in the future (iat)",
            iat - expected.now
        )));
    }
    if iat + MAX_AGE_SECS < expected.now {
        return Err(invalid(format!(
            "the DPoP proof was made {} s ago: at most {MAX_AGE_SECS} s are accepted (iat)",
            expected.now - iat
        )));
    }
    if let Some(token) = expected.access_token {
        match claim("ath") {
            Some(ath_claim) if ath_claim == ath(token) => {}
            Some(_) => {
                return Err(invalid(
                    "the DPoP proof's ath is not the hash of the access token presented (RFC \
                     9449 §4.3)",
                ));
            }
            None => {
                return Err(invalid(
                    "the DPoP proof has no ath, and it comes with an access token (RFC 9449 §4.2)",
                ));
            }
        }
    }
    if let Some(nonces) = expected.nonces {
        match claim("nonce") {
            Some(nonce) if nonces.iter().any(|n| n == nonce) => {}
            Some(_) => {
                return Err(ProofError::UseNonce(
                    "the DPoP proof's nonce is not the server's current one: use the one in \
                     DPoP-Nonce (RFC 9449 §8)"
                        .into(),
                ));
            }
            None => {
                return Err(ProofError::UseNonce(
                    "the server requires a nonce in DPoP proofs: use the one in DPoP-Nonce (RFC \
                     9449 §8)"
                        .into(),
                ));
            }
        }
    }
    Ok(Proof {
        jkt: key.thumbprint(ThumbprintHash::SHA256),
        jti: jti.to_owned(),
        iat,
    })
}

/// Why a protected resource refuses how a token came (RFC 9449 §7.1): the error code for its
/// `DPoP` challenge, and the description.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refused {
    /// `invalid_token`, `invalid_dpop_proof` or `use_dpop_nonce`.
    pub code: &'static str,
    pub description: String,
}

/// Judges how a protected resource was given a token (RFC 9449 §7): a token bound to a key
/// (`bound`, its `cnf.jkt`) must come with the DPoP scheme (`as_dpop`) and a proof (`proofs`,
/// the request's `DPoP` headers) for this request and this token by that key; an unbound one
/// with the Bearer scheme. The proof that passed, whose `jti` the caller spends.
pub fn check_presented<'a>(
    proofs: impl Iterator<Item = &'a axum::http::HeaderValue>,
    as_dpop: bool,
    bound: Option<&str>,
    expected: &Expected<'_>,
) -> Result<Option<Proof>, Refused> {
    let refused = |code, description: &str| Refused {
        code,
        description: description.to_owned(),
    };
    let Some(jkt) = bound else {
        if as_dpop {
            return Err(refused(
                "invalid_token",
                "the access token is not bound to a key: present it as Bearer (RFC 9449 §7.1)",
            ));
        }
        return Ok(None);
    };
    if !as_dpop {
        return Err(refused(
            "invalid_token",
            "the access token is bound to a key (cnf.jkt): present it with the DPoP scheme and a \
             proof, not as Bearer (RFC 9449 §7.2)",
        ));
    }
    let invalid = |e: ProofError| Refused {
        code: e.code(),
        description: e.to_string(),
    };
    let proof = single(proofs).map_err(invalid)?.ok_or_else(|| {
        refused(
            "invalid_dpop_proof",
            "a DPoP-bound token needs a DPoP proof (RFC 9449 §7.1)",
        )
    })?;
    let proof = check(proof, expected).map_err(invalid)?;
    if proof.jkt != jkt {
        return Err(refused(
            "invalid_dpop_proof",
            "the DPoP proof is signed by another key than the one the token is bound to (cnf.jkt, \
             RFC 9449 §7.1)",
        ));
    }
    Ok(Some(proof))
}

/// A client's DPoP key (ES256, P-256), making proofs: for the reference client, the scenarios'
/// requests and tests. Its public half rides in every proof's header.
pub struct ProofKey {
    encoding: jsonwebtoken::EncodingKey,
    jwk: Map<String, Value>,
    jkt: String,
}

impl fmt::Debug for ProofKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProofKey")
            .field("jkt", &self.jkt)
            .finish_non_exhaustive()
    }
}

impl ProofKey {
    /// The key in a PEM file (PKCS#8 or SEC1, P-256).
    pub fn from_pem(pem: &str) -> Result<Self, String> {
        use p256::pkcs8::DecodePrivateKey as _;
        let secret = p256::SecretKey::from_pkcs8_pem(pem)
            .or_else(|_| p256::SecretKey::from_sec1_pem(pem))
            .map_err(|e| format!("not a P-256 private key in PEM ({e})"))?;
        Self::from_secret(&secret)
    }

    /// A key derived from `seed`: the same for the same seed, in every run.
    pub fn from_seed(seed: &str) -> Self {
        let mut digest: [u8; 32] = sha2::Sha256::digest(format!("fauxauth/dpop/{seed}")).into();
        loop {
            // All but a negligible share of 32-byte strings are valid scalars.
            if let Ok(secret) = p256::SecretKey::from_slice(&digest) {
                return Self::from_secret(&secret).expect("a valid P-256 key encodes");
            }
            digest = sha2::Sha256::digest(digest).into();
        }
    }

    fn from_secret(secret: &p256::SecretKey) -> Result<Self, String> {
        use p256::elliptic_curve::sec1::ToEncodedPoint as _;
        use p256::pkcs8::EncodePrivateKey as _;
        let pem = secret
            .to_pkcs8_pem(Default::default())
            .map_err(|e| e.to_string())?;
        let encoding =
            jsonwebtoken::EncodingKey::from_ec_pem(pem.as_bytes()).map_err(|e| e.to_string())?;
        let point = secret.public_key().to_encoded_point(false);
        let (Some(x), Some(y)) = (point.x(), point.y()) else {
            return Err("the public key has no coordinates".into());
        };
        let jwk = serde_json::json!({
            "kty": "EC", "crv": "P-256", "x": B64.encode(x), "y": B64.encode(y),
        });
        let parsed: Jwk = serde_json::from_value(jwk.clone()).map_err(|e| e.to_string())?;
        let Value::Object(jwk) = jwk else {
            unreachable!("a JSON object literal")
        };
        Ok(Self {
            encoding,
            jkt: parsed.thumbprint(ThumbprintHash::SHA256),
            jwk,
        })
    }

    /// The public key, as a JWK.
    pub fn jwk(&self) -> &Map<String, Value> {
        &self.jwk
    }

    /// Its thumbprint (`cnf.jkt`, `dpop_jkt`).
    pub fn jkt(&self) -> &str {
        &self.jkt
    }

    /// A proof for a request: `htm`, `htu` (query and fragment dropped), `iat`, `jti`, and
    /// `ath` for an access token and the server's `nonce` when given.
    pub fn proof(&self, request: &ProofFor<'_>) -> String {
        let mut claims = serde_json::json!({
            "jti": request.jti,
            "htm": request.method,
            "htu": request.url.split(['?', '#']).next().unwrap_or_default(),
            "iat": request.iat,
        });
        if let Some(token) = request.access_token {
            claims["ath"] = ath(token).into();
        }
        if let Some(nonce) = request.nonce {
            claims["nonce"] = nonce.into();
        }
        self.sign(&Map::new(), &claims)
    }

    /// A proof with any claims, and header members set over `typ`, `alg` and `jwk` (a `null`
    /// member is removed): to make proofs that must fail.
    pub fn sign(&self, header: &Map<String, Value>, claims: &Value) -> String {
        let mut full = Map::new();
        full.insert("typ".into(), TYP.into());
        full.insert("alg".into(), "ES256".into());
        full.insert("jwk".into(), Value::Object(self.jwk.clone()));
        for (name, value) in header {
            if value.is_null() {
                full.remove(name);
            } else {
                full.insert(name.clone(), value.clone());
            }
        }
        let message = format!(
            "{}.{}",
            B64.encode(Value::Object(full).to_string()),
            B64.encode(claims.to_string())
        );
        let signature = jsonwebtoken::crypto::sign(
            message.as_bytes(),
            &self.encoding,
            jsonwebtoken::Algorithm::ES256,
        )
        .expect("an ES256 key signs");
        format!("{message}.{signature}")
    }
}

/// The request a proof is made for.
#[derive(Clone, Copy, Debug)]
pub struct ProofFor<'a> {
    pub method: &'a str,
    pub url: &'a str,
    pub iat: u64,
    pub jti: &'a str,
    pub access_token: Option<&'a str>,
    pub nonce: Option<&'a str>,
}

/// Whether `alg` is for a key of type `kty` on curve `crv` (RFC 7518 §6, RFC 8037 §2).
fn fits(alg: Alg, kty: Option<&str>, crv: Option<&str>) -> bool {
    match alg {
        Alg::RS256 | Alg::RS384 | Alg::RS512 | Alg::PS256 | Alg::PS384 | Alg::PS512 => {
            kty == Some("RSA")
        }
        Alg::ES256 => kty == Some("EC") && crv == Some("P-256"),
        Alg::ES384 => kty == Some("EC") && crv == Some("P-384"),
        Alg::EdDSA => kty == Some("OKP") && crv == Some("Ed25519"),
    }
}

/// Whether `htu` names `url`, ignoring query and fragment (§4.3 step 9), scheme and host
/// compared without case and a default port the same as none (RFC 3986 §6.2).
fn same_target(htu: &str, url: &str) -> bool {
    let parse = |text: &str| {
        let without = text.split(['?', '#']).next().unwrap_or_default();
        let (scheme, rest) = without.split_once("://")?;
        let scheme = scheme.to_ascii_lowercase();
        let (authority, path) = match rest.find('/') {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, "/"),
        };
        let mut authority = authority.to_ascii_lowercase();
        let default = match scheme.as_str() {
            "https" => ":443",
            "http" => ":80",
            _ => "",
        };
        if !default.is_empty() && authority.ends_with(default) {
            authority.truncate(authority.len() - default.len());
        }
        Some((scheme, authority, path.to_owned()))
    };
    matches!((parse(htu), parse(url)), (Some(a), Some(b)) if a == b)
}

#[cfg(test)]
mod tests {
    use super::*;
    use jsonwebtoken::{EncodingKey, Header};
    use p256::pkcs8::EncodePrivateKey as _;
    use serde_json::json;

    const URL: &str = "http://127.0.0.1:9000/token";

    #[test]
    fn a_spent_proof_is_refused_while_it_could_pass_and_the_oldest_go_first() {
        let proof = |jti: &str, iat: u64| Proof {
            jkt: "k".into(),
            jti: jti.into(),
            iat,
        };
        let mut spent = Spent::<2>::default();
        let until = proof("a", 1_000).remembered_until();
        assert!(spent.spend(&proof("a", 1_000), 1_000));
        assert!(!spent.spend(&proof("a", 1_000), until), "a replay");
        assert!(
            spent.spend(&proof("a", 1_000), until + 1),
            "it could no longer pass"
        );
        assert!(spent.spend(&proof("b", 1_010), 1_010));
        assert!(spent.spend(&proof("c", 1_020), 1_020));
        assert_eq!(spent.len(), 2, "the bound");
        assert!(
            spent.spend(&proof("a", 1_000), 1_030),
            "the oldest was forgotten"
        );
        assert!(!spent.spend(&proof("c", 1_020), 1_030), "c is still held");
        spent.sweep(until + 1);
        assert_eq!(
            spent.len(),
            1,
            "a's window is over at the sweep, c's is not"
        );
        assert!(!spent.spend(&proof("c", 1_020), until + 1));
    }

    struct Key {
        encoding: EncodingKey,
        jwk: Value,
    }

    fn key(seed: u8) -> Key {
        let secret = p256::SecretKey::from_slice(&[seed; 32]).unwrap();
        let pem = secret.to_pkcs8_pem(Default::default()).unwrap();
        let point = p256::elliptic_curve::sec1::ToEncodedPoint::to_encoded_point(
            &secret.public_key(),
            false,
        );
        Key {
            encoding: EncodingKey::from_ec_pem(pem.as_bytes()).unwrap(),
            jwk: json!({
                "kty": "EC", "crv": "P-256",
                "x": B64.encode(point.x().unwrap()), "y": B64.encode(point.y().unwrap()),
            }),
        }
    }

    fn proof(key: &Key, header: impl FnOnce(&mut Header), claims: Value) -> String {
        let mut h = Header::new(jsonwebtoken::Algorithm::ES256);
        h.typ = Some(TYP.into());
        h.jwk = Some(serde_json::from_value(key.jwk.clone()).unwrap());
        header(&mut h);
        jsonwebtoken::encode(&h, &claims, &key.encoding).unwrap()
    }

    fn claims() -> Value {
        json!({"jti": "j1", "htm": "POST", "htu": URL, "iat": 1000})
    }

    fn expected() -> Expected<'static> {
        Expected {
            method: "POST",
            url: URL,
            now: 1000,
            access_token: None,
            nonces: None,
        }
    }

    #[test]
    fn a_proof_for_this_request_passes_and_names_its_key() {
        let k = key(7);
        let passed = check(&proof(&k, |_| {}, claims()), &expected()).unwrap();
        let jwk: Jwk = serde_json::from_value(k.jwk.clone()).unwrap();
        assert_eq!(passed.jkt, jwk.thumbprint(ThumbprintHash::SHA256));
        assert_eq!(passed.jkt.len(), 43);
        assert_eq!((passed.jti.as_str(), passed.iat), ("j1", 1000));
        // The query and a default port do not matter.
        let mut other = claims();
        other["htu"] = json!("HTTP://127.0.0.1:9000/token?x=1");
        assert!(check(&proof(&k, |_| {}, other), &expected()).is_ok());
    }

    #[test]
    fn each_broken_rule_is_refused_with_its_reason() {
        let k = key(7);
        let refused = |token: String, want: &str| {
            let error = check(&token, &expected()).unwrap_err();
            assert_eq!(error.code(), "invalid_dpop_proof");
            assert!(error.to_string().contains(want), "{error}");
        };
        refused(proof(&k, |h| h.typ = Some("JWT".into()), claims()), "typ");
        refused(proof(&k, |h| h.jwk = None, claims()), "no jwk");
        let with = |name: &str, value: Value| {
            let mut c = claims();
            c[name] = value;
            proof(&k, |_| {}, c)
        };
        refused(with("htm", json!("GET")), "htm");
        refused(with("htu", json!("http://127.0.0.1:9000/other")), "htu");
        refused(with("iat", json!(1000 + 61)), "future");
        refused(with("iat", json!(1000 - 301)), "ago");
        refused(with("jti", json!("")), "jti");
        // Signed by another key than the one in the header.
        let other = key(9);
        let forged = proof(
            &other,
            |h| h.jwk = serde_json::from_value(k.jwk.clone()).ok(),
            claims(),
        );
        refused(forged, "signature");
        // A private key in the header.
        let mut private = k.jwk.clone();
        private["d"] = json!("AAAA");
        let header = json!({"typ": TYP, "alg": "ES256", "jwk": private});
        let token = format!("{}.e30.c2ln", B64.encode(header.to_string()));
        refused(token, "private key");
        let none = json!({"typ": TYP, "alg": "none", "jwk": k.jwk});
        refused(format!("{}.e30.", B64.encode(none.to_string())), "alg");
        let hmac = json!({"typ": TYP, "alg": "HS256", "jwk": k.jwk});
        refused(format!("{}.e30.c2ln", B64.encode(hmac.to_string())), "alg");
        // A key whose type does not fit the alg (a curve the thumbprint cannot take).
        let odd = json!({"typ": TYP, "alg": "ES256", "jwk": {"kty": "EC", "crv": "Ed25519", "x": "AA", "y": "AA"}});
        refused(
            format!("{}.e30.c2ln", B64.encode(odd.to_string())),
            "not a key for ES256",
        );
    }

    #[test]
    fn a_proof_key_makes_proofs_that_pass() {
        let key = ProofKey::from_seed("client");
        assert_eq!(key.jkt(), ProofKey::from_seed("client").jkt());
        assert_ne!(key.jkt(), ProofKey::from_seed("other").jkt());
        let token = "at";
        let proof = key.proof(&ProofFor {
            method: "GET",
            url: "http://127.0.0.1:9000/api?x=1",
            iat: 1000,
            jti: "j",
            access_token: Some(token),
            nonce: Some("n"),
        });
        let nonces = ["n".to_owned()];
        let passed = check(
            &proof,
            &Expected {
                method: "GET",
                url: "http://127.0.0.1:9000/api",
                now: 1000,
                access_token: Some(token),
                nonces: Some(&nonces),
            },
        )
        .unwrap();
        assert_eq!(passed.jkt, key.jkt());
        let mut header = Map::new();
        header.insert("typ".into(), Value::Null);
        let untyped = key.sign(&header, &claims());
        assert!(
            check(&untyped, &expected())
                .unwrap_err()
                .to_string()
                .contains("no typ")
        );
    }

    #[test]
    fn a_token_needs_its_hash_and_a_required_nonce_its_value() {
        let k = key(7);
        let token = "the-access-token";
        let with_token = Expected {
            access_token: Some(token),
            ..expected()
        };
        let mut c = claims();
        assert!(check(&proof(&k, |_| {}, c.clone()), &with_token).is_err());
        c["ath"] = json!(ath(token));
        assert!(check(&proof(&k, |_| {}, c.clone()), &with_token).is_ok());
        let nonces = ["n1".to_owned()];
        let with_nonce = Expected {
            nonces: Some(&nonces),
            ..expected()
        };
        let error = check(&proof(&k, |_| {}, claims()), &with_nonce).unwrap_err();
        assert_eq!(error.code(), "use_dpop_nonce");
        let mut c = claims();
        c["nonce"] = json!("n0");
        assert_eq!(
            check(&proof(&k, |_| {}, c.clone()), &with_nonce)
                .unwrap_err()
                .code(),
            "use_dpop_nonce"
        );
        c["nonce"] = json!("n1");
        assert!(check(&proof(&k, |_| {}, c), &with_nonce).is_ok());
    }
}
