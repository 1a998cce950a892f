"""Object-level authorisation (OWASP API1): a token that does not open a case gets 404 on every
endpoint that takes a case id, exactly like a case that does not exist."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.api.conftest import Api, error_of
from tests.api.desk import Desk
from tests.builders import complaint

CUSTOMER_CALLS = [
    ("GET", "/v1/cases/{id}", None),
    ("POST", "/v1/cases/{id}/messages", {"text": "还在处理吗"}),
    ("POST", "/v1/cases/{id}/proposal/accept", {}),
    ("POST", "/v1/cases/{id}/proposal/reject", {}),
    ("POST", "/v1/cases/{id}/objection", {"reason": "不同意"}),
    ("POST", "/v1/cases/{id}/withdraw", {}),
    ("POST", "/v1/cases/{id}/feedback", {"rating": 5}),
    ("PUT", "/v1/cases/{id}/preferences", {"language": "en"}),
]
STAFF_CALLS = [
    ("GET", "/v1/admin/cases/{id}", None),
    ("POST", "/v1/admin/cases/{id}/transitions", {"to": "accepted", "expected_version": 1}),
    ("POST", "/v1/admin/cases/{id}/assign", {"assignee": "stf_x"}),
    ("POST", "/v1/admin/cases/{id}/notes", {"text": "x"}),
    ("POST", "/v1/admin/cases/{id}/messages", {"text": "x"}),
    ("POST", "/v1/admin/cases/{id}/calls", {"summary": "x", "outcome": "y"}),
    ("POST", "/v1/admin/cases/{id}/proposals", {"kind": "explanation", "text": "x"}),
    ("POST", "/v1/admin/cases/{id}/extensions", {"days": 5, "reason": "x"}),
]


def _call(api: Api, method: str, path: str, body: Any, token: str | None) -> Any:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    if method == "GET":
        return api.client.http.get(path, headers=headers)
    return getattr(api.client.http, method.lower())(
        path,
        headers={**headers, "Content-Type": "application/json"},
        body=__import__("json").dumps(body),
    )


def _session(api: Api, phone: str) -> str:
    """Sign in by SMS code as the owner of `phone`."""
    assert api.post("/v1/otp", {"phone": phone}).status_code == 202
    api.drain()
    sms = [text for number, text in _sms(api) if number == phone]
    code = re.search(r"验证码为(\d{6})", sms[-1])
    assert code is not None
    response = api.post("/v1/sessions", {"phone": phone, "code": code.group(1)})
    assert response.status_code == 201, response.body
    return str(response.json_body["token"])


def _sms(api: Api) -> list[tuple[str, str]]:
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.sns.models import sns_backends

    return list(sns_backends[DEFAULT_ACCOUNT_ID]["ap-southeast-1"].sms_messages.values())


@pytest.fixture
def cases(api: Api) -> dict[str, Any]:
    mine = api.file().json_body
    theirs = api.file(complaint(contact={"phone": "13900139000"}, payment=None)).json_body
    return {"mine": mine, "theirs": theirs}


@pytest.mark.parametrize(("method", "path", "body"), CUSTOMER_CALLS)
def test_customer_endpoints_hide_other_cases(
    api: Api, cases: dict[str, Any], method: str, path: str, body: Any
) -> None:
    # GIVEN my case and another customer's case
    mine, theirs = cases["mine"], cases["theirs"]
    url = path.format(id=mine["case_id"])
    other_session = _session(api, "+8613900139000")
    staff = Desk(api).staff("admin")
    # WHEN the other customer's case token, their session, a staff token or garbage is used
    for token in (theirs["access_token"], other_session, staff, "ct_guess", "x" * 600):
        response = _call(api, method, url, body, token)
        # THEN the answer is 404, exactly as for a case that does not exist
        assert response.status_code == 404, (token[:8], response.body)
        assert error_of(response)["code"] == "not_found"
    missing = _call(
        api, method, path.format(id="01KJPQ5V3R8Z6W4X2Y0A1B2C3D"), body, mine["access_token"]
    )
    assert missing.status_code == 404
    # AND without credentials it is 401
    assert _call(api, method, url, body, None).status_code == 401


@pytest.mark.parametrize(("method", "path", "body"), STAFF_CALLS)
def test_staff_endpoints_hide_cases_from_customer_tokens(
    api: Api, cases: dict[str, Any], method: str, path: str, body: Any
) -> None:
    mine = cases["mine"]
    url = path.format(id=mine["case_id"])
    for token in (mine["access_token"], _session(api, "+8613800138000"), "st_forged"):
        response = _call(api, method, url, body, token)
        assert response.status_code == 404, (token[:8], response.body)
    assert _call(api, method, url, body, None).status_code == 401


def test_my_session_opens_my_cases_only(api: Api, cases: dict[str, Any]) -> None:
    session = _session(api, "+8613800138000")
    assert api.get(f"/v1/cases/{cases['mine']['case_id']}", session).status_code == 200
    mine = api.get("/v1/me/cases", session).json_body["items"]
    assert [c["case_id"] for c in mine] == [cases["mine"]["case_id"]]
    assert api.get(f"/v1/cases/{cases['theirs']['case_id']}", session).status_code == 404


@pytest.mark.parametrize(("method", "path", "body"), CUSTOMER_CALLS[1:])
def test_access_is_checked_before_the_body(
    api: Api, cases: dict[str, Any], method: str, path: str, body: Any
) -> None:
    # GIVEN a malformed body
    url = path.format(id=cases["mine"]["case_id"])
    headers = {"Content-Type": "application/json"}
    call = getattr(api.client.http, method.lower())
    # WHEN it comes without credentials, or with a token that does not open the case
    anonymous = call(url, headers=headers, body="{not json")
    stranger = call(url, headers={**headers, "Authorization": "Bearer ct_x"}, body="{not json")
    # THEN the caller learns nothing about the body: 401 and 404
    assert (anonymous.status_code, stranger.status_code) == (401, 404)
