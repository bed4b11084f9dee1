-- SPDX-FileCopyrightText: 2026 Community Database contributors
-- SPDX-License-Identifier: AGPL-3.0-or-later
--
-- Annual donation statements (German "Zuwendungsbestätigung" / "Sammelbestätigung"). A
-- statement, once issued, is a record the organisation must be able to show as it was handed
-- out: its PDF, number, the donor's name and address as printed and its totals are stored and
-- never updated. A later refund makes a *corrected* statement (same serial, next revision) that
-- names the one it replaces; the old row stays, marked `replaced_at`. The only columns that ever
-- change are `replaced_at` (once), `sent_at` (once) and `person_id` (to NULL when the person is
-- erased: the tax record stays, without the link to the account). Never edit this file once
-- it has landed.

-- The last serial given out per year, so numbers are dense and human (`2026-000042`).
CREATE TABLE annual_statement_serial (
    year integer PRIMARY KEY CHECK (year BETWEEN 2000 AND 2999),
    last integer NOT NULL CHECK (last > 0)
);

CREATE TABLE annual_statement (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    -- Erasing a person keeps the statement (tax law requires the record, and the name and
    -- address printed on it are part of that record) but drops the link to the account.
    person_id       uuid REFERENCES person (id) ON DELETE SET NULL,
    year            integer NOT NULL CHECK (year BETWEEN 2000 AND 2999),
    serial          integer NOT NULL CHECK (serial > 0),
    -- 1 for the first statement of a serial, 2 for its first correction, ...
    revision        integer NOT NULL DEFAULT 1 CHECK (revision > 0),
    number          text GENERATED ALWAYS AS (
                        year::text || '-' || lpad(serial::text, 6, '0')
                        || CASE WHEN revision > 1 THEN '-' || revision::text ELSE '' END
                    ) STORED,
    language        text NOT NULL CHECK (language IN ('en', 'de')),
    -- The donor as printed: the only personal data kept here, because a donation receipt must
    -- name them. The address is its printed lines joined by newlines (each line was cleaned of
    -- control characters when the person entered it).
    donor_name      text NOT NULL CHECK (char_length(donor_name) BETWEEN 1 AND 2000),
    donor_address   text NOT NULL DEFAULT '' CHECK (char_length(donor_address) <= 10000),
    -- Totals per currency, net of refunds: [{"currency": "EUR", "minor": 12000}, ...].
    totals          jsonb NOT NULL,
    pdf             bytea NOT NULL CHECK (octet_length(pdf) > 0),
    -- The statement this one corrects (and replaces).
    replaces        uuid REFERENCES annual_statement (id) ON DELETE RESTRICT,
    replaced_at     timestamptz,
    issued_at       timestamptz NOT NULL DEFAULT now(),
    sent_at         timestamptz,
    CONSTRAINT annual_statement_revision_unique UNIQUE (year, serial, revision),
    CONSTRAINT annual_statement_number_unique UNIQUE (number),
    CHECK ((revision = 1) = (replaces IS NULL))
);
-- At most one current (not replaced) statement per person and year: two staff members running
-- `generate` at once cannot both issue one.
CREATE UNIQUE INDEX annual_statement_current_unique ON annual_statement (person_id, year)
    WHERE replaced_at IS NULL AND person_id IS NOT NULL;
CREATE INDEX annual_statement_year ON annual_statement (year);
CREATE INDEX annual_statement_unsent ON annual_statement (year) WHERE sent_at IS NULL AND replaced_at IS NULL;

-- The payments on a statement, as printed: date, net amount after refunds at the time of
-- issue, currency and reference are copies, so the record does not change when the payment
-- does (that is what a correction is for).
CREATE TABLE annual_statement_line (
    statement_id uuid NOT NULL REFERENCES annual_statement (id) ON DELETE RESTRICT,
    position     integer NOT NULL CHECK (position >= 0),
    payment_id   uuid REFERENCES payment (id) ON DELETE SET NULL,
    booked_on    date NOT NULL,
    net_minor    bigint NOT NULL CHECK (net_minor > 0),
    currency     char(3) NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    reference    text CHECK (char_length(reference) <= 64),
    -- Mirrors `annual_statement.replaced_at IS NULL` (set false in the transaction that
    -- replaces the statement): a partial unique index cannot look into another table.
    current      boolean NOT NULL DEFAULT true,
    PRIMARY KEY (statement_id, position)
);
-- A payment is on at most one statement that has not been replaced.
CREATE UNIQUE INDEX annual_statement_line_payment_current ON annual_statement_line (payment_id)
    WHERE current AND payment_id IS NOT NULL;
