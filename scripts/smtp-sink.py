#!/usr/bin/env python3
# SPDX-FileCopyrightText: 2026 Community Database contributors
# SPDX-License-Identifier: AGPL-3.0-or-later
"""A real SMTP server for tests (aiosmtpd): stores every accepted mail in a Maildir.

With --cert/--key it offers STARTTLS and requires it; with --user/--password it requires AUTH
(PLAIN or LOGIN, only after STARTTLS) with exactly these credentials. --refuse-rcpt
ADDRESS=REPLY (repeatable) answers RCPT TO for that address with REPLY ("550 5.1.1 User
unknown"), as a relay that knows its mailboxes does; --refuse-data REPLY answers every DATA with
it, as a relay refusing the sender or the content does. Prints "ready" once it listens and runs
until its standard input closes, so a test that dies takes it along.
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
    parser.add_argument("--refuse-rcpt", action="append", default=[], metavar="ADDRESS=REPLY")
    parser.add_argument("--refuse-data", metavar="REPLY")
    args = parser.parse_args()
    refused_rcpt = dict(r.split("=", 1) for r in args.refuse_rcpt)

    class Handler(Mailbox):
        async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
            reply = refused_rcpt.get(address.lower())
            if reply:
                return reply
            envelope.rcpt_tos.append(address)
            return "250 OK"

        async def handle_DATA(self, server, session, envelope):
            if args.refuse_data:
                return args.refuse_data
            return await super().handle_DATA(server, session, envelope)

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
        Handler(args.maildir),
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
