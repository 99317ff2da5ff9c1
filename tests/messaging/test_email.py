"""Email over SMTP (aiosmtpd as the server): templates, attachments checked against their SHA-256,
a refusal marks the email failed with the server's words."""

from __future__ import annotations

import asyncio
import hashlib
from pathlib import Path

from domain.wording import day
from tests.api.conftest import assert_error_shape
from tests.messaging.conftest import World, promise_day


async def _upload(world: World, customer_id: int, name: str, data: bytes) -> int:
    response = await world.client.post(f"/api/customers/{customer_id}/attachments", headers=world.as_("amina"),
                                       files={"file": (name, data, "application/pdf")}, data={"kind": "document"})
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


async def test_an_email_with_a_statement_attached(world: World) -> None:
    customer = await world.customer(email="wanjiku@example.com")
    pdf = b"%PDF-1.4 statement of account " + bytes(range(256))
    attachment = await _upload(world, customer["id"], "statement.pdf", pdf)
    response = await world.api("POST", f"/api/customers/{customer['id']}/messages", json={
        "channel": "email", "subject": "Your statement", "body": "Dear Wanjiku,\n\nYour statement is attached.",
        "attachment_ids": [attachment]})
    assert response.status_code == 202, response.text
    sent = await world.settled(response.json()["id"])
    assert sent.status == "sent" and sent.provider == "smtp" and sent.provider_message_id
    [email] = world.smtp.received
    assert email["To"] == "wanjiku@example.com" and email["Subject"] == "Your statement"
    assert email["From"] == "care@juapower.test" and email["Message-ID"] == sent.provider_message_id
    [part] = list(email.iter_attachments())
    assert part.get_filename() == "statement.pdf"
    assert hashlib.sha256(part.get_content()).hexdigest() == hashlib.sha256(pdf).hexdigest()


async def test_an_email_template_fills_subject_and_body(world: World) -> None:
    customer, due = await world.customer(email="wanjiku@example.com"), promise_day(4)
    response = await world.api("POST", f"/api/customers/{customer['id']}/promises", json={
        "amount": "800", "due_date": due.isoformat()})
    assert response.status_code == 201
    response = await world.api("POST", f"/api/customers/{customer['id']}/messages", json={
        "channel": "email", "template": "promise_confirmation_email"})
    assert response.status_code == 202, response.text
    await world.settled(response.json()["id"])
    [email] = world.smtp.received
    assert email["Subject"] == "Your payment arrangement with Jua Power"
    assert f"promise to pay KES 800 by {day(due)}" in email.get_content()


async def test_a_refused_recipient_fails_with_the_reason(world: World) -> None:
    customer = await world.customer(email="gone@example.com")
    world.smtp.refuse.add("gone@example.com")
    response = await world.api("POST", f"/api/customers/{customer['id']}/messages",
                               json={"channel": "email", "subject": "Hello", "body": "x"})
    failed = await world.settled(response.json()["id"])
    assert failed.status == "failed" and "550 5.1.1" in (failed.reason or "") and world.smtp.received == []


async def test_a_content_refusal_fails_with_the_reason(world: World) -> None:
    customer = await world.customer(email="wanjiku@example.com")
    world.smtp.refuse_data = True
    response = await world.api("POST", f"/api/customers/{customer['id']}/messages",
                               json={"channel": "email", "subject": "Hello", "body": "x"})
    failed = await world.settled(response.json()["id"])
    assert failed.status == "failed" and "554 5.7.1" in (failed.reason or "")


async def test_an_attachment_changed_on_disk_is_never_sent(world: World) -> None:
    customer = await world.customer(email="wanjiku@example.com")
    attachment = await _upload(world, customer["id"], "id.pdf", b"%PDF original")
    digest = hashlib.sha256(b"%PDF original").hexdigest()
    stored = Path(world.services.settings.attachments_dir) / digest[:2] / digest
    await asyncio.to_thread(stored.write_bytes, b"%PDF tampered")
    response = await world.api("POST", f"/api/customers/{customer['id']}/messages", json={
        "channel": "email", "subject": "ID", "body": "attached", "attachment_ids": [attachment]})
    failed = await world.settled(response.json()["id"])
    assert failed.status == "failed" and "no longer matches its SHA-256" in (failed.reason or "")
    assert world.smtp.received == []


async def test_an_email_needs_an_address_and_a_subject(world: World) -> None:
    customer = await world.customer()
    response = await world.api("POST", f"/api/customers/{customer['id']}/messages",
                               json={"channel": "email", "subject": "Hi", "body": "x"})
    assert "no email address" in assert_error_shape(response, 422)["message"]
    with_email = await world.customer("Otieno", "0733111222", email="o@example.com")
    response = await world.api("POST", f"/api/customers/{with_email['id']}/messages",
                               json={"channel": "email", "body": "x"})
    assert_error_shape(response, 422, "validation-failed")
