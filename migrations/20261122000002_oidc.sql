-- SPDX-FileCopyrightText: 2026 Community Database contributors
-- SPDX-License-Identifier: AGPL-3.0-or-later
--
-- The OpenID Connect provider (idp): clients, signing keys, login sessions, authorization codes,
-- grants with their refresh tokens, revoked access tokens, and login throttling.
--
-- Every token and code is stored only as its SHA-256 hash: they are 256-bit random values, so a
-- fast hash is enough (nobody can guess one), and a database leak yields nothing usable.

CREATE TYPE oidc_client_kind AS ENUM ('confidential', 'public');

CREATE TABLE oidc_client (
    id                        text PRIMARY KEY CHECK (id ~ '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$'),
    name                      text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 200),
    kind                      oidc_client_kind NOT NULL,
    secret_hash               bytea CHECK (octet_length(secret_hash) = 32),
    redirect_uris             text[] NOT NULL DEFAULT '{}',
    post_logout_redirect_uris text[] NOT NULL DEFAULT '{}',
    grant_types               text[] NOT NULL CHECK (
        grant_types <@ ARRAY['authorization_code', 'refresh_token', 'client_credentials']),
    scopes                    text[] NOT NULL,
    created_at                timestamptz NOT NULL DEFAULT now(),
    updated_at                timestamptz NOT NULL DEFAULT now(),
    -- A confidential client always has a secret, a public one never.
    CONSTRAINT oidc_client_secret_matches_kind CHECK ((kind = 'confidential') = (secret_hash IS NOT NULL)),
    -- Only a client that can keep a secret may act on its own behalf.
    CONSTRAINT oidc_client_credentials_need_secret CHECK (
        kind = 'confidential' OR NOT ('client_credentials' = ANY (grant_types)))
);

-- ES256 keys. The newest unretired key signs; retired keys stay published until every token they
-- signed has expired, then `oidc_key` deletes them.
CREATE TABLE oidc_signing_key (
    kid         text PRIMARY KEY CHECK (kid ~ '^[A-Za-z0-9_-]{8,64}$'),
    algorithm   text NOT NULL CHECK (algorithm = 'ES256'),
    private_der bytea NOT NULL,
    public_jwk  jsonb NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    retired_at  timestamptz
);

-- Single sign-on at the idp: one row per browser login, found by the hash of its cookie.
CREATE TABLE oidc_login_session (
    id               uuid PRIMARY KEY,
    cookie_hash      bytea NOT NULL UNIQUE CHECK (octet_length(cookie_hash) = 32),
    person_id        uuid NOT NULL REFERENCES person (id) ON DELETE CASCADE,
    authenticated_at timestamptz NOT NULL DEFAULT now(),
    expires_at       timestamptz NOT NULL,
    ended_at         timestamptz
);
CREATE INDEX oidc_login_session_person ON oidc_login_session (person_id);

-- What a person (or a service client, person_id NULL) allowed a client: everything issued from
-- one authorization code belongs to one grant. Revoking the grant revokes its refresh tokens and
-- makes its access tokens inactive at introspection.
CREATE TABLE oidc_grant (
    id               uuid PRIMARY KEY,
    client_id        text NOT NULL REFERENCES oidc_client (id) ON DELETE CASCADE,
    person_id        uuid REFERENCES person (id) ON DELETE CASCADE,
    login_session_id uuid REFERENCES oidc_login_session (id) ON DELETE SET NULL,
    scopes           text[] NOT NULL,
    auth_time        timestamptz NOT NULL,
    created_at       timestamptz NOT NULL DEFAULT now(),
    revoked_at       timestamptz
);
CREATE INDEX oidc_grant_person ON oidc_grant (person_id);
CREATE INDEX oidc_grant_login_session ON oidc_grant (login_session_id);

CREATE TABLE oidc_authorization_code (
    code_hash      bytea PRIMARY KEY CHECK (octet_length(code_hash) = 32),
    grant_id       uuid NOT NULL REFERENCES oidc_grant (id) ON DELETE CASCADE,
    redirect_uri   text NOT NULL,
    nonce          text CHECK (char_length(nonce) <= 512),
    code_challenge text NOT NULL CHECK (code_challenge ~ '^[A-Za-z0-9_-]{43}$'),
    expires_at     timestamptz NOT NULL,
    used_at        timestamptz
);

-- Refresh tokens rotate: each use marks the token used and issues its successor in the same
-- grant. Presenting a used token again means it was copied: the whole grant is revoked.
CREATE TABLE oidc_refresh_token (
    token_hash bytea PRIMARY KEY CHECK (octet_length(token_hash) = 32),
    grant_id   uuid NOT NULL REFERENCES oidc_grant (id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    used_at    timestamptz
);
CREATE INDEX oidc_refresh_token_grant ON oidc_refresh_token (grant_id);

-- Access tokens are signed JWTs checked offline; revoking one (RFC 7009) records its id here so
-- introspection answers "inactive" until it would have expired anyway.
CREATE TABLE oidc_revoked_access_token (
    jti        uuid PRIMARY KEY,
    expires_at timestamptz NOT NULL
);

-- Failed login attempts per key in a fixed window. The key is the SHA-256 hash of "account:" +
-- the typed name or address, or "ip:" + the client address: no personal data is kept. In
-- PostgreSQL, so every idp instance sees the same counts.
CREATE TABLE login_throttle (
    key_hash     bytea PRIMARY KEY CHECK (octet_length(key_hash) = 32),
    failures     integer NOT NULL CHECK (failures >= 0),
    window_start timestamptz NOT NULL
);
