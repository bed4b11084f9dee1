-- SPDX-FileCopyrightText: 2026 Community Database contributors
-- SPDX-License-Identifier: AGPL-3.0-or-later
--
-- The outgoing-mail queue, and the one-time links the idp mails to log in or to set a password.

CREATE TYPE mail_state AS ENUM ('queued', 'sent', 'failed');

-- One message to one recipient. Workers claim due rows with FOR UPDATE SKIP LOCKED and lease
-- them (next_attempt_at moves into the future), so several instances never send a row twice and
-- a worker that dies mid-send only delays its rows until the lease ends.
CREATE TABLE mail_job (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    -- What the mail is for (login_link, set_password_link, ...): for logs and metrics.
    kind            text NOT NULL CHECK (kind ~ '^[a-z_]{1,40}$'),
    person_id       uuid REFERENCES person (id) ON DELETE CASCADE,
    recipient       text NOT NULL CHECK (char_length(recipient) BETWEEN 3 AND 254),
    subject         text NOT NULL CHECK (char_length(subject) BETWEEN 1 AND 200),
    -- Plain text. Emptied once sent: bodies may hold one-time links, which must not outlive
    -- their delivery in a database backup.
    body            text NOT NULL CHECK (char_length(body) <= 100000),
    state           mail_state NOT NULL DEFAULT 'queued',
    attempts        integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    -- The SMTP server's answer to the last failed attempt.
    last_error      text CHECK (char_length(last_error) <= 1000),
    created_at      timestamptz NOT NULL DEFAULT now(),
    sent_at         timestamptz,
    CONSTRAINT mail_job_sent_has_time CHECK ((state = 'sent') = (sent_at IS NOT NULL))
);
CREATE INDEX mail_job_due ON mail_job (next_attempt_at) WHERE state = 'queued';
CREATE INDEX mail_job_person ON mail_job (person_id);

CREATE TYPE oidc_login_link_purpose AS ENUM ('login', 'set_password');

-- A link mailed by the idp. Like every token, only its SHA-256 hash is stored.
CREATE TABLE oidc_login_link (
    token_hash            bytea PRIMARY KEY CHECK (octet_length(token_hash) = 32),
    person_id             uuid NOT NULL REFERENCES person (id) ON DELETE CASCADE,
    purpose               oidc_login_link_purpose NOT NULL,
    -- The authorization request (its query string) the person was in when they asked, so that
    -- following the link finishes logging in to that client.
    authorization_request text NOT NULL CHECK (char_length(authorization_request) <= 8192),
    created_at            timestamptz NOT NULL DEFAULT now(),
    expires_at            timestamptz NOT NULL,
    used_at               timestamptz
);
CREATE INDEX oidc_login_link_person ON oidc_login_link (person_id);
CREATE INDEX oidc_login_link_expiry ON oidc_login_link (expires_at);

-- Memberships an LDAP directory reports are synchronised at each login: added when the entry
-- is in the group, removed when it no longer is. Memberships staff gave by hand are never
-- touched by the sync.
ALTER TABLE group_membership ADD COLUMN from_directory boolean NOT NULL DEFAULT false;
