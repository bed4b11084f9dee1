// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! Facts about the organisation that every page shows.

use crate::error::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// What the header and footer say about the organisation running this instance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SiteInfo {
    pub organisation: String,
    /// Where the source code of this instance is published (AGPL §13).
    pub source_url: String,
}

/// Public information; needs no login.
#[server(endpoint = "site_info")]
pub async fn get_site_info() -> Result<SiteInfo, AppError> {
    Ok(crate::ssr::state()?.site)
}

/// The site information, read once per page during server rendering and handed to the browser
/// inside the page, so hydration needs no second request.
pub type SiteResource = OnceResource<Result<SiteInfo, AppError>>;

/// Makes the site information available to every component below; called once by `App`.
pub fn provide_site() {
    provide_context::<SiteResource>(OnceResource::new_blocking(get_site_info()));
}

/// The site information; empty values until it has loaded (or if it failed, which the server
/// logs).
pub fn use_site() -> impl Fn() -> SiteInfo + Copy + Send + Sync + 'static {
    let site = use_context::<SiteResource>();
    move || {
        site.and_then(|s| s.get())
            .and_then(Result::ok)
            .unwrap_or_else(|| SiteInfo { organisation: String::new(), source_url: String::new() })
    }
}
