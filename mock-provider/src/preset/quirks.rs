//! The quirks: every behaviour of a real provider that departs from strict OpenID Connect, one
//! named setting each, as configured and as resolved for a preset. Data only, read by the
//! configuration, the protocol core and the endpoints alike.

use serde::{Deserialize, Serialize};

use fauxauth_core::preset::Preset;

/// The quirks of an issuer as configured: unset means "as the preset does".
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Quirks {
    /// GitHub: the token and device authorization endpoints answer
    /// `application/x-www-form-urlencoded` unless the request sends `Accept: application/json` (or
    /// XML for `Accept: application/xml`).
    #[serde(default)]
    pub form_encoded_token_response: Option<bool>,
    /// GitHub: token and device authorization errors are answered with HTTP 200, in GitHub's
    /// vocabulary (`bad_verification_code`, `incorrect_client_credentials`,
    /// `redirect_uri_mismatch`, `incorrect_device_code`, `device_flow_disabled`).
    #[serde(default)]
    pub token_errors_with_200: Option<bool>,
    /// GitHub: the granted `scope` is joined with commas in token responses (requests use spaces),
    /// and `token_type` is a lowercase `bearer`.
    #[serde(default)]
    pub comma_separated_scope: Option<bool>,
    /// GitHub: `response_type` may be omitted from the authorization request (it means `code`).
    #[serde(default)]
    pub response_type_optional: Option<bool>,
    /// GitHub: a `redirect_uri` matches a registered one when it is on the same host and port and
    /// its path is the registered path or below it (loopback ports may differ, RFC 8252 §7.3).
    #[serde(default)]
    pub redirect_uri_subdirectories: Option<bool>,
    /// GitHub App user tokens: `ghu_` access tokens expiring in 8 hours, with `ghr_` refresh
    /// tokens (6 months, `refresh_token_expires_in`) that rotate. Off: an OAuth App's `gho_` token
    /// that never expires and comes with no refresh token.
    #[serde(default)]
    pub github_app_tokens: Option<bool>,
    /// Google: a refresh token is issued only with `access_type=offline`, and only on the first
    /// consent of a user to a client, or when `prompt=consent` asks for consent again. Refreshing
    /// returns no new refresh token: the same one keeps working.
    #[serde(default)]
    pub refresh_token_on_first_consent_only: Option<bool>,
    /// Google: the granted `scope` names `profile` and `email` as the URLs
    /// `https://www.googleapis.com/auth/userinfo.profile` and `.../userinfo.email`.
    #[serde(default)]
    pub expanded_scope_urls: Option<bool>,
    /// Google (legacy implementations): ID tokens say `iss` without the scheme
    /// (`accounts.google.com`). Off in the preset too; switch it on to reproduce it.
    #[serde(default)]
    pub issuer_without_scheme: Option<bool>,
    /// Microsoft: for the multi-tenant segments (`common`, `organizations`) discovery names the
    /// issuer with a literal `{tenantid}`; ID tokens name the user's own tenant.
    #[serde(default)]
    pub tenant_issuer_template: Option<bool>,
    /// Microsoft, and Keycloak unless "Revoke Refresh Token" is on: refreshing issues a new
    /// refresh token and the old one stays valid.
    #[serde(default)]
    pub refresh_tokens_stay_valid: Option<bool>,
    /// Opaque access tokens (Google `ya29.`, GitHub `gho_`/`ghu_`, GitLab's 64 hexadecimal
    /// characters, Discord's 30 letters and digits, Slack's `xoxp-`, Apple's dotted `a…`) instead of RFC 9068 JWTs;
    /// resources must introspect them.
    #[serde(default)]
    pub opaque_access_tokens: Option<bool>,
    /// Keycloak: token responses add `refresh_expires_in` (the refresh token's lifetime, which
    /// is the SSO session's idle timeout) and `"not-before-policy": 0`.
    #[serde(default)]
    pub refresh_expires_in: Option<bool>,
    /// GitLab (Doorkeeper): token responses add `created_at`, when the token was issued (seconds
    /// since the epoch).
    #[serde(default)]
    pub token_created_at: Option<bool>,
    /// GitLab: a refresh request must repeat the `redirect_uri` the code was issued for, as its
    /// documentation says.
    #[serde(default)]
    pub redirect_uri_on_refresh: Option<bool>,
    /// Auth0: the issuer identifier ends with `/` (`https://{domain}/`), in discovery and in
    /// every `iss`.
    #[serde(default)]
    pub issuer_trailing_slash: Option<bool>,
    /// Auth0: without `audience` at the authorization endpoint the access token is opaque and
    /// good at `/userinfo` alone; with one, a JWT for that audience.
    #[serde(default)]
    pub opaque_without_audience: Option<bool>,
    /// Auth0: the token endpoint takes `application/json` bodies as well as forms.
    #[serde(default)]
    pub json_token_requests: Option<bool>,
    /// Okta: a token request with credentials in both the `Authorization` header and the body
    /// (even a `client_id` that repeats the header's) is refused with 401 `invalid_request`
    /// "Cannot supply multiple client credentials".
    #[serde(default)]
    pub single_client_credentials: Option<bool>,
    /// Okta: an access token's `sub` is the user's login (their email), its `uid` the user id;
    /// ID tokens keep the user id as `sub`. Access tokens also carry `ver: 1`, `cid` and `scp`.
    #[serde(default)]
    pub access_token_sub_is_login: Option<bool>,
    /// Keycloak: access tokens carry the user's realm and client roles, `realm_access.roles` and
    /// `resource_access.{client}.roles` (the default "roles" client scope).
    #[serde(default)]
    pub realm_roles_in_tokens: Option<bool>,
    /// Discord: revoking an access token revokes its whole authorization, refresh token and
    /// all, as revoking a refresh token does (RFC 7009 §2.1 lets a server do so; it need not).
    #[serde(default)]
    pub revocation_ends_grant: Option<bool>,
    /// Slack: the token and userinfo endpoints are Web API methods, and answer as every one
    /// does: `"ok": true` beside a success, and a failure with HTTP 200 and `{"ok": false,
    /// "error": code}` in Slack's codes (`invalid_code`, `code_already_used`,
    /// `bad_redirect_uri`, ...; `not_authed` and `invalid_auth` at userinfo).
    #[serde(default)]
    pub ok_envelope: Option<bool>,
    /// Slack: the authorization request's `scope` may separate its scopes with commas as well
    /// as spaces (Slack's own SDKs join them with commas). Off, a comma is part of a scope
    /// name, as RFC 6749 §3.3 has it.
    #[serde(default)]
    pub comma_separated_scope_request: Option<bool>,
    /// Slack: `grant_type` may be left out of a token request (Slack's documentation lists it
    /// as optional, and its SDKs send none): a request with a `refresh_token` is a refresh, any
    /// other a code's exchange.
    #[serde(default)]
    pub grant_type_optional: Option<bool>,
    /// Apple: asking for the `name` or `email` scope requires `response_mode=form_post`;
    /// otherwise the authorization page shows `invalid_request` "response_mode must be
    /// form_post when name or email scope is requested.".
    #[serde(default)]
    pub form_post_for_name_email: Option<bool>,
    /// Apple: the authorization response carries `user`, a JSON string with the person's
    /// `name` (`firstName`, `lastName`) and `email` as they asked for them, on the first
    /// authorization of a user to a client only; later logins have no `user`.
    #[serde(default)]
    pub user_on_first_authorization: Option<bool>,
    /// Apple: a client's secret is an ES256 JWT it signs with its own key (registered as the
    /// client's `jwks`): `iss` its team, `sub` the client, `aud` `https://appleid.apple.com` (or
    /// the issuer), `iat` and `exp` at most 15,777,000 s apart. A bad one is a bare
    /// `invalid_client`. A client with a `client_secret` configured keeps using it.
    #[serde(default)]
    pub client_secret_is_jwt: Option<bool>,
    /// Apple (older tokens): `email_verified` and `is_private_email` in ID tokens are the
    /// strings `"true"` and `"false"`, not booleans.
    #[serde(default)]
    pub string_booleans: Option<bool>,
    /// Apple, like Google: a refresh answers no new refresh token; the one held keeps working.
    #[serde(default)]
    pub refresh_token_kept: Option<bool>,
}

/// The quirks in force: the preset's, overridden by the configuration's.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Active {
    pub form_encoded_token_response: bool,
    pub token_errors_with_200: bool,
    pub comma_separated_scope: bool,
    pub response_type_optional: bool,
    pub redirect_uri_subdirectories: bool,
    pub github_app_tokens: bool,
    pub refresh_token_on_first_consent_only: bool,
    pub expanded_scope_urls: bool,
    pub issuer_without_scheme: bool,
    pub tenant_issuer_template: bool,
    pub refresh_tokens_stay_valid: bool,
    pub opaque_access_tokens: bool,
    pub refresh_expires_in: bool,
    pub realm_roles_in_tokens: bool,
    pub token_created_at: bool,
    pub redirect_uri_on_refresh: bool,
    pub issuer_trailing_slash: bool,
    pub opaque_without_audience: bool,
    pub json_token_requests: bool,
    pub single_client_credentials: bool,
    pub access_token_sub_is_login: bool,
    pub revocation_ends_grant: bool,
    pub ok_envelope: bool,
    pub comma_separated_scope_request: bool,
    pub grant_type_optional: bool,
    pub form_post_for_name_email: bool,
    pub user_on_first_authorization: bool,
    pub client_secret_is_jwt: bool,
    pub string_booleans: bool,
    pub refresh_token_kept: bool,
}

impl Quirks {
    /// What `preset` does, with the configured settings on top.
    pub fn resolve(&self, preset: Preset) -> Active {
        let github = preset == Preset::Github;
        let google = preset == Preset::Google;
        let microsoft = preset == Preset::Microsoft;
        let keycloak = preset == Preset::Keycloak;
        let gitlab = preset == Preset::Gitlab;
        let auth0 = preset == Preset::Auth0;
        let okta = preset == Preset::Okta;
        let discord = preset == Preset::Discord;
        let slack = preset == Preset::Slack;
        let apple = preset == Preset::Apple;
        Active {
            form_encoded_token_response: self.form_encoded_token_response.unwrap_or(github),
            token_errors_with_200: self.token_errors_with_200.unwrap_or(github),
            comma_separated_scope: self.comma_separated_scope.unwrap_or(github),
            response_type_optional: self.response_type_optional.unwrap_or(github),
            redirect_uri_subdirectories: self.redirect_uri_subdirectories.unwrap_or(github),
            github_app_tokens: self.github_app_tokens.unwrap_or(false),
            refresh_token_on_first_consent_only: self
                .refresh_token_on_first_consent_only
                .unwrap_or(google),
            expanded_scope_urls: self.expanded_scope_urls.unwrap_or(google),
            issuer_without_scheme: self.issuer_without_scheme.unwrap_or(false),
            tenant_issuer_template: self.tenant_issuer_template.unwrap_or(microsoft),
            // Keycloak: "Revoke Refresh Token" is off in a new realm.
            refresh_tokens_stay_valid: self
                .refresh_tokens_stay_valid
                .unwrap_or(microsoft || keycloak),
            opaque_access_tokens: self
                .opaque_access_tokens
                .unwrap_or(github || google || gitlab || discord || slack || apple),
            refresh_expires_in: self.refresh_expires_in.unwrap_or(keycloak),
            realm_roles_in_tokens: self.realm_roles_in_tokens.unwrap_or(keycloak),
            token_created_at: self.token_created_at.unwrap_or(gitlab),
            redirect_uri_on_refresh: self.redirect_uri_on_refresh.unwrap_or(gitlab),
            issuer_trailing_slash: self.issuer_trailing_slash.unwrap_or(auth0),
            opaque_without_audience: self.opaque_without_audience.unwrap_or(auth0),
            json_token_requests: self.json_token_requests.unwrap_or(auth0),
            single_client_credentials: self.single_client_credentials.unwrap_or(okta),
            access_token_sub_is_login: self.access_token_sub_is_login.unwrap_or(okta),
            revocation_ends_grant: self.revocation_ends_grant.unwrap_or(discord),
            ok_envelope: self.ok_envelope.unwrap_or(slack),
            comma_separated_scope_request: self.comma_separated_scope_request.unwrap_or(slack),
            grant_type_optional: self.grant_type_optional.unwrap_or(slack),
            form_post_for_name_email: self.form_post_for_name_email.unwrap_or(apple),
            user_on_first_authorization: self.user_on_first_authorization.unwrap_or(apple),
            client_secret_is_jwt: self.client_secret_is_jwt.unwrap_or(apple),
            string_booleans: self.string_booleans.unwrap_or(apple),
            refresh_token_kept: self.refresh_token_kept.unwrap_or(apple),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_preset_switches_its_quirks_on_and_configuration_switches_any_off() {
        assert_eq!(
            Quirks::default().resolve(Preset::Generic),
            Active::default()
        );
        let github = Quirks::default().resolve(Preset::Github);
        assert!(github.form_encoded_token_response && github.token_errors_with_200);
        assert!(!github.refresh_token_on_first_consent_only);
        let off = Quirks {
            form_encoded_token_response: Some(false),
            ..Quirks::default()
        };
        let github = off.resolve(Preset::Github);
        assert!(!github.form_encoded_token_response && github.token_errors_with_200);
        let on = Quirks {
            comma_separated_scope: Some(true),
            ..Quirks::default()
        };
        assert!(on.resolve(Preset::Generic).comma_separated_scope);
    }
}
