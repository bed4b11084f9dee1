// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! `/u/{token}`: the unsubscribe link of every campaign mail (`List-Unsubscribe`), with
//! RFC 8058's one-click `POST`.
//!
//! - `GET` ([`page`], before the Leptos page renders) names the list and offers one button.
//!   It changes nothing: mail scanners and link previews fetch every link of a mail.
//! - `POST` ([`submit`]) with the body `List-Unsubscribe=One-Click`, form-urlencoded or
//!   multipart (RFC 8058 §3.1), unsubscribes at once and answers 200 with the page saying so,
//!   also when the person had left the list already. Mail clients send it without cookies and
//!   from no page of ours, so the route is exempt from the same-origin check by path
//!   (`startup.rs`), needs no session and sets no cookie: the signed token is the authority,
//!   and it can only ever unsubscribe its person from its list. Any other body is 400.
//! - A token that does not verify (forged, truncated, another person's bytes, its mailing
//!   deleted), and every token while campaigns are not set up (no `mailing.key_file`), gets
//!   the page's 404 "not valid", whatever the reason: the answer tells nothing about who or
//!   what exists.
//!
//! The token is in the address, so these answers carry `Referrer-Policy: no-referrer` and
//! `Cache-Control: no-store` ([`private_headers`]).

use app::forms::ListView;
use app::pages::unsubscribe::UnsubscribeView;
use app::refusal::Refusal;
use app::refusal::ssr::Answer;
use app::ssr::AppState;
use axum::body::Body;
use axum::extract::{Path, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use domain::consent::ListKey;
use domain::mailing::feedback;
use http::{HeaderMap, HeaderValue, Method, header};

/// The path prefix of unsubscribe links; the only one exempt from the same-origin check
/// besides the webhooks.
pub const PREFIX: &str = "/u/";

/// Longest body read: the one-click body is 26 bytes, a multipart one a few hundred.
const MAX_BODY: usize = 4 * 1024;

/// The form field and value of RFC 8058 §3.1.
const FIELD: &str = "List-Unsubscribe";
const ONE_CLICK: &str = "One-Click";

/// `GET /u/{token}`: what the link would do, for the page (a route layer of the Leptos pages).
pub async fn page(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    if request.method() != Method::GET {
        return next.run(request).await;
    }
    let Some(token) = request.uri().path().strip_prefix(PREFIX).map(str::to_owned) else {
        return next.run(request).await;
    };
    let view = match look_up(&state, &token).await {
        Ok(view) => view,
        Err(refusal) => return Answer::to(refusal, request.headers()).into_response(),
    };
    request.extensions_mut().insert(view);
    next.run(request).await
}

async fn look_up(state: &AppState, token: &str) -> Result<UnsubscribeView, Refusal> {
    let Some(keys) = &state.mailing_keys else { return Ok(UnsubscribeView::Invalid) };
    match feedback::check_link(&state.pool, keys, token).await {
        Ok(Some((_, key))) => Ok(UnsubscribeView::Ready { list: list_view(state, &key).await? }),
        Ok(None) => Ok(UnsubscribeView::Invalid),
        Err(error) => Err(failed(&error)),
    }
}

/// `POST /u/{token}`: the one-click unsubscribe (RFC 8058), from a mail client or the page's
/// button.
#[tracing::instrument(name = "unsubscribe link", skip_all)]
pub async fn submit(State(state): State<AppState>, Path(token): Path<String>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let Ok(body) = axum::body::to_bytes(body, MAX_BODY).await else {
        return Answer::to(Refusal::TooLarge, &parts.headers).into_response();
    };
    if !is_one_click(&parts.headers, &body) {
        return Answer::to(Refusal::Malformed, &parts.headers).into_response();
    }
    let view = match &state.mailing_keys {
        None => UnsubscribeView::Invalid,
        Some(keys) => match feedback::unsubscribe_by_link(&state.pool, keys, &token).await {
            Ok(Some(done)) => {
                tracing::info!(person = %done.person, list = %done.list, changed = done.changed, "unsubscribed by link");
                match list_view(&state, &done.list).await {
                    Ok(list) => UnsubscribeView::Done { list },
                    Err(refusal) => return Answer::to(refusal, &parts.headers).into_response(),
                }
            }
            Ok(None) => {
                tracing::info!("unsubscribe link refused");
                UnsubscribeView::Invalid
            }
            Err(error) => return Answer::to(failed(&error), &parts.headers).into_response(),
        },
    };
    render(&state, parts, view).await
}

/// The Leptos page at the request's address, showing `view` (as a `GET` of it would render).
async fn render(state: &AppState, mut parts: http::request::Parts, view: UnsubscribeView) -> Response {
    parts.extensions.insert(view);
    let (context, options) = (state.clone(), state.leptos_options.clone());
    let render = leptos_axum::render_app_async_with_context(
        move || leptos::prelude::provide_context(context.clone()),
        move || app::shell(options.clone()),
    );
    render(Request::from_parts(parts, Body::empty())).await
}

/// The list's texts for the page; a list row gone meanwhile shows its key.
async fn list_view(state: &AppState, key: &ListKey) -> Result<ListView, Refusal> {
    match app::ssr::lists::get(&state.pool, key).await {
        Ok(Some(list)) => Ok(ListView::from(&list)),
        Ok(None) => Ok(ListView { key: key.as_str().to_owned(), double_opt_in: false, texts: Vec::new() }),
        Err(error) => Err(failed(&error)),
    }
}

fn failed(error: &domain::DomainError) -> Refusal {
    let refusal = Refusal::of_domain(error);
    tracing::error!(?error, "unsubscribe link failed");
    refusal
}

/// Whether the body is RFC 8058's `List-Unsubscribe=One-Click`, as
/// `application/x-www-form-urlencoded` or `multipart/form-data` (§3.1: the sender may use
/// either). Other fields beside it are tolerated; a second, different `List-Unsubscribe` is
/// not.
fn is_one_click(headers: &HeaderMap, body: &[u8]) -> bool {
    let content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default();
    let essence = content_type.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
    let values: Vec<String> = match essence.as_str() {
        "application/x-www-form-urlencoded" => url::form_urlencoded::parse(body)
            .filter(|(name, _)| name == FIELD)
            .map(|(_, value)| value.trim().to_owned())
            .collect(),
        "multipart/form-data" => match boundary(content_type) {
            Some(boundary) => multipart_values(body, &boundary, FIELD),
            None => return false,
        },
        _ => return false,
    };
    !values.is_empty() && values.iter().all(|v| v == ONE_CLICK)
}

/// The `boundary` parameter of a multipart content type (RFC 7578 §4.1, RFC 2046 §5.1.1),
/// quoted or not.
fn boundary(content_type: &str) -> Option<String> {
    content_type.split(';').skip(1).find_map(|param| {
        let (name, value) = param.split_once('=')?;
        if !name.trim().eq_ignore_ascii_case("boundary") {
            return None;
        }
        let value = value.trim().trim_matches('"');
        (!value.is_empty() && value.len() <= 70).then(|| value.to_owned())
    })
}

/// The values of the parts named `field` in a `multipart/form-data` body. Only what a form of
/// text fields needs: each part's `Content-Disposition` name, and its content up to the next
/// delimiter.
fn multipart_values(body: &[u8], boundary: &str, field: &str) -> Vec<String> {
    let Ok(body) = std::str::from_utf8(body) else { return Vec::new() };
    let delimiter = format!("--{boundary}");
    let mut values = Vec::new();
    // Before the first delimiter is the preamble, after the closing `--` the epilogue.
    for part in body.split(delimiter.as_str()).skip(1) {
        if part.starts_with("--") {
            break;
        }
        let part = part.strip_prefix("\r\n").or_else(|| part.strip_prefix('\n')).unwrap_or(part);
        let Some((head, content)) = part.split_once("\r\n\r\n").or_else(|| part.split_once("\n\n")) else {
            continue;
        };
        let named = head.lines().any(|line| {
            let Some((name, value)) = line.split_once(':') else { return false };
            name.trim().eq_ignore_ascii_case("content-disposition")
                && value.split(';').skip(1).any(|param| {
                    param.split_once('=').is_some_and(|(k, v)| {
                        k.trim().eq_ignore_ascii_case("name") && v.trim().trim_matches('"') == field
                    })
                })
        });
        if named {
            let content =
                content.strip_suffix("\r\n").or_else(|| content.strip_suffix('\n')).unwrap_or(content);
            values.push(content.trim().to_owned());
        }
    }
    values
}

/// Outermost on the answers of `/u/…`: the token is in the address, so no page of ours may
/// pass it on in `Referer` (our other pages send `same-origin`), and no cache may keep it.
pub async fn private_headers(request: Request, next: Next) -> Response {
    let private = request.uri().path().starts_with(PREFIX);
    let mut response = next.run(request).await;
    if private {
        let headers = response.headers_mut();
        headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn typed(content_type: &'static str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
        headers
    }

    #[test]
    fn the_one_click_body_is_recognised_in_both_encodings() {
        let form = typed("application/x-www-form-urlencoded");
        assert!(is_one_click(&form, b"List-Unsubscribe=One-Click"));
        assert!(is_one_click(
            &typed("application/x-www-form-urlencoded; charset=UTF-8"),
            b"List-Unsubscribe=One-Click"
        ));
        let multipart = typed("multipart/form-data; boundary=\"----abc\"");
        let body = "------abc\r\nContent-Disposition: form-data; name=\"List-Unsubscribe\"\r\n\r\nOne-Click\r\n------abc--\r\n";
        assert!(is_one_click(&multipart, body.as_bytes()));
        let unquoted = typed("multipart/form-data; boundary=XyZ");
        let body =
            "--XyZ\r\ncontent-disposition: form-data; name=List-Unsubscribe\r\n\r\nOne-Click\r\n--XyZ--";
        assert!(is_one_click(&unquoted, body.as_bytes()));
    }

    #[test]
    fn every_other_body_is_refused() {
        let form = typed("application/x-www-form-urlencoded");
        for body in [
            &b""[..],
            b"List-Unsubscribe=Yes",
            b"action=confirm",
            b"list-unsubscribe=one-click",
            b"List-Unsubscribe=One-Click&List-Unsubscribe=No",
        ] {
            assert!(!is_one_click(&form, body), "{}", String::from_utf8_lossy(body));
        }
        assert!(!is_one_click(&HeaderMap::new(), b"List-Unsubscribe=One-Click"));
        assert!(!is_one_click(&typed("text/plain"), b"List-Unsubscribe=One-Click"));
        assert!(!is_one_click(&typed("multipart/form-data"), b"List-Unsubscribe=One-Click"));
        let multipart = typed("multipart/form-data; boundary=b");
        let other = "--b\r\nContent-Disposition: form-data; name=\"other\"\r\n\r\nOne-Click\r\n--b--";
        assert!(!is_one_click(&multipart, other.as_bytes()));
    }
}
