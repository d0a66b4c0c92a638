"""Messages in every language the pages speak (Chinese by default, English beside it).

Each area keeps its own catalogue file in web/locales/<area>.json: {"zh": {key: text}, "en": {...}}.
A new language is one more key in those files; a missing translation falls back to Chinese.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

LOCALES = Path(__file__).parent / "locales"
LANGUAGES = ("zh", "en")
DEFAULT_LANGUAGE = "zh"


@cache
def catalogue() -> dict[str, dict[str, str]]:
    merged: dict[str, dict[str, str]] = {lang: {} for lang in LANGUAGES}
    for path in sorted(LOCALES.glob("*.json")):
        for lang, messages in json.loads(path.read_text(encoding="utf-8")).items():
            merged.setdefault(lang, {}).update(messages)
    return merged


def translate(key: str, lang: str, **values: object) -> str:
    messages = catalogue()
    text = messages.get(lang, {}).get(key) or messages[DEFAULT_LANGUAGE].get(key) or key
    return text.format(**values) if values else text


def pick_language(query: str | None, cookie: str | None, accept: str | None) -> str:
    for candidate in (query, cookie):
        if candidate in LANGUAGES:
            return candidate  # type: ignore[return-value]
    if accept and accept.lower().startswith("en"):
        return "en"
    return DEFAULT_LANGUAGE
