// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! Every answer the proxy gives itself, mapped to HTTP in one place. Bodies are short plain
//! text meant for people; they never carry upstream error details.

use crate::access::Denied;
use crate::state::ProxyBody;
use bytes::Bytes;
use http::{HeaderValue, Response, StatusCode, header};
use http_body_util::{BodyExt, Full};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProxyError {
    /// The `Host` names no configured site.
    UnknownHost,
    /// A TLS connection made (by SNI) for one site carries a request for another.
    Misdirected,
    /// The site has no route for the path.
    NoRoute,
    BodyTooLarge,
    BadRequest(&'static str),
    Denied(Denied),
    /// Every upstream tried refused the connection or failed before answering.
    UpstreamUnavailable,
    /// The upstream accepted the request but sent no response head in time.
    UpstreamTimeout,
}

impl ProxyError {
    pub fn status(&self) -> StatusCode {
        match self {
            Self::UnknownHost | Self::Misdirected => StatusCode::MISDIRECTED_REQUEST,
            Self::NoRoute => StatusCode::NOT_FOUND,
            Self::BodyTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::Denied(Denied::Unauthenticated(_)) => StatusCode::UNAUTHORIZED,
            Self::Denied(Denied::Forbidden) => StatusCode::FORBIDDEN,
            Self::Denied(Denied::KeysUnavailable) => StatusCode::SERVICE_UNAVAILABLE,
            Self::UpstreamUnavailable => StatusCode::BAD_GATEWAY,
            Self::UpstreamTimeout => StatusCode::GATEWAY_TIMEOUT,
        }
    }

    fn message(&self) -> String {
        match self {
            Self::UnknownHost => "This server does not serve that host name.".into(),
            Self::Misdirected => {
                "This connection was opened for another host name; connect again for this one.".into()
            }
            Self::NoRoute => "Nothing is served at this path.".into(),
            Self::BodyTooLarge => "The request body is larger than this server accepts.".into(),
            Self::BadRequest(why) => format!("Bad request: {why}."),
            Self::Denied(Denied::Unauthenticated(why)) => {
                format!("This page needs you to be logged in ({why}).")
            }
            Self::Denied(Denied::Forbidden) => {
                "Your account is not in a group that may open this page.".into()
            }
            Self::Denied(Denied::KeysUnavailable) => {
                "The login service cannot be reached to check your access; try again shortly.".into()
            }
            Self::UpstreamUnavailable => "The service behind this address is not reachable right now.".into(),
            Self::UpstreamTimeout => "The service behind this address did not answer in time.".into(),
        }
    }

    pub fn into_response(self) -> Response<ProxyBody> {
        let mut response = text(self.status(), format!("{}\n", self.message()));
        if let Self::Denied(Denied::Unauthenticated(why)) = &self {
            let challenge = format!("Bearer error=\"invalid_token\", error_description=\"{why}\"");
            if let Ok(value) = HeaderValue::from_str(&challenge) {
                response.headers_mut().insert(header::WWW_AUTHENTICATE, value);
            }
        }
        response
    }
}

pub fn text(status: StatusCode, body: impl Into<Bytes>) -> Response<ProxyBody> {
    let mut response = Response::new(full(body));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain; charset=utf-8"));
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

pub fn full(body: impl Into<Bytes>) -> ProxyBody {
    Full::new(body.into()).map_err(|never| match never {}).boxed()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_refusal_has_its_status() {
        let cases = [
            (ProxyError::UnknownHost, 421),
            (ProxyError::Misdirected, 421),
            (ProxyError::NoRoute, 404),
            (ProxyError::BodyTooLarge, 413),
            (ProxyError::BadRequest("x"), 400),
            (ProxyError::Denied(Denied::Unauthenticated("token expired")), 401),
            (ProxyError::Denied(Denied::Forbidden), 403),
            (ProxyError::Denied(Denied::KeysUnavailable), 503),
            (ProxyError::UpstreamUnavailable, 502),
            (ProxyError::UpstreamTimeout, 504),
        ];
        for (error, status) in cases {
            let response = error.clone().into_response();
            assert_eq!(response.status().as_u16(), status, "{error:?}");
            assert_eq!(response.headers().contains_key(header::WWW_AUTHENTICATE), status == 401);
        }
    }
}
