"""The log formatter's last line of defence: whatever number, address or token slips into a
message or an exception is masked in the JSON line."""

from __future__ import annotations

import json
import logging

import pytest

from chalicelib.observability import count, scrub, working_on


def test_scrub_masks_numbers_addresses_and_tokens_but_not_ids() -> None:
    text = "01M83:case_received@v1.0:sms to +8613912345678, wang@example.com, ct_abcdefghijkl"
    assert scrub(text) == "01M83:case_received@v1.0:sms to +861****5678, ***@***, ***"


def test_a_log_line_is_json_naming_the_case_with_personal_data_masked(
    capsys: pytest.CaptureFixture[str],
) -> None:
    log = logging.getLogger("chalicelib.services.example")
    # GIVEN a provider error that quotes the customer's phone and email
    try:
        raise RuntimeError("Invalid parameter: +8613912345678 / wang.xiaoli@example.com")
    except RuntimeError:
        # WHEN it is logged while a case is being worked on
        with working_on(case_id="01M8323B800JMDRAMAGFPWC87H", correlation="req-1"):
            log.exception("send failed for %s", "13912345678")
    # THEN the line is JSON, names the case and the correlation id, and masks the data
    [line] = [json.loads(out) for out in capsys.readouterr().out.splitlines()]
    assert (line["case_id"], line["correlation_id"], line["level"]) == (
        "01M8323B800JMDRAMAGFPWC87H",
        "req-1",
        "ERROR",
    )
    text = json.dumps(line, ensure_ascii=False)
    assert "13912345678" not in text and "wang.xiaoli@example.com" not in text
    assert "139****5678" in line["message"]


def test_a_count_is_one_emf_line_unless_metrics_are_turned_off(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN metrics on: a count is one EMF line in the PayCase namespace, with its dimension
    count("MessagesSent", channel="sms")
    [line] = [json.loads(out) for out in capsys.readouterr().out.splitlines()]
    (directive,) = line["_aws"]["CloudWatchMetrics"]
    assert directive["Namespace"] == "PayCase"
    assert (line["channel"], line["MessagesSent"]) == ("sms", [1.0])
    # WHEN an operator (or the benchmark) turns metrics off
    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "true")
    count("MessagesSent", channel="sms")
    # THEN nothing is printed
    assert capsys.readouterr().out == ""
