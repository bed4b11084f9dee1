-- SPDX-FileCopyrightText: 2026 Community Database contributors
-- SPDX-License-Identifier: AGPL-3.0-or-later
--
-- Pledges that outlive their collector: why a pledge needs renewal, the one reminder of an
-- overdue transfer, the open failed-payment episode, provider subscriptions we cancel
-- ourselves (superseded by a renewal, or a processor the organisation drops), payments staff
-- record by hand, and the scheduler that runs each periodic job once however many instances
-- run. Never edit this file once it has landed.

-- Why a pledge needs renewal.
CREATE TYPE renewal_reason AS ENUM (
    -- The processor ended its subscription (card expired or replaced, deleted, suspended).
    'provider_ended',
    -- The processor gave up after repeated failed payments.
    'payment_failed',
    -- The organisation drops the processor (`cdb-admin pledges migrate`).
    'provider_dropped'
);

ALTER TABLE pledge
    ADD COLUMN renewal_reason renewal_reason,
    -- When the renewal mail was queued (NULL: none, e.g. the pledge has no confirmed address).
    ADD COLUMN renewal_requested_at timestamptz,
    -- The due date the one reminder of an overdue bank transfer was sent for: one per due
    -- date, never a stream.
    ADD COLUMN reminded_for date,
    -- An open failed-payment episode (one mail per episode); ends with the next payment.
    ADD COLUMN failing_since timestamptz;
UPDATE pledge SET renewal_reason = 'provider_ended' WHERE status = 'needs_renewal';
ALTER TABLE pledge ADD CONSTRAINT pledge_renewal_reason
    CHECK ((status = 'needs_renewal') = (renewal_reason IS NOT NULL));
CREATE INDEX pledge_needs_renewal ON pledge (updated_at) WHERE status = 'needs_renewal';
CREATE INDEX pledge_expected ON pledge (next_expected_on)
    WHERE status = 'active' AND method = 'bank_transfer' AND period <> 'once';

-- Subscriptions we end ourselves: `cancel_on` is when (a renewal sets today; a migration the
-- date staff choose, or NULL until the donor renews); `cancelled_at` when the provider
-- confirmed. A scheduled job cancels what is due, so a failed call is retried, and nobody is
-- charged twice for one pledge.
ALTER TABLE provider_subscription
    ADD COLUMN cancel_on date,
    ADD COLUMN cancelled_at timestamptz;
CREATE INDEX provider_subscription_to_cancel ON provider_subscription (cancel_on)
    WHERE cancel_on IS NOT NULL AND cancelled_at IS NULL;

-- Payments staff record by hand (provider 'manual').
CREATE TYPE manual_method AS ENUM ('cash', 'cheque', 'other');
ALTER TABLE payment
    ADD COLUMN manual_method manual_method,
    ADD COLUMN note text CHECK (char_length(note) <= 500),
    ADD CONSTRAINT payment_manual_method CHECK ((provider = 'manual') = (manual_method IS NOT NULL));
CREATE INDEX payment_booked_on ON payment (booked_on, provider);

-- Periodic jobs. Each instance looks every minute; claiming a due job moves its next run
-- forward in the same UPDATE, so exactly one instance runs it per schedule.
CREATE TABLE scheduled_job (
    name             text PRIMARY KEY CHECK (name ~ '^[a-z][a-z0-9_]{0,63}$'),
    next_run_at      timestamptz NOT NULL DEFAULT now(),
    last_started_at  timestamptz,
    last_finished_at timestamptz,
    -- `ok: …` or `error: …`, for `cdb-admin jobs` and the logs.
    last_outcome     text CHECK (char_length(last_outcome) <= 500),
    last_instance    text CHECK (char_length(last_instance) <= 255)
);
