"""Text normalisation and Chinese tokenisation shared by every model.

Real messages arrive with scraped HTML whitespace (tabs, newlines, U+3000 ideographic spaces,
non-breaking spaces); models and matchers see the same cleaned text everywhere.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from functools import lru_cache

_SPACES = re.compile(r"[\s\u3000\u00a0]+")
_INVISIBLE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff]")


def clean_text(text: str | None) -> str:
    """Trim and collapse whitespace, unify full-width ASCII (NFKC), drop control characters."""
    if not text:
        return ""
    text = unicodedata.normalize("NFKC", str(text))
    text = _INVISIBLE.sub("", text)
    return _SPACES.sub(" ", text).strip()


@lru_cache(maxsize=1)
def jieba_instance():
    import jieba

    jieba.setLogLevel(logging.WARNING)
    jieba.initialize()
    return jieba


def tokenize(text: str) -> list[str]:
    """Words of `text` by jieba (precise mode), spaces dropped."""
    return [w for w in jieba_instance().lcut(clean_text(text)) if w.strip()]
