//! JOSE for every fauxauth server that verifies a JWT it did not sign: the resource's access
//! tokens, the provider's client assertions. The header is read and judged before any key is
//! looked at (RFC 7515 §4, RFC 8725 §3), and a JWK Set is parsed once into verification keys,
//! each pinned to the one algorithm it may be used with (RFC 8725 §3.1).
//!
//! The header is parsed here rather than by `jsonwebtoken` so that each refusal gets its own
//! description: `jsonwebtoken` cannot even represent `alg: none`. Signatures are verified by
//! `jsonwebtoken`; registered claims (`exp`, `nbf`) are the caller's to judge against the
//! virtual clock, which `jsonwebtoken` cannot see.

use std::fmt;
use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use jsonwebtoken::jwk::Jwk;
use jsonwebtoken::{DecodingKey, Validation};
use serde::Deserialize;
use serde_json::{Map, Value};

/// An asymmetric JWS algorithm (RFC 7518 §3.1, RFC 8037). There is deliberately no `none` and no
/// `HS*`: with a public key as the "secret", HMAC lets anyone forge tokens (RFC 8725 §2.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Deserialize)]
pub enum Alg {
    RS256,
    RS384,
    RS512,
    PS256,
    PS384,
    PS512,
    ES256,
    ES384,
    EdDSA,
}

impl Alg {
    pub const ALL: [Alg; 9] = [
        Self::RS256,
        Self::RS384,
        Self::RS512,
        Self::PS256,
        Self::PS384,
        Self::PS512,
        Self::ES256,
        Self::ES384,
        Self::EdDSA,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::RS256 => "RS256",
            Self::RS384 => "RS384",
            Self::RS512 => "RS512",
            Self::PS256 => "PS256",
            Self::PS384 => "PS384",
            Self::PS512 => "PS512",
            Self::ES256 => "ES256",
            Self::ES384 => "ES384",
            Self::EdDSA => "EdDSA",
        }
    }

    /// The algorithm named `name` exactly (JOSE names are case-sensitive, RFC 7515 §4.1.1).
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.as_str() == name)
    }

    pub fn jwt(self) -> jsonwebtoken::Algorithm {
        use jsonwebtoken::Algorithm as A;
        match self {
            Self::RS256 => A::RS256,
            Self::RS384 => A::RS384,
            Self::RS512 => A::RS512,
            Self::PS256 => A::PS256,
            Self::PS384 => A::PS384,
            Self::PS512 => A::PS512,
            Self::ES256 => A::ES256,
            Self::ES384 => A::ES384,
            Self::EdDSA => A::EdDSA,
        }
    }
}

impl fmt::Display for Alg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a JWT is refused before its claims are looked at. Its `Display` names the JWT generically;
/// a server that wants its own words for one (the resource says "access token") maps it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// Not a JWS in compact serialization (RFC 7515 §7.1).
    NotJwt,
    /// A JWE (five parts): encrypted tokens are not supported.
    Encrypted,
    /// The JOSE header is not base64url-encoded JSON, or a member has the wrong type.
    BadHeader(&'static str),
    /// `alg: none` (RFC 8725 §3.1: never accept unsigned tokens).
    AlgNone,
    /// An HMAC `alg` where only public keys are trusted: a public key used as an HMAC secret
    /// lets anyone forge tokens (RFC 8725 §2.1).
    Hmac(String),
    /// An `alg` not in the allow-list.
    AlgNotAllowed(String),
    /// The header names its own key (`jwk`, `jku`, `x5u`, `x5c`): only the configured keys are
    /// trusted (RFC 8725 §3.10).
    KeyInHeader(&'static str),
    /// `crit` names extensions no one here understands (RFC 7515 §4.1.11).
    Crit,
    /// `typ` is not the one required.
    Typ(Option<String>),
    /// The token names no `kid` and the key set does not have exactly one key for its `alg`.
    NoKid { alg: Alg, candidates: usize },
    /// The key named by `kid` is pinned to another algorithm (RFC 8725 §3.1).
    AlgMismatch { token: Alg, key: Alg },
    /// The signature does not verify.
    BadSignature,
    /// The payload is not a JSON object.
    BadPayload,
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotJwt => f.write_str("it is not a JWT (RFC 7519)"),
            Self::Encrypted => f.write_str("encrypted (JWE) tokens are not supported"),
            Self::BadHeader(what) => write!(f, "its JOSE header is malformed: {what}"),
            Self::AlgNone => {
                f.write_str("unsigned tokens (alg none) are never accepted (RFC 8725 §3.1)")
            }
            Self::Hmac(alg) => write!(
                f,
                "alg {} is refused: HMAC would take a public key as a shared secret \
                 (RFC 8725 §2.1)",
                shown(alg)
            ),
            Self::AlgNotAllowed(alg) => write!(f, "alg {} is not allowed here", shown(alg)),
            Self::KeyInHeader(member) => write!(
                f,
                "its header carries {member}: keys come from the configured key set only \
                 (RFC 8725 §3.10)"
            ),
            Self::Crit => f.write_str(
                "its header has crit extensions that are not understood here (RFC 7515 §4.1.11)",
            ),
            Self::Typ(Some(typ)) => write!(f, "its typ {} is not the one required", shown(typ)),
            Self::Typ(None) => f.write_str("it has no typ, and one is required"),
            Self::NoKid { alg, candidates } => write!(
                f,
                "it names no kid and the key set has {candidates} keys for {alg}"
            ),
            Self::AlgMismatch { token, key } => write!(
                f,
                "it says alg {token} but its key is for {key} (RFC 8725 §3.1)"
            ),
            Self::BadSignature => f.write_str("its signature does not verify"),
            Self::BadPayload => f.write_str("its claims are not a JSON object"),
        }
    }
}

impl std::error::Error for Refusal {}

/// A value from a token, quoted and cut short: it is attacker-controlled.
pub fn shown(value: &str) -> String {
    const MAX: usize = 80;
    if value.chars().count() > MAX {
        let cut: String = value.chars().take(MAX).collect();
        format!("{cut:?}...")
    } else {
        format!("{value:?}")
    }
}

/// What the checks need from a header that passed them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JoseHeader {
    pub alg: Alg,
    pub kid: Option<String>,
}

/// The rules a header must follow.
#[derive(Clone, Copy, Debug)]
pub struct HeaderRules<'a> {
    pub allowed_algs: &'a [Alg],
    /// The `typ` a token must carry (compared as a media type: without case, and with or
    /// without `application/`), or `None` to take any.
    pub required_typ: Option<&'a str>,
}

/// Header members that point at a key other than the issuer's JWKS (RFC 7515 §4.1.2-4.1.6).
const KEY_MEMBERS: [&str; 4] = ["jwk", "jku", "x5u", "x5c"];

/// Reads `token`'s JOSE header and checks it: a JWS, an allowed asymmetric `alg`, no key of its
/// own, no `crit`, and `typ: at+jwt` when required.
pub fn check_header(token: &str, rules: HeaderRules<'_>) -> Result<JoseHeader, Refusal> {
    let parts = token.split('.').count();
    if parts == 5 {
        return Err(Refusal::Encrypted);
    }
    if parts != 3 {
        return Err(Refusal::NotJwt);
    }
    let encoded = token.split('.').next().unwrap_or_default();
    let bytes = B64
        .decode(encoded)
        .map_err(|_| Refusal::BadHeader("not base64url"))?;
    let header: Map<String, Value> =
        serde_json::from_slice(&bytes).map_err(|_| Refusal::BadHeader("not a JSON object"))?;

    let alg = match header.get("alg") {
        Some(Value::String(alg)) => alg,
        Some(_) => return Err(Refusal::BadHeader("alg is not a string")),
        None => return Err(Refusal::BadHeader("alg is missing")),
    };
    // Case-insensitive on purpose: "None" and "NONE" are classic bypass attempts.
    if alg.eq_ignore_ascii_case("none") {
        return Err(Refusal::AlgNone);
    }
    if alg.get(..2).is_some_and(|p| p.eq_ignore_ascii_case("HS")) {
        return Err(Refusal::Hmac(alg.clone()));
    }
    let alg = Alg::from_name(alg)
        .filter(|a| rules.allowed_algs.contains(a))
        .ok_or_else(|| Refusal::AlgNotAllowed(alg.clone()))?;

    if let Some(member) = KEY_MEMBERS.into_iter().find(|m| header.contains_key(*m)) {
        return Err(Refusal::KeyInHeader(member));
    }
    if header.contains_key("crit") {
        return Err(Refusal::Crit);
    }
    if let Some(required) = rules.required_typ {
        match header.get("typ") {
            Some(Value::String(typ)) if is_typ(typ, required) => {}
            Some(Value::String(typ)) => return Err(Refusal::Typ(Some(typ.clone()))),
            Some(_) => return Err(Refusal::BadHeader("typ is not a string")),
            None => return Err(Refusal::Typ(None)),
        }
    }
    let kid = match header.get("kid") {
        None => None,
        Some(Value::String(kid)) => Some(kid.clone()),
        Some(_) => return Err(Refusal::BadHeader("kid is not a string")),
    };
    Ok(JoseHeader { alg, kid })
}

/// Whether `typ` names the media type `required` (`at+jwt` or `application/at+jwt`, RFC 9068
/// §4); media types compare without regard to case (RFC 7515 §4.1.9).
fn is_typ(typ: &str, required: &str) -> bool {
    let typ = typ.strip_prefix("application/").unwrap_or(typ);
    typ.eq_ignore_ascii_case(required)
}

/// A public key, parsed, with the one algorithm it verifies.
pub struct PinnedKey {
    kid: Option<String>,
    alg: Alg,
    decoding: DecodingKey,
    validation: Validation,
}

impl fmt::Debug for PinnedKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PinnedKey")
            .field("kid", &self.kid)
            .field("alg", &self.alg)
            .finish_non_exhaustive()
    }
}

impl PinnedKey {
    #[cfg(test)]
    fn alg(&self) -> Alg {
        self.alg
    }

    /// Verifies `token`'s signature with this key and algorithm, and returns its claims
    /// unjudged: registered claims are checked against the virtual clock by `claims`, which
    /// `jsonwebtoken` cannot see.
    pub fn verify(&self, token: &str) -> Result<Map<String, Value>, Refusal> {
        use jsonwebtoken::errors::ErrorKind;
        jsonwebtoken::decode::<Map<String, Value>>(token, &self.decoding, &self.validation)
            .map(|data| data.claims)
            .map_err(|e| match e.kind() {
                ErrorKind::Json(_) | ErrorKind::Utf8(_) => Refusal::BadPayload,
                _ => Refusal::BadSignature,
            })
    }
}

/// What a lookup found.
#[derive(Debug)]
pub enum Selection {
    Found(Arc<PinnedKey>),
    /// No key fits: the set may be out of date.
    Unknown,
    /// A key fits the `kid` but not the token: refetching would not help.
    Refused(Refusal),
}

/// The usable keys of one JWKS.
#[derive(Debug, Default)]
pub struct KeySet {
    keys: Vec<Arc<PinnedKey>>,
}

impl KeySet {
    /// Parses a JWKS document. Keys that cannot be used are skipped, each with the reason.
    pub fn parse(json: &[u8], allowed: &[Alg]) -> Result<(Self, Vec<String>), String> {
        let document: Value =
            serde_json::from_slice(json).map_err(|e| format!("the JWKS is not JSON ({e})"))?;
        let Some(Value::Array(entries)) = document.get("keys") else {
            return Err("the JWKS has no \"keys\" array (RFC 7517 §5)".to_owned());
        };
        let mut keys = Vec::with_capacity(entries.len());
        let mut skipped = Vec::new();
        for (i, entry) in entries.iter().enumerate() {
            match pin(entry, allowed) {
                Ok(key) => keys.push(Arc::new(key)),
                Err(why) => {
                    let kid = entry.get("kid").and_then(Value::as_str).unwrap_or("");
                    skipped.push(format!("keys[{i}] (kid {kid:?}): {why}"));
                }
            }
        }
        Ok((Self { keys }, skipped))
    }

    pub fn len(&self) -> usize {
        self.keys.len()
    }

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// The key for a token with this header. With a `kid`, the key of that id whose algorithm
    /// is the token's; without one, the only key for the token's algorithm.
    pub fn select(&self, header: &JoseHeader) -> Selection {
        match &header.kid {
            Some(kid) => {
                let mut named = self
                    .keys
                    .iter()
                    .filter(|k| k.kid.as_deref() == Some(kid.as_str()))
                    .peekable();
                let Some(first) = named.peek().map(|k| k.alg) else {
                    return Selection::Unknown;
                };
                match named.find(|k| k.alg == header.alg) {
                    Some(key) => Selection::Found(key.clone()),
                    None => Selection::Refused(Refusal::AlgMismatch {
                        token: header.alg,
                        key: first,
                    }),
                }
            }
            None => {
                let fitting: Vec<_> = self.keys.iter().filter(|k| k.alg == header.alg).collect();
                match fitting.as_slice() {
                    [] => Selection::Unknown,
                    [key] => Selection::Found((*key).clone()),
                    several => Selection::Refused(Refusal::NoKid {
                        alg: header.alg,
                        candidates: several.len(),
                    }),
                }
            }
        }
    }
}

fn pin(entry: &Value, allowed: &[Alg]) -> Result<PinnedKey, String> {
    let member = |name: &str| entry.get(name).and_then(Value::as_str);
    let kty = member("kty").ok_or("no kty")?;
    if let Some(usage) = member("use")
        && usage != "sig"
    {
        return Err(format!("use is {usage:?}, not \"sig\""));
    }
    if kty == "oct" {
        return Err("symmetric keys are never used".to_owned());
    }
    let fits = |alg: &Alg| fits(*alg, kty, member("crv"));
    let alg = match member("alg") {
        Some(name) => {
            let alg = Alg::from_name(name)
                .filter(|a| allowed.contains(a))
                .ok_or_else(|| format!("alg {name} is not allowed"))?;
            if !fits(&alg) {
                return Err(format!("alg {name} does not fit a {kty} key"));
            }
            alg
        }
        None => {
            let candidates: Vec<Alg> = allowed.iter().copied().filter(fits).collect();
            match candidates.as_slice() {
                [alg] => *alg,
                [] => return Err(format!("no allowed algorithm fits this {kty} key")),
                _ => {
                    return Err(format!(
                        "no alg, and several allowed algorithms fit this {kty} key"
                    ));
                }
            }
        }
    };
    let jwk: Jwk = serde_json::from_value(entry.clone()).map_err(|e| e.to_string())?;
    let decoding = DecodingKey::from_jwk(&jwk).map_err(|e| e.to_string())?;
    let mut validation = Validation::new(alg.jwt());
    validation.required_spec_claims.clear();
    validation.validate_exp = false;
    validation.validate_nbf = false;
    validation.validate_aud = false;
    Ok(PinnedKey {
        kid: member("kid").map(str::to_owned),
        alg,
        decoding,
        validation,
    })
}

/// Whether `alg` can be used with a key of type `kty` on curve `crv` (RFC 7518 §6, RFC 8037 §2).
fn fits(alg: Alg, kty: &str, crv: Option<&str>) -> bool {
    match alg {
        Alg::RS256 | Alg::RS384 | Alg::RS512 | Alg::PS256 | Alg::PS384 | Alg::PS512 => kty == "RSA",
        Alg::ES256 => kty == "EC" && crv == Some("P-256"),
        Alg::ES384 => kty == "EC" && crv == Some("P-384"),
        Alg::EdDSA => kty == "OKP" && crv == Some("Ed25519"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const RULES: HeaderRules<'static> = HeaderRules {
        allowed_algs: &[Alg::RS256, Alg::ES256, Alg::EdDSA],
        required_typ: Some("at+jwt"),
    };

    fn token(header: Value) -> String {
        format!("{}.e30.c2ln", B64.encode(header.to_string()))
    }

    fn check(header: Value) -> Result<JoseHeader, Refusal> {
        check_header(&token(header), RULES)
    }

    #[test]
    fn a_typed_header_with_an_allowed_alg_passes() {
        assert_eq!(
            check(json!({"alg": "ES256", "typ": "at+jwt", "kid": "k1"})),
            Ok(JoseHeader {
                alg: Alg::ES256,
                kid: Some("k1".into())
            })
        );
        assert!(check(json!({"alg": "RS256", "typ": "application/AT+JWT"})).is_ok());
    }

    #[test]
    fn unsigned_tokens_are_refused_however_none_is_spelt() {
        for none in ["none", "None", "NONE"] {
            assert_eq!(
                check(json!({"alg": none, "typ": "at+jwt"})),
                Err(Refusal::AlgNone)
            );
        }
    }

    #[test]
    fn hmac_is_refused_as_algorithm_confusion() {
        for alg in ["HS256", "HS384", "HS512", "hs256"] {
            assert_eq!(
                check(json!({"alg": alg, "typ": "at+jwt"})),
                Err(Refusal::Hmac(alg.into()))
            );
        }
    }

    #[test]
    fn algorithms_outside_the_allow_list_are_refused() {
        assert_eq!(
            check(json!({"alg": "PS256", "typ": "at+jwt"})),
            Err(Refusal::AlgNotAllowed("PS256".into()))
        );
        assert_eq!(
            check(json!({"alg": "es256", "typ": "at+jwt"})),
            Err(Refusal::AlgNotAllowed("es256".into()))
        );
    }

    #[test]
    fn headers_that_bring_their_own_key_are_refused() {
        for member in KEY_MEMBERS {
            let mut header = json!({"alg": "ES256", "typ": "at+jwt"});
            header[member] = json!("https://attacker.example/key");
            assert_eq!(check(header), Err(Refusal::KeyInHeader(member)));
        }
    }

    #[test]
    fn crit_extensions_are_refused() {
        assert_eq!(
            check(json!({"alg": "ES256", "typ": "at+jwt", "crit": ["exp"], "exp": 1})),
            Err(Refusal::Crit)
        );
    }

    #[test]
    fn an_id_token_or_untyped_jwt_is_not_an_access_token() {
        assert_eq!(
            check(json!({"alg": "ES256", "typ": "JWT"})),
            Err(Refusal::Typ(Some("JWT".into())))
        );
        assert_eq!(check(json!({"alg": "ES256"})), Err(Refusal::Typ(None)));
        let lenient = HeaderRules {
            required_typ: None,
            ..RULES
        };
        assert!(check_header(&token(json!({"alg": "ES256", "typ": "JWT"})), lenient).is_ok());
    }

    #[test]
    fn what_is_not_a_jws_is_named() {
        assert_eq!(check_header("opaque", RULES), Err(Refusal::NotJwt));
        assert_eq!(check_header("a.b.c.d.e", RULES), Err(Refusal::Encrypted));
        assert_eq!(
            check_header("!!.e30.c2ln", RULES),
            Err(Refusal::BadHeader("not base64url"))
        );
        assert_eq!(
            check_header(&format!("{}.e30.c2ln", B64.encode("[1]")), RULES),
            Err(Refusal::BadHeader("not a JSON object"))
        );
        assert_eq!(
            check(json!({"typ": "at+jwt"})),
            Err(Refusal::BadHeader("alg is missing"))
        );
    }

    // The key set.

    const ALLOWED: &[Alg] = &[Alg::RS256, Alg::ES256, Alg::EdDSA];
    // Well-formed public key material (values need not match any private key here).
    const EC_X: &str = "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU";
    const EC_Y: &str = "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0";
    const ED_X: &str = "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo";

    fn ec(kid: &str, alg: Option<&str>) -> Value {
        let mut key = json!({"kty": "EC", "crv": "P-256", "x": EC_X, "y": EC_Y, "kid": kid});
        if let Some(alg) = alg {
            key["alg"] = json!(alg);
        }
        key
    }

    fn parse(keys: Vec<Value>) -> (KeySet, Vec<String>) {
        KeySet::parse(json!({ "keys": keys }).to_string().as_bytes(), ALLOWED).unwrap()
    }

    fn header(alg: Alg, kid: Option<&str>) -> JoseHeader {
        JoseHeader {
            alg,
            kid: kid.map(str::to_owned),
        }
    }

    #[test]
    fn keys_are_pinned_to_their_alg_or_the_one_their_curve_fits() {
        let (set, skipped) = parse(vec![
            ec("a", Some("ES256")),
            ec("b", None),
            json!({"kty": "OKP", "crv": "Ed25519", "x": ED_X, "kid": "c"}),
        ]);
        assert!(skipped.is_empty(), "{skipped:?}");
        assert_eq!(set.len(), 3);
        for kid in ["a", "b"] {
            assert!(matches!(
                set.select(&header(Alg::ES256, Some(kid))),
                Selection::Found(k) if k.alg() == Alg::ES256
            ));
        }
        assert!(matches!(
            set.select(&header(Alg::EdDSA, Some("c"))),
            Selection::Found(_)
        ));
    }

    #[test]
    fn a_token_whose_alg_differs_from_its_keys_is_refused_without_refetching() {
        let (set, _) = parse(vec![ec("a", Some("ES256"))]);
        assert!(matches!(
            set.select(&header(Alg::EdDSA, Some("a"))),
            Selection::Refused(Refusal::AlgMismatch {
                token: Alg::EdDSA,
                key: Alg::ES256
            })
        ));
        assert!(matches!(
            set.select(&header(Alg::ES256, Some("zzz"))),
            Selection::Unknown
        ));
    }

    #[test]
    fn symmetric_encryption_and_disallowed_keys_are_skipped_with_reasons() {
        let (set, skipped) = parse(vec![
            json!({"kty": "oct", "k": "c2VjcmV0", "kid": "h", "alg": "HS256"}),
            {
                let mut k = ec("enc", Some("ES256"));
                k["use"] = json!("enc");
                k
            },
            ec("es384", Some("ES384")),
            ec("liar", Some("RS256")),
        ]);
        assert_eq!(set.len(), 0);
        assert_eq!(skipped.len(), 4, "{skipped:#?}");
        assert!(skipped[0].contains("symmetric"), "{}", skipped[0]);
        assert!(skipped[1].contains("use"), "{}", skipped[1]);
        assert!(skipped[2].contains("not allowed"), "{}", skipped[2]);
        assert!(skipped[3].contains("does not fit"), "{}", skipped[3]);
    }

    #[test]
    fn an_rsa_key_without_alg_is_skipped_when_several_rsa_algorithms_are_allowed() {
        let key = json!({"kty": "RSA", "n": "AQAB", "e": "AQAB", "kid": "r"});
        let doc = json!({ "keys": [key] }).to_string();
        let (set, _) = KeySet::parse(doc.as_bytes(), &[Alg::RS256, Alg::PS256]).unwrap();
        assert_eq!(set.len(), 0);
        let (set, _) = KeySet::parse(doc.as_bytes(), &[Alg::RS256]).unwrap();
        assert_eq!(set.len(), 1);
    }

    #[test]
    fn a_token_without_kid_uses_the_only_key_for_its_alg() {
        let (one, _) = parse(vec![ec("a", Some("ES256"))]);
        assert!(matches!(
            one.select(&header(Alg::ES256, None)),
            Selection::Found(_)
        ));
        let (two, _) = parse(vec![ec("a", Some("ES256")), ec("b", Some("ES256"))]);
        assert!(matches!(
            two.select(&header(Alg::ES256, None)),
            Selection::Refused(Refusal::NoKid { candidates: 2, .. })
        ));
    }

    #[test]
    fn a_document_without_keys_is_an_error() {
        assert!(KeySet::parse(b"{}", ALLOWED).is_err());
        assert!(KeySet::parse(b"<html>", ALLOWED).is_err());
    }
}
