"""Email over SMTP (aiosmtplib), with the customer's documents attached.

Each attachment's bytes come from the attachment store and are checked against the SHA-256 kept
in its row: a file that changed on disk is never sent. The SMTP conversation is stepped so that
every failure is classified: before DATA (cannot connect, refused sender or recipient) nothing
was sent; a 5xx is final (``failed`` with the server's words), a 4xx or an unreachable server is
tried again later; a timeout or a dropped connection during DATA is ambiguous (``unknown``).
"""

from __future__ import annotations

import asyncio
import hashlib
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path

import aiosmtplib
from sqlalchemy import select

from config.messaging_settings import SmtpSettings
from messaging.providers.base import Accepted, Ambiguous, Outcome, Refused
from store.db import Database
from store.models import Attachment, Message

NAME = "smtp"


class AttachmentChanged(Exception):
    pass


def _read_checked(root: Path, row: Attachment) -> bytes:
    path = (root / row.storage_path).resolve()
    if root.resolve() not in path.parents or not path.is_file():
        raise AttachmentChanged(f"the file of attachment {row.filename!r} is missing")
    data = path.read_bytes()
    if hashlib.sha256(data).hexdigest() != row.sha256:
        raise AttachmentChanged(f"attachment {row.filename!r} no longer matches its SHA-256")
    return data


def build_email(message: Message, sender: str, attachments: list[tuple[Attachment, bytes]]) -> EmailMessage:
    email = EmailMessage()
    email["From"] = sender
    email["To"] = message.to_address
    email["Subject"] = message.subject or ""
    email["Date"] = formatdate(localtime=False)
    domain = sender.rpartition("@")[2] or "switchboard.local"
    email["Message-ID"] = make_msgid(idstring=f"sb-{message.id}-{message.attempts}", domain=domain)
    email.set_content(message.body)
    for row, data in attachments:
        maintype, _, subtype = (row.content_type or "application/octet-stream").partition("/")
        email.add_attachment(data, maintype=maintype or "application", subtype=subtype or "octet-stream",
                             filename=row.filename)
    return email


def _refusal(exc: aiosmtplib.SMTPResponseException, what: str) -> Refused:
    text = f"the mail server refused {what}: {exc.code} {exc.message}"
    return Refused(NAME, text, elsewhere=not 500 <= exc.code < 600)


class EmailSender:
    def __init__(self, settings: SmtpSettings, database: Database, attachments_dir: Path) -> None:
        self.settings = settings
        self.database = database
        self.root = Path(attachments_dir)

    async def _attachments(self, message: Message) -> list[tuple[Attachment, bytes]]:
        if not message.attachment_ids:
            return []
        async with self.database.session() as session:
            rows = list((await session.scalars(select(Attachment).where(
                Attachment.id.in_(list(message.attachment_ids)),
                Attachment.customer_id == message.customer_id))).all())
        if len(rows) != len(set(message.attachment_ids)):
            raise AttachmentChanged("an attachment was deleted")
        return [(row, await asyncio.to_thread(_read_checked, self.root, row)) for row in rows]

    async def send(self, message: Message) -> Outcome:
        try:
            attachments = await self._attachments(message)
        except AttachmentChanged as exc:
            return Refused(NAME, f"{exc}: not sent", elsewhere=False)
        email = build_email(message, self.settings.from_address, attachments)
        s = self.settings
        client = aiosmtplib.SMTP(hostname=s.host, port=s.port, timeout=s.timeout, start_tls=s.starttls,
                                 username=s.username or None, password=s.password.get_secret_value() or None)
        try:
            await client.connect()
        except aiosmtplib.SMTPResponseException as exc:
            return _refusal(exc, "the connection")
        except (aiosmtplib.SMTPException, OSError) as exc:
            return Refused(NAME, f"the mail server could not be reached: {exc}")
        try:
            try:
                await client.mail(s.from_address)
                await client.rcpt(message.to_address)
            except aiosmtplib.SMTPResponseException as exc:
                return _refusal(exc, f"{message.to_address}")
            except (aiosmtplib.SMTPException, OSError) as exc:
                return Refused(NAME, f"the mail server dropped the connection before the message: {exc}")
            try:
                response = await client.data(email.as_bytes())
            except aiosmtplib.SMTPResponseException as exc:
                return _refusal(exc, "the message")
            except (aiosmtplib.SMTPException, OSError) as exc:
                return Ambiguous(NAME, f"no answer from the mail server after the message was sent: {exc}")
            return Accepted(NAME, str(email["Message-ID"]), cost=None) if response.code < 400 else \
                Refused(NAME, f"the mail server refused the message: {response.code} {response.message}")
        finally:
            try:
                await client.quit()
            except (aiosmtplib.SMTPException, OSError):
                client.close()
