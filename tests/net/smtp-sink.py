#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The SMTP server behind tests/net/smtp-sink.sh: three listeners on 127.0.0.1 in one process,
each on a port of its own, all storing into DIR/Maildir as aiosmtpd.handlers.Mailbox does (with
X-Peer, X-MailFrom and X-RcptTo headers holding the envelope):

    smtp-sink.py DIR

    plain     no TLS, no AUTH
    starttls  STARTTLS offered; AUTH PLAIN or LOGIN, offered only after STARTTLS, before MAIL
    smtps     TLS from the first byte (implicit TLS); AUTH before MAIL as on starttls

The one account is mailer / pa55word. DIR must hold server.pem and server.key. Any RCPT whose
local part starts with "refuse" is answered "550 5.1.1 <address>: no such user here". Once
every listener accepts connections, their ports go to DIR/ports as one line
"PLAIN STARTTLS SMTPS". DIR/smtp.log gets, per connection:

    CONNECT <listener> <ip>:<port>
    SESSION <listener> <ip>:<port> tls=<none|starttls|implicit> auth=<user|-> auth_failures=<n>
            messages=<n> refused=<n> end=<quit|drop>

(SESSION is one line.) CONNECT comes when the connection is handed to SMTP, which on smtps is
only after a successful TLS handshake. SESSION comes when the client sends QUIT, before the 221
answer, so it is in the file by the time the client knows the session is over; a client that
just goes gets it when the server notices ("end=drop"). Runs until SIGTERM or SIGINT.
"""
import asyncio
import functools
import logging
import os
import signal
import ssl
import sys
import warnings

from aiosmtpd.handlers import Mailbox
from aiosmtpd.smtp import SMTP, AuthResult

USER = b"mailer"
PASSWORD = b"pa55word"


class Connection:
    """What smtp.log reports on one connection."""

    def __init__(self, listener, log):
        self.listener = listener
        self.log = log
        self.peer = None
        self.tls = "none"
        self.auth_user = None
        self.auth_failures = 0
        self.messages = 0
        self.refused = 0
        self.reported = False

    def write(self, *fields):
        self.log.write(" ".join(fields) + "\n")

    def report(self, end):
        if self.reported or self.peer is None:
            return
        self.reported = True
        self.write("SESSION", self.listener, self.peer, f"tls={self.tls}",
                   f"auth={self.auth_user or '-'}", f"auth_failures={self.auth_failures}",
                   f"messages={self.messages}", f"refused={self.refused}", f"end={end}")


class SinkSMTP(SMTP):
    def __init__(self, handler, listener, log, **kwargs):
        super().__init__(handler, **kwargs)
        self.sink = Connection(listener, log)

    def connection_made(self, transport):
        # aiosmtpd calls this again, with the TLS transport, once a STARTTLS handshake is done.
        tls = transport.get_extra_info("ssl_object") is not None
        if self.sink.peer is None:
            host, port = transport.get_extra_info("peername")[:2]
            self.sink.peer = f"{host}:{port}"
            self.sink.tls = "implicit" if tls else "none"
            self.sink.write("CONNECT", self.sink.listener, self.sink.peer)
        elif tls:
            self.sink.tls = "starttls"
        super().connection_made(transport)

    def connection_lost(self, error):
        self.sink.report("drop")
        super().connection_lost(error)


class SinkHandler(Mailbox):
    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.rpartition("@")[0].startswith("refuse"):
            server.sink.refused += 1
            return f"550 5.1.1 <{address}>: no such user here"
        # Once a RCPT hook exists aiosmtpd leaves the envelope to it; this is what it does itself.
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(rcpt_options)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        status = await super().handle_DATA(server, session, envelope)
        server.sink.messages += 1
        return status

    async def handle_QUIT(self, server, session, envelope):
        server.sink.report("quit")
        return "221 Bye"


def authenticate(server, session, envelope, mechanism, auth_data):
    if auth_data.login == USER and auth_data.password == PASSWORD:
        server.sink.auth_user = USER.decode()
        return AuthResult(success=True, auth_data=auth_data)
    server.sink.auth_failures += 1
    # handled=False: aiosmtpd then sends its own 535 5.7.8.
    return AuthResult(success=False, handled=False)


async def serve(d):
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    # CLIENT_AUTH gives the server side: no client certificates asked for, none checked.
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(os.path.join(d, "server.pem"), os.path.join(d, "server.key"))
    handler = SinkHandler(os.path.join(d, "Maildir"))
    # Line-buffered and appending: each line is whole on disk when written, and smtp-sink.sh may
    # empty the file under us.
    log = open(os.path.join(d, "smtp.log"), "a", buffering=1, encoding="utf-8")
    # data_size_limit=None is what `python3 -m aiosmtpd` did without -s: no limit, no SIZE in
    # EHLO. A fixed hostname spares a DNS lookup (socket.getfqdn) per connection.
    common = dict(data_size_limit=None, hostname="localhost", loop=loop)
    auth = dict(auth_required=True, authenticator=authenticate)
    listeners = [
        ("plain", None, {}),
        ("starttls", None, dict(tls_context=ctx, require_starttls=False, auth_require_tls=True, **auth)),
        # aiosmtpd 1.4 counts only STARTTLS as TLS, so auth_require_tls=True would refuse AUTH
        # here with 538 (aio-libs/aiosmtpd#274, #281); this listener has no plaintext to guard.
        ("smtps", ctx, dict(auth_require_tls=False, **auth)),
    ]
    servers = []
    for name, server_ssl, kwargs in listeners:
        factory = functools.partial(SinkSMTP, handler, name, log, **common, **kwargs)
        servers.append(await loop.create_server(factory, "127.0.0.1", 0, ssl=server_ssl))
    ports = " ".join(str(s.sockets[0].getsockname()[1]) for s in servers)
    # Renamed into place so that smtp-sink.sh never reads half a line.
    with open(os.path.join(d, "ports.tmp"), "w", encoding="ascii") as f:
        f.write(ports + "\n")
    os.replace(os.path.join(d, "ports.tmp"), os.path.join(d, "ports"))
    await stop.wait()
    for s in servers:
        s.close()
    log.close()


def main(argv):
    if len(argv) != 2:
        print("usage: smtp-sink.py DIR", file=sys.stderr)
        return 2
    # As `python3 -m aiosmtpd` has it: aiosmtpd warns on every connection about things chosen on
    # purpose here (auth_require_tls=False, its own use of Session.login_data), which would
    # bury real trouble in the log.
    logging.basicConfig(level=logging.ERROR)
    warnings.filterwarnings("ignore", message="Requiring AUTH while not requiring TLS")
    asyncio.run(serve(argv[1]))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
