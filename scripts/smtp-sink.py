#!/usr/bin/env python3
# SPDX-FileCopyrightText: 2026 Community Database contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""A real SMTP server for tests (aiosmtpd): stores every accepted mail in a Maildir.

With --cert/--key it offers STARTTLS and requires it; with --user/--password it requires AUTH
(PLAIN or LOGIN, only after STARTTLS) with exactly these credentials. Prints "ready" once it
listens and runs until its standard input closes, so a test that dies takes it along.
"""
import argparse
import ssl
import sys

from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Mailbox
from aiosmtpd.smtp import AuthResult, LoginPassword


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--maildir", required=True)
    parser.add_argument("--cert")
    parser.add_argument("--key")
    parser.add_argument("--user")
    parser.add_argument("--password")
    args = parser.parse_args()

    tls_context = None
    if args.cert:
        tls_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        tls_context.load_cert_chain(args.cert, args.key)

    def authenticator(server, session, envelope, mechanism, auth_data):
        ok = (
            isinstance(auth_data, LoginPassword)
            and auth_data.login.decode() == args.user
            and auth_data.password.decode() == args.password
        )
        # handled=False: aiosmtpd then answers 535 itself (its default sends nothing).
        return AuthResult(success=ok, handled=False)

    controller = Controller(
        Mailbox(args.maildir),
        hostname="127.0.0.1",
        port=args.port,
        tls_context=tls_context,
        require_starttls=tls_context is not None,
        authenticator=authenticator if args.user else None,
        auth_required=bool(args.user),
        auth_require_tls=tls_context is not None,
    )
    controller.start()
    print("ready", flush=True)
    sys.stdin.read()
    controller.stop()


if __name__ == "__main__":
    main()
