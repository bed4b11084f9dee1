-- SPDX-FileCopyrightText: 2026 Community Database contributors
-- SPDX-License-Identifier: AGPL-3.0-or-later
--
-- Command links (every action a mail offers: confirm a registration, confirm an address, ...)
-- and the consent ledger for information emails.

-- A random token is mailed once; only its SHA-256 is kept. `kind` names the variant of
-- domain::command_link::Command, `payload` holds its data.
CREATE TABLE command_link (
    token_hash bytea PRIMARY KEY CHECK (octet_length(token_hash) = 32),
    kind       text NOT NULL CHECK (kind ~ '^[a-z][a-z_]{0,63}$'),
    payload    jsonb NOT NULL DEFAULT '{}'::jsonb,
    person_id  uuid NOT NULL REFERENCES person (id) ON DELETE CASCADE,
    expires_at timestamptz NOT NULL,
    uses_left  integer NOT NULL CHECK (uses_left >= 0),
    used_at    timestamptz,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX command_link_person ON command_link (person_id, kind);
CREATE INDEX command_link_expires ON command_link (expires_at);

CREATE TYPE consent_state AS ENUM ('subscribed', 'unsubscribed');

-- One row per change of mind: the current state of a (person, list) is its newest row. Rows
-- are never updated, so the ledger shows what a person agreed to, when, where and to which text.
CREATE TABLE consent (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    person_id    uuid NOT NULL REFERENCES person (id) ON DELETE CASCADE,
    list         text NOT NULL CHECK (list ~ '^[a-z][a-z0-9_-]{0,62}$'),
    state        consent_state NOT NULL,
    recorded_at  timestamptz NOT NULL DEFAULT now(),
    -- "registration form", "settings", "unsubscribe link", "staff", ...
    source       text NOT NULL CHECK (char_length(source) BETWEEN 1 AND 200),
    -- The version of the text the person saw when deciding.
    text_version text NOT NULL CHECK (char_length(text_version) BETWEEN 1 AND 100)
);
CREATE INDEX consent_person_list ON consent (person_id, list, id DESC);
