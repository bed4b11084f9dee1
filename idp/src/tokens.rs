// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! The JWTs the idp issues and accepts: ID tokens (OIDC Core §2), access tokens (RFC 9068
//! profile, `typ: at+jwt`) and signed introspection responses (RFC 9701).
//!
//! Verification accepts ES256 only, needs a `kid` we published, and checks `typ`, so an ID token
//! can never pass as an access token. `alg: none`, HMAC tricks with the public key and unknown
//! keys all fail before any claim is read.
//!
//! Time is a parameter: every function that reads the clock takes `now` from its caller (the
//! endpoint passes `OffsetDateTime::now_utc()`), so tests can check expiry at any instant.

use crate::keyring::KeyRing;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use domain::oidc::claims::PersonClaims;
use domain::oidc::{ClientId, Scope, Scopes};
use domain::types::PersonId;
use jsonwebtoken::{Algorithm, Validation};
use p256::ecdsa::signature::Signer as _;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use uuid::Uuid;

pub const ACCESS_TOKEN_TYPE: &str = "at+jwt";
pub const INTROSPECTION_TYPE: &str = "token-introspection+jwt";
pub const ID_TOKEN_TYPE: &str = "JWT";
/// Clock difference tolerated between us and whoever checks our tokens.
const LEEWAY_SECONDS: u64 = 30;

/// Longest token we look at: anything bigger is not ours.
pub const MAX_TOKEN_LENGTH: usize = 8 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    #[error("claims cannot be serialised: {0}")]
    Claims(#[from] serde_json::Error),
}

/// The profile claims of a person, as far as the scopes allow.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct ProfileClaims {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub preferred_username: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub locale: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email_verified: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub groups: Option<Vec<String>>,
}

impl ProfileClaims {
    pub fn for_scopes(person: &PersonClaims, scopes: &Scopes) -> Self {
        let profile = scopes.contains(Scope::PROFILE);
        let email = scopes.contains(Scope::EMAIL) && person.email.is_some();
        Self {
            name: profile.then(|| person.name.clone()),
            preferred_username: if profile { person.preferred_username.clone() } else { None },
            locale: profile.then(|| person.locale.clone()),
            email: if email { person.email.clone() } else { None },
            email_verified: email.then_some(person.email_verified),
            groups: scopes.contains(Scope::GROUPS).then(|| person.groups.clone()),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct IdTokenClaims {
    pub iss: String,
    pub sub: String,
    pub aud: String,
    pub exp: i64,
    pub iat: i64,
    pub auth_time: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nonce: Option<String>,
    /// The idp login session, for logout.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sid: Option<Uuid>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub at_hash: Option<String>,
    #[serde(flatten)]
    pub profile: ProfileClaims,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AccessTokenClaims {
    pub iss: String,
    /// The person's id, or the client's own id for `client_credentials`.
    pub sub: String,
    pub aud: String,
    pub client_id: String,
    pub scope: String,
    pub jti: Uuid,
    pub iat: i64,
    pub exp: i64,
    /// The grant this token came from; absent for `client_credentials`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gid: Option<Uuid>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub auth_time: Option<i64>,
    /// Group names, when the `groups` scope was granted: the proxy's access rules read them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub groups: Option<Vec<String>>,
}

/// Whom an access token speaks for.
#[derive(Debug, Clone)]
pub enum Subject {
    /// A person, through a grant they made.
    Person { person: PersonId, grant: Uuid, auth_time: OffsetDateTime, groups: Option<Vec<String>> },
    /// The client itself (`client_credentials`).
    Client,
}

impl AccessTokenClaims {
    pub fn new(
        issuer: &str,
        client: &ClientId,
        scopes: &Scopes,
        lifetime: time::Duration,
        subject: Subject,
        now: OffsetDateTime,
    ) -> Self {
        let (sub, gid, auth_time, groups) = match subject {
            Subject::Person { person, grant, auth_time, groups } => {
                (person.to_string(), Some(grant), Some(auth_time.unix_timestamp()), groups)
            }
            Subject::Client => (client.as_str().to_owned(), None, None, None),
        };
        Self {
            iss: issuer.to_owned(),
            sub,
            aud: client.as_str().to_owned(),
            client_id: client.as_str().to_owned(),
            scope: scopes.to_string(),
            jti: Uuid::new_v4(),
            iat: now.unix_timestamp(),
            exp: (now + lifetime).unix_timestamp(),
            gid,
            auth_time,
            groups,
        }
    }
}

/// Signs `claims` with the current key, as a compact JWS (RFC 7515 §7.1) with ES256.
///
/// Not `jsonwebtoken::encode`: with the RustCrypto backend it parses the PKCS#8 key again for
/// every token, and parsing derives the public key, a second scalar multiplication per token
/// (BENCHMARKS.md). The key is parsed once in the `KeyRing`; the serialisation is three
/// base64url parts. Verification stays with `jsonwebtoken` (`verify` below), and the tests and
/// the openid-client interop check verify every token we sign.
pub fn sign<T: Serialize>(keys: &KeyRing, typ: &str, claims: &T) -> Result<String, TokenError> {
    keys.with_signer(|signer| {
        let header = serde_json::json!({ "alg": "ES256", "typ": typ, "kid": signer.kid });
        let header = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&header)?);
        let payload = URL_SAFE_NO_PAD.encode(serde_json::to_vec(claims)?);
        let signing_input = format!("{header}.{payload}");
        // RFC 6979 deterministic ECDSA over SHA-256; JWS wants r || s, 64 bytes.
        let signature: p256::ecdsa::Signature = signer.key.sign(signing_input.as_bytes());
        Ok(format!("{signing_input}.{}", URL_SAFE_NO_PAD.encode(signature.to_bytes())))
    })
}

/// `at_hash` (OIDC Core §3.1.3.6): the left half of the SHA-256 of the access token.
pub fn at_hash(access_token: &str) -> String {
    let digest = Sha256::digest(access_token.as_bytes());
    URL_SAFE_NO_PAD.encode(&digest[..16])
}

/// Why a presented token was not accepted. Callers answer all alike; this is for logs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rejection {
    Malformed,
    WrongAlgorithm,
    WrongType,
    UnknownKey,
    BadSignatureOrClaims,
}

/// Claims with an expiry, checked against the caller's `now`.
trait Expiring {
    fn exp(&self) -> i64;
}

impl Expiring for AccessTokenClaims {
    fn exp(&self) -> i64 {
        self.exp
    }
}

impl Expiring for IdTokenClaims {
    fn exp(&self) -> i64 {
        self.exp
    }
}

/// Whether a token expiring at `exp` (Unix seconds) is still valid at `now`, with the leeway.
pub fn unexpired(exp: i64, now: OffsetDateTime) -> bool {
    exp.saturating_add(LEEWAY_SECONDS as i64) > now.unix_timestamp()
}

async fn verify<T: for<'de> Deserialize<'de> + Expiring>(
    keys: &KeyRing,
    issuer: &str,
    token: &str,
    typ: Option<&str>,
    expiry_at: Option<OffsetDateTime>,
) -> Result<T, Rejection> {
    if token.len() > MAX_TOKEN_LENGTH {
        return Err(Rejection::Malformed);
    }
    let header = jsonwebtoken::decode_header(token).map_err(|_| Rejection::Malformed)?;
    if header.alg != Algorithm::ES256 {
        return Err(Rejection::WrongAlgorithm);
    }
    if let Some(expected) = typ
        && !header.typ.as_deref().is_some_and(|t| t.eq_ignore_ascii_case(expected))
    {
        return Err(Rejection::WrongType);
    }
    let kid = header.kid.ok_or(Rejection::UnknownKey)?;
    let key = keys.verifier(&kid).await.ok_or(Rejection::UnknownKey)?;
    let mut validation = Validation::new(Algorithm::ES256);
    validation.set_issuer(&[issuer]);
    validation.validate_aud = false;
    // Expiry is checked below against the caller's clock, not the library's.
    validation.validate_exp = false;
    validation.leeway = LEEWAY_SECONDS;
    validation.set_required_spec_claims(&["iss", "sub", "exp", "iat"]);
    let claims = jsonwebtoken::decode::<T>(token, &key, &validation)
        .map(|data| data.claims)
        .map_err(|_| Rejection::BadSignatureOrClaims)?;
    match expiry_at {
        Some(now) if !unexpired(claims.exp(), now) => Err(Rejection::BadSignatureOrClaims),
        _ => Ok(claims),
    }
}

/// An access token we issued, signature and expiry at `now` checked (revocation is checked
/// separately).
pub async fn verify_access_token(
    keys: &KeyRing,
    issuer: &str,
    token: &str,
    now: OffsetDateTime,
) -> Result<AccessTokenClaims, Rejection> {
    verify(keys, issuer, token, Some(ACCESS_TOKEN_TYPE), Some(now)).await
}

/// An ID token we issued, used as `id_token_hint`: it may have expired (OIDC RP-Initiated
/// Logout §2), but must carry our signature.
pub async fn verify_id_token_hint(
    keys: &KeyRing,
    issuer: &str,
    token: &str,
) -> Result<IdTokenClaims, Rejection> {
    verify(keys, issuer, token, Some(ID_TOKEN_TYPE), None).await
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 2026-12-01 12:00 UTC.
    fn noon() -> OffsetDateTime {
        OffsetDateTime::from_unix_timestamp(1_796_126_400).unwrap()
    }

    #[test]
    fn expiry_is_judged_at_the_callers_now_with_leeway() {
        let now = noon();
        let exp = now.unix_timestamp();
        assert!(unexpired(exp, now), "within the leeway");
        assert!(unexpired(exp, now + time::Duration::seconds(29)));
        assert!(!unexpired(exp, now + time::Duration::seconds(30)));
        assert!(!unexpired(i64::MIN, now));
        assert!(unexpired(i64::MAX, now));
    }

    #[test]
    fn access_tokens_take_their_times_from_the_caller() {
        let now = noon();
        let client = ClientId::new("web-app").unwrap();
        let scopes = Scopes::parse("openid").unwrap();
        let claims = AccessTokenClaims::new(
            "https://id.example.org",
            &client,
            &scopes,
            time::Duration::minutes(10),
            Subject::Client,
            now,
        );
        assert_eq!(claims.iat, now.unix_timestamp());
        assert_eq!(claims.exp, now.unix_timestamp() + 600);
        assert!(unexpired(claims.exp, now + time::Duration::minutes(10)));
        assert!(!unexpired(claims.exp, now + time::Duration::minutes(11)));
    }
}
