"""Who is calling, resolved once, before a use case runs: the view turns the request's
credential into a principal and hands the service that principal, never the raw header.

- Customers: a case's access token (`ct_...`, that case only) or an SMS session (`ss_...`,
  every case of the session's phone) opens a case: `CaseAccess`. Any other token gets 404, so
  case ids cannot be probed; only a missing Authorization header is 401. The request body is
  read only after this, so a caller without access learns nothing, not even whether their body
  was valid.
- Staff: `StaffService.authenticate` gives the `StaffMember`.
- Merchants: `MerchantSignatures.verify` gives the `SignedRequest` (its merchant and nonce).
"""

from __future__ import annotations

from dataclasses import dataclass

from chalicelib.domain.case import Case
from chalicelib.domain.clock import Clock
from chalicelib.domain.errors import NotFound, Unauthorized
from chalicelib.domain.ids import is_ulid, tokens_match
from chalicelib.services.ports import DeskStore
from chalicelib.services.sessions import Sessions
from chalicelib.services.staff import bearer, case_bearer


@dataclass(frozen=True)
class CaseAccess:
    """A customer who may act on one case (the case as it was when access was checked)."""

    case: Case

    @property
    def case_id(self) -> str:
        return self.case.case_id


@dataclass(frozen=True)
class CustomerSession:
    """A customer signed in by SMS code: every case of this phone."""

    phone: str


class CustomerAccess:
    def __init__(self, store: DeskStore, sessions: Sessions, clock: Clock) -> None:
        self._store = store
        self._sessions = sessions
        self._clock = clock

    def case(self, case_id: str, authorization: str | None) -> CaseAccess:
        token = case_bearer(authorization)
        case = self._store.get_case(case_id) if is_ulid(case_id) else None
        if case is None or not self._opens(token, case):
            raise NotFound()
        return CaseAccess(case)

    def session(self, authorization: str | None) -> CustomerSession:
        """The caller's SMS session; Unauthorized without one."""
        phone = self._sessions.phone_of(bearer(authorization), self._clock.now())
        if phone is None:
            raise Unauthorized("Sign in with a one-time code first (POST /v1/otp, /v1/sessions).")
        return CustomerSession(phone)

    def _opens(self, token: str, case: Case) -> bool:
        if tokens_match(token, case.access_token_hash):
            return True
        phone = self._sessions.phone_of(token, self._clock.now())
        return phone is not None and phone == case.contact.phone
