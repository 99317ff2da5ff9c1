"""QA scoring through the API on SQLite and PostgreSQL: a supervisor scores a recorded call, the
agent sees and acknowledges only their own reviews, the calls to score by rule, and the report's
figures against numbers worked by hand (JSON and CSV)."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import update

from store.models import QaReview
from tests.api.conftest import ApiWorld, assert_error_shape
from tests.qa.seed import ANSWERS_80, ANSWERS_100, ANSWERS_THREAT, recorded_call

MONDAY = datetime(2026, 11, 30, 7, tzinfo=UTC)  # 10:00 in Nairobi


async def _score(api: ApiWorld, call_id: str, answers: dict[str, Any], **extra: Any) -> dict[str, Any]:
    response = await api.client.post("/api/qa/reviews", headers=api.as_("sup"),
                                      json={"call_id": call_id, "answers": answers, **extra})
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_a_supervisor_scores_a_call_and_only_its_agent_sees_and_acknowledges_it(api: ApiWorld) -> None:
    customer = await api.customer()
    amina = api.users["amina"].id
    await recorded_call(api.services.database, "c-1", amina, MONDAY, customer_id=customer["id"])
    await recorded_call(api.services.database, "c-unrecorded", amina, MONDAY, recorded=False)

    review = await _score(api, "c-1", ANSWERS_80, comments="Good close; say the disclosure.",
                          question_comments={"disclosure": "Not said at the start"})
    assert (review["score"], review["auto_failed"], review["passed"], review["agent"]) == (80.0, False, True, "amina")
    assert (review["scorecard"], review["scorecard_version"], review["reviewer"]) == ("collections_call", 1, "sup")
    assert review["customer_name"] == "Wanjiku Kamau" and review["recording_id"] is not None
    lines = {line["question"]: line for line in review["lines"]}
    assert lines["balance_explained"]["answer_text"] == "4 of 5"
    assert lines["hardship_handled"]["answer_text"] == "Not applicable"
    assert lines["disclosure"]["comment"] == "Not said at the start"
    assert review["acknowledged_at"] is None

    again = await api.client.post("/api/qa/reviews", headers=api.as_("sup"),
                                  json={"call_id": "c-1", "answers": ANSWERS_80})
    assert_error_shape(again, 409, "conflict")
    missing = await api.client.post("/api/qa/reviews", headers=api.as_("sup"),
                                    json={"call_id": "c-unrecorded", "answers": ANSWERS_80})
    assert_error_shape(missing, 404, "not-found")
    bad = await api.client.post("/api/qa/reviews", headers=api.as_("sup"),
                                json={"call_id": "c-1", "answers": {**ANSWERS_80, "greeting": "na", "courtesy": 9}})
    details = assert_error_shape(bad, 422, "validation-failed")["details"]
    assert details == {"answers.greeting": "this question cannot be answered N/A",
                       "answers.courtesy": "answer a whole number from 0 to 5"}
    unknown = await api.client.post("/api/qa/reviews", headers=api.as_("sup"),
                                    json={"call_id": "c-1", "scorecard": "sales", "answers": ANSWERS_80})
    assert "scorecard" in assert_error_shape(unknown, 422)["details"]
    by_agent = await api.client.post("/api/qa/reviews", headers=api.as_("amina"),
                                     json={"call_id": "c-1", "answers": ANSWERS_100})
    assert_error_shape(by_agent, 403, "permission-denied")

    mine = (await api.client.get("/api/qa/reviews", headers=api.as_("amina"))).json()["items"]
    assert [r["id"] for r in mine] == [review["id"]]
    assert (await api.client.get("/api/qa/reviews", headers=api.as_("brian"))).json()["items"] == []
    assert (await api.client.get("/api/qa/reviews?agent=brian", headers=api.as_("sup"))).json()["items"] == []
    assert len((await api.client.get("/api/qa/reviews?agent=amina", headers=api.as_("sup"))).json()["items"]) == 1

    url = f"/api/qa/reviews/{review['id']}"
    for path in (url, url + "/acknowledge"):
        method = "GET" if path == url else "POST"
        theirs = await api.client.request(method, path, headers=api.as_("brian"))
        absent = await api.client.request(method, path.replace(str(review["id"]), "999999"), headers=api.as_("brian"))
        assert theirs.status_code == absent.status_code == 404
        assert theirs.json() == absent.json()
    assert_error_shape(await api.client.post(url + "/acknowledge", headers=api.as_("sup")), 403)

    acknowledged = await api.client.post(url + "/acknowledge", headers=api.as_("amina"))
    assert acknowledged.status_code == 200, acknowledged.text
    when = acknowledged.json()["acknowledged_at"]
    assert when is not None
    twice = await api.client.post(url + "/acknowledge", headers=api.as_("amina"))
    assert twice.json()["acknowledged_at"] == when
    assert (await api.client.get(url, headers=api.as_("sup"))).json()["acknowledged_at"] == when


async def test_an_auto_fail_scores_zero_and_keeps_the_scorecard_it_used(api: ApiWorld) -> None:
    amina = api.users["amina"].id
    await recorded_call(api.services.database, "c-threat", amina, MONDAY)
    review = await _score(api, "c-threat", ANSWERS_THREAT)
    assert (review["score"], review["auto_failed"], review["passed"]) == (0.0, True, False)
    assert review["failed_questions"] == ["Threatened the customer"]
    assert next(line for line in review["lines"] if line["question"] == "threatened_customer")["failed"] is True
    async with api.services.database.session() as s:
        stored = await s.get(QaReview, review["id"])
        assert stored is not None
        assert stored.scorecard_snapshot["sections"][3]["questions"][0]["auto_fail"] is True


async def _at(api: ApiWorld, review_id: int, when: datetime) -> None:
    async with api.services.database.session() as s:
        await s.execute(update(QaReview).where(QaReview.id == review_id).values(scored_at=when))


async def test_the_report_against_figures_worked_by_hand(api: ApiWorld) -> None:
    db, amina, brian = api.services.database, api.users["amina"].id, api.users["brian"].id
    for call_id, agent in (("a-1", amina), ("a-2", amina), ("b-1", brian), ("old", brian)):
        await recorded_call(db, call_id, agent, MONDAY - timedelta(days=14))
    a1 = await _score(api, "a-1", ANSWERS_80)  # 80.0
    a2 = await _score(api, "a-2", ANSWERS_THREAT)  # auto-failed: 0.0
    b1 = await _score(api, "b-1", ANSWERS_100)  # 100.0
    old = await _score(api, "old", ANSWERS_80)
    week1, week2 = datetime(2026, 12, 1, 9, tzinfo=UTC), datetime(2026, 12, 8, 9, tzinfo=UTC)
    for review, when in ((a1, week1), (b1, week1), (a2, week2), (old, datetime(2026, 11, 1, 9, tzinfo=UTC))):
        await _at(api, review["id"], when)
    await api.client.post(f"/api/qa/reviews/{b1['id']}/acknowledge", headers=api.as_("brian"))

    response = await api.client.get("/api/reports/qa?from=2026-11-30&to=2026-12-13", headers=api.as_("sup"))
    assert response.status_code == 200, response.text
    report = response.json()
    # amina: (80 + 0) / 2 = 40; one auto-fail; one under the pass mark of 80. brian: 100, acknowledged.
    assert report["agents"] == [
        {"agent": "amina", "agent_name": "Amina", "reviews": 2, "average_score": 40.0, "auto_fails": 1,
         "below_mark": 1, "acknowledged": 0},
        {"agent": "brian", "agent_name": "Brian", "reviews": 1, "average_score": 100.0, "auto_fails": 0,
         "below_mark": 0, "acknowledged": 1}]
    questions = {q["question"]: q for q in report["questions"]}
    # disclosure: no, no, yes -> 100/3; negotiation: 3/5, 3/5, 5/5 -> (60 + 60 + 100) / 3; hardship: N/A twice, yes once
    assert questions["disclosure"]["average"] == 33.33
    assert questions["negotiation"]["average"] == 73.33
    assert (questions["hardship_handled"]["answered"], questions["hardship_handled"]["not_applicable"],
            questions["hardship_handled"]["average"]) == (1, 2, 100.0)
    assert (questions["threatened_customer"]["failed"], questions["threatened_customer"]["average"]) == (1, None)
    assert report["auto_fails"] == [{"review_id": a2["id"], "scored_at": week2.isoformat(), "agent": "amina",
                                     "agent_name": "Amina", "call_id": "a-2", "customer_name": None,
                                     "failed": ["Threatened the customer"]}]
    # week of 30 November: 80 and 100 -> 90; week of 7 December: 0
    assert report["trend"] == [{"week": "2026-11-30", "reviews": 2, "average_score": 90.0},
                               {"week": "2026-12-07", "reviews": 1, "average_score": 0.0}]

    one = (await api.client.get("/api/reports/qa?from=2026-11-30&to=2026-12-13&agent=brian",
                                headers=api.as_("sup"))).json()
    assert [a["agent"] for a in one["agents"]] == ["brian"]

    sheet = await api.client.get("/api/reports/qa?from=2026-11-30&to=2026-12-13&format=csv", headers=api.as_("sup"))
    assert sheet.status_code == 200 and sheet.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(sheet.text)))
    assert rows == [["agent", "agent_name", "reviews", "average_score", "auto_fails", "below_mark", "acknowledged"],
                    ["amina", "Amina", "2", "40.0", "1", "1", "0"], ["brian", "Brian", "1", "100.0", "0", "0", "1"]]
    fails = await api.client.get("/api/reports/qa?from=2026-11-30&to=2026-12-13&format=csv&table=auto_fails",
                                 headers=api.as_("sup"))
    assert list(csv.reader(io.StringIO(fails.text)))[1][-1] == "Threatened the customer"
    backwards = await api.client.get("/api/reports/qa?from=2026-12-13&to=2026-11-30", headers=api.as_("sup"))
    assert_error_shape(backwards, 422)


async def test_calls_to_score_by_rule(api: ApiWorld) -> None:
    db, amina, brian = api.services.database, api.users["amina"].id, api.users["brian"].id
    customer = (await api.customer())["id"]
    for index in range(4):
        await recorded_call(db, f"amina-{index}", amina, MONDAY + timedelta(hours=index), talk=90)
    await recorded_call(db, "amina-long", amina, MONDAY + timedelta(days=1), talk=16 * 60)
    await recorded_call(db, "amina-dispute", amina, MONDAY + timedelta(days=2), talk=60, customer_id=customer,
                        dispute=True)
    await recorded_call(db, "brian-held", brian, MONDAY + timedelta(days=3), talk=60, customer_id=customer,
                        blocked_before="calling_hours")
    await recorded_call(db, "brian-short", brian, MONDAY + timedelta(days=3, hours=1), talk=10)
    await recorded_call(db, "brian-no-number", brian, MONDAY + timedelta(days=3, hours=3), talk=10, customer_id=customer,
                        blocked_before="no_number")  # held for want of a number, not by a contact rule
    await recorded_call(db, "brian-unrecorded", brian, MONDAY + timedelta(days=3, hours=2), recorded=False)
    await recorded_call(db, "amina-next-week", amina, MONDAY + timedelta(days=7), talk=16 * 60)

    async def listed() -> dict[str, list[str]]:
        response = await api.client.get("/api/qa/to-score?week=2026-12-03", headers=api.as_("sup"))
        assert response.status_code == 200, response.text
        body = response.json()
        assert (body["week"], body["week_end"]) == ("2026-11-30", "2026-12-06")
        return {item["call_id"]: item["reasons"] for item in body["items"]}

    picked = await listed()
    assert "dispute" in picked["amina-dispute"]
    assert "long" in picked["amina-long"]
    assert "blocked_retried" in picked["brian-held"]
    assert not {"brian-short", "brian-unrecorded", "brian-no-number", "amina-next-week"} & set(picked)
    randoms = {call: reasons for call, reasons in picked.items() if "random" in reasons}
    # two random calls per agent (scorecards.yaml); brian has only one call long enough to draw
    assert sorted(call.split("-")[0] for call in randoms) == ["amina", "amina", "brian"]
    assert await listed() == picked  # the same pick every time

    await _score(api, "amina-dispute", ANSWERS_80)
    assert "amina-dispute" not in await listed()
    assert_error_shape(await api.client.get("/api/qa/to-score", headers=api.as_("amina")), 403)
    assert_error_shape(await api.client.get("/api/qa/to-score?week=soon", headers=api.as_("sup")), 422)


async def test_admins_edit_the_scorecards_and_old_reviews_keep_theirs(api: ApiWorld) -> None:
    amina = api.users["amina"].id
    await recorded_call(api.services.database, "c-v1", amina, MONDAY)
    await recorded_call(api.services.database, "c-v2", amina, MONDAY + timedelta(hours=1))
    first = await _score(api, "c-v1", ANSWERS_80)
    document = (await api.client.get("/api/config/lists/scorecards", headers=api.as_("admin"))).json()
    compliance = document["scorecards"][0]["sections"][3]["questions"]

    compliance[0]["weight"] = 10  # an auto-fail question with a weight is refused, naming it
    bad = await api.client.put("/api/config/lists/scorecards", headers=api.as_("admin"), json=document)
    details = assert_error_shape(bad, 422, "validation-failed")["details"]
    assert "carries no weight" in details["scorecards.0.sections.3.questions.0"]
    assert_error_shape(await api.client.put("/api/config/lists/scorecards", headers=api.as_("sup"), json=document), 403)

    compliance[0]["weight"] = 0
    compliance.append({"code": "false_promise", "label": "Promised something the company cannot give",
                       "auto_fail": True, "weight": 0})
    document["scorecards"][0]["version"] = 2
    saved = await api.client.put("/api/config/lists/scorecards", headers=api.as_("admin"), json=document)
    assert saved.status_code == 200, saved.text

    missing = await api.client.post("/api/qa/reviews", headers=api.as_("sup"),
                                    json={"call_id": "c-v2", "answers": ANSWERS_80})
    assert assert_error_shape(missing, 422)["details"] == {"answers.false_promise": "answer this question"}
    second = await _score(api, "c-v2", {**ANSWERS_80, "false_promise": "no"})
    assert second["scorecard_version"] == 2 and second["score"] == 80.0
    old = (await api.client.get(f"/api/qa/reviews/{first['id']}", headers=api.as_("sup"))).json()
    assert old["scorecard_version"] == 1
    assert "false_promise" not in {line["question"] for line in old["lines"]}
