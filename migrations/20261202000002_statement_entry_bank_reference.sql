-- SPDX-FileCopyrightText: 2026 Community Database contributors
-- SPDX-License-Identifier: AGPL-3.0-or-later
--
-- Statement import looks every entry's bank reference up among earlier entries (overlapping
-- daily and monthly statements carry the same bookings): without an index that is a scan of
-- every entry ever imported, per import.
CREATE INDEX bank_statement_entry_bank_reference ON bank_statement_entry (bank_reference)
    WHERE bank_reference IS NOT NULL;
