-- SPDX-FileCopyrightText: 2026 Community Database contributors
-- SPDX-License-Identifier: AGPL-3.0-or-later
--
-- Information emails: lists become data (names and descriptions per language), the consent
-- ledger refers to them, a projection of who is subscribed now, mailings with their content per
-- language, one row per recipient of a mailing (its delivery state), and bounces.

CREATE TYPE list_visibility AS ENUM ('supporters', 'staff');

CREATE TABLE info_list (
    key           text PRIMARY KEY CHECK (key ~ '^[a-z][a-z0-9_-]{0,62}$'),
    -- A subscription counts only once confirmed through a mailed link (registration, settings).
    double_opt_in boolean NOT NULL DEFAULT true,
    -- "supporters": offered at registration and in the settings; "staff": only staff subscribe
    -- people (a list of volunteers, say), and the settings show it only to its subscribers.
    visibility    list_visibility NOT NULL DEFAULT 'supporters',
    -- Names the promise the description makes; recorded with every consent. Changes whenever the
    -- description's promise does (the translations of one version say the same).
    text_version  text NOT NULL CHECK (char_length(text_version) BETWEEN 1 AND 100),
    -- Order on forms.
    position      integer NOT NULL DEFAULT 0,
    created_at    timestamptz NOT NULL DEFAULT now(),
    -- No longer offered or sent to; its ledger rows stay.
    archived_at   timestamptz
);

CREATE TABLE info_list_text (
    list_key    text NOT NULL REFERENCES info_list (key) ON DELETE CASCADE,
    language    text NOT NULL CHECK (language ~ '^[a-z]{2,3}$'),
    name        text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 100),
    description text NOT NULL CHECK (char_length(description) <= 1000),
    PRIMARY KEY (list_key, language)
);

-- The two lists the enum knew, with the texts the forms showed.
INSERT INTO info_list (key, text_version, position) VALUES
    ('newsletter', 'newsletter-2026-11', 1),
    ('campaigns', 'campaigns-2026-11', 2);
INSERT INTO info_list_text (list_key, language, name, description) VALUES
    ('newsletter', 'en', 'Newsletter', 'About once a month: what we did and what is coming. You can unsubscribe at any time.'),
    ('newsletter', 'de', 'Newsletter', 'Etwa einmal im Monat: was wir getan haben und was ansteht. Abbestellen können Sie jederzeit.'),
    ('campaigns', 'en', 'Campaigns', 'Now and then: calls to act on petitions, consultations and events. You can unsubscribe at any time.'),
    ('campaigns', 'de', 'Kampagnen', 'Ab und zu: Aufrufe zu Petitionen, Konsultationen und Veranstaltungen. Abbestellen können Sie jederzeit.');

-- Any list a ledger row names exists (older rows could only name the two above).
INSERT INTO info_list (key, text_version, archived_at)
SELECT DISTINCT list, 'unknown', now() FROM consent
WHERE list NOT IN (SELECT key FROM info_list);
ALTER TABLE consent ADD CONSTRAINT consent_list_exists FOREIGN KEY (list) REFERENCES info_list (key);

-- Who is subscribed now: the newest ledger row per (person, list), kept in the same transaction
-- as each ledger row (domain::consent), so a segment over a million persons need not scan the
-- ledger.
CREATE TABLE subscription (
    list_key   text NOT NULL REFERENCES info_list (key) ON DELETE CASCADE,
    person_id  uuid NOT NULL REFERENCES person (id) ON DELETE CASCADE,
    since      timestamptz NOT NULL,
    PRIMARY KEY (list_key, person_id)
);
CREATE INDEX subscription_person ON subscription (person_id);
INSERT INTO subscription (list_key, person_id, since)
SELECT list, person_id, recorded_at FROM (
    SELECT DISTINCT ON (person_id, list) person_id, list, state, recorded_at
    FROM consent ORDER BY person_id, list, id DESC
) newest
WHERE state = 'subscribed';

-- Addresses that bounce. A hard bounce (5.x.x) counts; after mailing.hard_bounce_limit of them
-- the address is undeliverable and no mailing is sent to it until it is confirmed again.
ALTER TABLE email_address
    ADD COLUMN hard_bounces integer NOT NULL DEFAULT 0 CHECK (hard_bounces >= 0),
    ADD COLUMN soft_bounces integer NOT NULL DEFAULT 0 CHECK (soft_bounces >= 0),
    ADD COLUMN undeliverable_since timestamptz;

CREATE TYPE mailing_state AS ENUM ('draft', 'scheduled', 'sending', 'paused', 'sent');

CREATE TABLE mailing (
    id                uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    -- Staff's name for it; never shown to recipients.
    title             text NOT NULL CHECK (char_length(title) BETWEEN 1 AND 200),
    list_key          text NOT NULL REFERENCES info_list (key),
    -- domain::mailing::Segment as JSON: the filters a recipient must match besides the list.
    segment           jsonb NOT NULL DEFAULT '{}'::jsonb,
    -- The content used for a recipient whose language has none.
    fallback_language text NOT NULL CHECK (fallback_language ~ '^[a-z]{2,3}$'),
    state             mailing_state NOT NULL DEFAULT 'draft',
    scheduled_for     timestamptz,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    -- When the recipients were chosen (the segment is fixed from then on).
    started_at        timestamptz,
    finished_at       timestamptz,
    CHECK (state <> 'scheduled' OR scheduled_for IS NOT NULL),
    CHECK ((state IN ('draft', 'scheduled')) = (started_at IS NULL))
);
CREATE INDEX mailing_due ON mailing (state, scheduled_for) WHERE state IN ('scheduled', 'sending');

-- Subject and Markdown body in one language; both MiniJinja templates checked when saved.
CREATE TABLE mailing_content (
    mailing_id uuid NOT NULL REFERENCES mailing (id) ON DELETE CASCADE,
    language   text NOT NULL CHECK (language ~ '^[a-z]{2,3}$'),
    subject    text NOT NULL CHECK (char_length(subject) BETWEEN 1 AND 250),
    body       text NOT NULL CHECK (char_length(body) BETWEEN 1 AND 200000),
    PRIMARY KEY (mailing_id, language)
);

-- The ledger says which mailing an unsubscribe came from.
ALTER TABLE consent ADD COLUMN mailing_id uuid REFERENCES mailing (id) ON DELETE SET NULL;

CREATE TYPE recipient_state AS ENUM ('queued', 'sent', 'failed', 'skipped');

-- One row per person a mailing goes to, chosen when sending starts. The mail itself is rendered
-- when it is sent, never stored. A sender leases rows by moving next_attempt_at past the lease
-- (as mail_job does), so a sender that dies leaves its rows to another once the lease ends.
CREATE TABLE mailing_recipient (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    mailing_id      uuid NOT NULL REFERENCES mailing (id) ON DELETE CASCADE,
    person_id       uuid REFERENCES person (id) ON DELETE SET NULL,
    address         text NOT NULL,
    state           recipient_state NOT NULL DEFAULT 'queued',
    attempts        integer NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    sent_at         timestamptz,
    -- Why it failed or was skipped (an SMTP reply, "unsubscribed before sending").
    last_error      text CHECK (char_length(last_error) <= 1000),
    UNIQUE (mailing_id, person_id)
);
CREATE INDEX mailing_recipient_due ON mailing_recipient (mailing_id, next_attempt_at) WHERE state = 'queued';
CREATE INDEX mailing_recipient_person ON mailing_recipient (person_id);

-- Every bounce taken in: from a delivery status notification in the bounce Maildir, or a
-- permanent refusal while sending. A DSN file is taken once (its SHA-256), however often the
-- folder is imported.
CREATE TABLE bounce (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    recipient_id bigint REFERENCES mailing_recipient (id) ON DELETE SET NULL,
    address      text NOT NULL,
    permanent    boolean NOT NULL,
    -- The enhanced status code ("5.1.1") or SMTP reply code.
    status       text NOT NULL CHECK (char_length(status) <= 20),
    diagnostic   text CHECK (char_length(diagnostic) <= 1000),
    source       text NOT NULL CHECK (source IN ('dsn', 'smtp')),
    file_sha256  bytea CHECK (octet_length(file_sha256) = 32),
    received_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (file_sha256, address)
);
CREATE INDEX bounce_recipient ON bounce (recipient_id);
