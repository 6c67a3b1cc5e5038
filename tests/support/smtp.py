"""A real SMTP server (aiosmtpd) on a free loopback port, for the reminder tests."""
from __future__ import annotations

import socket
from contextlib import contextmanager

from aiosmtpd.controller import Controller


class Inbox:
    """An aiosmtpd handler that keeps every message it accepts."""

    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(envelope)
        return "250 OK"


@contextmanager
def loopback_smtp(handler):
    """Serve ``handler`` on 127.0.0.1 at a free port; yields the port."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port
    finally:
        controller.stop()


@contextmanager
def app_mail_to(app, handler):
    """Serve ``handler`` on loopback and point ``app``'s mail settings at it; yields the port."""
    with loopback_smtp(handler) as port:
        app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=port, MAIL_FROM="kenshu@example.jp")
        yield port
