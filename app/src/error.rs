// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! The error every server function returns. It crosses the wire as JSON, so it carries kinds,
//! not internal messages: the page translates each kind for the reader.

use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum AppError {
    /// Something failed on the server; the cause is in the server's log, not here.
    #[error("internal server error")]
    Internal,
    /// The request never reached the function body, or its answer could not be read.
    #[error(transparent)]
    ServerFn(#[from] ServerFnErrorErr),
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        Self::ServerFn(value)
    }
}
