//! Client credentials as presented at the token, revocation and introspection endpoints
//! (RFC 6749 §2.3.1), before they are checked against the registry.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

/// How a request identified its client.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Presented {
    /// `Authorization: Basic` (client_secret_basic).
    Basic { client_id: String, secret: String },
    /// `client_id` and `client_secret` in the body (client_secret_post).
    Post { client_id: String, secret: String },
    /// `client_id` alone: a public client (method `none`).
    IdOnly { client_id: String },
    /// Nothing at all.
    Nothing,
}

/// What is wrong with presented credentials.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Malformed {
    #[error("the Authorization header is not valid Basic credentials")]
    BadBasic,
    #[error("the client used more than one authentication method (RFC 6749 §2.3)")]
    SeveralMethods,
    #[error("client_id in the body differs from the authenticated client (RFC 6749 §3.2.1)")]
    IdMismatch,
}

/// Works out which method was used from the `Authorization` header value (if any) and the
/// `client_id` / `client_secret` body parameters.
pub fn presented(
    authorization: Option<&str>,
    body_client_id: Option<&str>,
    body_secret: Option<&str>,
) -> Result<Presented, Malformed> {
    let basic = match authorization {
        Some(value) => parse_basic(value)?,
        None => None,
    };
    match (basic, body_client_id, body_secret) {
        (Some(_), _, Some(_)) => Err(Malformed::SeveralMethods),
        (Some((id, _)), Some(body_id), None) if id != body_id => Err(Malformed::IdMismatch),
        (Some((client_id, secret)), _, None) => Ok(Presented::Basic { client_id, secret }),
        (None, Some(id), Some(secret)) => Ok(Presented::Post {
            client_id: id.to_owned(),
            secret: secret.to_owned(),
        }),
        (None, Some(id), None) => Ok(Presented::IdOnly {
            client_id: id.to_owned(),
        }),
        (None, None, _) => Ok(Presented::Nothing),
    }
}

/// `Basic base64(urlencode(id) ":" urlencode(secret))`. Returns `None` for other schemes.
/// The id and secret are form-urlencoded before base64 (RFC 6749 §2.3.1, Appendix B), so each is
/// form-decoded here: `%3A` is a colon inside the id, `+` is a space.
fn parse_basic(value: &str) -> Result<Option<(String, String)>, Malformed> {
    let Some((scheme, rest)) = value.trim().split_once(' ') else {
        return Ok(None);
    };
    if !scheme.eq_ignore_ascii_case("basic") {
        return Ok(None);
    }
    let decoded = STANDARD
        .decode(rest.trim())
        .map_err(|_| Malformed::BadBasic)?;
    let text = String::from_utf8(decoded).map_err(|_| Malformed::BadBasic)?;
    let (id, secret) = text.split_once(':').ok_or(Malformed::BadBasic)?;
    let id = form_decode(id);
    if id.is_empty() {
        return Err(Malformed::BadBasic);
    }
    Ok(Some((id, form_decode(secret))))
}

fn form_decode(s: &str) -> String {
    percent_encoding::percent_decode_str(&s.replace('+', " "))
        .decode_utf8_lossy()
        .into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn basic(raw: &str) -> String {
        format!("Basic {}", STANDARD.encode(raw))
    }

    #[test]
    fn basic_credentials_are_form_decoded() {
        let header = basic("my%3Aclient:p%40ss+word%2B%25");
        assert_eq!(
            presented(Some(&header), None, None),
            Ok(Presented::Basic {
                client_id: "my:client".into(),
                secret: "p@ss word+%".into()
            })
        );
        let header = basic("caf%C3%A9:s%26e%3Dc");
        assert_eq!(
            presented(Some(&header), None, None),
            Ok(Presented::Basic {
                client_id: "café".into(),
                secret: "s&e=c".into()
            })
        );
    }

    #[test]
    fn two_methods_at_once_are_refused() {
        let header = basic("web:secret");
        assert_eq!(
            presented(Some(&header), Some("web"), Some("secret")),
            Err(Malformed::SeveralMethods)
        );
    }

    #[test]
    fn body_client_id_must_match_basic() {
        let header = basic("a:secret");
        assert_eq!(
            presented(Some(&header), Some("b"), None),
            Err(Malformed::IdMismatch)
        );
        assert!(matches!(
            presented(Some(&header), Some("a"), None),
            Ok(Presented::Basic { .. })
        ));
    }

    #[test]
    fn body_and_public_forms() {
        assert_eq!(
            presented(None, Some("web"), Some("s")),
            Ok(Presented::Post {
                client_id: "web".into(),
                secret: "s".into()
            })
        );
        assert_eq!(
            presented(None, Some("spa"), None),
            Ok(Presented::IdOnly {
                client_id: "spa".into()
            })
        );
        assert_eq!(presented(None, None, None), Ok(Presented::Nothing));
        assert_eq!(
            presented(Some("Bearer x"), None, None),
            Ok(Presented::Nothing)
        );
        assert_eq!(
            presented(Some("Basic !!!"), None, None),
            Err(Malformed::BadBasic)
        );
        assert_eq!(
            presented(Some(&basic("nocolon")), None, None),
            Err(Malformed::BadBasic)
        );
    }
}
