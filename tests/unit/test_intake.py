"""Unverified intake's rules: the SMS countries, the counting windows, and their settings."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from chalicelib.domain.complaint import parse_complaint
from chalicelib.domain.errors import ValidationFailed
from chalicelib.domain.intake import (
    IntakeLimits,
    accepted_numbers,
    country_code,
    sms_allowed,
    window_of,
)
from chalicelib.settings import SettingsError, intake_limits
from devstack.env import LocalEnv
from tests.builders import MONDAY_10AM, complaint

DAY = timedelta(hours=24)


def test_country_code_of_e164_numbers() -> None:
    assert country_code("+8613800138000") == "86"
    assert country_code("+14155552671") == "1"
    assert country_code("+85291234567") == "852"


def test_sms_allowed_only_for_the_configured_countries() -> None:
    assert sms_allowed("+8613800138000", ("86",))
    assert not sms_allowed("+2348031234567", ("86",))
    assert sms_allowed("+85291234567", ("86", "852"))
    assert not sms_allowed(None, ("86",))


def test_accepted_numbers_reads_as_a_list() -> None:
    assert accepted_numbers(("86",)) == "+86"
    assert accepted_numbers(("86", "852", "853")) == "+86, +852 or +853"


def test_day_windows_run_from_midnight_to_midnight_in_china() -> None:
    # GIVEN 10:00 in Beijing (02:00 UTC)
    window = window_of(MONDAY_10AM, DAY)
    # THEN the window is that calendar day in Beijing
    assert window.starts_at == datetime(2026, 11, 22, 16, tzinfo=UTC)
    assert window.ends_at == datetime(2026, 11, 23, 16, tzinfo=UTC)
    assert window.retry_after(MONDAY_10AM) == 14 * 3600
    # AND one second before midnight is the same window; midnight is the next
    assert window_of(window.ends_at - timedelta(seconds=1), DAY).label == window.label
    following = window_of(window.ends_at, DAY)
    assert following.label != window.label and following.starts_at == window.ends_at


def test_retry_after_is_whole_seconds_and_never_zero() -> None:
    window = window_of(MONDAY_10AM, DAY)
    assert window.retry_after(window.ends_at - timedelta(milliseconds=300)) == 1
    assert window.retry_after(window.ends_at - timedelta(seconds=90.2)) == 91


def test_foreign_phone_with_email_is_kept_and_answered_by_email_only() -> None:
    body = complaint(contact={"phone": "+1 415 555 2671", "email": "a@example.com"})
    request = parse_complaint(body, MONDAY_10AM)
    assert request.contact.phone == "+14155552671"
    assert request.contact.channels == ("email",)
    assert request.contact.reachable_channels() == ("email",)


def test_foreign_phone_accepted_when_its_country_is_configured() -> None:
    body = complaint(contact={"phone": "+85291234567"})
    request = parse_complaint(body, MONDAY_10AM, ("86", "852"))
    assert request.contact.channels == ("sms",)
    with pytest.raises(ValidationFailed) as refused:
        parse_complaint(body, MONDAY_10AM)
    assert refused.value.fields == {
        "contact.phone": (
            "SMS goes only to +86 mobile numbers; give contact.email as well to be answered "
            "by email"
        )
    }


def test_intake_settings_default_and_parse() -> None:
    assert intake_limits({}) == IntakeLimits()
    limits = intake_limits(
        {
            "PAYCASE_SMS_COUNTRIES": "86, +852",
            "PAYCASE_INTAKE_SMS_PER_PHONE": "0",
            "PAYCASE_INTAKE_COMPLAINTS_PER_PHONE": "50",
            "PAYCASE_INTAKE_WINDOW_HOURS": "12",
            "PAYCASE_MERCHANT_DIGEST_AFTER": "20",
        }
    )
    assert limits == IntakeLimits(
        sms_countries=("86", "852"),
        sms_per_phone=0,
        complaints_per_phone=50,
        window=timedelta(hours=12),
        merchant_digest_after=20,
    )


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("PAYCASE_INTAKE_SMS_PER_PHONE", "three"),
        ("PAYCASE_INTAKE_COMPLAINTS_PER_PHONE", "0"),
        ("PAYCASE_SMS_COUNTRIES", "CN"),
        ("PAYCASE_INTAKE_WINDOW_HOURS", "0"),
    ],
)
def test_intake_settings_refuse_what_cannot_be_a_limit(name: str, value: str) -> None:
    with pytest.raises(SettingsError) as refused:
        intake_limits({name: value})
    assert name in str(refused.value) or str(refused.value).startswith("intake limits: ")


def test_local_stack_passes_the_limits_set_in_the_shell(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PAYCASE_INTAKE_COMPLAINTS_PER_PHONE", "500")
    monkeypatch.setenv("PAYCASE_TABLE_PREFIX", "not-passed-")
    env = LocalEnv(tmp_path).app_environment()
    assert env["PAYCASE_INTAKE_COMPLAINTS_PER_PHONE"] == "500"
    assert env["PAYCASE_TABLE_PREFIX"] == "paycase-local-"
