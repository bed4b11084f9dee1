// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! Facts about the organisation that every page shows.

use crate::error::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// What the header and footer say about the organisation running this instance.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
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

/// The site information as it travels to the browser: read once during server rendering and
/// sent inside the page, so hydration needs no second request.
pub type SiteResource = OnceResource<Result<SiteInfo, AppError>>;

/// Makes the site information available to every component below; called once by `App`.
pub fn provide_site() {
    provide_context::<SiteResource>(OnceResource::new_blocking(get_site_info()));
}

/// The site information. On the server it comes straight from the state, synchronously, so it
/// is complete in the first render pass (titles are taken from that pass); in the browser it
/// comes from the resource the server filled in. Empty if missing (the server logs why).
pub fn use_site() -> impl Fn() -> SiteInfo + Copy + Send + Sync + 'static {
    #[cfg(feature = "ssr")]
    {
        || crate::ssr::state().map(|state| state.site).unwrap_or_default()
    }
    #[cfg(not(feature = "ssr"))]
    {
        let site = use_context::<SiteResource>();
        move || site.and_then(|s| s.get()).and_then(Result::ok).unwrap_or_default()
    }
}
