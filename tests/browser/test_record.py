"""The customer record and the follow-up notes form in the agent desktop (no PBX needed)."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from playwright.async_api import expect

from tests.browser.harness import Chromium, screenshot
from tests.browser.helpers import (
    customer_named,
    customers_of,
    duplicate_ids,
    tab_to,
    type_date,
    unlabelled_controls,
)
from tests.browser.server import LiveServer

pytestmark = pytest.mark.browser


async def test_agent_cannot_open_another_agents_customer_by_url(browser: Chromium, server: LiveServer) -> None:
    other = customers_of(server, "agent2")[0]
    mine = customers_of(server, "agent1")[0]
    browser.guard.allow(rf"404.*|/api/customers/{other['id']}")
    page = await browser.signed_in("agent1", "agent1-pass")
    await page.goto(f"/customers/{other['id']}")
    error = page.locator("#record-error")
    await expect(error).to_be_visible()
    await expect(error).to_contain_text(f"No customer {other['id']} was found")
    await expect(page.locator("#record")).to_be_hidden()
    assert other["name"] not in await page.content()
    await page.goto(f"/customers/{mine['id']}")
    await expect(page.locator("#record-name")).to_have_text(mine["name"])
    await expect(page.locator("#record-error")).to_be_hidden()
    for typed in ("abc", "0", "99999999999"):  # typed by hand: the desk says so, no JSON page
        await page.goto(f"/customers/{typed}")
        await expect(error).to_have_text(f"No customer {typed} was found among the customers you may open.")
        await expect(page.locator("#record")).to_be_hidden()
    browser.guard.check()


async def test_new_caller_form_refuses_nine_digits(browser: Chromium) -> None:
    page = await browser.signed_in("agent2", "agent2-pass")
    posted: list[str] = []
    page.on("request", lambda r: posted.append(r.url) if r.method == "POST" and r.url.endswith("/api/customers") else None)
    await page.get_by_role("tab", name="Incoming Call").click()
    await page.locator("#existing-q").get_by_label("No").check()
    await page.get_by_label("Full name").fill("Wanjiku Njoroge")
    phone = page.get_by_label("Phone number (10 digits)")
    error = page.locator("#nc-error")
    await page.get_by_role("button", name="Save and continue").click()  # no number yet: asked for it
    await expect(error).to_contain_text("Enter the phone number (10 digits, e.g. 0712345678).")
    await phone.fill("071234567")
    await page.get_by_role("button", name="Save and continue").click()
    await expect(error).to_be_visible()
    await expect(error).to_contain_text("must be exactly 10 digits")
    await expect(error).to_contain_text("this one has 9")
    await expect(phone).to_have_attribute("aria-invalid", "true")
    assert posted == []
    await phone.fill("0798765432")
    await page.get_by_role("button", name="Save and continue").click()
    await expect(page.locator("#record-name")).to_have_text("Wanjiku Njoroge")
    await expect(page.locator("#record-ids")).to_contain_text("+254798765432")
    assert len(posted) == 1
    browser.guard.check()


async def test_follow_up_note_by_keyboard_with_three_layer_disposition(browser: Chromium, server: LiveServer) -> None:
    amina = customer_named(server, "Amina Wanjiru")
    page = await browser.signed_in("agent1", "agent1-pass", f"/customers/{amina['id']}")
    await expect(page.locator("#record-name")).to_have_text("Amina Wanjiru")
    assert await unlabelled_controls(page) == []
    assert await duplicate_ids(page) == []
    long_texts = await page.locator("#notes-form textarea").evaluate_all("(ts) => ts.map((t) => t.maxLength)")
    assert long_texts and set(long_texts) == {20000}, long_texts  # the server's limit, said before sending
    promised_on = date.today() + timedelta(days=5)
    await page.locator("#nf-action").focus()
    kb = page.keyboard
    await kb.type("Call customer")
    await tab_to(page, "nf-call_result")
    await kb.type("Answered")
    await tab_to(page, "nf-call_status")
    await kb.type("Connected")
    await tab_to(page, "nf-status_action")
    await kb.type("Spoke to the customer")
    await tab_to(page, "nf-party_response")
    await kb.type("Promised to pay")
    await tab_to(page, "nf-disp_status")
    await expect(page.locator("[data-field='promised_amount']")).to_be_hidden()
    await kb.type("Contacted")
    await tab_to(page, "nf-disp_reason")
    await kb.type("Promise to pay")
    await expect(page.locator("[data-field='promised_amount']")).to_be_visible()
    await expect(page.locator("[data-field='visit_date']")).to_be_hidden()
    await expect(page.locator("[data-field='callback_at']")).to_be_hidden()
    await tab_to(page, "nf-disp_resolution")
    await kb.type("Payment scheduled")
    await kb.press("Control+Enter")  # saving now is refused: the amount and date are required
    await expect(page.locator("#notes-error")).to_contain_text("Promised amount is required")
    await page.locator("#nf-disp_resolution").focus()
    await tab_to(page, "nf-promised_amount")
    await kb.type("-500")
    await tab_to(page, "nf-promised_date")
    await type_date(page, promised_on)
    browser.guard.allow(r"status of 422")  # the refusal below, shown in words on the form
    await kb.press("Control+Enter")  # the server refuses it: a sentence with the field's words, not a key
    await expect(page.locator("#notes-error")).to_have_text("The promised amount must be 0 or more.")
    await page.locator("#nf-promised_amount").fill("1500")
    await page.locator("#nf-promised_amount").focus()
    await tab_to(page, "nf-promised_date")
    await type_date(page, promised_on)
    await tab_to(page, "nf-comments")
    await kb.type("Will pay from her chama contribution on Friday.")
    await tab_to(page, "nf-client_status")
    await kb.type("Promise to pay pending")
    await tab_to(page, "nf-send-no")
    await kb.press("ArrowDown")  # radio group: No -> Yes
    await expect(page.locator("#nf-message_template")).to_be_visible()
    await tab_to(page, "nf-message_template")
    await kb.type("Promise to pay confirmation")
    await expect(page.locator("#nf-message_body")).to_have_value(re.compile(r"Dear Amina, thank you for your promise to pay KES 1500"))
    await tab_to(page, "nf-message_body")
    await tab_to(page, "nf-purpose")
    await kb.type("Credit control")
    await tab_to(page, "nf-subject")
    await kb.type("Promise to clear arrears")
    await tab_to(page, "nf-detail")
    await kb.type("Customer cooperative; confirmed the M-Pesa paybill.")
    await tab_to(page, "nf-call_outcome")
    await kb.type("Successful")
    await tab_to(page, "nf-customer_mood")
    await kb.type("Cooperative")
    await tab_to(page, "nf-complete")
    await tab_to(page, "notes-save")
    await kb.press("Enter")
    await expect(page.locator("#toasts")).to_contain_text("recorded but not sent")
    history = page.locator("#history-list li.note").first
    await expect(history).to_contain_text("Contacted → Promise to pay → Payment scheduled")
    await expect(history).to_contain_text("Promise to clear arrears")
    await expect(history).to_contain_text(f"Promised KES 1,500.00 by {promised_on.day} {promised_on:%b %Y}")
    await expect(history).to_contain_text("Message recorded, not sent")
    await expect(page.locator("#nf-disp_status")).to_have_value("")  # the form is cleared once saved
    await page.get_by_role("tab", name="Promises").click()
    await expect(page.locator("#section-promises")).to_contain_text("KES 1,500.00")
    notes = server.api("GET", f"/api/customers/{amina['id']}/interactions", server.login("agent1", "agent1-pass")).json()
    saved = notes["items"][0]
    assert saved["disposition"] == {"status": "contacted", "reason": "promise_to_pay", "resolution": "payment_scheduled"}
    assert (saved["action"], saved["call_status"], saved["status_action"], saved["party_response"]) == (
        "customer", "connected", "spoke_to_customer", "promised_to_pay")
    assert (saved["purpose"], saved["call_outcome"], saved["customer_mood"], saved["complete"]) == (
        "credit_control", "successful", "cooperative", True)
    assert saved["promised_amount"] == "1500.00" and saved["promised_date"] == promised_on.isoformat()
    await page.get_by_role("tab", name="Summary").click()
    await screenshot(page, "customer-record.png")
    browser.guard.check()


async def test_record_sections_and_quick_actions(browser: Chromium, server: LiveServer) -> None:
    amina = customer_named(server, "Amina Wanjiru")
    plain = server.api("POST", f"/api/customers/{amina['id']}/interactions", server.login("agent1", "agent1-pass"),
                       json={"channel": "note", "comments": "A plain note: its badge is a tag, not a note."})
    assert plain.status_code == 201, plain.text
    page = await browser.signed_in("agent1", "agent1-pass", f"/customers/{amina['id']}")
    await page.get_by_role("tab", name="Loan details").click()
    loans = page.locator("#section-loans")
    for text in ("Loan balance", "Applied amount", "Interest amount", "Start date", "End date", "Loan schedule"):
        await expect(loans).to_contain_text(text)
    await page.get_by_role("tab", name="Statement").click()
    statement = page.locator("#section-statement")
    await expect(statement).to_contain_text("M-Pesa deposit")
    await expect(statement).to_contain_text("Disbursement")
    await page.get_by_role("tab", name="Alternative contacts").click()
    await expect(page.locator("#section-contacts")).to_contain_text("Peter Kamau")
    await page.get_by_role("button", name="Add Alternative Contact").click()
    await page.get_by_label("Name", exact=True).fill("Mary Atieno")
    await page.get_by_label("Relationship to the customer").fill("sister")
    await page.locator("#ac-phone").fill("0733111222")
    await page.locator("#contact-form").get_by_role("button", name="Save").click()
    await expect(page.locator("#section-contacts")).to_contain_text("+254733111222")
    await page.get_by_role("button", name="Send SMS").click()
    dialog = page.locator("#quick-dialog")
    await dialog.get_by_label("Template").select_option("overdue_notice")
    await expect(dialog.get_by_label("Message")).to_have_value(re.compile("Dear Amina"))
    await page.locator("#quick-save").click()  # no SMS provider on this server: the desktop says so
    await expect(dialog.locator("#quick-error")).to_contain_text("SMS is off on this server")
    await page.locator("#quick-cancel").click()
    await page.get_by_role("button", name="Add Promise to Pay").click()
    await dialog.get_by_label("Payment amount").fill("-10")
    await dialog.get_by_label("Due date").fill((date.today() + timedelta(days=3)).isoformat())
    await page.locator("#quick-save").click()  # the amount is there, but not a payment: said so
    await expect(dialog.locator("#quick-error")).to_have_text("The payment amount must be more than 0.")
    await dialog.get_by_label("Payment amount").fill("750")
    await page.locator("#quick-save").click()
    await expect(page.locator("#section-promises")).to_contain_text("KES 750.00")
    await expect(page.locator("#section-promises tr", has_text="KES 750.00")).to_contain_text("Pending")  # not "pending"
    await page.get_by_role("button", name="Add Activity").click()
    await dialog.get_by_label("Disposition").select_option("Left Message")
    await dialog.get_by_label("Notes").fill("Voicemail, asked to call back.")
    await page.locator("#quick-save").click()
    await page.get_by_role("tab", name="Interaction history").click()
    await expect(page.locator("#history-list li.note").first).to_contain_text("Not contacted → Left message")
    await page.get_by_label("Type").select_option("channel:call")
    await page.get_by_role("button", name="Filter").click()
    notes = page.locator("#history-list li.note")
    await expect(notes.first).to_contain_text("Voicemail, asked to call back.")
    await expect(page.locator("#history-list")).not_to_contain_text("A plain note")  # the filter has applied
    for text in await notes.all_inner_texts():
        assert not text.startswith(("SMS", "Email", "Visit", "Note")), text
    await page.get_by_label("Type").select_option("")  # every note again: no badge takes the note's own border
    await page.get_by_role("button", name="Filter").click()
    await expect(page.locator("#history-list")).to_contain_text("A plain note")
    bordered = await page.locator("#history-list .tag").evaluate_all(
        "(ts) => ts.filter((t) => getComputedStyle(t).borderLeftWidth !== '0px').map((t) => t.textContent)")
    assert bordered == [], bordered
    browser.guard.check()


async def test_filter_uses_the_search_box_as_shown(browser: Chromium, server: LiveServer) -> None:
    """Filter after a search sends what the search box shows now (it sent the last search pressed)."""
    mine = customers_of(server, "agent1")[0]
    page = await browser.signed_in("agent1", "agent1-pass")
    await page.get_by_role("tab", name="Customer Follow-Up").click()
    table = page.locator("#browse-table")
    await expect(table).to_contain_text(mine["name"])
    await page.locator("#browse-q").fill("nobody-called-this-zz")
    await page.locator("#browse-search").get_by_role("button").click()
    await expect(table).to_contain_text("No customers found.")
    await page.locator("#browse-q").fill("")
    await page.locator("#browse-filters").get_by_role("button", name="Filter").click()
    await expect(table).to_contain_text(mine["name"])
    assert await page.locator("#browse-q").get_attribute("maxlength") == "200"
    browser.guard.check()


async def test_an_account_assigned_by_a_supervisor_reaches_the_agents_list_at_once(
        browser: Chromium, server: LiveServer) -> None:
    theirs = customers_of(server, "agent2")[-1]
    page = await browser.signed_in("agent1", "agent1-pass")
    await page.get_by_role("tab", name="Customer Follow-Up").click()
    table = page.locator("#browse-table")
    await expect(table).not_to_be_empty()
    assert theirs["name"] not in await table.inner_text()
    sup = server.login("supervisor", "supervisor-pass")
    moved = server.api("PUT", f"/api/customers/{theirs['id']}/assignee", sup, json={"agent": "agent1"})
    assert moved.status_code == 200, moved.text
    await expect(page.locator("#toasts")).to_contain_text("An account was assigned to you.")
    await page.locator("#browse-q").fill(theirs["name"])  # now one of agent1's own
    await page.locator("#browse-search").get_by_role("button").click()
    await expect(table).to_contain_text(theirs["name"])
    server.api("PUT", f"/api/customers/{theirs['id']}/assignee", sup, json={"agent": "agent2"})  # as it was
    await expect(page.locator("#toasts")).to_contain_text("One of your accounts was given to another agent.")
    browser.guard.check()
