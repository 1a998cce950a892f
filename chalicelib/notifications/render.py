"""Rendering messages with Jinja2: autoescaped HTML and plain text for email, plain text for SMS.

Jinja2 is imported on first use: only the notification dispatcher pays for it, never the API's
cold start.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from chalicelib.domain.timefmt import local_date_text, local_text, parse_rfc3339
from chalicelib.services.presenters import category_name

if TYPE_CHECKING:
    from jinja2 import Environment

TEMPLATES = Path(__file__).parent / "templates"
SMS_SIGNATURE = "【PayCase】"
LANGUAGES = ("zh-CN", "en")


@dataclass(frozen=True)
class Email:
    subject: str
    text: str
    html: str


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
        body = self._render(f"{self._lang(language)}/{event}.sms.j2", language, params)
        return SMS_SIGNATURE + " ".join(body.split())

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
        return str(template.render(**params, language=self._lang(language)))

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
            env.filters["local_date"] = lambda v, lang="zh-CN": local_date_text(
                parse_rfc3339(v), lang
            )
            env.filters["category_name"] = category_name
            self._env = env
        return self._env
