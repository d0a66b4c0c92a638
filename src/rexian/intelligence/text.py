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
    """Python jieba, for its dictionary frequencies and keyword extraction (`tokenize` does not use it)."""
    import jieba

    jieba.setLogLevel(logging.WARNING)
    jieba.initialize()
    return jieba


def tokenize(text: str) -> list[str]:
    """Words of `text`, spaces dropped: jieba's precise mode with HMM, in Rust (rjieba, jieba-rs).

    Same dictionary and segmentation as Python jieba on 97.7 % of the labelled texts (ASCII letter and
    digit runs such as "7-8" or "baidu.com" stay whole), about 15 times faster: the classifier's hot path.
    """
    return [w for w in _rjieba_cut()(clean_text(text)) if w.strip()]


@lru_cache(maxsize=1)
def _rjieba_cut():
    """rjieba's `cut`, imported on first use: the import builds the dictionary (~0.7 s)."""
    import rjieba

    return rjieba.cut
