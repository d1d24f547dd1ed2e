//! What an issuer remembers: codes, grants, tokens, login sessions and pending logins.
//!
//! Every method takes `now` from the caller (who reads the virtual clock) and runs under the
//! issuer's one store mutex, never across an `.await`; each check-and-update is therefore atomic,
//! which is what makes "a code is redeemed exactly once" hold under concurrent requests.
//!
//! A grant ties together everything issued from one authorization (RFC 7009 §2.1's "same
//! authorization grant"): revoking the grant makes every token issued from it inactive at once,
//! whichever way it was revoked (replayed code, reused refresh token, revocation request).

use std::collections::{HashMap, HashSet, VecDeque};
use std::time::{Duration, SystemTime};

use fauxauth_core::bounded::Bounded;

use crate::protocol::authorize::AuthorizationRequest;
use crate::protocol::claims_request::ClaimsRequest;
use crate::protocol::pkce::CodeChallengeMethod;
use crate::protocol::scope::Scopes;

pub type GrantId = u64;

/// How long a redeemed code is remembered after it expires, so that a late replay is still
/// recognised as a replay and revokes what the code gave (RFC 6749 §4.1.2).
const REPLAY_MEMORY: Duration = Duration::from_secs(600);

/// The most page logins waiting at once: each is made by an unauthenticated GET of the
/// authorization endpoint and lives up to an hour, so a flood must not hold memory for that long.
/// Beyond it, the oldest is forgotten (its page then says the sign-in expired).
const MAX_TRANSACTIONS: usize = 10_000;

/// The most device authorizations waiting at once: a public client names itself, so anyone can
/// ask for one, and each lives ten minutes. Beyond it, the oldest is forgotten (its device's next
/// poll is `invalid_grant`, as for a code it never had).
const MAX_DEVICES: usize = 10_000;

/// The most DPoP proofs remembered at once (RFC 9449 §11.1): anyone can make proofs with keys of
/// their own, so a flood of them is bounded here; past it the oldest are forgotten first (a
/// proof forgotten before its `iat` would stop passing could then be replayed once more).
const MAX_DPOP_PROOFS: usize = 50_000;

/// The most pushed authorization requests held at once (RFC 9126): past it, the oldest are
/// forgotten first.
const MAX_PUSHED: usize = 10_000;

/// At most this many login sessions that ended by the clock wait for their clients to be told
/// (the oldest forgotten first): a sweep finds them, whoever ends what the clock ended takes
/// them.
const MAX_ENDED: usize = 10_000;

/// A pushed authorization request (RFC 9126 §2): its parameters, form-encoded as pushed (with
/// the client's `client_id`), for one use before it expires.
#[derive(Clone, Debug)]
pub struct Pushed {
    pub client_id: String,
    pub form: String,
    pub expires_at: SystemTime,
}

/// Why a `request_uri` is refused at the authorization endpoint.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PushedError {
    /// Never pushed, used already, or expired.
    Unknown,
    /// Pushed by another client than the one the request names.
    OtherClient,
}

/// Expired entries are swept after at least this many insertions (more when much is held, see
/// `Store::sweep_due`), so memory stays flat under load.
const SWEEP_EVERY: u32 = 512;

/// An authorization code and everything it is bound to (RFC 6749 §4.1.2, §4.1.3).
#[derive(Clone, Debug)]
pub struct Code {
    pub client_id: String,
    /// The `redirect_uri` used, and whether the request named it (then the token request must
    /// repeat it exactly).
    pub redirect_uri: String,
    pub redirect_uri_in_request: bool,
    pub scope: Scopes,
    pub nonce: Option<String>,
    pub challenge: Option<(String, CodeChallengeMethod)>,
    pub username: String,
    pub auth_time: u64,
    /// The `sid` of the login session it came from (OIDC Front-/Back-Channel Logout): an
    /// identifier of its own, never the session cookie's value.
    pub sid: Option<String>,
    pub expires_at: SystemTime,
    /// Google's `access_type=offline` was asked for.
    pub offline: bool,
    /// `prompt=consent` was asked for.
    pub consent_prompted: bool,
    /// What the `claims` parameter asked for.
    pub claims: ClaimsRequest,
    /// The key the code is bound to (RFC 9449 §10 `dpop_jkt`).
    pub dpop_jkt: Option<String>,
    /// The API the authorization asked for (Auth0's `audience`).
    pub audience: Option<String>,
    /// Slack's app installation: the bot scopes asked for beside the user's (`scope`).
    pub bot_scope: Option<Scopes>,
}

/// A code as held: issued and waiting, or redeemed and remembered only as far as a replay needs
/// (which grant to revoke, whose it was), so the many codes a busy provider remembers for ten
/// minutes after use hold little.
#[derive(Clone, Debug)]
enum CodeEntry {
    Issued(Box<Code>),
    Redeemed {
        grant: GrantId,
        username: String,
        /// When it is forgotten.
        until: SystemTime,
    },
}

impl CodeEntry {
    fn expires_at(&self) -> SystemTime {
        match self {
            Self::Issued(code) => code.expires_at,
            Self::Redeemed { until, .. } => *until,
        }
    }
}

/// One authorization: a user's consent to a client, or a client acting for itself.
#[derive(Clone, Debug)]
pub struct Grant {
    /// `None` for `client_credentials`.
    pub username: Option<String>,
    pub scope: Scopes,
    pub auth_time: Option<u64>,
    /// The `sid` of the login session it came from.
    pub sid: Option<String>,
    /// The `redirect_uri` of the code it came from, if it came from one.
    pub redirect_uri: Option<String>,
    /// The API its authorization asked for (Auth0's `audience`).
    pub audience: Option<String>,
    pub revoked: bool,
    /// What the authorization's `claims` parameter asked for (OpenID Connect Core §5.5): for
    /// the ID tokens and the UserInfo answers of the grant.
    pub claims: ClaimsRequest,
    /// When the last thing issued under this grant expires (or will: a grant is opened with the
    /// expiry of the token it is opened for, so a sweep between opening it and recording that
    /// token, which is signed outside the store lock, cannot take it away).
    pub expires_at: SystemTime,
}

#[derive(Clone, Debug)]
pub struct RefreshToken {
    pub grant: GrantId,
    pub client_id: String,
    pub issued_at: SystemTime,
    pub expires_at: SystemTime,
    /// Set once used when rotation is on: presenting it again is reuse (RFC 9700 §4.14.2).
    pub spent: bool,
    /// The key it is bound to (RFC 9449 §5: a public client's refresh token, issued with a
    /// DPoP proof): refreshing needs a proof by the same key.
    pub jkt: Option<String>,
}

#[derive(Clone, Debug)]
pub struct AccessToken {
    pub grant: GrantId,
    pub client_id: String,
    pub expires_at: SystemTime,
    pub revoked: bool,
    /// What an opaque token stands for (it is then held under its own value, not a `jti`).
    pub opaque: Option<Box<crate::claims::AccessTokenClaims>>,
}

/// A user logged in at the provider, as a browser's session cookie names it.
#[derive(Clone, Debug)]
pub struct Session {
    /// What ID tokens name as `sid`: drawn apart from the cookie's value, which is a bearer
    /// credential for this login and must never leave the browser and the store.
    pub sid: String,
    /// What the logout confirmation form must carry (RP-Initiated Logout 1.0 §2: the OP asks
    /// before ending a session it was not shown an ID token of): unguessable, and readable only
    /// by pages of this origin.
    pub csrf: String,
    pub username: String,
    pub auth_time: u64,
    pub expires_at: SystemTime,
    pub consented: HashSet<String>,
}

/// An authorization request waiting for the person to log in or consent on a page.
#[derive(Clone, Debug)]
pub struct Transaction {
    pub request: AuthorizationRequest,
    /// For a login page: the browser binding its submission must carry (see
    /// `endpoints::authorize::BROWSER_COOKIE`). A consent page is bound to its login session.
    pub browser: Option<String>,
    /// Set once the person has logged in, while consent is still to come.
    pub logged_in: Option<(String, String)>,
    pub expires_at: SystemTime,
}

/// A device authorization (RFC 8628 §3.1-§3.2), waiting for the person and polled for.
#[derive(Clone, Debug)]
pub struct DeviceRequest {
    pub client_id: String,
    pub scope: Scopes,
    /// As shown to the person (`BCDF-GHJK`).
    pub user_code: String,
    pub created_at: SystemTime,
    pub expires_at: SystemTime,
    /// Seconds a client must wait between polls; 5 more after each `slow_down` (§3.5).
    pub interval: u64,
    /// The last poll: the interval is between polls (RFC 8628 §3.2), so the first may come at once.
    pub last_poll: Option<SystemTime>,
    pub polls: u32,
    pub state: DeviceState,
}

/// Where a device authorization stands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DeviceState {
    Pending,
    /// Approved by this user, logged in at this time.
    Approved {
        username: String,
        auth_time: u64,
    },
    Denied,
    /// Its tokens were issued: the code is spent.
    Redeemed,
}

/// What a poll found (RFC 8628 §3.5).
#[derive(Debug, PartialEq, Eq)]
pub enum Poll {
    Unknown,
    OtherClient,
    Expired,
    SlowDown {
        interval: u64,
    },
    Pending,
    Denied,
    Spent,
    /// Approved: the request is now spent, its tokens are to be issued.
    Approved {
        username: String,
        auth_time: u64,
        scope: Scopes,
    },
}

/// Why a code could not be redeemed.
#[derive(Debug, PartialEq, Eq)]
pub enum RedeemError<E> {
    /// Unknown, or expired.
    Invalid,
    /// Already redeemed: the grant it produced is now revoked.
    Replayed,
    /// The caller's own check refused it; the code is left unspent.
    Refused(E),
}

/// Why a refresh token could not be used.
#[derive(Debug, PartialEq, Eq)]
pub enum RefreshError<E> {
    Invalid,
    OtherClient,
    /// A spent (rotated) token was presented again: its whole grant is now revoked.
    Reused,
    /// The caller's own check refused the request; the token is left unspent (RFC 6749 §6 and
    /// RFC 9700 §4.14.2 retire a refresh token only when a new one is issued).
    Refused(E),
}

/// Which kind of token a revocation found.
#[derive(Debug, PartialEq, Eq)]
pub enum Revoked {
    RefreshToken,
    AccessToken,
    Nothing,
    OtherClient,
}

#[derive(Debug, Default)]
pub struct Store {
    codes: HashMap<String, CodeEntry>,
    grants: HashMap<GrantId, Grant>,
    refresh_tokens: HashMap<String, RefreshToken>,
    access_tokens: HashMap<String, AccessToken>,
    /// (username, client_id) pairs that have been given a refresh token on consent, for
    /// Google's "refresh token on first consent only".
    offline_consents: HashSet<(String, String)>,
    /// (username, client_id) pairs that have authorized before, for Apple's one-time `user`.
    /// Both are configured names, so this holds at most users × clients.
    authorizations: HashSet<(String, String)>,
    sessions: HashMap<String, Session>,
    transactions: Bounded<String, Transaction, MAX_TRANSACTIONS>,
    /// The `jti` of each client assertion accepted, per client, until the assertion expires
    /// (OpenID Connect Core §9: a `jti` may be used only once).
    assertion_ids: HashMap<(String, String), SystemTime>,
    /// Device authorizations by `device_code`, and their `user_code`s (normalized) to it.
    devices: Bounded<String, DeviceRequest, MAX_DEVICES>,
    user_codes: HashMap<String, String>,
    /// The DPoP proofs seen, by key thumbprint and `jti`, until they could no longer pass.
    dpop_proofs: fauxauth_core::dpop::Spent<MAX_DPOP_PROOFS>,
    /// The clients registered for Back-Channel Logout that each login session (by `sid`) gave
    /// codes to: told when it ends (OpenID Connect Back-Channel Logout 1.0 §2.7).
    session_clients: HashMap<String, HashSet<String>>,
    /// Sessions with clients to tell that a sweep found ended by the clock, until they are told.
    ended: VecDeque<Session>,
    /// Whether a task watches for sessions with clients to tell to end by the clock.
    watched: bool,
    /// Pushed authorization requests by `request_uri`.
    pushed: Bounded<String, Pushed, MAX_PUSHED>,
    next_grant: GrantId,
    inserts: u32,
}

impl Store {
    pub fn insert_code(&mut self, code: String, record: Code, now: SystemTime) {
        self.codes.insert(code, CodeEntry::Issued(Box::new(record)));
        self.inserted(now);
    }

    /// Redeems `code` once: checks it exists and is fresh, runs `check` on it (client binding,
    /// `redirect_uri`, PKCE), then marks it redeemed and opens a grant that lasts at least until
    /// `until` (the expiry of the first token it will carry). A second redemption revokes that
    /// grant (RFC 6749 §4.1.2: "SHOULD revoke ... all tokens previously issued").
    pub fn redeem_code<E>(
        &mut self,
        code: &str,
        now: SystemTime,
        until: SystemTime,
        check: impl FnOnce(&Code) -> Result<(), E>,
    ) -> Result<(GrantId, Code), RedeemError<E>> {
        let record = match self.codes.get(code) {
            None => return Err(RedeemError::Invalid),
            Some(CodeEntry::Redeemed { grant, .. }) => {
                let grant = *grant;
                self.revoke_grant(grant);
                return Err(RedeemError::Replayed);
            }
            Some(CodeEntry::Issued(record)) => record,
        };
        if now >= record.expires_at {
            return Err(RedeemError::Invalid);
        }
        check(record).map_err(RedeemError::Refused)?;
        let grant = Grant {
            username: Some(record.username.clone()),
            scope: record.scope.clone(),
            auth_time: Some(record.auth_time),
            sid: record.sid.clone(),
            redirect_uri: Some(record.redirect_uri.clone()),
            audience: record.audience.clone(),
            revoked: false,
            claims: record.claims.clone(),
            expires_at: until.max(now),
        };
        let (username, forget_at) = (
            record.username.clone(),
            record.expires_at.max(now) + REPLAY_MEMORY,
        );
        let id = self.open_grant(grant);
        let redeemed = CodeEntry::Redeemed {
            grant: id,
            username,
            until: forget_at,
        };
        let entry = self.codes.get_mut(code).expect("looked up above");
        match std::mem::replace(entry, redeemed) {
            CodeEntry::Issued(record) => Ok((id, *record)),
            CodeEntry::Redeemed { .. } => unreachable!("found issued above, under the same lock"),
        }
    }

    /// Whose code this is (for describing a request; changes nothing).
    pub fn code_username(&self, code: &str) -> Option<String> {
        self.codes.get(code).map(|c| match c {
            CodeEntry::Issued(code) => code.username.clone(),
            CodeEntry::Redeemed { username, .. } => username.clone(),
        })
    }

    /// Whose refresh token this is (for describing a request; changes nothing).
    pub fn refresh_username(&self, value: &str, now: SystemTime) -> Option<String> {
        let token = self
            .refresh_tokens
            .get(value)
            .filter(|t| now < t.expires_at)?;
        self.grants.get(&token.grant)?.username.clone()
    }

    pub fn open_grant(&mut self, grant: Grant) -> GrantId {
        self.next_grant += 1;
        self.grants.insert(self.next_grant, grant);
        self.next_grant
    }

    pub fn revoke_grant(&mut self, id: GrantId) {
        if let Some(grant) = self.grants.get_mut(&id) {
            grant.revoked = true;
        }
    }

    pub fn insert_access_token(&mut self, jti: String, token: AccessToken, now: SystemTime) {
        self.extend_grant(token.grant, token.expires_at);
        self.access_tokens.insert(jti, token);
        self.inserted(now);
    }

    pub fn insert_refresh_token(&mut self, value: String, token: RefreshToken, now: SystemTime) {
        self.extend_grant(token.grant, token.expires_at);
        self.refresh_tokens.insert(value, token);
        self.inserted(now);
    }

    fn extend_grant(&mut self, id: GrantId, until: SystemTime) {
        if let Some(grant) = self.grants.get_mut(&id) {
            grant.expires_at = grant.expires_at.max(until);
        }
    }

    /// Uses a refresh token for `client_id`, once `check` accepts the request against its grant.
    /// With `rotate`, the token is spent by this use, and a later use of it revokes the whole
    /// grant (RFC 9700 §4.14.2).
    pub fn use_refresh_token<E>(
        &mut self,
        value: &str,
        client_id: &str,
        rotate: bool,
        now: SystemTime,
        check: impl FnOnce(&Grant, &RefreshToken) -> Result<(), E>,
    ) -> Result<(GrantId, Grant), RefreshError<E>> {
        let Some(token) = self.refresh_tokens.get_mut(value) else {
            return Err(RefreshError::Invalid);
        };
        if token.client_id != client_id {
            // RFC 6749 §6: bound to the client it was issued to. Not reuse: the token stays.
            return Err(RefreshError::OtherClient);
        }
        let grant_id = token.grant;
        if token.spent {
            self.revoke_grant(grant_id);
            return Err(RefreshError::Reused);
        }
        if now >= token.expires_at {
            return Err(RefreshError::Invalid);
        }
        let Some(grant) = self.grants.get(&grant_id).filter(|g| !g.revoked) else {
            return Err(RefreshError::Invalid);
        };
        check(grant, token).map_err(RefreshError::Refused)?;
        if rotate {
            token.spent = true;
        }
        Ok((grant_id, grant.clone()))
    }

    /// The refresh token, if it is active: known, unspent, unexpired, its grant unrevoked.
    pub fn active_refresh_token(
        &self,
        value: &str,
        now: SystemTime,
    ) -> Option<(&RefreshToken, &Grant)> {
        let token = self.refresh_tokens.get(value)?;
        let grant = self.grants.get(&token.grant)?;
        (!token.spent && now < token.expires_at && !grant.revoked).then_some((token, grant))
    }

    /// The access token with this `jti`, if it is active.
    pub fn active_access_token(
        &self,
        jti: &str,
        now: SystemTime,
    ) -> Option<(&AccessToken, &Grant)> {
        let token = self.access_tokens.get(jti)?;
        let grant = self.grants.get(&token.grant)?;
        (!token.revoked && now < token.expires_at && !grant.revoked).then_some((token, grant))
    }

    /// The grant an access token (by its `jti`, or an opaque token's value) was issued under.
    pub fn grant_of_access_token(&self, key: &str) -> Option<&Grant> {
        self.grants.get(&self.access_tokens.get(key)?.grant)
    }

    /// Records an offline consent of `username` to `client_id`; whether it is the first.
    pub fn first_offline_consent(&mut self, username: &str, client_id: &str) -> bool {
        self.offline_consents
            .insert((username.to_owned(), client_id.to_owned()))
    }

    /// Records an authorization of `username` to `client_id`; whether it is the first.
    pub fn first_authorization(&mut self, username: &str, client_id: &str) -> bool {
        self.authorizations
            .insert((username.to_owned(), client_id.to_owned()))
    }

    /// An access token as recorded, active or not.
    pub fn access_token(&self, key: &str) -> Option<&AccessToken> {
        self.access_tokens.get(key)
    }

    /// Revokes a refresh token (and with it the grant, RFC 7009 §2.1) or an access token by
    /// `jti`, if it belongs to `client_id`; with `whole_grant`, an access token takes its grant
    /// too.
    pub fn revoke(
        &mut self,
        refresh_value: &str,
        access_jti: Option<&str>,
        client_id: &str,
        whole_grant: bool,
    ) -> Revoked {
        if let Some(token) = self.refresh_tokens.get(refresh_value) {
            if token.client_id != client_id {
                return Revoked::OtherClient;
            }
            let grant = token.grant;
            self.revoke_grant(grant);
            return Revoked::RefreshToken;
        }
        if let Some(token) = access_jti.and_then(|jti| self.access_tokens.get_mut(jti)) {
            if token.client_id != client_id {
                return Revoked::OtherClient;
            }
            token.revoked = true;
            let grant = token.grant;
            if whole_grant {
                self.revoke_grant(grant);
            }
            return Revoked::AccessToken;
        }
        Revoked::Nothing
    }

    pub fn insert_session(&mut self, id: String, session: Session, now: SystemTime) {
        self.sessions.insert(id, session);
        self.inserted(now);
    }

    pub fn session(&self, id: &str, now: SystemTime) -> Option<&Session> {
        self.sessions.get(id).filter(|s| now < s.expires_at)
    }

    pub fn session_mut(&mut self, id: &str) -> Option<&mut Session> {
        self.sessions.get_mut(id)
    }

    pub fn end_session(&mut self, id: &str) -> Option<Session> {
        self.sessions.remove(id)
    }

    /// Ends every login session, or `username`'s; the sessions ended.
    pub fn end_sessions(&mut self, username: Option<&str>) -> Vec<Session> {
        let ids: Vec<String> = self
            .sessions
            .iter()
            .filter(|(_, s)| username.is_none_or(|u| s.username == u))
            .map(|(id, _)| id.clone())
            .collect();
        ids.iter()
            .filter_map(|id| self.sessions.remove(id))
            .collect()
    }

    /// Notes that the login session `sid` gave `client_id`, a client registered for
    /// Back-Channel Logout, a code. True when no task watches for sessions to end by the clock
    /// yet: the caller starts one.
    pub fn note_session_client(&mut self, sid: &str, client_id: &str) -> bool {
        self.session_clients
            .entry(sid.to_owned())
            .or_default()
            .insert(client_id.to_owned());
        !std::mem::replace(&mut self.watched, true)
    }

    /// Takes the sessions with clients to tell that have ended by `now`.
    pub fn take_ended_sessions(&mut self, now: SystemTime) -> Vec<Session> {
        let clients = &self.session_clients;
        let mut ended: Vec<Session> = self.ended.drain(..).collect();
        ended.extend(
            self.sessions
                .extract_if(|_, s| now >= s.expires_at && clients.contains_key(&s.sid))
                .map(|(_, session)| session),
        );
        ended
    }

    /// When the next session with clients to tell ends (the epoch when one has ended already);
    /// `None` when there is none, and from then on no task watches.
    pub fn next_session_end(&mut self) -> Option<SystemTime> {
        if !self.ended.is_empty() {
            return Some(SystemTime::UNIX_EPOCH);
        }
        let next = self
            .sessions
            .values()
            .filter(|s| self.session_clients.contains_key(&s.sid))
            .map(|s| s.expires_at)
            .min();
        self.watched = next.is_some();
        next
    }

    /// The clients the login session `sid` gave codes to, forgotten with it; sorted.
    pub fn take_session_clients(&mut self, sid: &str) -> Vec<String> {
        let mut clients: Vec<String> = self
            .session_clients
            .remove(sid)
            .map(|set| set.into_iter().collect())
            .unwrap_or_default();
        clients.sort();
        clients
    }

    pub fn insert_transaction(&mut self, id: String, tx: Transaction, now: SystemTime) {
        self.transactions.insert(id, tx, drop);
        self.inserted(now);
    }

    pub fn transaction_mut(&mut self, id: &str, now: SystemTime) -> Option<&mut Transaction> {
        self.transactions.get_mut(id).filter(|t| now < t.expires_at)
    }

    pub fn take_transaction(&mut self, id: &str, now: SystemTime) -> Option<Transaction> {
        self.transactions.remove(id).filter(|t| now < t.expires_at)
    }

    /// Takes a live transaction only if `belongs` says the request may: one refused stays for
    /// its rightful owner. `Err(true)` when it exists but was refused.
    pub fn take_transaction_if(
        &mut self,
        id: &str,
        now: SystemTime,
        belongs: impl FnOnce(&Transaction) -> bool,
    ) -> Result<Transaction, bool> {
        match self.transactions.get(id).filter(|t| now < t.expires_at) {
            None => Err(false),
            Some(tx) if !belongs(tx) => Err(true),
            Some(_) => Ok(self.transactions.remove(id).expect("looked up above")),
        }
    }

    pub fn insert_device(&mut self, device_code: String, request: DeviceRequest, now: SystemTime) {
        self.user_codes
            .insert(normalize_user_code(&request.user_code), device_code.clone());
        let user_codes = &mut self.user_codes;
        self.devices.insert(device_code, request, |forgotten| {
            user_codes.remove(&normalize_user_code(&forgotten.user_code));
        });
        self.inserted(now);
    }

    /// Holds a pushed authorization request under `request_uri` (RFC 9126 §2.2).
    pub fn push_request(&mut self, request_uri: String, pushed: Pushed, now: SystemTime) {
        self.pushed.insert(request_uri, pushed, drop);
        self.inserted(now);
    }

    /// The pushed request under `request_uri`, used once (RFC 9126 §4: one-time use is
    /// RECOMMENDED; here it is the rule): it must be `client_id`'s and unexpired.
    pub fn take_pushed(
        &mut self,
        request_uri: &str,
        client_id: &str,
        now: SystemTime,
    ) -> Result<Pushed, PushedError> {
        match self.pushed.get(request_uri) {
            None => Err(PushedError::Unknown),
            Some(p) if now >= p.expires_at => Err(PushedError::Unknown),
            Some(p) if p.client_id != client_id => Err(PushedError::OtherClient),
            Some(_) => Ok(self.pushed.remove(request_uri).expect("looked up above")),
        }
    }

    /// The pending device authorization whose user code is `user_code` (typed by a person:
    /// case, spaces and dashes do not matter).
    pub fn pending_device(
        &mut self,
        user_code: &str,
        now: SystemTime,
    ) -> Option<&mut DeviceRequest> {
        let device_code = self.user_codes.get(&normalize_user_code(user_code))?;
        self.devices
            .get_mut(device_code)
            .filter(|d| now < d.expires_at && d.state == DeviceState::Pending)
    }

    /// Every device authorization still waiting for the person, by device code.
    pub fn pending_devices(&self, now: SystemTime) -> Vec<&DeviceRequest> {
        let mut out: Vec<&DeviceRequest> = self
            .devices
            .values()
            .filter(|d| now < d.expires_at && d.state == DeviceState::Pending)
            .collect();
        out.sort_by_key(|d| d.created_at);
        out
    }

    /// A poll of `device_code` by `client_id` (RFC 8628 §3.4-§3.5): `decide` is the person's
    /// answer to apply first (a rule's, or a scripted approval), if any. Polling sooner than
    /// the interval is `slow_down`, and the interval grows by 5 s.
    pub fn poll_device(
        &mut self,
        device_code: &str,
        client_id: &str,
        now: SystemTime,
        decide: impl FnOnce(&DeviceRequest) -> Option<DeviceState>,
    ) -> Poll {
        let Some(request) = self.devices.get_mut(device_code) else {
            return Poll::Unknown;
        };
        if request.client_id != client_id {
            return Poll::OtherClient;
        }
        if request.state == DeviceState::Redeemed {
            return Poll::Spent;
        }
        if now >= request.expires_at {
            return Poll::Expired;
        }
        request.polls += 1;
        if request.state == DeviceState::Pending
            && let Some(state) = decide(request)
        {
            request.state = state;
        }
        let too_soon = request.last_poll.is_some_and(|last| {
            now.duration_since(last).unwrap_or_default().as_secs() < request.interval
        });
        request.last_poll = Some(now);
        if too_soon {
            request.interval += 5;
            return Poll::SlowDown {
                interval: request.interval,
            };
        }
        match std::mem::replace(&mut request.state, DeviceState::Redeemed) {
            DeviceState::Pending => {
                request.state = DeviceState::Pending;
                Poll::Pending
            }
            DeviceState::Denied => {
                request.state = DeviceState::Denied;
                Poll::Denied
            }
            DeviceState::Redeemed => Poll::Spent,
            DeviceState::Approved {
                username,
                auth_time,
            } => Poll::Approved {
                username,
                auth_time,
                scope: request.scope.clone(),
            },
        }
    }

    /// Records that `client_id` used an assertion with `jti`, valid until `until`. False when it
    /// was used before and is still remembered: a replay.
    pub fn spend_assertion_id(
        &mut self,
        client_id: &str,
        jti: &str,
        until: SystemTime,
        now: SystemTime,
    ) -> bool {
        let key = (client_id.to_owned(), jti.to_owned());
        if self.assertion_ids.get(&key).is_some_and(|t| now < *t) {
            return false;
        }
        self.assertion_ids.insert(key, until);
        self.inserted(now);
        true
    }

    /// Records a DPoP proof's use (RFC 9449 §11.1), by its key and `jti`, for as long as it
    /// could pass (at most [`MAX_DPOP_PROOFS`] at once); false when it was used before.
    pub fn spend_dpop_proof(
        &mut self,
        proof: &fauxauth_core::dpop::Proof,
        now: SystemTime,
    ) -> bool {
        if !self.dpop_proofs.spend(proof, fauxauth_core::unix(now)) {
            return false;
        }
        self.inserted(now);
        true
    }

    fn inserted(&mut self, now: SystemTime) {
        self.inserts += 1;
        if self.sweep_due() {
            self.inserts = 0;
            self.sweep(now);
        }
    }

    /// A sweep walks everything held, so sweeps are spaced by at least an eighth as many
    /// insertions as there are entries: its cost per insertion stays constant however much is
    /// live (a fixed spacing made each insertion cost more the more tokens were outstanding),
    /// while what has expired stays within an eighth of what is held (or `SWEEP_EVERY`).
    fn sweep_due(&self) -> bool {
        let held = self.codes.len()
            + self.grants.len()
            + self.refresh_tokens.len()
            + self.access_tokens.len()
            + self.sessions.len()
            + self.transactions.len()
            + self.assertion_ids.len()
            + self.devices.len()
            + self.pushed.len()
            + self.dpop_proofs.len();
        self.inserts as usize >= (held / 8).max(SWEEP_EVERY as usize)
    }

    /// Forgets everything that can no longer matter.
    pub fn sweep(&mut self, now: SystemTime) {
        self.codes.retain(|_, c| now < c.expires_at());
        self.access_tokens.retain(|_, t| now < t.expires_at);
        self.refresh_tokens.retain(|_, t| now < t.expires_at);
        // A session with clients to tell waits for them to be told.
        for (_, session) in self.sessions.extract_if(|_, s| now >= s.expires_at) {
            if self.session_clients.contains_key(&session.sid) {
                self.ended.push_back(session);
            }
        }
        if self.ended.len() > MAX_ENDED {
            self.ended.drain(..self.ended.len() - MAX_ENDED);
        }
        self.transactions.retain(|t| now < t.expires_at);
        self.assertion_ids.retain(|_, until| now < *until);
        // A device code is remembered as long as it could be polled, then forgotten.
        self.devices.retain(|d| now < d.expires_at);
        self.pushed.retain(|p| now < p.expires_at);
        self.dpop_proofs.sweep(fauxauth_core::unix(now));
        let live: HashSet<&str> = self
            .sessions
            .values()
            .chain(&self.ended)
            .map(|s| s.sid.as_str())
            .collect();
        self.session_clients
            .retain(|sid, _| live.contains(sid.as_str()));
        let devices = &self.devices;
        self.user_codes.retain(|_, code| devices.contains_key(code));
        // A grant lives as long as its longest-lived token. A replay of its code after that is
        // still refused (the code is remembered as redeemed), with nothing left to revoke.
        self.grants.retain(|_, g| now < g.expires_at);
    }

    #[cfg(test)]
    /// How many entries of each kind are held: (codes, grants, refresh, access, sessions).
    pub fn sizes(&self) -> (usize, usize, usize, usize, usize) {
        (
            self.codes.len(),
            self.grants.len(),
            self.refresh_tokens.len(),
            self.access_tokens.len(),
            self.sessions.len(),
        )
    }
}

/// A user code as compared: upper case, without the spaces and dashes a person may type.
pub fn normalize_user_code(code: &str) -> String {
    code.chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::UNIX_EPOCH;

    fn t(secs: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(1_700_000_000 + secs)
    }

    fn code() -> Code {
        Code {
            client_id: "web".into(),
            redirect_uri: "https://rp/cb".into(),
            redirect_uri_in_request: true,
            scope: Scopes::parse("openid").unwrap(),
            nonce: None,
            challenge: None,
            username: "alice".into(),
            auth_time: 0,
            sid: None,
            expires_at: t(60),
            offline: false,
            bot_scope: None,
            consent_prompted: false,
            claims: Default::default(),
            dpop_jkt: None,
            audience: None,
        }
    }

    fn ok(_: &Code) -> Result<(), ()> {
        Ok(())
    }

    fn ok_grant(_: &Grant, _: &RefreshToken) -> Result<(), ()> {
        Ok(())
    }

    /// An access token of `web` under `grant`, expiring at `t(expires)`.
    fn web_token(grant: GrantId, expires: u64) -> AccessToken {
        AccessToken {
            grant,
            client_id: "web".into(),
            expires_at: t(expires),
            revoked: false,
            opaque: None,
        }
    }

    #[test]
    fn a_code_redeems_once_and_a_replay_revokes_its_grant() {
        let mut store = Store::default();
        store.insert_code("c".into(), code(), t(0));
        let (grant, _) = store.redeem_code("c", t(1), t(1), ok).unwrap();
        store.insert_access_token("jti".into(), web_token(grant, 3600), t(1));
        assert!(store.active_access_token("jti", t(2)).is_some());
        assert_eq!(
            store.redeem_code("c", t(30), t(30), ok).unwrap_err(),
            RedeemError::Replayed
        );
        assert!(store.active_access_token("jti", t(31)).is_none());
    }

    #[test]
    fn revoking_an_access_token_takes_its_grant_only_when_asked() {
        for whole_grant in [false, true] {
            let mut store = Store::default();
            store.insert_code("c".into(), code(), t(0));
            let (grant, _) = store.redeem_code("c", t(1), t(1), ok).unwrap();
            for jti in ["a", "b"] {
                store.insert_access_token(jti.into(), web_token(grant, 3600), t(1));
            }
            assert_eq!(
                store.revoke("a", Some("a"), "web", whole_grant),
                Revoked::AccessToken
            );
            assert!(store.active_access_token("a", t(2)).is_none());
            // The other token of the same grant lives only when the grant does.
            assert_eq!(store.active_access_token("b", t(2)).is_some(), !whole_grant);
        }
    }

    #[test]
    fn a_sweep_between_opening_a_grant_and_recording_its_token_keeps_the_grant() {
        // Tokens are signed outside the store lock, so another request's insertion may sweep
        // between `redeem_code` (or `open_grant`) and `insert_access_token`.
        let mut store = Store::default();
        store.insert_code("c".into(), code(), t(0));
        let (from_code, _) = store.redeem_code("c", t(1), t(301), ok).unwrap();
        let for_client = store.open_grant(Grant {
            username: None,
            scope: Scopes::default(),
            auth_time: None,
            sid: None,
            redirect_uri: None,
            audience: None,
            revoked: false,
            claims: Default::default(),
            expires_at: t(301),
        });
        store.sweep(t(1));
        for (jti, grant) in [("a", from_code), ("b", for_client)] {
            store.insert_access_token(
                jti.into(),
                AccessToken {
                    grant,
                    client_id: "web".into(),
                    expires_at: t(301),
                    revoked: false,
                    opaque: None,
                },
                t(1),
            );
            assert!(store.active_access_token(jti, t(1)).is_some(), "{jti}");
        }
    }

    #[test]
    fn expired_and_unknown_codes_are_invalid() {
        let mut store = Store::default();
        store.insert_code("c".into(), code(), t(0));
        assert_eq!(
            store.redeem_code("c", t(60), t(60), ok).unwrap_err(),
            RedeemError::Invalid
        );
        assert_eq!(
            store.redeem_code("nope", t(1), t(1), ok).unwrap_err(),
            RedeemError::Invalid
        );
    }

    #[test]
    fn a_refused_check_leaves_the_code_unspent() {
        let mut store = Store::default();
        store.insert_code("c".into(), code(), t(0));
        assert_eq!(
            store
                .redeem_code("c", t(1), t(1), |_| Err("pkce"))
                .unwrap_err(),
            RedeemError::Refused("pkce")
        );
        assert!(store.redeem_code("c", t(2), t(2), ok).is_ok());
    }

    #[test]
    fn reusing_a_rotated_refresh_token_revokes_the_family() {
        let mut store = Store::default();
        let grant = store.open_grant(Grant {
            username: Some("alice".into()),
            scope: Scopes::default(),
            auth_time: Some(0),
            sid: None,
            redirect_uri: None,
            audience: None,
            revoked: false,
            claims: Default::default(),
            expires_at: t(0),
        });
        let refresh = |expires| RefreshToken {
            grant,
            client_id: "web".into(),
            issued_at: t(0),
            expires_at: expires,
            spent: false,
            jkt: None,
        };
        store.insert_refresh_token("r1".into(), refresh(t(1000)), t(0));
        store
            .use_refresh_token("r1", "web", true, t(1), ok_grant)
            .unwrap();
        store.insert_refresh_token("r2".into(), refresh(t(1000)), t(1));
        assert!(store.active_refresh_token("r2", t(2)).is_some());
        assert_eq!(
            store
                .use_refresh_token("r1", "web", true, t(3), ok_grant)
                .unwrap_err(),
            RefreshError::Reused
        );
        assert!(store.active_refresh_token("r2", t(4)).is_none());
        assert_eq!(
            store
                .use_refresh_token("r2", "web", true, t(5), ok_grant)
                .unwrap_err(),
            RefreshError::Invalid
        );
    }

    #[test]
    fn dpop_proofs_are_spent_once_and_held_within_their_bound() {
        let mut store = Store::default();
        let proof = |jti: usize| fauxauth_core::dpop::Proof {
            jkt: "k".into(),
            jti: jti.to_string(),
            iat: 1_700_000_000,
        };
        assert!(store.spend_dpop_proof(&proof(0), t(0)));
        assert!(!store.spend_dpop_proof(&proof(0), t(1)), "a replay");
        for i in 1..=MAX_DPOP_PROOFS + 10 {
            assert!(store.spend_dpop_proof(&proof(i), t(1)));
        }
        assert_eq!(store.dpop_proofs.len(), MAX_DPOP_PROOFS);
        // Past its window it may come again: it could no longer pass anyway.
        assert!(store.spend_dpop_proof(&proof(MAX_DPOP_PROOFS + 10), t(1000)));
    }

    #[test]
    fn refresh_tokens_are_bound_to_their_client() {
        let mut store = Store::default();
        let grant = store.open_grant(Grant {
            username: None,
            scope: Scopes::default(),
            auth_time: None,
            sid: None,
            redirect_uri: None,
            audience: None,
            revoked: false,
            claims: Default::default(),
            expires_at: t(0),
        });
        store.insert_refresh_token(
            "r".into(),
            RefreshToken {
                grant,
                client_id: "web".into(),
                issued_at: t(0),
                expires_at: t(10),
                spent: false,
                jkt: None,
            },
            t(0),
        );
        assert_eq!(
            store
                .use_refresh_token("r", "other", true, t(1), ok_grant)
                .unwrap_err(),
            RefreshError::OtherClient
        );
        assert_eq!(
            store.revoke("r", None, "other", false),
            Revoked::OtherClient
        );
        assert!(
            store
                .use_refresh_token("r", "web", true, t(1), ok_grant)
                .is_ok()
        );
    }

    #[test]
    fn sweeping_forgets_what_expired() {
        let mut store = Store::default();
        store.insert_code("c".into(), code(), t(0));
        let grant = store.open_grant(Grant {
            username: None,
            scope: Scopes::default(),
            auth_time: None,
            sid: None,
            redirect_uri: None,
            audience: None,
            revoked: false,
            claims: Default::default(),
            expires_at: t(0),
        });
        store.insert_access_token(
            "a".into(),
            AccessToken {
                grant,
                client_id: "web".into(),
                expires_at: t(100),
                revoked: false,
                opaque: None,
            },
            t(0),
        );
        store.sweep(t(50));
        assert_eq!(store.sizes(), (1, 1, 0, 1, 0));
        store.sweep(t(100));
        assert_eq!(store.sizes(), (0, 0, 0, 0, 0));
    }

    #[test]
    fn a_flood_of_device_authorizations_keeps_the_newest_few_thousand() {
        let mut store = Store::default();
        let request = |i: usize| DeviceRequest {
            client_id: "tv".into(),
            scope: Scopes::default(),
            user_code: format!("CODE-{i}"),
            created_at: t(0),
            expires_at: t(600),
            interval: 5,
            last_poll: None,
            polls: 0,
            state: DeviceState::Pending,
        };
        for i in 0..MAX_DEVICES + 500 {
            store.insert_device(format!("device-{i}"), request(i), t(1));
        }
        assert_eq!(store.devices.len(), MAX_DEVICES);
        assert_eq!(store.user_codes.len(), MAX_DEVICES);
        assert!(
            store.pending_device("CODE-0", t(2)).is_none(),
            "the oldest is forgotten"
        );
        assert!(
            store
                .pending_device(&format!("CODE-{}", MAX_DEVICES + 499), t(2))
                .is_some()
        );
        assert_eq!(
            store.poll_device("device-0", "tv", t(2), |_| None),
            Poll::Unknown
        );
    }

    #[test]
    fn waiting_page_logins_are_bounded_and_the_oldest_go_first() {
        let mut store = Store::default();
        let request = |_| crate::protocol::authorize::tests_support::request();
        for i in 0..MAX_TRANSACTIONS + 500 {
            store.insert_transaction(
                format!("tx{i}"),
                Transaction {
                    request: request(i),
                    browser: None,
                    logged_in: None,
                    expires_at: t(3600),
                },
                t(0),
            );
        }
        assert_eq!(store.transactions.len(), MAX_TRANSACTIONS);
        assert!(
            store.transaction_mut("tx0", t(1)).is_none(),
            "the oldest is gone"
        );
        assert!(
            store
                .transaction_mut(&format!("tx{}", MAX_TRANSACTIONS + 499), t(1))
                .is_some()
        );
    }

    /// A login session `sid` of user `u` until `expires_at`.
    fn session(sid: &str, expires_at: SystemTime) -> Session {
        Session {
            sid: sid.into(),
            csrf: "csrf".into(),
            username: "u".into(),
            auth_time: 0,
            expires_at,
            consented: Default::default(),
        }
    }

    #[test]
    fn a_sweep_keeps_the_ended_sessions_whose_clients_are_to_be_told() {
        let mut store = Store::default();
        store.insert_session("told".into(), session("sid-told", t(10)), t(0));
        store.insert_session("silent".into(), session("sid-silent", t(10)), t(0));
        store.insert_session("later".into(), session("sid-later", t(50)), t(0));
        assert!(
            store.note_session_client("sid-told", "web"),
            "start a watcher"
        );
        assert!(
            !store.note_session_client("sid-later", "web"),
            "one watches already"
        );
        assert_eq!(store.next_session_end(), Some(t(10)));
        store.sweep(t(20));
        // The one with no client to tell is forgotten; the other waits to be told.
        assert!(store.session("silent", t(0)).is_none());
        assert_eq!(store.next_session_end(), Some(SystemTime::UNIX_EPOCH));
        let ended = store.take_ended_sessions(t(20));
        assert_eq!(ended.len(), 1);
        assert_eq!(store.take_session_clients(&ended[0].sid), ["web"]);
        assert_eq!(store.next_session_end(), Some(t(50)));
        // Taken without a sweep when due.
        let ended = store.take_ended_sessions(t(50));
        assert_eq!(
            ended.iter().map(|s| s.sid.as_str()).collect::<Vec<_>>(),
            ["sid-later"]
        );
        assert_eq!(store.next_session_end(), None);
        assert!(
            store.note_session_client("sid-new", "web"),
            "nobody watches any more"
        );
    }

    #[test]
    fn sweeps_are_spaced_by_what_is_held_and_still_come() {
        let session = |expires_at| session("sid", expires_at);
        let mut store = Store::default();
        for i in 0..8000 {
            store.insert_session(format!("live{i}"), session(t(1000)), t(0));
        }
        assert_eq!(store.sessions.len(), 8000);
        // With 8000 entries held, 600 insertions do not call for a walk through all of them; an
        // eighth of them (1000) does.
        store.inserts = 600;
        assert!(!store.sweep_due());
        store.inserts = 1000;
        assert!(store.sweep_due());
        store.inserts = 0;
        for i in 0..8000 {
            store.insert_session(format!("gone{i}"), session(t(1)), t(2));
        }
        // Sweeps came, and what expired stayed within an eighth of what was held.
        assert!(
            store.sessions.len() <= 8000 + 8000 / 7 + 1,
            "{}",
            store.sessions.len()
        );
        store.sweep(t(2));
        assert_eq!(store.sessions.len(), 8000);
    }
}
