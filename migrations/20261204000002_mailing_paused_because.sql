-- SPDX-FileCopyrightText: 2026 Community Database contributors
-- SPDX-License-Identifier: AGPL-3.0-or-later

-- Why the sender paused a mailing by itself: the relay refused mail for a reason that is not
-- about one recipient (authentication, the sender address, the content), which would fail every
-- recipient alike. Staff see it, fix the cause and resume; resuming clears it. NULL when staff
-- paused it, or it is not paused.
ALTER TABLE mailing ADD COLUMN paused_because text CHECK (char_length(paused_because) <= 1000);
