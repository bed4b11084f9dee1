// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! Moving time in tests (behind the `testing` feature; `domain`, `idp` and `server` enable it
//! as a dev-dependency feature only).
//!
//! Expiries compared in SQL use the database's clock (docs/architecture.md, "Decisions"), so a
//! test cannot pass a `now` to them: it moves the stored times back instead. Every such write
//! lives here, next to the schema it knows, rather than as `UPDATE … now() - interval` in the
//! tests of other crates. Rules evaluated in Rust take `now` as a parameter and need none of
//! this.

use crate::Result;
use crate::oidc::secret::SecretHash;
use sqlx::PgPool;
use time::Duration;

/// Every command link (registration, address confirmation) expired a second ago.
pub async fn expire_command_links(pool: &PgPool) -> Result<()> {
    sqlx::query!("UPDATE command_link SET expires_at = now() - interval '1 second'").execute(pool).await?;
    Ok(())
}

/// The command link `token` expired `ago` ago.
pub async fn expire_command_link(pool: &PgPool, token: &str, ago: Duration) -> Result<()> {
    let hash = SecretHash::of(token);
    sqlx::query!(
        "UPDATE command_link SET expires_at = now() - make_interval(secs => $2) WHERE token_hash = $1",
        hash.as_bytes(),
        ago.as_seconds_f64(),
    )
    .execute(pool)
    .await?;
    Ok(())
}

/// Every authorization code expired a second ago.
pub async fn expire_authorization_codes(pool: &PgPool) -> Result<()> {
    sqlx::query!("UPDATE oidc_authorization_code SET expires_at = now() - interval '1 second'")
        .execute(pool)
        .await?;
    Ok(())
}

/// Every refresh token expired a second ago.
pub async fn expire_refresh_tokens(pool: &PgPool) -> Result<()> {
    sqlx::query!("UPDATE oidc_refresh_token SET expires_at = now() - interval '1 second'")
        .execute(pool)
        .await?;
    Ok(())
}

/// Every idp login session started `by` earlier (its expiry moves with it).
pub async fn age_login_sessions(pool: &PgPool, by: Duration) -> Result<()> {
    sqlx::query!(
        r#"UPDATE oidc_login_session SET authenticated_at = authenticated_at - make_interval(secs => $1),
                  expires_at = expires_at - make_interval(secs => $1)"#,
        by.as_seconds_f64(),
    )
    .execute(pool)
    .await?;
    Ok(())
}

/// Every mailed login link expired a second ago.
pub async fn expire_login_links(pool: &PgPool) -> Result<()> {
    sqlx::query!("UPDATE oidc_login_link SET expires_at = now() - interval '1 second'").execute(pool).await?;
    Ok(())
}

/// Every login-throttle window started `by` earlier.
pub async fn age_throttle_windows(pool: &PgPool, by: Duration) -> Result<()> {
    sqlx::query!(
        "UPDATE login_throttle SET window_start = window_start - make_interval(secs => $1)",
        by.as_seconds_f64(),
    )
    .execute(pool)
    .await?;
    Ok(())
}

/// Every retired signing key was retired `by` earlier.
pub async fn age_retired_signing_keys(pool: &PgPool, by: Duration) -> Result<()> {
    sqlx::query!(
        "UPDATE oidc_signing_key SET retired_at = retired_at - make_interval(secs => $1) WHERE retired_at IS NOT NULL",
        by.as_seconds_f64(),
    )
    .execute(pool)
    .await?;
    Ok(())
}

/// Writes the money half's mails as plain lines a test can read: the subject names the mail,
/// the body holds the values (and a renewal link's token as `/c/<token>`).
#[derive(Debug, Clone, Copy, Default)]
pub struct PlainWords;

impl crate::payment::notice::PaymentWriter for PlainWords {
    fn thank_you(
        &self,
        language: crate::types::Language,
        thanks: &crate::payment::Thanks<'_>,
    ) -> crate::registration::Written {
        (format!("thanks {}", thanks.name), format!("{language:?} {} {}", thanks.amount, thanks.booked_on))
    }
    fn renewal(
        &self,
        language: crate::types::Language,
        notice: &crate::payment::RenewalNotice<'_>,
    ) -> crate::registration::Written {
        use secrecy::ExposeSecret;
        (
            format!("renew {}", notice.name),
            format!(
                "{language:?} {} {} /c/{}",
                notice.reason,
                notice.pledge.amount,
                notice.token.expose_secret()
            ),
        )
    }
    fn payment_failed(
        &self,
        language: crate::types::Language,
        notice: &crate::payment::PaymentFailedNotice<'_>,
    ) -> crate::registration::Written {
        use secrecy::ExposeSecret;
        (
            format!("payment failed {}", notice.name),
            format!("{language:?} {} /c/{}", notice.pledge.amount, notice.token.expose_secret()),
        )
    }
    fn transfer_reminder(
        &self,
        language: crate::types::Language,
        notice: &crate::payment::ReminderNotice<'_>,
    ) -> crate::registration::Written {
        (
            format!("reminder {}", notice.name),
            format!(
                "{language:?} {} {} {}",
                notice.pledge.amount,
                notice.pledge.reference.as_str(),
                notice.due_on
            ),
        )
    }
    fn statement_ready(
        &self,
        language: crate::types::Language,
        notice: &crate::payment::StatementNotice<'_>,
    ) -> crate::registration::Written {
        (
            format!("statement {} {}", notice.name, notice.year),
            format!("{language:?} corrected={} {}", notice.corrected, notice.path),
        )
    }
}
