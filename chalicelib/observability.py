"""Structured logs and metrics, with AWS Lambda Powertools for Python.

Logs: every `chalicelib.*` logger writes one JSON object per line through Powertools' Logger,
with the function, its cold start, the correlation id (API Gateway's request id, carried from the
request into every outbox event it writes, and from an event into the events and schedules its
consumer writes, so one complaint can be followed from its POST to its SMS) and the `case_id`
being worked on. No line may carry a phone number, an email address, a token, a secret, a code or
a customer's words: the code logs ids only, and the formatter masks whatever number, address or
token still slips into a message or an exception (a provider's error text, say).

Metrics: CloudWatch embedded metric format (Powertools' `single_metric`), namespace `PayCase`,
dimensions of low cardinality only (a category, a clock, a channel, a verdict; never an id).

Importing this module costs Powertools' import (about 40 ms; `make bench` measures `import app`).
"""

from __future__ import annotations

import logging
import os
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.logging.formatter import LambdaPowertoolsFormatter
from aws_lambda_powertools.metrics import MetricUnit, single_metric
from aws_lambda_powertools.metrics.functions import is_metrics_disabled

from chalicelib.domain.contact import mask_numbers

NAMESPACE = "PayCase"
SERVICE = os.environ.get("POWERTOOLS_SERVICE_NAME", "paycase")
# Credentials PayCase issues: case access tokens, staff and session tokens, merchant secrets.
_TOKEN = re.compile(r"\b(?:ct|st|ss|msk|whsec)_[A-Za-z0-9_\-]{8,}")
# An address's domain ends in letters, so ids such as `case_received@v1.0` are left as they are.
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[A-Za-z]{2,}\b")


def scrub(text: str) -> str:
    """`text` with phone, card and account numbers, email addresses and tokens masked."""
    return _TOKEN.sub("***", _EMAIL.sub("***@***", mask_numbers(text)))


class ScrubbingFormatter(LambdaPowertoolsFormatter):
    """Powertools' JSON lines, each scrubbed of personal data as a last line of defence."""

    def serialize(self, log: Any) -> str:
        return scrub(super().serialize(log))


class _Stdout(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever `sys.stdout` is when a line is written (Lambda's, the local
    runner's, a test's capture), not the one there was at import."""

    @property
    def stream(self) -> Any:
        return sys.stdout

    @stream.setter
    def stream(self, value: Any) -> None:
        pass


logger = Logger(service=SERVICE, logger_formatter=ScrubbingFormatter(), logger_handler=_Stdout())


def _install() -> None:
    """Route every `chalicelib.*` module logger through the Powertools handler and formatter
    (the formatter holds the keys appended per invocation)."""
    package = logging.getLogger("chalicelib")
    package.handlers = [logger.registered_handler]
    package.setLevel(os.environ.get("POWERTOOLS_LOG_LEVEL", "INFO"))
    package.propagate = False


_install()


def correlation_id() -> str | None:
    """The correlation id of the work this thread is doing (a consumer's event), else the
    invocation's (the request's)."""
    value = logger.thread_safe_get_current_keys().get("correlation_id")
    value = value or logger.get_correlation_id()
    return str(value) if value else None


@contextmanager
def working_on(*, case_id: str | None = None, correlation: str | None = None) -> Iterator[None]:
    """Log lines inside (on this thread: the stream handler works on several events at once)
    name the case and the correlation id they are about."""
    keys = {
        name: value
        for name, value in (("case_id", case_id), ("correlation_id", correlation))
        if value
    }
    before = logger.thread_safe_get_current_keys()
    logger.thread_safe_append_keys(**keys)
    try:
        yield
    finally:
        logger.thread_safe_remove_keys(list(keys))
        restore = {name: before[name] for name in keys if name in before}
        if restore:
            logger.thread_safe_append_keys(**restore)


# Metrics an alarm watches across all their dimensions: each is also counted by `service` alone
# (an alarm cannot add up a metric's dimensions; this total is what it watches).
ALARMED = frozenset({"SlaBreaches", "MessagesDead"})


def count(name: str, value: float = 1, **dimensions: str) -> None:
    """One metric data point now (an EMF line on stdout, which CloudWatch turns into the metric).
    Never raises: a metric must not fail the work it counts. POWERTOOLS_METRICS_DISABLED=true
    turns metrics off (Powertools' single_metric does not read it itself)."""
    if is_metrics_disabled():
        return
    _emit(name, value, dimensions)
    if name in ALARMED and dimensions:
        _emit(name, value, {})


def _emit(name: str, value: float, dimensions: dict[str, str]) -> None:
    try:
        with single_metric(
            name=name, unit=MetricUnit.Count, value=value, namespace=NAMESPACE
        ) as metric:
            for key, dimension in dimensions.items():
                metric.add_dimension(name=key, value=str(dimension))
    except Exception:  # pragma: no cover - a malformed metric is a bug worth a log line only
        logging.getLogger(__name__).exception("metrics: could not emit %s", name)
