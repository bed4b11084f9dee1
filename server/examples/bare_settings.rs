// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later

//! The yardstick for the settings page in BENCHMARKS.md: a bare axum handler that does what
//! `GET /settings` does before rendering (the same session store, the same queries through
//! `app::ssr::my_data`) and answers JSON instead of a page. `scripts/bench-server.sh` runs it.
//! Settings as for `server` (CDB_* variables, DATABASE_URL); listens on CDB_HTTP__LISTEN.

use app::ssr::session_keys::PERSON;
use axum::Json;
use axum::Router;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use hosting::config::Settings;
use http::StatusCode;
use sqlx::PgPool;
use tower_sessions::{Session, SessionManagerLayer};
use tower_sessions_sqlx_store::PostgresStore;

// The same allocator as `server`, so the comparison is of the work, not of the allocators.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

async fn my_data_json(State(pool): State<PgPool>, session: Session) -> Response {
    let Ok(Some(id)) = session.get::<uuid::Uuid>(PERSON).await else {
        return StatusCode::UNAUTHORIZED.into_response();
    };
    match app::ssr::my_data(&pool, domain::types::PersonId::from(id)).await {
        Ok(Some(data)) => Json(data).into_response(),
        Ok(None) => StatusCode::NOT_FOUND.into_response(),
        Err(_) => StatusCode::SERVICE_UNAVAILABLE.into_response(),
    }
}

#[tokio::main]
async fn main() -> Result<(), String> {
    let settings = Settings::load(None).map_err(|e| e.to_string())?;
    let connect = settings.connect_options().map_err(|e| e.to_string())?;
    let pool = domain::db::lazy_pool(connect, &settings.pool_settings());
    let sessions = SessionManagerLayer::new(PostgresStore::new(pool.clone()))
        .with_name("cdb_session")
        .with_secure(false);
    let router = Router::new().route("/settings.json", get(my_data_json)).layer(sessions).with_state(pool);
    let listener = tokio::net::TcpListener::bind(settings.http.listen).await.map_err(|e| e.to_string())?;
    axum::serve(listener, router).await.map_err(|e| e.to_string())
}
