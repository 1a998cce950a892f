"""Staff endpoints (bearer tokens with roles)."""

from __future__ import annotations

from typing import Any

from chalice.app import Blueprint

from chalicelib import wiring
from chalicelib.api.http import endpoint, json_response, query_param, read_json
from chalicelib.domain.errors import NotFound, Unauthorized
from chalicelib.services.cursors import page_limit
from chalicelib.services.entities import StaffMember
from chalicelib.services.idempotency import Once
from chalicelib.services.merchants import present_new_merchant
from chalicelib.services.staff import present_member, present_new_member, require_role

bp = Blueprint(__name__)
QUEUE_FILTERS = ("status", "category", "assignee", "merchant_id", "sla", "limit", "cursor")


def staff_member(minimum: str | None = "agent") -> StaffMember:
    """The calling staff member, with at least `minimum`'s role (None: any role)."""
    member = wiring.container().staff.authenticate(bp.current_request.headers.get("authorization"))
    if minimum is not None:
        require_role(member, minimum)
    return member


def case_staff_member() -> StaffMember:
    """Like staff_member, for calls on one case: a token that is not staff gets 404, exactly
    as a case the caller may not see, so case ids cannot be probed with customer tokens."""
    header = bp.current_request.headers.get("authorization")
    try:
        return wiring.container().staff.authenticate(header)
    except Unauthorized:
        if header:
            raise NotFound() from None
        raise


def _idem() -> str | None:
    return bp.current_request.headers.get("idempotency-key")


@endpoint(bp, "/v1/admin/staff", methods=["POST"])
def create_staff() -> Any:
    admin = staff_member("admin")
    body = read_json(bp.current_request)
    container = wiring.container()
    once = container.replays.once(f"staff:{admin.staff_id}", _idem(), body, sealed=True)

    def create(once: Once | None) -> dict[str, Any]:
        return present_new_member(*container.staff.create(body, once, admin.staff_id))

    answer, _ = container.replays.run(once, create)
    return json_response(answer, 201)


@endpoint(bp, "/v1/admin/merchants", methods=["POST"])
def register_merchant() -> Any:
    admin = staff_member("admin")
    body = read_json(bp.current_request)
    container = wiring.container()
    once = container.replays.once(f"merchants:{admin.staff_id}", _idem(), body, sealed=True)

    def register(once: Once | None) -> dict[str, Any]:
        return present_new_merchant(*container.merchants.register(body, once, admin.staff_id))

    answer, _ = container.replays.run(once, register)
    return json_response(answer, 201)


@endpoint(bp, "/v1/admin/merchants/{merchant_id}/secrets", methods=["POST"])
def rotate_merchant_secret(merchant_id: str) -> Any:
    admin = staff_member("admin")
    container = wiring.container()
    scope = f"merchant-secrets:{admin.staff_id}:{merchant_id}"
    once = container.replays.once(scope, _idem(), {}, sealed=True)
    answer, _ = container.replays.run(
        once, lambda once: container.merchants.rotate_secret(admin, merchant_id, once)
    )
    return json_response(answer, 201)


@endpoint(bp, "/v1/admin/me")
def who_am_i() -> Any:
    return json_response(present_member(staff_member(None)))


@endpoint(bp, "/v1/admin/staff")
def list_staff() -> Any:
    staff_member("supervisor")
    request = bp.current_request
    params = {name: query_param(request, name) for name in ("role", "active", "limit", "cursor")}
    return json_response(wiring.container().staff.members(params))


@endpoint(bp, "/v1/admin/staff/{staff_id}/deactivate", methods=["POST"])
def deactivate_staff(staff_id: str) -> Any:
    admin = staff_member("admin")
    body = read_json(bp.current_request) if bp.current_request.raw_body else {}
    container = wiring.container()
    once = container.replays.once(f"deactivate:{admin.staff_id}:{staff_id}", _idem(), body)
    answer, _ = container.replays.run(
        once, lambda once: container.staff.deactivate(admin, staff_id, body, once)
    )
    return json_response(answer)


@endpoint(bp, "/v1/admin/staff/{staff_id}/token", methods=["POST"])
def rotate_staff_token(staff_id: str) -> Any:
    header = bp.current_request.headers.get("authorization")
    container = wiring.container()
    # Scoped by the token that asked: a member whose answer was lost retries with the same
    # key and their old token (already revoked) and still gets their new token, once.
    once = container.replays.once(
        f"staff-token:{container.staff.caller_key(header)}:{staff_id}", _idem(), {}, sealed=True
    )

    def rotate(once: Once | None) -> dict[str, Any]:
        return container.staff.rotate_token(staff_member(None), staff_id, once)

    answer, _ = container.replays.run(once, rotate)
    return json_response(answer, 201)


@endpoint(bp, "/v1/admin/search")
def search_cases() -> Any:
    member = staff_member(None)
    request = bp.current_request
    params = {name: query_param(request, name) for name in ("q", "limit")}
    return json_response(wiring.container().search.search(member, params))


@endpoint(bp, "/v1/admin/audit")
def audit_trail() -> Any:
    staff_member("admin")
    request = bp.current_request
    names = ("actor", "case_id", "limit", "cursor")
    return json_response(wiring.container().audit.list({n: query_param(request, n) for n in names}))


@endpoint(bp, "/v1/admin/notifications")
def list_notifications() -> Any:
    staff_member(None)
    request = bp.current_request
    page = wiring.container().deliveries.list(
        case_id=query_param(request, "case_id"),
        status=query_param(request, "status"),
        limit=page_limit(query_param(request, "limit")),
        cursor=query_param(request, "cursor"),
    )
    return json_response(page)


@endpoint(bp, "/v1/admin/cases")
def list_cases() -> Any:
    staff_member(None)
    request = bp.current_request
    params = {name: query_param(request, name) for name in QUEUE_FILTERS}
    return json_response(wiring.container().desk.queue(params))


@endpoint(bp, "/v1/admin/cases/{case_id}")
def get_case(case_id: str) -> Any:
    member = case_staff_member()
    return json_response(wiring.container().desk.view(case_id, member))


@endpoint(bp, "/v1/admin/cases/{case_id}/transitions", methods=["POST"])
def transition(case_id: str) -> Any:
    member = case_staff_member()
    body = read_json(bp.current_request)
    return json_response(wiring.container().desk.transition(case_id, body, member, _idem()))


@endpoint(bp, "/v1/admin/cases/{case_id}/assign", methods=["POST"])
def assign(case_id: str) -> Any:
    member = case_staff_member()
    body = read_json(bp.current_request)
    return json_response(wiring.container().desk.assign(case_id, body, member, _idem()))


def _entry(case_id: str, kind: str) -> Any:
    member = case_staff_member()
    body = read_json(bp.current_request)
    entry = wiring.container().desk.add_entry(case_id, kind, body, member, _idem())
    return json_response(entry, 201)


@endpoint(bp, "/v1/admin/cases/{case_id}/notes", methods=["POST"])
def add_note(case_id: str) -> Any:
    return _entry(case_id, "notes")


@endpoint(bp, "/v1/admin/cases/{case_id}/messages", methods=["POST"])
def message_customer(case_id: str) -> Any:
    return _entry(case_id, "messages")


@endpoint(bp, "/v1/admin/cases/{case_id}/calls", methods=["POST"])
def log_call(case_id: str) -> Any:
    return _entry(case_id, "calls")


@endpoint(bp, "/v1/admin/cases/{case_id}/proposals", methods=["POST"])
def propose(case_id: str) -> Any:
    member = case_staff_member()
    body = read_json(bp.current_request)
    return json_response(wiring.container().desk.propose(case_id, body, member, _idem()), 201)


@endpoint(bp, "/v1/admin/metrics")
def metrics() -> Any:
    staff_member("supervisor")
    request = bp.current_request
    report = wiring.container().metrics_report.read(
        query_param(request, "from"), query_param(request, "to")
    )
    return json_response(report)


@endpoint(bp, "/v1/admin/cases/{case_id}/extensions", methods=["POST"])
def extend(case_id: str) -> Any:
    member = case_staff_member()
    require_role(member, "supervisor")
    body = read_json(bp.current_request)
    return json_response(wiring.container().desk.extend(case_id, body, member, _idem()))


@endpoint(bp, "/v1/admin/sla-policies")
def list_policies() -> Any:
    staff_member(None)
    return json_response(wiring.container().policy_admin.list())


@endpoint(bp, "/v1/admin/sla-policies/{category}", methods=["PUT"])
def update_policy(category: str) -> Any:
    member = staff_member("supervisor")
    body = read_json(bp.current_request)
    return json_response(wiring.container().policy_admin.update(category, body, member))


@endpoint(bp, "/v1/admin/calendar/{year}")
def get_calendar(year: str) -> Any:
    staff_member(None)
    return json_response(wiring.container().calendar_admin.get(_year(year)))


@endpoint(bp, "/v1/admin/calendar/{year}", methods=["PUT"])
def load_calendar(year: str) -> Any:
    member = staff_member("supervisor")
    body = read_json(bp.current_request)
    return json_response(wiring.container().calendar_admin.load(_year(year), body, member))


@endpoint(bp, "/v1/admin/deadlines")
def preview_deadlines() -> Any:
    staff_member(None)
    request = bp.current_request
    preview = wiring.container().deadline_preview.preview(
        query_param(request, "category"), query_param(request, "from")
    )
    return json_response(preview)


def _year(raw: str) -> int:
    if not (len(raw) == 4 and raw.isascii() and raw.isdigit()):
        raise NotFound()
    return int(raw)


@endpoint(bp, "/v1/admin/notifications/{notification_id}/retry", methods=["POST"])
def retry_notification(notification_id: str) -> Any:
    staff_member(None)
    return json_response(wiring.container().deliveries.retry(notification_id), 202)


# -- evidence: files on a case ----------------------------------------------------------------


def _caller(member: StaffMember) -> Any:
    from chalicelib.services.evidence import Caller

    return Caller.staff(member.staff_id)


@endpoint(bp, "/v1/admin/cases/{case_id}/evidence", methods=["POST"])
def request_evidence_upload(case_id: str) -> Any:
    member = case_staff_member()
    body = read_json(bp.current_request)
    once = Once.of(f"evidence:{member.staff_id}:{case_id}", _idem(), body)
    answer = wiring.container().evidence.request(_caller(member), case_id, body, once)
    return json_response(answer, 201)


@endpoint(bp, "/v1/admin/cases/{case_id}/evidence/{evidence_id}/complete", methods=["POST"])
def complete_evidence(case_id: str, evidence_id: str) -> Any:
    member = case_staff_member()
    evidence = wiring.container().evidence
    return json_response(evidence.complete(_caller(member), case_id, evidence_id))


@endpoint(bp, "/v1/admin/cases/{case_id}/evidence")
def list_evidence(case_id: str) -> Any:
    member = case_staff_member()
    request = bp.current_request
    limit = page_limit(query_param(request, "limit"))
    evidence = wiring.container().evidence
    page = evidence.list(_caller(member), case_id, limit, query_param(request, "cursor"))
    return json_response(page)


@endpoint(bp, "/v1/admin/cases/{case_id}/evidence/{evidence_id}")
def get_evidence(case_id: str, evidence_id: str) -> Any:
    member = case_staff_member()
    evidence = wiring.container().evidence
    return json_response(evidence.get(_caller(member), case_id, evidence_id))


@endpoint(bp, "/v1/admin/cases/{case_id}/evidence/{evidence_id}", methods=["PATCH"])
def share_evidence(case_id: str, evidence_id: str) -> Any:
    member = case_staff_member()
    body = read_json(bp.current_request)
    once = Once.of(f"evidence-share:{member.staff_id}:{evidence_id}", _idem(), body)
    evidence = wiring.container().evidence
    return json_response(evidence.share(member.staff_id, case_id, evidence_id, body, once))
