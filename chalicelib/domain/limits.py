"""Every limit the API enforces on what clients send, defined once.

The request readers (`validation` and the parsers that use it) and the OpenAPI document
(`chalicelib.api.openapi`) both read these names, so the document cannot promise one limit while
the code enforces another; tests/api/test_limits.py sends one past each limit and checks both.

Text limits count characters (after surrounding whitespace is stripped) and every text must be
non-empty; `Span`s are inclusive.
"""

from __future__ import annotations

from typing import NamedTuple

from .policy import REGULATORY_DAYS, REGULATORY_MAX_DAYS


class Span(NamedTuple):
    """An inclusive range of whole numbers (a count, an amount, a number of days)."""

    low: int
    high: int


# -- the request as a whole ---------------------------------------------------------------------
BODY_BYTES = 64 * 1024  # larger bodies are 413 payload_too_large
IDEMPOTENCY_KEY = Span(1, 255)  # characters, each visible ASCII (! to ~)
IDEMPOTENCY_KEY_RULE = "must be {}-{} visible ASCII characters".format(*IDEMPOTENCY_KEY)
PAGE = Span(1, 200)  # ?limit=
PAGE_DEFAULT = 50

# -- money and references -----------------------------------------------------------------------
# One billion yuan: anything larger is a typo.
AMOUNT_FEN = Span(1, 100_000_000_000)
REFERENCE = 64  # transaction, merchant and order ids
EVENT_ID = 128  # the payment platform's event id
FAILURE_REASON = 500
NONCE = Span(8, 128)  # a merchant request's X-PayCase-Nonce, in characters

# -- contact points -----------------------------------------------------------------------------
PHONE = 32  # before normalisation to E.164: spaces and dashes are allowed
EMAIL = 254  # RFC 5321's longest path

# -- what customers write -----------------------------------------------------------------------
DESCRIPTION = 4000
MESSAGE = 4000  # customers' and staff's messages, merchants' answers, logged calls
REASON = 2000  # withdrawing, objecting, answering a proposal
COMMENT = 2000  # with a rating
RATING = Span(1, 5)

# -- what staff write ---------------------------------------------------------------------------
NOTE = 2000  # a transition's note (the request to the customer when waiting for them)
CALL_OUTCOME = 500
PROPOSAL_TEXT = 2000
INSTALLMENTS = Span(2, 60)
# An extension takes round 1's outer limit from its calendar days to at most the maximum.
EXTENSION_DAYS = Span(1, REGULATORY_MAX_DAYS - REGULATORY_DAYS)
EXTENSION_REASON = 1000
STAFF_ID = 64
PERSON_NAME = 100  # a staff member's name and team
MERCHANT_NAME = 200
PAYMENT_QUERY_NOTE = 1000
INCIDENT_TITLE = 120
INCIDENT_TEXT = 1000  # an incident's summary, update or resolution, in each language
INCIDENT_CASES = 100  # cases linked or unlinked in one call

# -- SLA administration -------------------------------------------------------------------------
TARGET_DAYS = Span(1, 60)  # working days
TARGET_HOURS = Span(1, 72)  # business hours
CALENDAR_DATES = 80  # holidays or make-up workdays in one year's list
CALENDAR_YEARS = Span(2000, 2100)  # a calendar year outside these is 404
METRICS_RANGE_DAYS = 366

# -- evidence: files on a case ------------------------------------------------------------------
EVIDENCE_FILE_BYTES = Span(1, 10 * 1024 * 1024)  # one file: 1 B to 10 MiB
EVIDENCE_FILES = 20  # files a case holds at once (pending, being scanned or available)
EVIDENCE_CASE_BYTES = 50 * 1024 * 1024  # their sizes together
EVIDENCE_RECORDS = 100  # every file ever asked for on a case, rejected ones included
EVIDENCE_FILENAME = 200
EVIDENCE_NOTE = 500
