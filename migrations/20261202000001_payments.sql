-- SPDX-FileCopyrightText: 2026 Community Database contributors
-- SPDX-License-Identifier: AGPL-3.0-or-later
--
-- The money half: pledges (what a supporter promised), the provider subscriptions that collect
-- them, payments (what arrived), refunds and disputes, webhook events, bank statements and
-- their entries, and flags (what was stored but not applied, for staff). Amounts are integer
-- minor units of an ISO 4217 currency, never floats. Never edit this file once it has landed.

CREATE TYPE pledge_period AS ENUM ('once', 'monthly', 'yearly');
-- How a pledge is paid. PayPal comes in a later migration's values (ALTER TYPE ... ADD VALUE).
CREATE TYPE payment_method AS ENUM ('bank_transfer', 'stripe');
CREATE TYPE pledge_status AS ENUM ('pending', 'active', 'needs_renewal', 'cancelled');
-- Who ended a pledge: a cancelled pledge says whether the supporter wanted it.
CREATE TYPE pledge_ended_by AS ENUM ('supporter', 'staff', 'provider');
CREATE TYPE payment_provider AS ENUM ('bank', 'stripe');
CREATE TYPE payment_status AS ENUM ('received', 'refunded', 'partially_refunded', 'disputed', 'failed');

CREATE TABLE pledge (
    id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    -- NULL until the giver's address is confirmed (a visitor's donation joins its person only
    -- through the command link mailed to the address). Payments that arrive before wait here.
    -- Erasing a person keeps the pledge (accounting), without the link to them.
    person_id        uuid REFERENCES person (id) ON DELETE SET NULL,
    amount_minor     bigint NOT NULL CHECK (amount_minor > 0),
    currency         char(3) NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    period           pledge_period NOT NULL,
    method           payment_method NOT NULL,
    status           pledge_status NOT NULL DEFAULT 'pending',
    -- ISO 11649 creditor reference ("RF" + check digits + our part), as stored: no spaces,
    -- upper case. Random per pledge, so it says nothing about the person.
    reference        text NOT NULL UNIQUE CHECK (reference ~ '^RF[0-9]{2}[0-9A-Z]{1,21}$'),
    starts_on        date NOT NULL DEFAULT current_date,
    -- When the next payment is due (recurring pledges); NULL for one-off gifts once paid.
    next_expected_on date,
    referrer         text CHECK (char_length(referrer) <= 100),
    ended_by         pledge_ended_by,
    ended_at         timestamptz,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    CHECK ((status = 'cancelled') = (ended_at IS NOT NULL))
);
CREATE INDEX pledge_person ON pledge (person_id);

-- What a provider does to collect a pledge (a Stripe subscription, later a PayPal one). A pledge
-- outlives its subscription: a lost card or a lost processor ends this row, not the promise.
CREATE TABLE provider_subscription (
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    pledge_id    uuid NOT NULL REFERENCES pledge (id) ON DELETE CASCADE,
    provider     payment_provider NOT NULL,
    provider_id  text NOT NULL CHECK (char_length(provider_id) BETWEEN 1 AND 255),
    -- The provider's own word for its state (active, past_due, canceled, ...).
    status       text NOT NULL CHECK (char_length(status) BETWEEN 1 AND 64),
    -- The provider's customer, for the billing portal.
    customer_id  text CHECK (char_length(customer_id) <= 255),
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT provider_subscription_unique UNIQUE (provider, provider_id)
);
CREATE INDEX provider_subscription_pledge ON provider_subscription (pledge_id);

CREATE TABLE payment (
    id                 uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    provider           payment_provider NOT NULL,
    -- The provider's object that stands for this payment: Stripe's PaymentIntent of a one-off
    -- gift or invoice of a subscription charge; the bank's reference of a statement entry.
    -- Unique per provider: this is what makes every payment registered exactly once.
    provider_object_id text NOT NULL CHECK (char_length(provider_object_id) BETWEEN 1 AND 255),
    pledge_id          uuid REFERENCES pledge (id) ON DELETE SET NULL,
    -- Copied from the pledge when it joins its person (a payment may arrive before that).
    person_id          uuid REFERENCES person (id) ON DELETE SET NULL,
    amount_minor       bigint NOT NULL CHECK (amount_minor > 0),
    currency           char(3) NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    fee_minor          bigint CHECK (fee_minor >= 0),
    refunded_minor     bigint NOT NULL DEFAULT 0 CHECK (refunded_minor >= 0 AND refunded_minor <= amount_minor),
    status             payment_status NOT NULL DEFAULT 'received',
    booked_on          date NOT NULL,
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT payment_provider_object_unique UNIQUE (provider, provider_object_id)
);
CREATE INDEX payment_pledge ON payment (pledge_id);
CREATE INDEX payment_person ON payment (person_id);

-- Other ids a provider uses for one payment (a Stripe invoice's Charge and PaymentIntent), so a
-- refund or dispute that names only those finds its payment.
CREATE TABLE payment_alias (
    provider   payment_provider NOT NULL,
    alias      text NOT NULL CHECK (char_length(alias) BETWEEN 1 AND 255),
    payment_id uuid NOT NULL REFERENCES payment (id) ON DELETE CASCADE,
    PRIMARY KEY (provider, alias)
);

-- Refunds and disputes, keyed by the provider's own id so a repeated one changes nothing. They
-- name their payment by the payment's key (`payment_key`, a provider_object_id or an alias),
-- not by a foreign key: a refund may arrive before the payment it refunds. It is applied (the
-- payment's refunded amount and status updated) once both are there.
CREATE TYPE adjustment_kind AS ENUM ('refund', 'dispute');
CREATE TABLE payment_adjustment (
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    provider     payment_provider NOT NULL,
    provider_id  text NOT NULL CHECK (char_length(provider_id) BETWEEN 1 AND 255),
    kind         adjustment_kind NOT NULL,
    payment_key  text NOT NULL CHECK (char_length(payment_key) BETWEEN 1 AND 255),
    amount_minor bigint NOT NULL CHECK (amount_minor > 0),
    currency     char(3) NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    payment_id   uuid REFERENCES payment (id) ON DELETE SET NULL,
    applied_at   timestamptz,
    created_at   timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT payment_adjustment_unique UNIQUE (provider, provider_id)
);
CREATE INDEX payment_adjustment_waiting ON payment_adjustment (provider, payment_key) WHERE applied_at IS NULL;

-- Every delivered webhook event, stored in the same transaction as its effects: a second
-- delivery of the same event id conflicts here and changes nothing.
CREATE TABLE webhook_event (
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    provider     payment_provider NOT NULL,
    event_id     text NOT NULL CHECK (char_length(event_id) BETWEEN 1 AND 255),
    event_type   text NOT NULL CHECK (char_length(event_type) BETWEEN 1 AND 255),
    -- The body exactly as received (after its signature was verified).
    payload      text NOT NULL,
    received_at  timestamptz NOT NULL DEFAULT now(),
    processed_at timestamptz,
    -- applied | ignored | flagged
    outcome      text NOT NULL CHECK (char_length(outcome) BETWEEN 1 AND 64),
    CONSTRAINT webhook_event_unique UNIQUE (provider, event_id)
);

CREATE TYPE statement_format AS ENUM ('camt053', 'csv');
CREATE TABLE bank_statement (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    -- SHA-256 of the file: importing the same file again changes nothing.
    sha256      bytea NOT NULL CHECK (octet_length(sha256) = 32),
    file_name   text NOT NULL CHECK (char_length(file_name) <= 255),
    format      statement_format NOT NULL,
    imported_at timestamptz NOT NULL DEFAULT now(),
    imported_by text NOT NULL CHECK (char_length(imported_by) <= 255),
    CONSTRAINT bank_statement_file_unique UNIQUE (sha256)
);

CREATE TYPE entry_state AS ENUM ('matched', 'unmatched', 'ignored', 'flagged');
CREATE TABLE bank_statement_entry (
    id                   uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    statement_id         uuid NOT NULL REFERENCES bank_statement (id) ON DELETE CASCADE,
    position             integer NOT NULL CHECK (position >= 0),
    booking_date         date NOT NULL,
    -- Always positive; `is_credit` says the direction.
    amount_minor         bigint NOT NULL CHECK (amount_minor > 0),
    currency             char(3) NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    is_credit            boolean NOT NULL,
    -- The bank's own reference of the entry (camt AcctSvcrRef), when it gives one: two
    -- statements that overlap (daily and monthly) register one payment, not two.
    bank_reference       text CHECK (char_length(bank_reference) <= 255),
    remittance           text CHECK (char_length(remittance) <= 2000),
    structured_reference text CHECK (char_length(structured_reference) <= 255),
    counterparty_name    text CHECK (char_length(counterparty_name) <= 255),
    counterparty_iban    text CHECK (char_length(counterparty_iban) <= 64),
    state                entry_state NOT NULL,
    -- Why an entry was ignored (debit, returned transfer, payout) or flagged.
    note                 text CHECK (char_length(note) <= 255),
    payment_id           uuid REFERENCES payment (id) ON DELETE SET NULL,
    settled_at           timestamptz,
    settled_by           text CHECK (char_length(settled_by) <= 255),
    CONSTRAINT bank_statement_entry_position UNIQUE (statement_id, position)
);
CREATE INDEX bank_statement_entry_open ON bank_statement_entry (booking_date) WHERE state = 'unmatched';

-- What was stored but not applied, for staff: metadata naming an unknown or another person's
-- pledge, a currency or amount that does not match, a refund larger than its payment, a
-- statement entry in a foreign currency. Nothing flagged changes money until staff resolve it.
CREATE TABLE payment_flag (
    id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    reason           text NOT NULL CHECK (char_length(reason) BETWEEN 1 AND 64),
    provider         payment_provider NOT NULL,
    webhook_event_id uuid REFERENCES webhook_event (id) ON DELETE SET NULL,
    entry_id         uuid REFERENCES bank_statement_entry (id) ON DELETE SET NULL,
    pledge_id        uuid REFERENCES pledge (id) ON DELETE SET NULL,
    details          jsonb NOT NULL DEFAULT '{}',
    created_at       timestamptz NOT NULL DEFAULT now(),
    resolved_at      timestamptz,
    resolved_by      text CHECK (char_length(resolved_by) <= 255),
    resolution       text CHECK (char_length(resolution) <= 2000)
);
CREATE INDEX payment_flag_open ON payment_flag (created_at) WHERE resolved_at IS NULL;
