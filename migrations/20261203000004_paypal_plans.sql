-- SPDX-FileCopyrightText: 2026 Community Database contributors
-- SPDX-License-Identifier: AGPL-3.0-or-later
--
-- PayPal's catalog objects we create on first use and then reuse: one product, and one plan per
-- (period, currency) whose price every subscription overrides with the donor's amount. They
-- belong to a PayPal account (its REST client id), so a switch from the sandbox to the live
-- account (or to another account) creates its own. Rows are only ever added: a plan id that
-- subscriptions were made on must stay findable. Never edit this file once it has landed.

CREATE TABLE paypal_product (
    account    text NOT NULL CHECK (length(account) BETWEEN 1 AND 255),
    name       text NOT NULL CHECK (length(name) BETWEEN 1 AND 127),
    product_id text NOT NULL CHECK (length(product_id) BETWEEN 1 AND 64),
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (account, name)
);

CREATE TABLE paypal_plan (
    account    text NOT NULL CHECK (length(account) BETWEEN 1 AND 255),
    -- Only recurring periods have plans; a one-off gift is an order.
    period     pledge_period NOT NULL CHECK (period <> 'once'),
    currency   text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    product_id text NOT NULL CHECK (length(product_id) BETWEEN 1 AND 64),
    plan_id    text NOT NULL CHECK (length(plan_id) BETWEEN 1 AND 64),
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (account, period, currency),
    UNIQUE (account, plan_id)
);
