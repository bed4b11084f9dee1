-- SPDX-FileCopyrightText: 2026 Community Database contributors
-- SPDX-License-Identifier: AGPL-3.0-or-later
--
-- PayPal as a way to pay, and payments staff record by hand (cash, cheque). A new enum value
-- cannot be used in the transaction that adds it, so the tables that use them come in the next
-- migration. Never edit this file once it has landed.

ALTER TYPE payment_method ADD VALUE IF NOT EXISTS 'paypal';
ALTER TYPE payment_provider ADD VALUE IF NOT EXISTS 'paypal';
ALTER TYPE payment_provider ADD VALUE IF NOT EXISTS 'manual';
