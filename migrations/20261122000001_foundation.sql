-- SPDX-FileCopyrightText: 2026 Community Database contributors
-- SPDX-License-Identifier: AGPL-3.0-or-later
--
-- The foundation schema: persons, their email addresses and accounts, groups, the audit log and
-- the web sessions. Never edit this file once it has landed; add a new migration instead.

-- Supporter numbers come from a sequence so that a number is handed out once and never again,
-- even when the person it went to is deleted. They start at 1000 so that early numbers do not
-- read like test data.
CREATE SEQUENCE supporter_number_seq AS bigint START WITH 1000 MINVALUE 1;

CREATE TABLE person (
    id                  uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    -- Assigned when the person confirms their address (not at registration), so that
    -- unconfirmed sign-ups do not consume numbers. Immutable once set (trigger below).
    supporter_number    bigint UNIQUE CHECK (supporter_number > 0),
    display_name        text NOT NULL CHECK (char_length(display_name) BETWEEN 1 AND 200),
    -- ISO 3166-1 alpha-2 of the country the person lives in; validated in domain.
    country             text CHECK (country ~ '^[A-Z]{2}$'),
    -- Postal address lines; optional as a whole, validated in domain. The country of the address
    -- is the person's country.
    address_street      text CHECK (char_length(address_street) <= 200),
    address_extra       text CHECK (char_length(address_extra) <= 200),
    address_postal_code text CHECK (char_length(address_postal_code) <= 20),
    address_city        text CHECK (char_length(address_city) <= 100),
    address_region      text CHECK (char_length(address_region) <= 100),
    -- A language the organisation writes in (a lower-case ISO 639 code); emails use it too.
    preferred_language  text NOT NULL CHECK (preferred_language ~ '^[a-z]{2,3}$'),
    -- Campaign or page that brought the person, as given in the registration link.
    referrer            text CHECK (char_length(referrer) <= 100),
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    CHECK ((address_street IS NULL) = (address_city IS NULL))
);

CREATE FUNCTION person_supporter_number_is_immutable() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.supporter_number IS NOT NULL
       AND NEW.supporter_number IS DISTINCT FROM OLD.supporter_number THEN
        RAISE EXCEPTION 'supporter number % cannot change', OLD.supporter_number
            USING ERRCODE = 'check_violation', CONSTRAINT = 'person_supporter_number_immutable';
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER person_supporter_number_immutable
    BEFORE UPDATE OF supporter_number ON person
    FOR EACH ROW EXECUTE FUNCTION person_supporter_number_is_immutable();

CREATE TABLE email_address (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    person_id   uuid NOT NULL REFERENCES person (id) ON DELETE CASCADE,
    -- Stored as normalised by domain (domain part in lower-case ASCII); the local part keeps
    -- the case the person typed, because that is how they expect to see it.
    address     text NOT NULL CHECK (char_length(address) BETWEEN 3 AND 254),
    is_primary  boolean NOT NULL DEFAULT false,
    verified_at timestamptz,
    created_at  timestamptz NOT NULL DEFAULT now()
);
-- One owner per address, whatever its case: "Ada@Example.org" and "ada@example.org" are one.
CREATE UNIQUE INDEX email_address_unique ON email_address (lower(address));
-- At most one primary address per person.
CREATE UNIQUE INDEX email_address_one_primary ON email_address (person_id) WHERE is_primary;
CREATE INDEX email_address_person ON email_address (person_id);

CREATE TYPE directory_kind AS ENUM ('builtin', 'ldap');

CREATE TABLE account (
    person_id       uuid PRIMARY KEY REFERENCES person (id) ON DELETE CASCADE,
    -- Optional; people may log in with any verified email address instead.
    login_name      text CHECK (login_name ~ '^[a-z0-9][a-z0-9._-]{1,63}$'),
    directory       directory_kind NOT NULL DEFAULT 'builtin',
    -- PHC string (argon2id) for the built-in directory; NULL until a password is set.
    password_hash   text,
    -- Distinguished name of the entry for the LDAP directory.
    ldap_dn         text,
    disabled        boolean NOT NULL DEFAULT false,
    failed_logins   integer NOT NULL DEFAULT 0 CHECK (failed_logins >= 0),
    last_failed_at  timestamptz,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    -- A credential belongs to exactly one directory.
    CONSTRAINT account_credential_matches_directory CHECK (
        (directory = 'builtin' AND ldap_dn IS NULL)
        OR (directory = 'ldap' AND password_hash IS NULL AND ldap_dn IS NOT NULL)
    )
);
CREATE UNIQUE INDEX account_login_name_unique ON account (login_name);

CREATE TABLE groups (
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    -- Machine name used in tokens and access rules.
    name         text NOT NULL UNIQUE CHECK (name ~ '^[a-z0-9][a-z0-9_-]{0,62}$'),
    display_name text NOT NULL CHECK (char_length(display_name) BETWEEN 1 AND 200),
    description  text NOT NULL DEFAULT '' CHECK (char_length(description) <= 2000),
    created_at   timestamptz NOT NULL DEFAULT now()
);

CREATE TYPE group_role AS ENUM ('member', 'admin', 'owner');

CREATE TABLE group_membership (
    group_id   uuid NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    person_id  uuid NOT NULL REFERENCES person (id) ON DELETE CASCADE,
    role       group_role NOT NULL DEFAULT 'member',
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (group_id, person_id)
);
CREATE INDEX group_membership_person ON group_membership (person_id);

CREATE TYPE actor_kind AS ENUM ('person', 'staff', 'service', 'system');

-- Who changed what, when and from where. Append-only: rows are never updated; deleting a person
-- keeps their entries with the person columns cleared, so the history stays complete.
CREATE TABLE audit_log (
    id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    occurred_at       timestamptz NOT NULL DEFAULT now(),
    actor_kind        actor_kind NOT NULL,
    actor_person_id   uuid REFERENCES person (id) ON DELETE SET NULL,
    -- For staff and services: their name (a staff login or a client id).
    actor_name        text CHECK (char_length(actor_name) <= 200),
    subject_person_id uuid REFERENCES person (id) ON DELETE SET NULL,
    action            text NOT NULL CHECK (action ~ '^[a-z][a-z0-9_.]{0,63}$'),
    details           jsonb NOT NULL DEFAULT '{}'::jsonb,
    -- Where the change came from: "cli", "settings", an IP address, ...
    source            text CHECK (char_length(source) <= 200)
);
CREATE INDEX audit_log_subject ON audit_log (subject_person_id, occurred_at);

CREATE FUNCTION audit_log_is_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    -- The ON DELETE SET NULL of the person references is the one update allowed.
    IF TG_OP = 'UPDATE'
       AND NEW.id = OLD.id AND NEW.occurred_at = OLD.occurred_at
       AND NEW.actor_kind = OLD.actor_kind AND NEW.action = OLD.action
       AND NEW.details = OLD.details
       AND NEW.actor_name IS NOT DISTINCT FROM OLD.actor_name
       AND NEW.source IS NOT DISTINCT FROM OLD.source
       AND (NEW.actor_person_id IS NULL OR NEW.actor_person_id = OLD.actor_person_id)
       AND (NEW.subject_person_id IS NULL OR NEW.subject_person_id = OLD.subject_person_id) THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'the audit log is append-only'
        USING ERRCODE = 'check_violation', CONSTRAINT = 'audit_log_append_only';
END
$$;

CREATE TRIGGER audit_log_append_only
    BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_is_append_only();

-- Web sessions of tower-sessions-sqlx-store (its default schema and table names), created here
-- rather than by the store's own migrate() so that one schema history serves every binary.
CREATE SCHEMA tower_sessions;
CREATE TABLE tower_sessions.session (
    id          text PRIMARY KEY NOT NULL,
    data        bytea NOT NULL,
    expiry_date timestamptz NOT NULL
);
CREATE INDEX session_expiry ON tower_sessions.session (expiry_date);
