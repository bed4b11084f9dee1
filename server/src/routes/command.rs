// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! Command links, `/c/{token}`. `GET` renders the Leptos page with what [`view`] found (nothing
//! changes); `POST` confirms (`action=confirm`) or asks for a fresh link (`action=renew`), keeps
//! the outcome in the session and redirects back to the same address. A `RenewPledge` link's
//! choice (`action=renew_pledge`, `action=update_card`) is acted on in `renew.rs`.

use crate::routes::{flash, renew};
use app::forms::{CommandOutcome, CommandView, ListView};
use app::mails::Writer;
use app::refusal::ssr::Answer;
use app::ssr::AppState;
use app::ssr::session_keys::COMMAND_OUTCOME;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use domain::command_link::{self, Command, Refusal};
use domain::registration::{self, Done};
use tower_sessions::Session;

/// What the link would do, for the page. Errors of the database show as an unknown link (the
/// page then offers to register or log in; nothing is lost because nothing was done).
pub async fn view(state: &AppState, token: &str) -> CommandView {
    match command_link::peek(&state.pool, token).await {
        Ok(Ok(link)) => match link.command {
            Command::ConfirmRegistration { lists, .. } => {
                // The lists' texts as they are now; one archived since is left out (it is
                // skipped when the link is followed).
                match app::ssr::lists::all(&state.pool, false).await {
                    Ok(all) => CommandView::ConfirmRegistration {
                        lists: all.iter().filter(|l| lists.contains(&l.key)).map(ListView::from).collect(),
                    },
                    Err(error) => {
                        tracing::error!(?error, "could not read the lists of a registration link");
                        CommandView::Unknown
                    }
                }
            }
            Command::ConfirmSubscription { list } => match app::ssr::lists::get(&state.pool, &list).await {
                Ok(Some(list)) if !list.archived => {
                    CommandView::ConfirmSubscription { list: ListView::from(&list) }
                }
                Ok(_) => CommandView::ListGone,
                Err(error) => {
                    tracing::error!(?error, "could not read the list of a subscription link");
                    CommandView::Unknown
                }
            },
            Command::ConfirmEmail { address } => CommandView::ConfirmEmail { address },
            Command::ConfirmDonation { pledge } => {
                match domain::payment::pledge::get(&state.pool, pledge).await {
                    Ok(Some(pledge)) => CommandView::ConfirmDonation {
                        amount: pledge.amount.to_string(),
                        period: pledge.period.as_str().to_owned(),
                    },
                    _ => CommandView::Unknown,
                }
            }
            Command::RenewPledge { .. } => crate::routes::renew::link_view(state, token).await,
        },
        Ok(Err(Refusal::Expired { .. })) => CommandView::Expired,
        Ok(Err(Refusal::Used { command: Command::RenewPledge { .. } })) => CommandView::RenewUsed,
        Ok(Err(Refusal::Used { .. })) => CommandView::Used,
        Ok(Err(Refusal::Unknown)) => CommandView::Unknown,
        Err(error) => {
            tracing::error!(?error, "could not look up a command link");
            CommandView::Unknown
        }
    }
}

pub async fn submit(
    State(state): State<AppState>,
    Path(token): Path<String>,
    session: Session,
    headers: http::HeaderMap,
    body: Bytes,
) -> Response {
    let action =
        url::form_urlencoded::parse(&body).find(|(name, _)| name == "action").map(|(_, v)| v.into_owned());
    let writer =
        Writer { organisation: state.site.organisation.clone(), origin: state.public_origin.clone() };
    let outcome = match action.as_deref() {
        Some("confirm") => match registration::perform(&state.pool, &token, &writer).await {
            Ok(Ok((link, done))) => {
                tracing::info!(person = %link.person, kind = link.command.kind(), "command link used");
                match done {
                    Done::Registered { supporter_number } => {
                        CommandOutcome::Registered { supporter_number: supporter_number.get() }
                    }
                    Done::EmailConfirmed { address } => {
                        CommandOutcome::EmailConfirmed { address: address.as_str().to_owned() }
                    }
                    Done::EmailTaken => CommandOutcome::EmailTaken,
                    Done::DonationJoined => CommandOutcome::DonationJoined,
                    Done::Subscribed { list } => match app::ssr::lists::get(&state.pool, &list).await {
                        Ok(Some(list)) => CommandOutcome::Subscribed { list: ListView::from(&list) },
                        // Done already; only the list's name is missing for the page.
                        _ => CommandOutcome::Subscribed {
                            list: ListView {
                                key: list.as_str().to_owned(),
                                double_opt_in: true,
                                texts: Vec::new(),
                            },
                        },
                    },
                    Done::ListGone => CommandOutcome::ListGone,
                }
            }
            Ok(Err(refusal)) => {
                tracing::info!(?refusal, "command link refused");
                CommandOutcome::Refused
            }
            Err(error) => {
                tracing::error!(?error, "command link failed");
                CommandOutcome::Failed
            }
        },
        Some("renew") => {
            // Renewal links last longer than the others; the page says how long.
            let mut renewal_link = false;
            match registration::renew(&state.pool, &token, |language, notice, command| {
                renewal_link = matches!(command, Command::RenewPledge { .. });
                writer.renewed(language, notice, command)
            })
            .await
            {
                Ok(true) if renewal_link => CommandOutcome::RenewalLinkRenewed,
                Ok(true) => CommandOutcome::Renewed,
                Ok(false) => CommandOutcome::Refused,
                Err(error) => {
                    tracing::error!(?error, "renewing a command link failed");
                    CommandOutcome::Failed
                }
            }
        }
        Some("renew_pledge") => return renew::by_link(&state, &session, &token, &body, &headers).await,
        Some("update_card") => return renew::card_by_link(&state, &session, &token, &headers).await,
        _ => return Answer::to(app::refusal::Refusal::BadInput, &headers).into_response(),
    };
    back(&session, &token, outcome).await
}

/// Keeps the outcome for the link's page and redirects there (post, redirect, get).
pub async fn back(session: &Session, token: &str, outcome: CommandOutcome) -> Response {
    flash::keep(session, COMMAND_OUTCOME, &outcome).await;
    // The token came in the path; only characters of our tokens go back into a Location.
    if !token.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') || token.len() > 64 {
        return Redirect::to("/c/invalid").into_response();
    }
    Redirect::to(&format!("/c/{token}")).into_response()
}
