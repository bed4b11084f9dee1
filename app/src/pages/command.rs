// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! `/c/{token}`: a command link from a mail. The page only says what will happen and offers a
//! button (mail scanners fetch links; a GET must change nothing); the button posts to the same
//! address, the server does it and redirects back here, where the outcome is shown once.
//! Expired links offer a fresh one; used and unknown links say so in words, never as an error.
//! A `RenewPledge` link shows the pledge and the ways to pay it from now on (`pages::renew`).

use crate::components::list_choice::page_language;
use crate::components::page_title::PageTitle;
use crate::forms::{CommandOutcome, CommandView};
use crate::i18n::*;
use crate::page_data::use_page_data;
use crate::pages::renew::Renewal;
use leptos::prelude::*;
use leptos_router::components::A;

#[component]
pub fn CommandPage() -> impl IntoView {
    let i18n = use_i18n();
    let data = use_page_data();
    let view = data.command.unwrap_or(CommandView::Unknown);
    let outcome = data.session.command_outcome;
    // A failure on our side changed nothing: the link's page again, with an apology.
    let failed = (outcome == Some(CommandOutcome::Failed))
        .then(|| view! { <p class="error-summary" role="alert">{t!(i18n, error_generic)}</p> });
    let page = match outcome {
        Some(outcome) if !matches!(outcome, CommandOutcome::Refused | CommandOutcome::Failed) => {
            view! { <Outcome outcome /> }.into_any()
        }
        _ => match view {
            CommandView::ConfirmRegistration { lists } => {
                let language = page_language();
                let items = lists
                    .into_iter()
                    .map(|list| view! { <li>{list.name(language)}</li> })
                    .collect::<Vec<_>>();
                let lists = if items.is_empty() {
                    view! { <p>{t!(i18n, command_confirm_no_lists)}</p> }.into_any()
                } else {
                    view! { <p>{t!(i18n, command_confirm_lists)}</p> <ul>{items}</ul> }.into_any()
                };
                view! {
                    <Confirm>
                        <p>{t!(i18n, command_confirm_registration)}</p>
                        {lists}
                    </Confirm>
                }
                .into_any()
            }
            CommandView::ConfirmEmail { address } => view! {
                <Confirm>
                    <p>{t!(i18n, command_confirm_email, address = move || address.clone())}</p>
                </Confirm>
            }
            .into_any(),
            CommandView::ConfirmDonation { amount, period } => {
                // The period in the reader's words (`monthly` → "monatlich").
                let period = crate::pages::donate::period_text(i18n, &period);
                view! {
                    <Confirm>
                        <p>{t!(i18n, command_confirm_donation, amount = move || amount.clone(), period = move || period.clone())}</p>
                    </Confirm>
                }
                .into_any()
            }
            CommandView::RenewPledge(view) => view! { <Renewal view card_action=None /> }.into_any(),
            CommandView::ConfirmSubscription { list } => {
                let (name, description) = list.text(page_language());
                view! {
                    <Confirm>
                        <p>{t!(i18n, command_confirm_subscription, list = move || name.clone())}</p>
                        <p class="hint">{description}</p>
                    </Confirm>
                }
                .into_any()
            }
            CommandView::ListGone => view! {
                <Invalid>
                    <p>{t!(i18n, command_list_gone)}</p>
                </Invalid>
            }
            .into_any(),
            CommandView::RenewUsed => view! {
                <Invalid>
                    <p>{t!(i18n, renew_used)}</p>
                    <p><a href="/donations" class="button">{t!(i18n, nav_donations)}</a></p>
                </Invalid>
            }
            .into_any(),
            CommandView::Expired => view! {
                <Invalid>
                    <p>{t!(i18n, command_expired)}</p>
                    <form method="post">
                        <input type="hidden" name="action" value="renew" />
                        <button type="submit" class="button">{t!(i18n, command_renew_button)}</button>
                    </form>
                </Invalid>
            }
            .into_any(),
            CommandView::Used => view! {
                <Invalid>
                    <p>{t!(i18n, command_used)}</p>
                    <p><a href="/login" rel="external" class="button">{t!(i18n, nav_login)}</a></p>
                </Invalid>
            }
            .into_any(),
            CommandView::Unknown => view! {
                <Invalid>
                    <p>{t!(i18n, command_unknown)}</p>
                    <p class="actions">
                        <A href="/register" attr:class="button">{t!(i18n, nav_register)}</A>
                        <a href="/login" rel="external">{t!(i18n, nav_login)}</a>
                    </p>
                </Invalid>
            }
            .into_any(),
        },
    };
    view! { {failed} {page} }
}

#[component]
fn Confirm(children: Children) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <PageTitle text=move || t_string!(i18n, command_title).to_string() />
        <h1>{t!(i18n, command_title)}</h1>
        {children()}
        // No action attribute: the form posts to the page's own address, the token included.
        <form method="post">
            <input type="hidden" name="action" value="confirm" />
            <button type="submit" class="button">{t!(i18n, command_button)}</button>
        </form>
    }
}

#[component]
fn Invalid(children: Children) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <PageTitle text=move || t_string!(i18n, command_invalid_title).to_string() />
        <h1>{t!(i18n, command_invalid_title)}</h1>
        {children()}
    }
}

#[component]
fn Outcome(outcome: CommandOutcome) -> impl IntoView {
    let i18n = use_i18n();
    let body = match outcome {
        CommandOutcome::Registered { supporter_number } => view! {
            <p>{t!(i18n, command_done_registered, number = move || supporter_number)}</p>
            <p>{t!(i18n, command_done_next)}</p>
            <p><a href="/login" rel="external" class="button">{t!(i18n, nav_login)}</a></p>
        }
        .into_any(),
        CommandOutcome::EmailConfirmed { address } => {
            view! { <p>{t!(i18n, command_done_email, address = move || address.clone())}</p> }.into_any()
        }
        CommandOutcome::EmailTaken => view! { <p>{t!(i18n, command_email_taken)}</p> }.into_any(),
        CommandOutcome::DonationJoined => view! {
            <p>{t!(i18n, command_done_donation)}</p>
            <p><a href="/donations" class="button">{t!(i18n, command_done_donation_link)}</a></p>
        }
        .into_any(),
        CommandOutcome::Renewed => view! { <p>{t!(i18n, command_renewed)}</p> }.into_any(),
        CommandOutcome::RenewalLinkRenewed => view! { <p>{t!(i18n, renew_link_renewed)}</p> }.into_any(),
        CommandOutcome::Subscribed { list } => {
            let name = list.name(page_language());
            view! { <p>{t!(i18n, command_done_subscribed, list = move || name.clone())}</p> }.into_any()
        }
        CommandOutcome::ListGone => view! { <p>{t!(i18n, command_list_gone)}</p> }.into_any(),
        // Shown by CommandPage with the link's own page instead.
        CommandOutcome::Refused | CommandOutcome::Failed => ().into_any(),
    };
    view! {
        <PageTitle text=move || t_string!(i18n, command_done_title).to_string() />
        <h1>{t!(i18n, command_done_title)}</h1>
        <div role="status">{body}</div>
    }
}
