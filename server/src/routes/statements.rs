// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! Annual donation statements for their supporter:
//! - `GET /donations/statements/{id}`: the stored PDF, exactly as issued, for its logged-in
//!   owner. Anyone else (another person, a visitor, an id that does not exist or a replaced
//!   statement) gets the same 404, so ids cannot be probed. The PDF is an attachment that no
//!   cache may keep (it names the donor and their address).
//! - the page data of `GET /donations/statements` ([`page`], a route layer): the person's
//!   current statements; logged out, to the login and back.
//!
//! The PDFs are rendered once, by `cdb-admin statements generate`; the server never renders.

use crate::routes::login;
use app::forms::AmountView;
use app::pages::statements::{StatementItem, StatementsView};
use app::refusal::Refusal;
use app::refusal::ssr::Answer;
use app::ssr::AppState;
use axum::extract::{Path, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use domain::payment::annual_statement;
use http::header::{CACHE_CONTROL, CONTENT_DISPOSITION, CONTENT_TYPE, X_CONTENT_TYPE_OPTIONS};
use http::{HeaderMap, HeaderValue};
use tower_sessions::Session;

const PAGE: &str = "/donations/statements";

/// `GET /donations/statements/{id}`.
#[tracing::instrument(name = "statements.download", skip_all)]
pub async fn download(
    State(state): State<AppState>,
    session: Session,
    Path(raw): Path<String>,
    headers: HeaderMap,
) -> Response {
    let not_found = || Answer::to(Refusal::NotFound, &headers).into_response();
    // A visitor gets the same answer as anyone else's statement: nothing to learn from it.
    let Some(person) = login::person(&session).await else { return not_found() };
    let Ok(id) = raw.parse::<uuid::Uuid>() else { return not_found() };
    match annual_statement::pdf(&state.pool, id, person).await {
        Ok(Some(pdf)) => {
            // Numbers are digits and dashes (a generated column), safe in a header.
            let disposition =
                HeaderValue::from_str(&format!("attachment; filename=\"statement-{}.pdf\"", pdf.number))
                    .unwrap_or(HeaderValue::from_static("attachment; filename=\"statement.pdf\""));
            (
                [
                    (CONTENT_TYPE, HeaderValue::from_static("application/pdf")),
                    (CONTENT_DISPOSITION, disposition),
                    (CACHE_CONTROL, HeaderValue::from_static("private, no-store")),
                    (X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")),
                ],
                pdf.bytes,
            )
                .into_response()
        }
        Ok(None) => {
            tracing::info!(%person, statement = %id, "no such statement of this person");
            not_found()
        }
        Err(error) => {
            tracing::error!(?error, "could not read a statement");
            Answer::to(Refusal::of_domain(&error), &headers).into_response()
        }
    }
}

/// Page data of `GET /donations/statements` (before Leptos renders).
pub async fn page(
    State(state): State<AppState>,
    session: Session,
    mut request: Request,
    next: Next,
) -> Response {
    if request.method() != http::Method::GET || request.uri().path() != PAGE {
        return next.run(request).await;
    }
    let Some(person) = login::person(&session).await else {
        return Redirect::to(&format!("/login?next={PAGE}")).into_response();
    };
    match annual_statement::for_person(&state.pool, person).await {
        Ok(list) => {
            let statements = list
                .into_iter()
                .map(|s| StatementItem {
                    id: s.id.to_string(),
                    year: s.year,
                    number: s.number,
                    corrected: s.corrected,
                    totals: s.totals.into_iter().map(AmountView::from).collect(),
                })
                .collect();
            request.extensions_mut().insert(StatementsView { statements });
        }
        // The page apologises; nothing is lost.
        Err(error) => tracing::error!(?error, "could not load the statements page data"),
    }
    next.run(request).await
}
