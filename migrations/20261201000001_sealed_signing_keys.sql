-- SPDX-FileCopyrightText: 2026 Community Database contributors
-- SPDX-License-Identifier: AGPL-3.0-or-later
--
-- Signing keys at rest: the private key is stored sealed (AES-256-GCM) with a key-encryption
-- key (KEK) that lives in a file outside the database (`idp.key_encryption_key_file`), so a
-- database dump or backup alone cannot sign tokens.
--
-- `sealed_private_key` is nonce (12 bytes) || ciphertext || tag, with the row's `kid` as the
-- associated data (a sealed key moved to another row does not open). `kek_id` names the KEK
-- that sealed it, so the file can hold several KEKs during a rotation (the first seals, all
-- open) and `cdb-admin keys rewrap` re-seals every row with the first.
--
-- SQL cannot encrypt without the KEK, so this migration only makes room: rows written before it
-- keep their plaintext `private_der` until the idp's next start seals them (before it serves a
-- request) and clears the column. The CHECK says each row holds exactly one of the two forms;
-- nothing new is ever written in the plaintext form.
ALTER TABLE oidc_signing_key
    ALTER COLUMN private_der DROP NOT NULL,
    ADD COLUMN sealed_private_key bytea CHECK (octet_length(sealed_private_key) > 28),
    ADD COLUMN kek_id text CHECK (kek_id ~ '^[A-Za-z0-9_.-]{1,64}$'),
    ADD CONSTRAINT oidc_signing_key_one_form CHECK (
        (private_der IS NULL) = (sealed_private_key IS NOT NULL AND kek_id IS NOT NULL)
        AND (sealed_private_key IS NULL) = (kek_id IS NULL));
