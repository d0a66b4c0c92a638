"""Near-duplicate appeals at intake (并单 suggestions).

MinHash/LSH over character shingles of the cleaned text finds candidates in sub-linear time; each
candidate is then verified with the exact Jaccard similarity of the shingle sets and must agree on
place (same district and street when both are known) and fall within a time window. A wrong merge
hides a citizen's case, a missed one only costs a second handling, so precision comes first.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from datasketch import MinHash, MinHashLSH

from rexian.intelligence.text import clean_text

_SHINGLE = 3


@dataclass(frozen=True, slots=True)
class DuplicateCandidate:
    record_id: str
    similarity: float  # Jaccard similarity of character 3-shingles, 0..1
    reason: str


@dataclass(frozen=True, slots=True)
class _Entry:
    shingles: frozenset[str]
    district: str | None
    street: str | None
    at: datetime | None


def shingles(text: str) -> frozenset[str]:
    """Character 3-shingles of the cleaned text, spaces removed."""
    text = clean_text(text).replace(" ", "")
    if len(text) <= _SHINGLE:
        return frozenset([text]) if text else frozenset()
    return frozenset(text[i : i + _SHINGLE] for i in range(len(text) - _SHINGLE + 1))


class DuplicateIndex:
    """Earlier open appeals, searchable for near duplicates of a new one."""

    def __init__(self, threshold: float = 0.7, window_days: float = 30, num_perm: int = 128) -> None:
        self.threshold = threshold
        self.window_days = window_days
        # LSH recalls candidates a little below the threshold; exact Jaccard decides.
        self._lsh = MinHashLSH(threshold=max(0.1, threshold - 0.15), num_perm=num_perm)
        self._entries: dict[str, _Entry] = {}
        self._template = MinHash(num_perm=num_perm)  # permutations built once, not per text

    def __len__(self) -> int:
        return len(self._entries)

    def _minhash(self, grams: frozenset[str]) -> MinHash:
        minhash = self._template.copy()
        minhash.update_batch([g.encode() for g in grams])
        return minhash

    def add(
        self,
        record_id: str,
        text: str,
        district: str | None = None,
        street: str | None = None,
        at: datetime | None = None,
    ) -> None:
        if record_id in self._entries:
            self.remove(record_id)
        grams = shingles(text)
        self._entries[record_id] = _Entry(grams, district, street, at)
        self._lsh.insert(record_id, self._minhash(grams))

    def remove(self, record_id: str) -> None:
        """Forget a record (closed, merged or withdrawn); unknown ids are ignored."""
        if self._entries.pop(record_id, None) is not None:
            self._lsh.remove(record_id)

    def candidates(
        self,
        text: str,
        district: str | None = None,
        street: str | None = None,
        at: datetime | None = None,
        k: int = 5,
    ) -> list[DuplicateCandidate]:
        """Up to `k` earlier records that are near duplicates of `text`, most similar first."""
        grams = shingles(text)
        if not grams:
            return []
        found = []
        for record_id in self._lsh.query(self._minhash(grams)):
            entry = self._entries[record_id]
            similarity = len(grams & entry.shingles) / len(grams | entry.shingles)
            if similarity < self.threshold:
                continue
            reasons = [f"文本相似度{similarity:.2f}"]
            if district and entry.district:
                if district != entry.district:
                    continue
                reasons.append(f"同属{district}")
            if street and entry.street:
                if street != entry.street:
                    continue
                reasons.append(f"同一地点{street}")
            if at and entry.at:
                days = abs((at - entry.at).total_seconds()) / 86400
                if days > self.window_days:
                    continue
                reasons.append(f"相隔{days:.0f}天")
            found.append(DuplicateCandidate(record_id, round(similarity, 3), "，".join(reasons)))
        found.sort(key=lambda c: -c.similarity)
        return found[:k]
