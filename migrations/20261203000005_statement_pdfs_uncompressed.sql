-- SPDX-FileCopyrightText: 2026 Community Database contributors
-- SPDX-License-Identifier: AGPL-3.0-or-later
--
-- A statement's PDF is already deflate-compressed: PostgreSQL's own compression of it (pglz,
-- tried on every value over 2 kB) costs CPU on every insert and gains next to nothing. Stored
-- out of line, uncompressed. Never edit this file once it has landed.
ALTER TABLE annual_statement ALTER COLUMN pdf SET STORAGE EXTERNAL;
