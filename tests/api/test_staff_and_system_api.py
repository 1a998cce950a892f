"""Health, the OpenAPI document, staff authentication and the local test clock."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from chalicelib import wiring
from chalicelib.api.dev import MAX_ADVANCE
from tests.api.conftest import Api, error_of


def test_health_needs_no_auth(api: Api) -> None:
    response = api.get("/v1/health")
    assert (response.status_code, response.json_body) == (200, {"status": "ok"})


def test_openapi_lists_every_route(api: Api) -> None:
    import app

    spec = api.get("/v1/openapi.json").json_body
    assert spec["openapi"].startswith("3.")
    methods = {"get", "post", "put", "patch", "delete"}
    documented = {
        (path, method.upper())
        for path, ops in spec["paths"].items()
        for method in ops
        if method in methods
    }
    served = {(path, method) for path, methods in app.app.routes.items() for method in methods}
    assert served == documented


@pytest.mark.parametrize("header", [None, "Bearer st_nope", "Basic YWRtaW46YWRtaW4="])
def test_delivery_log_needs_a_staff_token(api: Api, header: str | None) -> None:
    headers = {"Authorization": header} if header else {}
    response = api.client.http.get("/v1/admin/notifications?status=sent", headers=headers)
    assert response.status_code == 401
    assert error_of(response)["code"] == "unauthorized"


def test_delivery_log_refuses_a_customer_token(api: Api) -> None:
    case = api.file().json_body
    response = api.get(f"/v1/admin/notifications?case_id={case['case_id']}", case["access_token"])
    assert response.status_code == 401


def test_delivery_log_filters_and_validates(api: Api) -> None:
    token = api.staff_token("agent")
    case = api.file().json_body
    api.drain()
    sent = api.get("/v1/admin/notifications?status=sent&limit=1", token).json_body
    assert len(sent["items"]) == 1 and sent["next_cursor"]
    rest = api.get(f"/v1/admin/notifications?status=sent&cursor={sent['next_cursor']}", token)
    assert [i["case_id"] for i in rest.json_body["items"]] == [case["case_id"]]
    for query in ("status=lost", "limit=500", "cursor=forged", ""):
        response = api.get(f"/v1/admin/notifications?{query}", token)
        assert response.status_code == 400, query


def test_delivery_log_status_filter_takes_exactly_the_documented_statuses(api: Api) -> None:
    # GIVEN the statuses the OpenAPI document lists for the filter and for a message
    spec = api.get("/v1/openapi.json").json_body
    params = spec["paths"]["/v1/admin/notifications"]["get"]["parameters"]
    documented = next(p for p in params if p["name"] == "status")["schema"]["enum"]
    status_schema = spec["components"]["schemas"]["Notification"]["properties"]["status"]
    assert status_schema["enum"] == documented
    assert "sending" in documented
    # AND each is explained in the document and the README
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    for status in documented:
        assert f"`{status}`" in status_schema["description"], status
        assert f"`{status}`" in readme, status
    token = api.staff_token("agent")
    # WHEN staff filter by each of them THEN each is accepted
    for status in documented:
        response = api.get(f"/v1/admin/notifications?status={status}", token)
        assert response.status_code == 200, status
    # AND anything else is refused, naming the documented statuses
    for status in ("lost", "SENT", "sent%20", "retrying", "%C2%B2"):
        response = api.get(f"/v1/admin/notifications?status={status}", token)
        assert response.status_code == 400, status
        why = error_of(response)["fields"]["status"]
        assert why == "must be one of: " + ", ".join(documented)


def test_staff_creation_is_admin_only(api: Api) -> None:
    body = {"name": "李四", "role": "agent", "team": "refunds"}
    assert (
        api.post("/v1/admin/staff", body, _auth(api.staff_token("supervisor"))).status_code == 403
    )
    created = api.post("/v1/admin/staff", body, _auth(api.staff_token("admin")))
    assert created.status_code == 201
    new_token = created.json_body["token"]
    assert api.get("/v1/admin/notifications?status=sent", new_token).status_code == 200


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def clock_api(api: Api, tmp_path: Path) -> Api:
    """The API with the local stage's movable clock instead of a fixed one."""
    settings = replace(api.container.settings, clock_file=str(tmp_path / "clock.json"))
    container = wiring.Container(settings, store=api.container.store)
    wiring.use(container)
    api.container = container
    return api


def test_test_clock_moves_forward_for_admins_only(clock_api: Api) -> None:
    api = clock_api
    agent, admin = api.staff_token("agent"), api.staff_token("admin")
    before = api.get("/v1/dev/clock", agent).json_body["now"]
    advance = {"advance_seconds": 86400}
    assert api.post("/v1/dev/clock", advance, _auth(agent)).status_code == 403
    moved = api.post("/v1/dev/clock", advance, _auth(admin))
    assert moved.status_code == 200
    assert moved.json_body["now"] > before
    assert api.get("/v1/dev/clock", agent).json_body["now"] >= moved.json_body["now"]
    back = api.post("/v1/dev/clock", {"set": before}, _auth(admin))
    assert back.status_code == 400 and "set" in error_of(back)["fields"]
    both = api.post("/v1/dev/clock", {"set": before, "advance_seconds": 1}, _auth(admin))
    assert both.status_code == 400
    assert api.post("/v1/dev/clock", {"advance_seconds": -5}, _auth(admin)).status_code == 400


@pytest.mark.parametrize("header", [None, "Bearer st_nope", "Basic YWRtaW46YWRtaW4="])
def test_reading_the_test_clock_needs_a_staff_token(clock_api: Api, header: str | None) -> None:
    headers = {"Authorization": header} if header else {}
    response = clock_api.client.http.get("/v1/dev/clock", headers=headers)
    assert response.status_code == 401
    assert error_of(response)["code"] == "unauthorized"


@pytest.mark.parametrize("role", ["agent", "supervisor", "admin", "reviewer"])
def test_any_staff_role_reads_the_test_clock(clock_api: Api, role: str) -> None:
    response = clock_api.get("/v1/dev/clock", clock_api.staff_token(role))
    assert response.status_code == 200
    assert set(response.json_body) == {"now"}


def test_a_customer_token_does_not_read_the_test_clock(clock_api: Api) -> None:
    case = clock_api.file().json_body
    assert clock_api.get("/v1/dev/clock", case["access_token"]).status_code == 401


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"set": "9999-12-31T23:59:59-01:00"}, "set"),
        ({"set": "0001-01-01T00:00:00+01:00"}, "set"),
        ({"set": "9999-12-31T23:59:59Z"}, "set"),
        ({"set": "2200-12-31T00:00:00Z"}, "set"),  # a plausible year, too far ahead
        ({"advance_seconds": MAX_ADVANCE + 1}, "advance_seconds"),
        ({"advance_seconds": 10**30}, "advance_seconds"),
    ],
    ids=repr,
)
def test_the_test_clock_cannot_be_moved_past_its_bound(
    clock_api: Api, body: dict[str, object], field: str
) -> None:
    admin = _auth(clock_api.staff_token("admin"))
    response = clock_api.post("/v1/dev/clock", body, admin)
    assert response.status_code == 400
    error = error_of(response)
    assert (error["code"], list(error["fields"])) == ("validation_failed", [field])


def test_the_test_clock_runs_at_most_max_advance_ahead_of_real_time(clock_api: Api) -> None:
    # GIVEN the test clock moved as far ahead as one move allows
    api, admin = clock_api, _auth(clock_api.staff_token("admin"))
    assert (
        api.post("/v1/dev/clock", {"advance_seconds": MAX_ADVANCE - 60}, admin).status_code == 200
    )
    # WHEN it is moved on, by seconds or to a later time
    later = api.post("/v1/dev/clock", {"advance_seconds": 3600}, admin)
    beyond = (datetime.now(UTC) + timedelta(seconds=MAX_ADVANCE + 3600)).isoformat()
    set_later = api.post("/v1/dev/clock", {"set": beyond}, admin)
    # THEN both are refused, naming the field, and the clock stays where it was
    assert (later.status_code, list(error_of(later)["fields"])) == (400, ["advance_seconds"])
    assert (set_later.status_code, list(error_of(set_later)["fields"])) == (400, ["set"])
    now = api.get("/v1/dev/clock", admin["Authorization"].split()[1]).json_body["now"]
    assert now < beyond
    # AND a small step that stays inside the bound is still allowed
    assert api.post("/v1/dev/clock", {"advance_seconds": 30}, admin).status_code == 200


def test_test_clock_is_absent_outside_the_local_stage() -> None:
    code = "import app, json; print(json.dumps(sorted(app.app.routes)))"
    out = subprocess.run(
        [sys.executable, "-c", code],
        env={**os.environ, "PAYCASE_STAGE": "prod"},
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parents[2],
    )
    routes = json.loads(out.stdout)
    assert "/v1/dev/clock" not in routes and "/v1/complaints" in routes


def test_openapi_is_a_valid_openapi_31_document(api: Api) -> None:
    from openapi_spec_validator import validate

    spec = api.get("/v1/openapi.json").json_body
    validate(spec)  # raises on any violation of the OpenAPI 3.1 schema
    assert spec["components"]["schemas"]["Error"]["required"] == ["error"]


def test_staff_creation_honours_idempotency_key(api: Api) -> None:
    admin = {"Authorization": f"Bearer {api.staff_token('admin')}", "Idempotency-Key": "new-1"}
    body = {"name": "赵六", "role": "agent"}
    first = api.post("/v1/admin/staff", body, admin)
    again = api.post("/v1/admin/staff", body, admin)
    assert (first.status_code, again.status_code) == (201, 201)
    assert first.json_body == again.json_body  # the same member, the same token
    other = api.post("/v1/admin/staff", {"name": "钱七", "role": "agent"}, admin)
    assert other.status_code == 422


def test_merchant_registration_honours_idempotency_key(api: Api) -> None:
    admin = {"Authorization": f"Bearer {api.staff_token('admin')}", "Idempotency-Key": "m-1"}
    body = {"merchant_id": "M200002", "name": "测试商户", "email": "pay@m200002.example.com"}
    first = api.post("/v1/admin/merchants", body, admin)
    again = api.post("/v1/admin/merchants", body, admin)
    assert first.status_code == again.status_code == 201
    assert first.json_body["secret"] == again.json_body["secret"]
    without_key = api.post("/v1/admin/merchants", body, _auth(api.staff_token("admin")))
    assert without_key.status_code == 400  # registered already


def test_a_failed_creation_frees_its_idempotency_key(api: Api) -> None:
    admin = {"Authorization": f"Bearer {api.staff_token('admin')}", "Idempotency-Key": "s-9"}
    assert api.post("/v1/admin/staff", {"name": "", "role": "agent"}, admin).status_code == 400
    assert api.post("/v1/admin/staff", {"name": "孙八", "role": "agent"}, admin).status_code == 201


def test_test_clock_without_a_clock_file_is_404(api: Api) -> None:
    assert api.get("/v1/dev/clock", api.staff_token("agent")).status_code == 404
