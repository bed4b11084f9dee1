// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! `/donations/statements` ("My donation statements", logged in only): the person's current
//! annual statements (year, number, whether it is a correction, total) with a download link
//! each (`GET /donations/statements/{id}`, `server/src/routes/statements.rs`). A replaced
//! statement is not listed: its correction is. The server loads the list before rendering
//! (`routes::statements::page`) and puts it into the request as a [`StatementsView`].

use crate::amount::format;
use crate::components::page_title::PageTitle;
use crate::forms::AmountView;
use crate::i18n::*;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// One statement as listed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatementItem {
    /// The id in the download link.
    pub id: String,
    pub year: i32,
    pub number: String,
    /// A correction of an earlier statement (which it replaces).
    pub corrected: bool,
    /// Per currency; empty when every payment of the year was refunded.
    pub totals: Vec<AmountView>,
}

/// What the page shows; `None` in the request when it could not be read.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatementsView {
    /// Newest year first.
    pub statements: Vec<StatementItem>,
}

fn view_data() -> Option<StatementsView> {
    #[cfg(feature = "ssr")]
    {
        use_context::<http::request::Parts>()
            .and_then(|parts| parts.extensions.get::<StatementsView>().cloned())
    }
    #[cfg(not(feature = "ssr"))]
    {
        None
    }
}

#[component]
pub fn StatementsPage() -> impl IntoView {
    let i18n = use_i18n();
    let title = move || t_string!(i18n, statements_title).to_string();
    let Some(data) = view_data() else {
        return view! {
            <PageTitle text=title />
            <h1>{t!(i18n, statements_title)}</h1>
            <p class="error-summary" role="alert">{t!(i18n, error_generic)}</p>
            <p><a href="/donations">{t!(i18n, statements_back)}</a></p>
        }
        .into_any();
    };
    let locale = i18n.get_locale_untracked();
    let body = if data.statements.is_empty() {
        view! { <p>{t!(i18n, statements_none)}</p> }.into_any()
    } else {
        let rows = data
            .statements
            .into_iter()
            .map(|statement| {
                let total = if statement.totals.is_empty() {
                    "0".to_owned()
                } else {
                    statement.totals.into_iter().map(|t| format(t, locale)).collect::<Vec<_>>().join(" + ")
                };
                let href = format!("/donations/statements/{}", statement.id);
                let label = format!("{} {}", t_string!(i18n, statements_download), statement.number);
                view! {
                    <tr>
                        <td>{statement.year}</td>
                        <td>
                            {statement.number.clone()}
                            {statement.corrected.then(|| view! {
                                " " <span class="badge">{t!(i18n, statements_corrected)}</span>
                            })}
                        </td>
                        <td class="amount">{total}</td>
                        <td><a href=href download="" aria-label=label>{t!(i18n, statements_download)}</a></td>
                    </tr>
                }
            })
            .collect_view();
        view! {
            <table>
                <thead>
                    <tr>
                        <th scope="col">{t!(i18n, statements_year)}</th>
                        <th scope="col">{t!(i18n, statements_number)}</th>
                        <th scope="col">{t!(i18n, statements_total)}</th>
                        <th scope="col"><span class="visually-hidden">{t!(i18n, statements_download)}</span></th>
                    </tr>
                </thead>
                <tbody>{rows}</tbody>
            </table>
        }
        .into_any()
    };
    view! {
        <PageTitle text=title />
        <h1>{t!(i18n, statements_title)}</h1>
        <p>{t!(i18n, statements_intro)}</p>
        {body}
        <p><a href="/donations">{t!(i18n, statements_back)}</a></p>
    }
    .into_any()
}
