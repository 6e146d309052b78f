"""A real SMTP server on loopback (aiosmtpd) that keeps every message it is given."""

import logging
import threading
import time
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser

from aiosmtpd.controller import Controller

from tests.conftest import free_port


@dataclass(frozen=True)
class ReceivedEmail:
    mail_from: str
    rcpt_tos: tuple[str, ...]
    message: EmailMessage

    def part(self, content_type: str) -> EmailMessage:
        """The first MIME part of this type (text/plain, text/html, text/calendar ...)."""
        for part in self.message.walk():
            if part.get_content_type() == content_type:
                return part
        raise KeyError(f"no {content_type} part in {self.message['Subject']!r}")


class CollectingHandler:
    """aiosmtpd handler: accepts every message and stores it, parsed."""

    def __init__(self):
        self._lock = threading.Lock()
        self._received: list[ReceivedEmail] = []

    async def handle_DATA(self, server, session, envelope):
        message = BytesParser(policy=policy.default).parsebytes(envelope.original_content or envelope.content)
        with self._lock:
            self._received.append(ReceivedEmail(envelope.mail_from, tuple(envelope.rcpt_tos), message))
        return "250 Message accepted for delivery"

    def received(self) -> list[ReceivedEmail]:
        with self._lock:
            return list(self._received)

    def clear(self) -> None:
        with self._lock:
            self._received.clear()


class SmtpSink:
    """``with SmtpSink() as sink:`` runs the server on 127.0.0.1 at a free port; ``sink.url`` is the
    EMAIL_URL that points Django at it."""

    host = "127.0.0.1"

    def __init__(self):
        self.port = free_port()
        self.handler = CollectingHandler()
        self._controller = Controller(self.handler, hostname=self.host, port=self.port)

    @property
    def url(self) -> str:
        return f"smtp://{self.host}:{self.port}"

    def __enter__(self) -> "SmtpSink":
        logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd logs every SMTP command at INFO
        self._controller.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self._controller.stop()

    def received(self) -> list[ReceivedEmail]:
        return self.handler.received()

    def clear(self) -> None:
        self.handler.clear()

    def wait_for(self, count: int, timeout: float = 10.0) -> list[ReceivedEmail]:
        """Every message received, once there are at least ``count`` (or the timeout has passed)."""
        deadline = time.monotonic() + timeout
        while len(received := self.received()) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        return received
