"""Sending e-mail over SMTP (the reminders' only door to the outside).

STARTTLS is used whenever the server offers it. A password is sent only over TLS,
or to a server on this machine (loopback); otherwise sending fails closed.

Errors: :class:`MailError` (not configured, refused, or the connection failed).
"""

from __future__ import annotations

import ipaddress
import smtplib
import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import make_msgid, parseaddr

from isocourse.settings import Settings

_TIMEOUT_SECONDS = 30


class MailError(Exception):
    """E-mail could not be sent (the message says why)."""


@dataclass(frozen=True)
class SmtpConfig:
    host: str
    port: int
    sender: str
    user: str | None = None
    password: str | None = None

    @property
    def domain(self) -> str:
        """The clinic's mail domain: the part of the From address after the @."""
        return sender_domain(self.sender)

    def message_id(self) -> str:
        """A new, unique ``Message-ID`` in the clinic's domain."""
        return make_msgid(idstring="isocourse", domain=self.domain)


def sender_domain(sender: str) -> str:
    """``clinic.example`` of ``Clinic <reminders@clinic.example>``; "" when it has none."""
    _name, address = parseaddr(sender)
    local, at, domain = address.rpartition("@")
    return domain.strip().lower() if at and local and "." in domain else ""


def smtp_config(settings: Settings) -> SmtpConfig:
    if not settings.smtp_host or not settings.smtp_from:
        raise MailError("set ISOCOURSE_SMTP_HOST and ISOCOURSE_SMTP_FROM to send e-mail")
    if not sender_domain(settings.smtp_from):
        raise MailError(
            f"ISOCOURSE_SMTP_FROM {settings.smtp_from!r} is not an e-mail address with a "
            "domain (reminders@clinic.example); its domain names the messages (Message-ID)"
        )
    password = settings.smtp_password.get_secret_value() if settings.smtp_password else None
    return SmtpConfig(
        settings.smtp_host, settings.smtp_port, settings.smtp_from, settings.smtp_user, password
    )


@contextmanager
def smtp_connection(config: SmtpConfig) -> Iterator[smtplib.SMTP]:
    """A connected (and, when offered, encrypted and logged-in) SMTP session."""
    try:
        with smtplib.SMTP(config.host, config.port, timeout=_TIMEOUT_SECONDS) as connection:
            connection.ehlo()
            encrypted = connection.has_extn("starttls")
            if encrypted:
                connection.starttls(context=ssl.create_default_context())
                connection.ehlo()
            if config.user:
                _login(connection, config, encrypted)
            yield connection
    except (OSError, smtplib.SMTPException) as error:
        raise MailError(f"SMTP {config.host}:{config.port}: {error}") from error


def _login(connection: smtplib.SMTP, config: SmtpConfig, encrypted: bool) -> None:
    if not encrypted and not _is_loopback(config.host):
        raise MailError(f"{config.host} offers no STARTTLS: refusing to send the password")
    connection.login(config.user or "", config.password or "")


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def send(connection: smtplib.SMTP, message: EmailMessage) -> None:
    try:
        connection.send_message(message)
    except smtplib.SMTPException as error:
        raise MailError(f"sending to {message['To']}: {error}") from error
