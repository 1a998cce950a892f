"""Names of the uniqueness and idempotency keys the services hold (one place, so every writer
and releaser agrees)."""

from __future__ import annotations

from chalicelib.domain.contact import Contact
from chalicelib.domain.ids import fingerprint


def open_case_keys(contact: Contact, transaction_id: str | None) -> list[str]:
    """Held while a case is open, one per contact point, so the same person cannot open a second
    case about the same transaction; released when the case becomes final."""
    if not transaction_id:
        return []
    points = [p for p in (contact.phone, (contact.email or "").lower()) if p]
    return [f"open-case#{fingerprint(point, transaction_id)}" for point in points]


def case_number_key(case_number: str) -> str:
    return f"case-number#{case_number}"


def idempotency_key(scope: str, key: str) -> str:
    return f"idempotency#{scope}#{key}"


# -- one-time codes and sessions (keyed by a fingerprint of the phone, never the phone) ---------


def otp_code_key(who: str) -> str:
    """The phone's current code (its hash, id and expiry)."""
    return f"otp#{who}"


def otp_cooldown_key(who: str) -> str:
    return f"otp-cooldown#{who}"


def otp_rate_key(who: str, hour: str) -> str:
    return f"otp-rate#{who}#{hour}"


def otp_tries_key(code_id: str) -> str:
    return f"otp-tries#{code_id}"


def otp_used_key(code_id: str) -> str:
    return f"otp-used#{code_id}"


# -- unverified intake (per phone fingerprint and fixed window) ---------------------------------


def intake_complaints_key(who: str, window: str) -> str:
    """Complaints filed without an SMS session naming the phone, in the window."""
    return f"intake-complaints#{who}#{window}"


def intake_sms_key(who: str, window: str) -> str:
    """Acknowledgement SMS those complaints sent the phone, in the window."""
    return f"intake-sms#{who}#{window}"


def merchant_named_key(merchant_id: str, hour: str) -> str:
    """ "A complaint names you" emails sent to the merchant on their own in the hour."""
    return f"merchant-named#{merchant_id}#{hour}"


def merchant_named_case_key(case_id: str) -> str:
    """How the case's "a complaint names you" email went (on its own or in the digest)."""
    return f"merchant-named-case#{case_id}"


def merchant_digest_key(merchant_id: str, hour: str) -> str:
    """The case numbers of the complaints in the merchant's digest of the hour."""
    return f"merchant-digest#{merchant_id}#{hour}"


def merchant_digest_event_key(merchant_id: str, hour: str) -> str:
    """Claimed by the first complaint in the hour's digest, which writes the digest's outbox
    event; marked sent when the digest goes."""
    return f"merchant-digest-event#{merchant_id}#{hour}"


def session_key(token_hash: str) -> str:
    return f"session#{token_hash}"


# -- accounts and signatures --------------------------------------------------------------------


def staff_token_key(token_hash: str) -> str:
    """Finds a staff member by their token's hash with one consistent read."""
    return f"staff-token#{token_hash}"


def merchant_key(merchant_id: str) -> str:
    """What KeyTaken names when a merchant id is already registered."""
    return f"merchant#{merchant_id}"


def merchant_nonce_key(merchant_id: str, nonce: str) -> str:
    return f"merchant-nonce#{merchant_id}#{nonce}"


def is_merchant_nonce_key(key: str) -> bool:
    return key.startswith("merchant-nonce#")


# -- payments, configuration, metrics -----------------------------------------------------------


def payment_event_key(event_id: str) -> str:
    """Held once a payment platform event was recorded: a repeated delivery changes nothing."""
    return f"payment-event#{event_id}"


def sla_policy_key(category: str) -> str:
    return f"sla-policy#{category}"


def sla_policy_version_key(category: str, version: int) -> str:
    """Held by each published version of a category's policy (two editors cannot both
    publish the same version)."""
    return f"{sla_policy_key(category)}#v{version}"


def calendar_key(year: int) -> str:
    return f"calendar#{year}"


def metrics_applied_key(change_id: str) -> str:
    return f"metrics-applied#{change_id}"


# -- what reaches a recipient ---------------------------------------------------------------------


def suppressed_email_key(address: str) -> str:
    """Held once an address bounced for good or complained: no more email goes to it."""
    return f"email-suppressed#{address.lower()}"


def sms_opt_out_key(phone: str) -> str:
    """Held once a phone replied TD: no more SMS goes to it until SMS is turned back on."""
    return f"sms-opt-out#{phone}"


# -- incidents ----------------------------------------------------------------------------------


def incident_key(incident_id: str) -> str:
    return f"incident#{incident_id}"


def incident_version_key(incident_id: str, version: int) -> str:
    """Held by each version of an incident's record: two writers cannot both write the next."""
    return f"{incident_key(incident_id)}#v{version}"


OPEN_INCIDENTS_KEY = "incidents#open"  # the open incidents' match rules, read at each filing


def open_incidents_version_key(version: int) -> str:
    return f"{OPEN_INCIDENTS_KEY}#v{version}"


def incidents_of_year_key(year: int) -> str:
    """The ids of the incidents declared in a year, newest last (the incident list)."""
    return f"incidents#{year}"
