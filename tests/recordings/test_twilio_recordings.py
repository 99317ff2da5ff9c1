"""Twilio recordings, on SQLite and PostgreSQL: the recording status callback is signed like every
webhook, fetches the WAV once from Twilio's media URL (a local fake of it, through the real httpx
client and basic auth) and stores it with its SHA-256; a repeated callback changes nothing; a
forged one, or one naming another account's URL, fetches nothing."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from urllib.parse import urlencode

import pytest
from sqlalchemy import select

from cti.twilio.signature import compute_signature
from recordings.fakes import FakeTwilioRecordings
from store.models import Recording, RecordingStatus
from tests.phone.world import PhoneWorld
from tests.recordings.wavs import tone_wav

ACCOUNT = "AC" + "a" * 32
SID = "RE" + "1" * 32


@pytest.fixture
def twilio_media(phone_world: PhoneWorld) -> Iterator[FakeTwilioRecordings]:
    fake = FakeTwilioRecordings(ACCOUNT, "tw-token", files={SID: tone_wav(2.0)})
    with fake.serving():
        phone_world.settings.twilio.api_base = fake.url
        yield fake


async def callback(w: PhoneWorld, form: dict[str, str], *, call_id: str = "CAtwilio1", signature: str | None = None,
                   token: str = "tw-token") -> int:
    query = urlencode({"call_id": call_id, "agent": "tw"})
    url = f"{w.settings.public_url}/twilio/recording?{query}"
    sign = signature if signature is not None else compute_signature(url, form, token)
    answer = await w.client.post(f"/twilio/recording?{query}", data=form, headers={"X-Twilio-Signature": sign})
    return answer.status_code


def form_of(fake: FakeTwilioRecordings, sid: str = SID, status: str = "completed", **extra: str) -> dict[str, str]:
    return {"AccountSid": ACCOUNT, "CallSid": "CA" + "2" * 32, "RecordingSid": sid,
            "RecordingUrl": fake.recording_url(sid), "RecordingStatus": status, "RecordingDuration": "2",
            "RecordingChannels": "2", "RecordingSource": "DialVerb", **extra}


async def rows(w: PhoneWorld) -> list[Recording]:
    async with w.services.database.session() as session:
        return list((await session.scalars(select(Recording))).all())


async def test_a_signed_callback_fetches_and_stores_the_recording_once(phone_world: PhoneWorld,
                                                                     twilio_media: FakeTwilioRecordings) -> None:
    w = phone_world
    assert await callback(w, form_of(twilio_media)) == 200
    assert await callback(w, form_of(twilio_media)) == 200  # Twilio retries: idempotent
    [row] = await rows(w)
    assert row.status is RecordingStatus.STORED and row.carrier == "twilio" and row.external_ref == SID
    assert row.sha256 == hashlib.sha256(tone_wav(2.0)).hexdigest() and row.duration_ms == 2000
    assert row.call_id == "CAtwilio1" and row.agent_id == w.users["tw"].id
    assert twilio_media.fetches == [SID]
    mine = (await w.client.get("/api/recordings", headers=w.as_("tw"))).json()["items"]
    assert [i["id"] for i in mine] == [row.id]


async def test_forged_or_foreign_callbacks_fetch_nothing(phone_world: PhoneWorld,
                                                         twilio_media: FakeTwilioRecordings) -> None:
    w = phone_world
    assert await callback(w, form_of(twilio_media), signature="forged") == 403
    assert await callback(w, form_of(twilio_media), token="another-token") == 403
    elsewhere = form_of(twilio_media, RecordingUrl=f"http://127.0.0.1:9/2010-04-01/Accounts/{ACCOUNT}/Recordings/{SID}")
    assert await callback(w, elsewhere) == 422
    other_account = form_of(twilio_media, RecordingUrl=twilio_media.recording_url(SID).replace(ACCOUNT, "AC" + "9" * 32))
    assert await callback(w, other_account) == 422
    assert await callback(w, form_of(twilio_media, AccountSid="AC" + "9" * 32)) == 400
    assert await callback(w, form_of(twilio_media, status="absent")) == 200  # nothing recorded: nothing to fetch
    assert twilio_media.fetches == [] and await rows(w) == []


async def test_a_recording_twilio_cannot_give_is_a_clear_error(phone_world: PhoneWorld,
                                                               twilio_media: FakeTwilioRecordings) -> None:
    w = phone_world
    missing = "RE" + "3" * 32
    assert await callback(w, form_of(twilio_media, sid=missing)) == 502
    assert twilio_media.fetches == [missing]
    [row] = await rows(w)
    assert row.status is RecordingStatus.RECORDING  # a later retry of the callback can still store it
