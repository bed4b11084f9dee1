// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! The `Stripe-Signature` check of a webhook delivery, done exactly as Stripe signs
//! (<https://docs.stripe.com/webhooks#verify-manually>): the header is
//! `t=TIMESTAMP,v1=HEX[,v1=HEX...][,v0=...]`, and each `v1` is the hex HMAC-SHA256 of
//! `"{t}.{raw body}"` keyed with the endpoint secret (the whole `whsec_...` string as bytes).
//!
//! Why our own and not `stripe_webhook::Webhook::construct_event`: that one reads the clock
//! itself, knows one secret (a rotation has two live for up to a day), and folds every failure
//! into a few error kinds. Here `now` is a parameter (rules take time from the edge), any `v1`
//! under any configured secret is accepted, comparisons are constant-time (`Mac::verify_slice`),
//! and the error says which check failed, for the route's log and its one answer table.
//!
//! Nothing here logs: neither the secrets nor the header may reach a log line.
//! Tests: `cargo test -p providers --test stripe signature` and the unit tests below.

use hmac::{Hmac, Mac};
use secrecy::{ExposeSecret, SecretString};
use sha2::Sha256;
use time::OffsetDateTime;

type HmacSha256 = Hmac<Sha256>;

/// How far the signed timestamp may be from `now`, either way: Stripe's libraries use 300 s.
/// Past it a delivery is refused as a possible replay (Stripe retries with a fresh timestamp).
pub const TOLERANCE_SECONDS: i64 = 300;

/// Why a delivery was refused. Every variant answers 400 on the webhook route; the variant is for
/// the log (no secret, no header in it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("the Stripe-Signature header is missing")]
    Missing,
    #[error("the Stripe-Signature header is malformed (needs t=<seconds> and at least one v1=<hex>)")]
    Malformed,
    #[error("the Stripe-Signature timestamp is more than {TOLERANCE_SECONDS} s in the past")]
    Stale,
    #[error("the Stripe-Signature timestamp is more than {TOLERANCE_SECONDS} s in the future")]
    Future,
    #[error("no v1 signature matches any configured webhook secret")]
    NoMatch,
}

/// Checks a delivery: `header` is the `Stripe-Signature` value, `body` the raw request body as
/// received (not re-serialized), `secrets` the endpoint secrets in force (one, or two while one
/// is rotated out; none refuses everything with `NoMatch`).
///
/// Signatures are checked before the timestamp, so `Stale`/`Future` mean a correctly signed but
/// old (or clock-skewed) delivery, and a forged one is always `NoMatch`.
pub fn verify(
    header: Option<&str>,
    body: &[u8],
    secrets: &[SecretString],
    now: OffsetDateTime,
) -> Result<(), SignatureError> {
    let header = header.ok_or(SignatureError::Missing)?;
    let parsed = Header::parse(header)?;
    let mut signed = Vec::with_capacity(body.len() + 21);
    signed.extend_from_slice(parsed.timestamp.to_string().as_bytes());
    signed.push(b'.');
    signed.extend_from_slice(body);

    let matches = secrets.iter().any(|secret| {
        let Ok(mut mac) = HmacSha256::new_from_slice(secret.expose_secret().as_bytes()) else {
            return false;
        };
        mac.update(&signed);
        parsed
            .v1
            .iter()
            .filter_map(|candidate| hex::decode(candidate).ok())
            .any(|candidate| mac.clone().verify_slice(&candidate).is_ok())
    });
    if !matches {
        return Err(SignatureError::NoMatch);
    }

    let age = i128::from(now.unix_timestamp()) - i128::from(parsed.timestamp);
    if age > i128::from(TOLERANCE_SECONDS) {
        return Err(SignatureError::Stale);
    }
    if -age > i128::from(TOLERANCE_SECONDS) {
        return Err(SignatureError::Future);
    }
    Ok(())
}

/// A `Stripe-Signature` value for `body` signed with `secret` at Unix time `t`, as Stripe would
/// send it (`t=...,v1=...`).
///
/// Test and benchmark support: the production code never signs; tests, the stand-in and the
/// benchmark use this to make deliveries.
pub fn sign(body: &[u8], secret: &str, t: i64) -> String {
    // HMAC takes keys of any length, so this cannot fail; an empty `v1` would never verify.
    let v1 = match HmacSha256::new_from_slice(secret.as_bytes()) {
        Ok(mut mac) => {
            mac.update(t.to_string().as_bytes());
            mac.update(b".");
            mac.update(body);
            hex::encode(mac.finalize().into_bytes())
        }
        Err(_) => String::new(),
    };
    format!("t={t},v1={v1}")
}

/// The parts of a header we use. Unknown schemes (`v0`, future ones) are skipped, as Stripe's
/// libraries do; a `v1` that is not hex simply never matches.
struct Header<'h> {
    timestamp: i64,
    v1: Vec<&'h str>,
}

impl<'h> Header<'h> {
    fn parse(raw: &'h str) -> Result<Self, SignatureError> {
        let mut timestamp = None;
        let mut v1 = Vec::new();
        for item in raw.split(',') {
            let (key, value) = item.trim().split_once('=').ok_or(SignatureError::Malformed)?;
            match key {
                "t" => {
                    if timestamp.is_some() {
                        return Err(SignatureError::Malformed);
                    }
                    let value: i64 = value.parse().map_err(|_| SignatureError::Malformed)?;
                    timestamp = Some(value);
                }
                "v1" => v1.push(value),
                _ => {}
            }
        }
        match timestamp {
            Some(timestamp) if !v1.is_empty() => Ok(Self { timestamp, v1 }),
            _ => Err(SignatureError::Malformed),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "whsec_unit";

    fn secrets() -> Vec<SecretString> {
        vec![SecretString::from(SECRET)]
    }

    fn at(t: i64) -> OffsetDateTime {
        OffsetDateTime::from_unix_timestamp(t).unwrap()
    }

    #[test]
    fn signed_body_verifies_at_the_signing_time_and_the_edges() {
        let header = sign(b"{}", SECRET, 1_000_000);
        for now in [1_000_000, 1_000_300, 999_700] {
            assert_eq!(verify(Some(&header), b"{}", &secrets(), at(now)), Ok(()), "now={now}");
        }
    }

    #[test]
    fn agrees_with_async_stripe_on_the_signature() {
        let body = r#"{"id":"evt_1"}"#;
        let ours = sign(body.as_bytes(), SECRET, 1_700_000_000);
        let theirs = stripe_webhook::Webhook::generate_test_header(body, SECRET, Some(1_700_000_000));
        assert_eq!(ours, theirs);
    }

    #[test]
    fn header_shapes() {
        for bad in ["", "t=1", "v1=ab", "t=x,v1=ab", "t=1,v1=ab,junk", "t=1,t=2,v1=ab"] {
            assert_eq!(
                verify(Some(bad), b"{}", &secrets(), at(1)),
                Err(SignatureError::Malformed),
                "{bad:?}"
            );
        }
        assert_eq!(verify(Some("t=1, v1=zz"), b"{}", &secrets(), at(1)), Err(SignatureError::NoMatch));
    }

    #[test]
    fn no_secret_configured_matches_nothing() {
        let header = sign(b"{}", SECRET, 1);
        assert_eq!(verify(Some(&header), b"{}", &[], at(1)), Err(SignatureError::NoMatch));
    }

    #[test]
    fn extreme_timestamps_do_not_overflow() {
        let header = sign(b"{}", SECRET, i64::MIN);
        assert_eq!(verify(Some(&header), b"{}", &secrets(), at(0)), Err(SignatureError::Stale));
    }
}
