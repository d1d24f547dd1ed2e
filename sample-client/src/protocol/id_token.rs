//! ID token validation (OIDC Core §3.1.3.7), on `openidconnect`'s verifier, with the weaknesses
//! applied through its own switches where it has them. No I/O: the keys are given; the caller
//! fetches them again once when a token names a key the set lacks ([`Refusal::UnknownKey`]).
//!
//! The verifier does steps 2 (`iss`), 3 (`aud`), 6–8 (signature, `alg` allow-list), 9 (`exp`),
//! 10 (`iat`, through the function we give it) and 11 (`nonce`). Written here, because the crate
//! cannot express them:
//! - steps 4–5, `azp`: the crate deliberately leaves them out;
//! - §3.1.3.8, `at_hash`: the crate has no hash for `alg: none` and reads EdDSA's as SHA-512
//!   while deployed providers (fauxauth's included) use SHA-256, so both are accepted there;
//! - the `alg` allow-list when the signature is not checked: the crate skips the list along with
//!   the signature, and `skip-signature-check` must not also let `alg: none` in;
//! - `accept-alg-none`: the crate refuses `none` outright, whatever its settings, so an unsigned
//!   token is let through by switching the signature check off for that token alone;
//! - step 2 by a preset's rule (`protocol::issuer`): the issuer to compare with is worked out
//!   here (Microsoft's from the token's `tid`), and Google's legacy `iss`, which is no URL, is
//!   something the crate cannot even parse: such a token's signature is verified here, over the
//!   token as it came, and the crate checks the rest on a copy carrying the issuer's full
//!   spelling.

use std::time::{Duration, SystemTime};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use openidconnect::core::{
    CoreIdToken, CoreIdTokenClaims, CoreIdTokenVerifier, CoreJsonWebKeySet, CoreJwsSigningAlgorithm,
};
use openidconnect::{
    AccessToken, ClaimsVerificationError, ClientId, IssuerUrl, JsonWebKey as _, JsonWebKeyId,
    Nonce, SignatureVerificationError,
};
use serde_json::Value;
use sha2::{Digest, Sha256, Sha384, Sha512};

use crate::config::{Weakness, Weaknesses};
use crate::error::{Check, Error};
use crate::protocol::issuer::IssuerRule;

/// The algorithms an ID token may be signed with: asymmetric only. No `none` (RFC 8725 §3.1)
/// and no HMAC, whose shared secret would let anyone holding it mint ID tokens.
pub const ALLOWED_ALGS: [CoreJwsSigningAlgorithm; 9] = [
    CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256,
    CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha384,
    CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha512,
    CoreJwsSigningAlgorithm::RsaSsaPssSha256,
    CoreJwsSigningAlgorithm::RsaSsaPssSha384,
    CoreJwsSigningAlgorithm::RsaSsaPssSha512,
    CoreJwsSigningAlgorithm::EcdsaP256Sha256,
    CoreJwsSigningAlgorithm::EcdsaP384Sha384,
    CoreJwsSigningAlgorithm::EdDsa,
];

/// Starts the message of our `iat` check, which the crate reports as `Expired` like `exp`.
const IAT_FAILURE: &str = "iat ";

/// What the nonce must be.
#[derive(Clone, Copy, Debug)]
pub enum NonceRule<'a> {
    /// At login: the nonce sent (OIDC Core §3.1.3.7 step 11).
    Sent(&'a Nonce),
    /// At refresh: absent, or the original login's (OIDC Core §12.2).
    AbsentOr(Option<&'a Nonce>),
}

/// Everything an ID token is judged against.
#[derive(Debug)]
pub struct Expect<'a> {
    /// Whom `iss` must name (OIDC Core §3.1.3.7 step 2, as the preset reads it).
    pub issuer: &'a IssuerRule,
    pub client_id: &'a ClientId,
    /// Only a client with `accept-hs256` verifies with it (HMAC), never a sound one.
    pub client_secret: Option<&'a openidconnect::ClientSecret>,
    pub nonce: NonceRule<'a>,
    /// The access token issued beside it, for `at_hash`.
    pub access_token: &'a AccessToken,
    pub now: SystemTime,
    pub leeway: Duration,
    pub weaknesses: Weaknesses,
}

/// Why an ID token was not accepted.
#[derive(Debug, PartialEq, Eq)]
pub enum Refusal {
    /// It names a key (`kid`) the set lacks: the provider may have rotated; fetch and retry once.
    UnknownKey,
    Failed(Error),
}

impl From<Error> for Refusal {
    fn from(error: Error) -> Self {
        Self::Failed(error)
    }
}

/// The claims of the ID token `jws` (as it arrived), if it passes every check in force.
pub fn verify(
    jws: &str,
    keys: &CoreJsonWebKeySet,
    expect: &Expect<'_>,
) -> Result<CoreIdTokenClaims, Refusal> {
    let has = |w| expect.weaknesses.has(w);
    // A token the crate cannot read is malformed, unless it is the preset's other spelling of
    // the issuer: then the crate judges a copy spelling it in full, and the signature over the
    // original is verified here.
    let (token, legacy) = match jws.parse::<CoreIdToken>() {
        Ok(token) => (token, None),
        Err(why) => match Legacy::of(jws, expect.issuer, has(Weakness::AcceptMissingSub)) {
            Some((copy, legacy)) => (copy, Some(legacy)),
            None => return Err(Error::new(Check::IdTokenMalformed, why.to_string()).into()),
        },
    };
    // A weakness: HS256, verified with the client secret, joins the allow-list.
    let hs256 = has(Weakness::AcceptHs256)
        && token.signing_alg() == Ok(&CoreJwsSigningAlgorithm::HmacSha256);
    // The alg allow-list first, by hand, so it holds whether or not the signature is checked.
    let alg = match token.signing_alg() {
        Ok(alg) if ALLOWED_ALGS.contains(alg) || hs256 => Some(alg.clone()),
        Ok(alg) => return Err(alg_refused(&alg_name(alg)).into()),
        Err(SignatureVerificationError::NoSignature) if has(Weakness::AcceptAlgNone) => None,
        Err(SignatureVerificationError::NoSignature) => return Err(alg_refused("none").into()),
        Err(e) => return Err(Error::new(Check::IdTokenMalformed, e.to_string()).into()),
    };

    // Step 2's issuer: the rule's, for this token (Microsoft's names the token's own tenant).
    let issuer = if has(Weakness::SkipIdTokenIssCheck) {
        expect.issuer.metadata_issuer().to_owned()
    } else {
        let tid = unverified_claims(jws).and_then(|c| c.get("tid")?.as_str().map(str::to_owned));
        expect
            .issuer
            .expected(tid.as_deref())
            .map_err(|why| Error::new(Check::IdTokenIssMismatch, why))?
    };
    let issuer = IssuerUrl::new(issuer).map_err(|e| Error::internal(format!("issuer: {e}")))?;

    let now = expect.now;
    let leeway = expect.leeway;
    let skip_iat = has(Weakness::SkipIatCheck);
    let verifier = match (hs256, expect.client_secret) {
        (true, Some(secret)) => CoreIdTokenVerifier::new_confidential_client(
            expect.client_id.clone(),
            secret.clone(),
            issuer,
            keys.clone(),
        )
        .set_allowed_algs([CoreJwsSigningAlgorithm::HmacSha256]),
        _ => CoreIdTokenVerifier::new_public_client(expect.client_id.clone(), issuer, keys.clone())
            .set_allowed_algs(ALLOWED_ALGS),
    };
    let mut verifier = verifier
        // Step 10: not issued in the future, beyond the leeway.
        .set_issue_time_verifier_fn(move |iat| {
            if !skip_iat && iat > to_chrono(now + leeway) {
                Err(format!(
                    "{IAT_FAILURE}{iat} is after now ({})",
                    to_chrono(now)
                ))
            } else {
                Ok(())
            }
        });
    // Step 9: the crate refuses when now >= exp; the leeway moves "now" back.
    verifier = if has(Weakness::SkipExpCheck) {
        verifier.set_time_fn(|| DateTime::<Utc>::MIN_UTC)
    } else {
        let judged_at = to_chrono(now.checked_sub(leeway).unwrap_or(now));
        verifier.set_time_fn(move || judged_at)
    };
    if has(Weakness::SkipSignatureCheck) || alg.is_none() {
        verifier = verifier.insecure_disable_signature_check();
    } else if let (Some(legacy), Some(alg)) = (&legacy, &alg) {
        // The copy's signature cannot hold; the original's must.
        legacy.verify_signature(keys, alg)?;
        verifier = verifier.insecure_disable_signature_check();
    }
    if has(Weakness::SkipIdTokenIssCheck) {
        verifier = verifier.require_issuer_match(false);
    }
    if has(Weakness::SkipAudCheck) {
        verifier = verifier.require_audience_match(false);
    }

    let skip_nonce = has(Weakness::SkipNonceCheck);
    // With no nonce sent (a weakness), there is nothing to compare: a nonce in the token is not
    // asked about.
    let rule = match expect.nonce {
        NonceRule::AbsentOr(None) if has(Weakness::NoNonce) || has(Weakness::NoCodeBinding) => None,
        rule => Some(rule),
    };
    let nonce_check = move |found: Option<&Nonce>| -> Result<(), String> {
        let Some(rule) = rule.filter(|_| !skip_nonce) else {
            return Ok(());
        };
        match (rule, found) {
            (NonceRule::Sent(sent), found) => openidconnect::NonceVerifier::verify(sent, found),
            (NonceRule::AbsentOr(_), None) => Ok(()),
            (NonceRule::AbsentOr(original), Some(found)) => match original {
                Some(original) if same(original.secret(), found.secret()) => Ok(()),
                _ => Err("a refreshed ID token carries a nonce other than the login's".into()),
            },
        }
    };
    let claims = token
        .claims(&verifier, nonce_check)
        .map_err(refusal)?
        .clone();

    check_azp(&claims, expect.client_id)?;
    if !has(Weakness::SkipAtHashCheck) {
        check_at_hash(&claims, alg.as_ref(), expect.access_token)?;
    }
    Ok(claims)
}

/// A token whose `iss` is the preset's other spelling of the issuer (Google's, without the
/// scheme), which the crate cannot parse: the parts of the original that its signature covers.
struct Legacy {
    kid: Option<JsonWebKeyId>,
    signing_input: String,
    signature: Vec<u8>,
}

impl Legacy {
    /// A copy of `jws` spelling the issuer in full, for the crate to judge, and what verifies the
    /// original; `None` unless `iss` is the rule's other spelling.
    ///
    /// With `sub_from_email` (the `accept-missing-sub` weakness), a token without `sub` is
    /// read too: its email stands in for the subject.
    fn of(jws: &str, rule: &IssuerRule, sub_from_email: bool) -> Option<(CoreIdToken, Self)> {
        let mut parts = jws.split('.');
        let (header, payload, signature) = (parts.next()?, parts.next()?, parts.next()?);
        if parts.next().is_some() {
            return None;
        }
        let mut claims = unverified_claims(jws)?;
        let iss = claims.get("iss")?.as_str()?;
        let legacy = rule.accepts_legacy_spelling(iss);
        let no_sub = sub_from_email && claims.get("sub").is_none();
        if !legacy && !no_sub {
            return None;
        }
        if legacy {
            claims["iss"] = Value::String(rule.expected(None).ok()?);
        }
        if no_sub {
            let email = claims
                .get("email")
                .cloned()
                .unwrap_or_else(|| "unknown".into());
            claims["sub"] = email;
        }
        let copy = format!(
            "{header}.{}.{signature}",
            URL_SAFE_NO_PAD.encode(claims.to_string())
        );
        let kid = decode_json(header)?
            .get("kid")
            .and_then(Value::as_str)
            .map(|kid| JsonWebKeyId::new(kid.to_owned()));
        let legacy = Self {
            kid,
            signing_input: format!("{header}.{payload}"),
            signature: URL_SAFE_NO_PAD.decode(signature).ok()?,
        };
        Some((copy.parse().ok()?, legacy))
    }

    /// OIDC Core §3.1.3.7 step 6 on the original: some published key under its `kid` (any, when
    /// it names none) verifies it. None under that `kid` asks for the keys again, as the crate's
    /// check does.
    fn verify_signature(
        &self,
        keys: &CoreJsonWebKeySet,
        alg: &CoreJwsSigningAlgorithm,
    ) -> Result<(), Refusal> {
        let candidates: Vec<_> = keys
            .keys()
            .iter()
            .filter(|key| self.kid.is_none() || key.key_id() == self.kid.as_ref())
            .collect();
        if candidates.is_empty() {
            return Err(Refusal::UnknownKey);
        }
        let message = self.signing_input.as_bytes();
        if candidates
            .iter()
            .any(|key| key.verify_signature(alg, message, &self.signature).is_ok())
        {
            Ok(())
        } else {
            Err(Error::new(
                Check::IdTokenSignatureInvalid,
                "no published key verifies the ID token's signature",
            )
            .into())
        }
    }
}

/// The payload of a JWS, unverified: only to read what decides how it is verified.
fn unverified_claims(jws: &str) -> Option<Value> {
    decode_json(jws.split('.').nth(1)?)
}

fn decode_json(part: &str) -> Option<Value> {
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).ok()?).ok()
}

fn alg_refused(alg: &str) -> Error {
    Error::new(
        Check::IdTokenAlgNotAllowed,
        format!(
            "the ID token is signed with {alg}; allowed: {}",
            ALLOWED_ALGS
                .iter()
                .map(alg_name)
                .collect::<Vec<_>>()
                .join(", ")
        ),
    )
}

fn alg_name(alg: &CoreJwsSigningAlgorithm) -> String {
    serde_json::to_value(alg)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_else(|| format!("{alg:?}"))
}

fn refusal(error: ClaimsVerificationError) -> Refusal {
    use ClaimsVerificationError as C;
    use SignatureVerificationError as S;
    let (check, detail) = match error {
        C::InvalidIssuer(m) => (Check::IdTokenIssMismatch, m),
        C::InvalidAudience(m) => (Check::IdTokenAudMismatch, m),
        C::Expired(m) if m.starts_with(IAT_FAILURE) => (Check::IdTokenIssuedInFuture, m),
        C::Expired(m) => (Check::IdTokenExpired, m),
        C::InvalidNonce(m) => (Check::NonceMismatch, m),
        C::SignatureVerification(S::NoMatchingKey) => return Refusal::UnknownKey,
        C::SignatureVerification(e @ (S::DisallowedAlg(_) | S::UnsupportedAlg(_))) => {
            (Check::IdTokenAlgNotAllowed, e.to_string())
        }
        C::SignatureVerification(e) => (Check::IdTokenSignatureInvalid, e.to_string()),
        other => (Check::IdTokenMalformed, other.to_string()),
    };
    Refusal::Failed(Error::new(check, detail))
}

/// OIDC Core §3.1.3.7 steps 4–5: with several audiences an `azp` must be present; when present,
/// it must be this client.
fn check_azp(claims: &CoreIdTokenClaims, client_id: &ClientId) -> Result<(), Error> {
    match claims.authorized_party() {
        Some(azp) if azp.as_str() != client_id.as_str() => Err(Error::new(
            Check::IdTokenAzpMismatch,
            format!("azp names {:?}, not this client", azp.as_str()),
        )),
        None if claims.audiences().len() > 1 => Err(Error::new(
            Check::IdTokenAzpMismatch,
            "several audiences and no azp",
        )),
        _ => Ok(()),
    }
}

/// OIDC Core §3.1.3.8: when the ID token carries `at_hash`, it must match the access token
/// issued with it. (In the code flow the claim is optional, §3.1.3.6.)
fn check_at_hash(
    claims: &CoreIdTokenClaims,
    alg: Option<&CoreJwsSigningAlgorithm>,
    access_token: &AccessToken,
) -> Result<(), Error> {
    let Some(at_hash) = claims.access_token_hash() else {
        return Ok(());
    };
    if at_hash_candidates(alg, access_token.secret())
        .iter()
        .any(|candidate| same(candidate, at_hash.as_str()))
    {
        Ok(())
    } else {
        Err(Error::new(
            Check::AtHashMismatch,
            "the ID token's at_hash does not match the access token",
        ))
    }
}

/// OIDC Core §3.1.3.6: base64url of the left half of the access token's hash, the hash being the
/// one of the JWS `alg`. `None` (an unsigned token, let in by a weakness) hashes with SHA-256.
/// EdDSA with Ed25519 is SHA-512 by the letter, SHA-256 in practice: both are accepted.
pub fn at_hash_candidates(alg: Option<&CoreJwsSigningAlgorithm>, token: &str) -> Vec<String> {
    use CoreJwsSigningAlgorithm as A;
    fn half(digest: &[u8]) -> String {
        URL_SAFE_NO_PAD.encode(&digest[..digest.len() / 2])
    }
    let sha256 = || half(&Sha256::digest(token.as_bytes()));
    let sha384 = || half(&Sha384::digest(token.as_bytes()));
    let sha512 = || half(&Sha512::digest(token.as_bytes()));
    match alg {
        Some(A::RsaSsaPkcs1V15Sha384 | A::RsaSsaPssSha384 | A::EcdsaP384Sha384) => vec![sha384()],
        Some(A::RsaSsaPkcs1V15Sha512 | A::RsaSsaPssSha512) => vec![sha512()],
        Some(A::EdDsa) => vec![sha512(), sha256()],
        _ => vec![sha256()],
    }
}

fn to_chrono(t: SystemTime) -> DateTime<Utc> {
    DateTime::<Utc>::from(t)
}

/// Compares two secrets without an early exit on the first differing byte.
fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn at_hash_matches_the_oidc_core_example() {
        // OIDC Core Appendix A.3: this access token, signed RS256, has at_hash 77QmUPtjPfzWtF2AnpK9RQ.
        let token = "jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Y";
        assert_eq!(
            at_hash_candidates(Some(&CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256), token),
            ["77QmUPtjPfzWtF2AnpK9RQ"]
        );
    }

    #[test]
    fn at_hash_follows_the_algorithm() {
        let sha384 = at_hash_candidates(Some(&CoreJwsSigningAlgorithm::EcdsaP384Sha384), "t");
        assert_eq!(sha384[0].len(), 32, "24 bytes of SHA-384");
        let sha512 = at_hash_candidates(Some(&CoreJwsSigningAlgorithm::RsaSsaPssSha512), "t");
        assert_eq!(sha512[0].len(), 43, "32 bytes of SHA-512");
        let eddsa = at_hash_candidates(Some(&CoreJwsSigningAlgorithm::EdDsa), "t");
        assert_eq!(eddsa.len(), 2);
        assert_eq!(eddsa[1], at_hash_candidates(None, "t")[0]);
    }

    use std::time::UNIX_EPOCH;

    use aws_lc_rs::rand::SystemRandom;
    use aws_lc_rs::signature::{self as sig, KeyPair as _};
    use serde_json::{Value, json};

    use crate::config::Weakness;

    const NOW: u64 = 1_700_000_000;
    const ISSUER: &str = "http://127.0.0.1:9000";
    const ACCESS_TOKEN: &str = "the-access-token";

    /// An ES256 key and the JWKS publishing it as `k1`.
    struct Key(sig::EcdsaKeyPair);

    impl Key {
        fn new() -> Self {
            Self(sig::EcdsaKeyPair::generate(&sig::ECDSA_P256_SHA256_FIXED_SIGNING).unwrap())
        }

        fn jwks(&self) -> CoreJsonWebKeySet {
            let point = self.0.public_key().as_ref();
            serde_json::from_value(json!({"keys": [{
                "kty": "EC", "crv": "P-256", "kid": "k1", "alg": "ES256", "use": "sig",
                "x": URL_SAFE_NO_PAD.encode(&point[1..33]),
                "y": URL_SAFE_NO_PAD.encode(&point[33..65]),
            }]}))
            .unwrap()
        }

        fn sign(&self, header: &Value, claims: &Value) -> String {
            let input = format!(
                "{}.{}",
                URL_SAFE_NO_PAD.encode(header.to_string()),
                URL_SAFE_NO_PAD.encode(claims.to_string())
            );
            let signature = self.0.sign(&SystemRandom::new(), input.as_bytes()).unwrap();
            format!("{input}.{}", URL_SAFE_NO_PAD.encode(signature.as_ref()))
        }
    }

    /// A fault an ID token can carry, the check that must catch it, and the weakness that lets
    /// it through.
    #[derive(Clone, Copy, Debug)]
    enum Fault {
        WrongIss,
        WrongAud,
        Expired,
        WrongNonce,
        WrongAtHash,
        Unsigned,
        ForgedSignature,
    }

    impl Fault {
        const ALL: [Fault; 7] = [
            Self::WrongIss,
            Self::WrongAud,
            Self::Expired,
            Self::WrongNonce,
            Self::WrongAtHash,
            Self::Unsigned,
            Self::ForgedSignature,
        ];

        fn caught_by(self) -> Check {
            match self {
                Self::WrongIss => Check::IdTokenIssMismatch,
                Self::WrongAud => Check::IdTokenAudMismatch,
                Self::Expired => Check::IdTokenExpired,
                Self::WrongNonce => Check::NonceMismatch,
                Self::WrongAtHash => Check::AtHashMismatch,
                Self::Unsigned => Check::IdTokenAlgNotAllowed,
                Self::ForgedSignature => Check::IdTokenSignatureInvalid,
            }
        }

        fn let_through_by(self) -> Weakness {
            match self {
                Self::WrongIss => Weakness::SkipIdTokenIssCheck,
                Self::WrongAud => Weakness::SkipAudCheck,
                Self::Expired => Weakness::SkipExpCheck,
                Self::WrongNonce => Weakness::SkipNonceCheck,
                Self::WrongAtHash => Weakness::SkipAtHashCheck,
                Self::Unsigned => Weakness::AcceptAlgNone,
                Self::ForgedSignature => Weakness::SkipSignatureCheck,
            }
        }

        fn apply(self, key: &Key, claims: &mut Value) -> String {
            match self {
                Self::WrongIss => claims["iss"] = json!("http://attacker.example"),
                Self::WrongAud => claims["aud"] = json!("someone-else"),
                Self::Expired => claims["exp"] = json!(NOW - 3600),
                Self::WrongNonce => claims["nonce"] = json!("another-nonce"),
                Self::WrongAtHash => claims["at_hash"] = json!("AAAAAAAAAAAAAAAAAAAAAA"),
                Self::Unsigned => {
                    let header = URL_SAFE_NO_PAD.encode(r#"{"alg":"none"}"#);
                    let payload = URL_SAFE_NO_PAD.encode(claims.to_string());
                    return format!("{header}.{payload}.");
                }
                Self::ForgedSignature => return Key::new().sign(&header(), claims),
            }
            key.sign(&header(), claims)
        }
    }

    fn header() -> Value {
        json!({"alg": "ES256", "typ": "JWT", "kid": "k1"})
    }

    fn claims() -> Value {
        json!({
            "iss": ISSUER, "sub": "alice", "aud": "web", "iat": NOW, "exp": NOW + 600,
            "nonce": "the-nonce", "at_hash": at_hash_candidates(None, ACCESS_TOKEN)[0],
        })
    }

    fn run(token: &str, keys: &CoreJsonWebKeySet, weaknesses: &[Weakness]) -> Result<(), Refusal> {
        run_with(
            token,
            keys,
            weaknesses,
            NonceRule::Sent(&Nonce::new("the-nonce".into())),
        )
    }

    fn run_with(
        token: &str,
        keys: &CoreJsonWebKeySet,
        weaknesses: &[Weakness],
        nonce: NonceRule<'_>,
    ) -> Result<(), Refusal> {
        run_under(
            &IssuerRule::Exact(ISSUER.into()),
            token,
            keys,
            weaknesses,
            nonce,
        )
    }

    fn run_under(
        issuer: &IssuerRule,
        token: &str,
        keys: &CoreJsonWebKeySet,
        weaknesses: &[Weakness],
        nonce: NonceRule<'_>,
    ) -> Result<(), Refusal> {
        let client_id = ClientId::new("web".into());
        let access_token = AccessToken::new(ACCESS_TOKEN.into());
        verify(
            token,
            keys,
            &Expect {
                issuer,
                client_id: &client_id,
                client_secret: None,
                nonce,
                access_token: &access_token,
                now: UNIX_EPOCH + Duration::from_secs(NOW),
                leeway: Duration::from_secs(60),
                weaknesses: Weaknesses::of(weaknesses),
            },
        )
        .map(drop)
    }

    fn check_of(result: Result<(), Refusal>) -> Option<Check> {
        match result {
            Ok(()) => None,
            Err(Refusal::Failed(e)) => Some(e.check),
            Err(Refusal::UnknownKey) => panic!("unexpected unknown key"),
        }
    }

    fn with(key: &Key, change: impl FnOnce(&mut Value)) -> String {
        let mut claims = claims();
        change(&mut claims);
        key.sign(&header(), &claims)
    }

    #[test]
    fn a_good_id_token_passes() {
        let key = Key::new();
        assert_eq!(run(&with(&key, |_| {}), &key.jwks(), &[]), Ok(()));
    }

    fn sent() -> Nonce {
        Nonce::new("the-nonce".into())
    }

    #[test]
    fn googles_issuer_without_its_scheme_passes_with_the_rule_only() {
        let key = Key::new();
        let jwks = key.jwks();
        let google = IssuerRule::OrWithoutScheme(ISSUER.into());
        let legacy = with(&key, |c| c["iss"] = json!("127.0.0.1:9000"));
        let nonce = NonceRule::Sent(&sent());
        assert_eq!(run_under(&google, &legacy, &jwks, &[], nonce), Ok(()));
        assert_eq!(
            run_under(&google, &with(&key, |_| {}), &jwks, &[], nonce),
            Ok(()),
            "the full spelling too"
        );
        // Without the rule the crate cannot read it at all.
        assert_eq!(
            check_of(run(&legacy, &jwks, &[])),
            Some(Check::IdTokenMalformed)
        );
        // Another host, with or without a scheme, is no spelling of this issuer.
        for other in ["127.0.0.1:9001", "evil.example", "http://127.0.0.1:9001"] {
            let token = with(&key, |c| c["iss"] = json!(other));
            let check = check_of(run_under(&google, &token, &jwks, &[], nonce));
            assert!(
                matches!(
                    check,
                    Some(Check::IdTokenIssMismatch | Check::IdTokenMalformed)
                ),
                "{other}: {check:?}"
            );
        }
    }

    #[test]
    fn a_legacy_spelled_token_is_still_checked_in_full() {
        let key = Key::new();
        let jwks = key.jwks();
        let google = IssuerRule::OrWithoutScheme(ISSUER.into());
        let nonce = NonceRule::Sent(&sent());
        let legacy = |change: fn(&mut Value)| {
            let mut claims = claims();
            claims["iss"] = json!("127.0.0.1:9000");
            change(&mut claims);
            claims
        };
        let forged = Key::new().sign(&header(), &legacy(|_| {}));
        assert_eq!(
            check_of(run_under(&google, &forged, &jwks, &[], nonce)),
            Some(Check::IdTokenSignatureInvalid)
        );
        assert_eq!(
            run_under(
                &google,
                &forged,
                &jwks,
                &[Weakness::SkipSignatureCheck],
                nonce
            ),
            Ok(())
        );
        let mut other_kid = header();
        other_kid["kid"] = json!("k2");
        let rotated = key.sign(&other_kid, &legacy(|_| {}));
        assert_eq!(
            run_under(&google, &rotated, &jwks, &[], nonce),
            Err(Refusal::UnknownKey)
        );
        type Change = fn(&mut Value);
        let cases: [(Change, Check); 3] = [
            (|c| c["aud"] = json!("x"), Check::IdTokenAudMismatch),
            (|c| c["nonce"] = json!("x"), Check::NonceMismatch),
            (|c| c["exp"] = json!(NOW - 3600), Check::IdTokenExpired),
        ];
        for (change, check) in cases {
            let token = key.sign(&header(), &legacy(change));
            assert_eq!(
                check_of(run_under(&google, &token, &jwks, &[], nonce)),
                Some(check)
            );
        }
    }

    #[test]
    fn a_multi_tenant_token_must_name_the_tenant_its_tid_names() {
        const TENANT: &str = "72f988bf-86f1-41af-91ab-2d7cd011db47";
        const OTHER: &str = "f8cdef31-a31e-4b4a-93e4-5f571e91255a";
        let key = Key::new();
        let jwks = key.jwks();
        let template = IssuerRule::TenantTemplate(format!("{ISSUER}/{{tenantid}}/v2.0"));
        let nonce = NonceRule::Sent(&sent());
        let token = |iss_tenant: &str, tid: Option<&str>| {
            with(&key, |c| {
                c["iss"] = json!(format!("{ISSUER}/{iss_tenant}/v2.0"));
                if let Some(tid) = tid {
                    c["tid"] = json!(tid);
                }
            })
        };
        assert_eq!(
            run_under(&template, &token(TENANT, Some(TENANT)), &jwks, &[], nonce),
            Ok(())
        );
        for (iss_tenant, tid) in [
            (OTHER, Some(TENANT)),
            (TENANT, Some(OTHER)),
            (TENANT, None),
            ("common", Some("common")),
            ("{tenantid}", Some(TENANT)),
        ] {
            let token = token(iss_tenant, tid);
            assert_eq!(
                check_of(run_under(&template, &token, &jwks, &[], nonce)),
                Some(Check::IdTokenIssMismatch),
                "iss {iss_tenant}, tid {tid:?}"
            );
            assert_eq!(
                run_under(
                    &template,
                    &token,
                    &jwks,
                    &[Weakness::SkipIdTokenIssCheck],
                    nonce
                ),
                Ok(())
            );
        }
    }

    #[test]
    fn every_fault_is_caught_by_its_check() {
        let key = Key::new();
        for fault in Fault::ALL {
            let token = fault.apply(&key, &mut claims());
            assert_eq!(
                check_of(run(&token, &key.jwks(), &[])),
                Some(fault.caught_by()),
                "{fault:?}"
            );
        }
    }

    #[test]
    fn each_weakness_lets_its_fault_through() {
        let key = Key::new();
        for fault in Fault::ALL {
            let token = fault.apply(&key, &mut claims());
            assert_eq!(
                run(&token, &key.jwks(), &[fault.let_through_by()]),
                Ok(()),
                "{fault:?} under {}",
                fault.let_through_by()
            );
        }
    }

    #[test]
    fn each_weakness_leaves_every_other_check_in_place() {
        let key = Key::new();
        for weakness in Weakness::ALL {
            for fault in Fault::ALL
                .into_iter()
                .filter(|f| f.let_through_by() != weakness)
            {
                let token = fault.apply(&key, &mut claims());
                assert_eq!(
                    check_of(run(&token, &key.jwks(), &[weakness])),
                    Some(fault.caught_by()),
                    "{fault:?} under {weakness}"
                );
            }
        }
    }

    #[test]
    fn a_token_naming_an_unknown_key_asks_for_the_keys_again() {
        let key = Key::new();
        let mut header = header();
        header["kid"] = json!("k2");
        let token = key.sign(&header, &claims());
        assert_eq!(run(&token, &key.jwks(), &[]), Err(Refusal::UnknownKey));
        assert_eq!(
            run(&token, &key.jwks(), &[Weakness::SkipSignatureCheck]),
            Ok(())
        );
    }

    #[test]
    fn a_token_without_kid_is_verified_with_the_only_key() {
        let key = Key::new();
        let token = key.sign(&json!({"alg": "ES256"}), &claims());
        assert_eq!(run(&token, &key.jwks(), &[]), Ok(()));
    }

    #[test]
    fn hmac_is_refused_even_without_the_signature_check() {
        let key = Key::new();
        let mut header = header();
        header["alg"] = json!("HS256");
        let token = key.sign(&header, &claims());
        for weaknesses in [
            &[][..],
            &[Weakness::SkipSignatureCheck, Weakness::AcceptAlgNone],
        ] {
            assert_eq!(
                check_of(run(&token, &key.jwks(), weaknesses)),
                Some(Check::IdTokenAlgNotAllowed)
            );
        }
    }

    #[test]
    fn exp_and_iat_allow_the_leeway_and_no_more() {
        let key = Key::new();
        let jwks = key.jwks();
        let at = |exp: u64| with(&key, |c| c["exp"] = json!(exp));
        assert_eq!(run(&at(NOW - 59), &jwks, &[]), Ok(()));
        assert_eq!(
            check_of(run(&at(NOW - 60), &jwks, &[])),
            Some(Check::IdTokenExpired)
        );
        let issued = |iat: u64| with(&key, |c| c["iat"] = json!(iat));
        assert_eq!(run(&issued(NOW + 60), &jwks, &[]), Ok(()));
        assert_eq!(
            check_of(run(&issued(NOW + 61), &jwks, &[])),
            Some(Check::IdTokenIssuedInFuture)
        );
        assert_eq!(
            check_of(run(&issued(NOW + 61), &jwks, &[Weakness::SkipExpCheck])),
            Some(Check::IdTokenIssuedInFuture),
            "skip-exp-check leaves iat alone"
        );
    }

    #[test]
    fn a_missing_nonce_is_refused_at_login() {
        let key = Key::new();
        let token = with(&key, |c| {
            c.as_object_mut().unwrap().remove("nonce");
        });
        assert_eq!(
            check_of(run(&token, &key.jwks(), &[])),
            Some(Check::NonceMismatch)
        );
        assert_eq!(
            run(&token, &key.jwks(), &[Weakness::SkipNonceCheck]),
            Ok(())
        );
    }

    #[test]
    fn a_refreshed_token_may_omit_the_nonce_but_not_change_it() {
        let key = Key::new();
        let original = Nonce::new("the-nonce".into());
        let rule = NonceRule::AbsentOr(Some(&original));
        let without = with(&key, |c| {
            c.as_object_mut().unwrap().remove("nonce");
        });
        assert_eq!(run_with(&without, &key.jwks(), &[], rule), Ok(()));
        assert_eq!(
            run_with(&with(&key, |_| {}), &key.jwks(), &[], rule),
            Ok(())
        );
        let other = with(&key, |c| c["nonce"] = json!("other"));
        assert_eq!(
            check_of(run_with(&other, &key.jwks(), &[], rule)),
            Some(Check::NonceMismatch)
        );
    }

    #[test]
    fn azp_must_name_this_client_and_accompany_several_audiences() {
        let key = Key::new();
        let jwks = key.jwks();
        let other_azp = with(&key, |c| c["azp"] = json!("other"));
        assert_eq!(
            check_of(run(&other_azp, &jwks, &[])),
            Some(Check::IdTokenAzpMismatch)
        );
        let own_azp = with(&key, |c| c["azp"] = json!("web"));
        assert_eq!(run(&own_azp, &jwks, &[]), Ok(()));
        // An untrusted second audience is refused by the aud check; skipping it, azp still
        // demands to be present.
        let several = with(&key, |c| c["aud"] = json!(["web", "other"]));
        assert_eq!(
            check_of(run(&several, &jwks, &[])),
            Some(Check::IdTokenAudMismatch)
        );
        assert_eq!(
            check_of(run(&several, &jwks, &[Weakness::SkipAudCheck])),
            Some(Check::IdTokenAzpMismatch)
        );
    }

    #[test]
    fn a_missing_at_hash_is_accepted_in_the_code_flow() {
        let key = Key::new();
        let token = with(&key, |c| {
            c.as_object_mut().unwrap().remove("at_hash");
        });
        assert_eq!(run(&token, &key.jwks(), &[]), Ok(()));
    }

    #[test]
    fn only_asymmetric_algorithms_are_allowed() {
        let names: Vec<_> = ALLOWED_ALGS.iter().map(alg_name).collect();
        assert_eq!(
            names,
            [
                "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "EdDSA"
            ]
        );
    }
}
