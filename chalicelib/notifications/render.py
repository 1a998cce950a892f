"""Rendering messages with Jinja2: autoescaped HTML and plain text for email, plain text for SMS.

Jinja2 is imported on first use: only the notification dispatcher pays for it, never the API's
cold start.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from chalicelib.domain.contact import mask_numbers
from chalicelib.domain.names import (
    category_name,
    clock_name,
    outcome_name,
    reason_text,
    remedy_name,
    role_name,
    verdict_name,
)
from chalicelib.domain.timefmt import hour_text, local_date_text, local_text, parse_rfc3339
from chalicelib.services.timeline_texts import last_day_text, money

if TYPE_CHECKING:
    from jinja2 import Environment

TEMPLATES = Path(__file__).parent / "templates"
SMS_SIGNATURE = "【PayCase】"
MAX_SMS_SEGMENTS = 2
SMS_DETAIL = (2, 1, 0)
LANGUAGES = ("zh-CN", "en")
# References a reader needs in full, shown as given. Every other text param (staff messages,
# notes, reasons, requests, names, a payment platform's failure_reason) has any card, account or
# phone number in it masked, so free text added later is masked without being listed here.
VERBATIM = frozenset(
    {"case_number", "transaction_id", "order_id", "refund_id", "query_id", "merchant_id", "code"}
)


@dataclass(frozen=True)
class Email:
    subject: str
    text: str
    html: str


def date_text(day: str, language: str = "zh-CN") -> str:
    """A calendar date (`2026-12-15`) as its reader writes it: `2026年12月15日` / `2026-12-15`."""
    value = date.fromisoformat(day)
    return value.isoformat() if language == "en" else f"{value.year}年{value.month}月{value.day}日"


def working_time(seconds: float, day_seconds: int, language: str = "zh-CN") -> str:
    """Working time as a person reads it: `1个工作日3小时20分钟` / `1 working day, 3 h 20 min`
    (a working day being `day_seconds` of business hours); under a minute says so."""
    minutes = int(seconds) // 60
    if minutes < 1:
        return "under a minute" if language == "en" else "不足1分钟"
    days, rest = divmod(minutes, max(int(day_seconds) // 60, 1))
    hours, mins = divmod(rest, 60)
    if language == "en":
        day = f"{days} working day{'s' if days > 1 else ''}" if days else ""
        time = " ".join(
            p for p in (f"{hours} h" if hours else "", f"{mins} min" if mins else "") if p
        )
        return ", ".join(p for p in (day, time) if p)
    units = ((days, "个工作日"), (hours, "小时"), (mins, "分钟"))
    return "".join(f"{value}{unit}" for value, unit in units if value)


def sms_segments(text: str) -> int:
    """How many SMS segments `text` needs: GSM-7 160/153 per segment, otherwise UCS-2 70/67
    (a UCS-2 character outside the BMP, such as an emoji, takes two units)."""
    gsm = all(ord(c) < 128 for c in text)
    units = len(text) if gsm else sum(2 if ord(c) > 0xFFFF else 1 for c in text)
    single, multi = (160, 153) if gsm else (70, 67)
    return 1 if units <= single else -(-units // multi)


class TemplateRenderer:
    def __init__(self, directory: Path = TEMPLATES) -> None:
        self._directory = directory
        self._env: Environment | None = None

    def sms(self, event: str, language: str, params: dict[str, Any]) -> str:
        """The SMS at the most detail that fits two segments: a template may say less as
        `detail` falls (2: everything, e.g. each instalment; 1: a summary; 0: the least)."""
        name = f"{self._lang(language)}/{event}.sms.j2"
        for detail in SMS_DETAIL:
            body = self._render(name, language, {**params, "detail": detail})
            text = SMS_SIGNATURE + " ".join(body.split())
            if sms_segments(text) <= MAX_SMS_SEGMENTS:
                break
        return text

    def email(self, event: str, language: str, params: dict[str, Any]) -> Email:
        lang = self._lang(language)
        subject = self._render(f"{lang}/{event}.subject.j2", language, params)
        return Email(
            subject=" ".join(subject.split()),
            text=self._render(f"{lang}/{event}.txt.j2", language, params).strip() + "\n",
            html=self._render(f"{lang}/{event}.html.j2", language, params),
        )

    def has(self, event: str, channel: str, language: str = "zh-CN") -> bool:
        suffix = "sms.j2" if channel == "sms" else "subject.j2"
        return (self._directory / self._lang(language) / f"{event}.{suffix}").is_file()

    @staticmethod
    def _lang(language: str) -> str:
        return language if language in LANGUAGES else "zh-CN"

    def _render(self, name: str, language: str, params: dict[str, Any]) -> str:
        template = self._environment().get_template(name)
        values = {
            key: value if key in VERBATIM or not isinstance(value, str) else mask_numbers(value)
            for key, value in params.items()
        }
        # The language chosen here wins over one a producer may have left in the params.
        return str(template.render({**values, "language": self._lang(language)}))

    def _environment(self) -> Environment:
        if self._env is None:
            from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

            env = Environment(
                loader=FileSystemLoader(str(self._directory)),
                autoescape=select_autoescape(enabled_extensions=("html.j2",), default=False),
                undefined=StrictUndefined,  # a missing value is an error, never a blank
                trim_blocks=True,
                lstrip_blocks=True,
            )
            env.filters["local_time"] = lambda v, lang="zh-CN": local_text(parse_rfc3339(v), lang)
            env.filters["hour_text"] = lambda v, lang="zh-CN": hour_text(parse_rfc3339(v), lang)
            env.filters["local_date"] = lambda v, lang="zh-CN": local_date_text(
                parse_rfc3339(v), lang
            )
            env.filters["last_day"] = lambda v, lang="zh-CN": last_day_text(parse_rfc3339(v), lang)
            env.filters["category_name"] = category_name
            env.filters["money"] = money
            env.filters["remedy_name"] = remedy_name
            env.filters["outcome_name"] = outcome_name
            env.filters["verdict_name"] = verdict_name
            env.filters["clock_name"] = clock_name
            env.filters["reason_text"] = reason_text
            env.filters["role_name"] = role_name
            env.filters["date_text"] = date_text
            env.filters["working_time"] = working_time
            self._env = env
        return self._env
