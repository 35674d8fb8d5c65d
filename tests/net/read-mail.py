#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Print the messages of a Maildir (the one tests/net/smtp-sink.sh fills) as JSON, one object a
line, in the order they were delivered:

    tests/net/read-mail.py MAILDIR

Each object has from, to, cc, subject, message_id, x_rcptto, content_type and parts. Headers
are decoded (RFC 2047) and are null when absent. parts lists the leaf parts, the top-level
message itself when it is not multipart, each with content_type, filename, disposition,
charset, content_id, payload_sha256 (of the transfer-decoded bytes) and text (the decoded text
of text/* parts, else null). Output is ASCII (non-ASCII as \\u escapes), whatever the locale.
"""
import email
import email.policy
import hashlib
import json
import mailbox
import re
import sys

# mailbox.Maildir names files "<seconds>.M<microseconds>P<pid>Q<counter>.<host>", with numbers
# not padded, so a plain sort of the names is wrong within a second. Date headers are no help:
# clients need not send one, and their clocks and resolution are not the server's.
_DELIVERY = re.compile(r"^(\d+)\.M(\d+)P(\d+)Q(\d+)\.")


def delivery_order(key):
    m = _DELIVERY.match(key)
    return (0, tuple(int(n) for n in m.groups()), key) if m else (1, (), key)


def header(msg, name):
    value = msg[name]
    return None if value is None else str(value)


def text_of(part):
    try:
        return part.get_content()
    except (LookupError, UnicodeError):
        # An unknown or wrong charset must not hide the rest of the mail from the test.
        return (part.get_payload(decode=True) or b"").decode("utf-8", "replace")


def describe_part(part):
    payload = part.get_payload(decode=True) or b""
    return {
        "content_type": part.get_content_type(),
        "filename": part.get_filename(),
        "disposition": part.get_content_disposition(),
        "charset": part.get_content_charset(),
        "content_id": header(part, "Content-ID"),
        "payload_sha256": hashlib.sha256(payload).hexdigest(),
        "text": text_of(part) if part.get_content_maintype() == "text" else None,
    }


def describe(msg):
    return {
        "from": header(msg, "From"),
        "to": header(msg, "To"),
        "cc": header(msg, "Cc"),
        "subject": header(msg, "Subject"),
        "message_id": header(msg, "Message-ID"),
        "x_rcptto": header(msg, "X-RcptTo"),
        "content_type": msg.get_content_type(),
        "parts": [describe_part(p) for p in msg.walk() if not p.is_multipart()],
    }


def main(argv):
    if len(argv) != 2:
        print("usage: read-mail.py MAILDIR", file=sys.stderr)
        return 2
    try:
        box = mailbox.Maildir(argv[1], create=False)
        keys = sorted(box.keys(), key=delivery_order)
    except (OSError, mailbox.Error) as e:
        print(f"read-mail.py: {argv[1]} is no readable Maildir ({type(e).__name__}: {e})", file=sys.stderr)
        return 1
    for key in keys:
        # Parsed again from the bytes: mailbox hands out compat32 messages, whose headers are
        # not decoded.
        msg = email.message_from_bytes(box.get_bytes(key), policy=email.policy.default)
        print(json.dumps(describe(msg)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
