"""Knowledge-base search: articles and reference cases ranked by BM25F, Chinese-aware.

Every agent, the self-service Q&A and the portal answer from one base, so the same question must find
the same answer however it is worded. A document is indexed as two fields, the question (title plus
its variants, weighted up) and the body (answer, or message and reply for a case), each as
- jieba words, which carry meaning,
- character bigrams, so a query segmented differently from the document still matches, and
- synonym concepts, found by substring over the raw text (社保 ≈ 社会保险), so that neither
  segmentation nor wording hides them.

The index is in memory and incremental: `add` (which also updates) and `remove` touch one document;
postings are per-term arrays of packed (slot, tf_title, tf_body), scoring is vectorised with numpy and
common terms are only looked up for documents that can still reach the top k (MaxScore), which keeps
a query within the 20 ms target over 100k documents on one core (bench/bench_knowledge.py).
"""

from __future__ import annotations

import csv
import gzip
import math
import re
import threading
from array import array
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from rexian.config import get_settings
from rexian.intelligence.text import clean_text, tokenize

_BIGRAM = "\x01"  # term-namespace prefixes: plain words have none
_CONCEPT = "\x02"
_SENTENCE_END = re.compile(r"[。！？!?；;\n]+")
_HAN_RUN = re.compile(r"[\u3400-\u9fff]{2,}")
_HAN_CHAR = re.compile(r"[\u3400-\u9fff]")
_STOPWORDS = frozenset(
    "的了是在和与及或也都就又把被对为给从向我你您他她它这那有吗呢啊吧呀哦嗯请能要会还但而并等之其所以于着过上下中个一不"
) | {
    *("我们", "你们", "他们", "这个", "那个", "没有", "请问", "一下", "怎么", "怎样", "如何"),
    *("什么", "哪里", "哪些", "可以", "能否", "是否", "需要"),
}
_QUERY_WEIGHTS = {_BIGRAM: 0.5}  # query weight by term namespace; words and concepts weigh 1
_MAX_TF = 0xFFFF
_PACK_SHIFT = 32


@dataclass(frozen=True)
class KnowledgeDoc:
    """One searchable record: a knowledge article or a reference case (案例)."""

    id: str
    kind: str  # "article" | "case"
    title: str
    body: str
    variants: tuple[str, ...] = ()
    region: str | None = None  # None: applies everywhere
    unit: str | None = None
    tags: tuple[str, ...] = ()
    source: str | None = None


@dataclass(frozen=True)
class KnowledgeHit:
    """A ranked result: what to show and why it matched."""

    doc_id: str
    kind: str
    title: str
    snippet: str
    score: float
    matched_terms: tuple[str, ...]


class Synonyms:
    """Groups of interchangeable phrases; each group is one concept term in the index."""

    def __init__(self, groups: Iterable[Iterable[str]]) -> None:
        self.groups: list[tuple[str, ...]] = []
        self._group_of: dict[str, int] = {}
        for group in groups:
            phrases = tuple(dict.fromkeys(p for p in (clean_text(x).lower() for x in group) if p))
            fresh = tuple(p for p in phrases if p not in self._group_of)
            if len(phrases) < 2 or not fresh:
                continue
            for phrase in fresh:
                self._group_of[phrase] = len(self.groups)
            self.groups.append(phrases)
        longest_first = sorted(self._group_of, key=len, reverse=True)
        self._pattern = re.compile("|".join(map(re.escape, longest_first))) if longest_first else None

    def concepts(self, text: str) -> list[int]:
        """Group ids of every (non-overlapping, longest) phrase occurrence in lower-cased `text`."""
        if self._pattern is None:
            return []
        return [self._group_of[m.group()] for m in self._pattern.finditer(text)]


def load_synonyms(path: Path | str | None = None) -> Synonyms:
    """Read a synonyms CSV (columns `term`, `synonyms` with `|` between synonyms)."""
    path = Path(path) if path else get_settings().data_dir / "knowledge" / "synonyms.csv"
    with path.open(encoding="utf-8", newline="") as f:
        return Synonyms([row["term"], *row["synonyms"].split("|")] for row in csv.DictReader(f))


def load_reference_cases(path: Path | str | None = None) -> list[KnowledgeDoc]:
    """Real messages and their government replies (泰迪杯2020 附件4) as reference cases.

    Identical messages (same subject and detail) are kept once, under the first message number.
    """
    path = Path(path) if path else get_settings().data_dir / "teddy2020c" / "attachment4_full.csv.gz"
    opener = gzip.open if path.suffix == ".gz" else open
    cases: dict[tuple[str, str], KnowledgeDoc] = {}
    with opener(path, "rt", encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            number = clean_text(row["留言编号"])
            title, detail = clean_text(row["留言主题"]), clean_text(row["留言详情"])
            if (title, detail) in cases or not (title or detail):
                continue
            cases[title, detail] = KnowledgeDoc(
                id=f"teddy2020c-4-{number}",
                kind="case",
                title=title,
                body=f"{detail} 答复意见：{clean_text(row['答复意见'])}",
                source=f"泰迪杯2020 附件4 留言编号 {number}",
            )
    return list(cases.values())


def load_articles_csv(path: Path | str | None = None) -> list[KnowledgeDoc]:
    """Knowledge articles from a CSV with columns id, question, variants, answer, policy_basis,
    link, unit, region, tags (variants and tags separated by `|`)."""
    path = Path(path) if path else get_settings().data_dir / "knowledge" / "guangzhou_articles.csv"
    with path.open(encoding="utf-8", newline="") as f:
        return [_article(row) for row in csv.DictReader(f)]


def _article(row: dict[str, str]) -> KnowledgeDoc:
    def split(value: str) -> tuple[str, ...]:
        return tuple(p for p in (clean_text(x) for x in (value or "").split("|")) if p)

    basis, link = clean_text(row.get("policy_basis")), clean_text(row.get("link"))
    return KnowledgeDoc(
        id=clean_text(row["id"]),
        kind="article",
        title=clean_text(row["question"]),
        body=clean_text(row["answer"]),
        variants=split(row.get("variants", "")),
        region=clean_text(row.get("region")) or None,
        unit=clean_text(row.get("unit")) or None,
        tags=split(row.get("tags", "")),
        source=" ".join(p for p in (basis, link) if p) or None,
    )


class _Column:
    """A growable numpy column indexed by slot (or term id)."""

    def __init__(self, dtype: type) -> None:
        self._data = np.zeros(1024, dtype=dtype)
        self.size = 0

    def append(self, value: float) -> None:
        self.grow(self.size + 1)
        self._data[self.size - 1] = value

    def grow(self, size: int) -> None:
        if size > len(self._data):
            self._data = np.resize(self._data, max(size, 2 * len(self._data)))
            self._data[self.size :] = 0
        self.size = max(self.size, size)

    @property
    def view(self) -> np.ndarray:
        return self._data[: self.size]

    def keep(self, mask: np.ndarray) -> None:
        kept = self.view[mask]
        self._data = np.resize(kept, max(1024, len(kept)))
        self.size = len(kept)


class KnowledgeIndex:
    """In-memory BM25F index over knowledge documents; thread-safe, incrementally updatable."""

    def __init__(
        self,
        synonyms: Synonyms | None = None,
        *,
        k1: float = 1.2,
        title_weight: float = 3.0,
        b_title: float = 0.5,
        b_body: float = 0.75,
        sentence_cache: int = 200_000,
        common_share: float = 0.05,
    ) -> None:
        self._synonyms = synonyms if synonyms is not None else load_synonyms()
        self._k1, self._title_weight, self._b_title, self._b_body = k1, title_weight, b_title, b_body
        self._lock = threading.RLock()
        self._vocab: dict[str, int] = {}
        self._terms: list[str] = []
        self._postings: list[array] = []  # per term, slot-ordered: slot << 32 | tf_title << 16 | tf_body
        self._df = _Column(np.int64)
        self._pending_terms = array("q")  # postings added since the last flush, in slot order
        self._pending_postings = array("q")
        self._docs: list[KnowledgeDoc | None] = []  # by slot; None once removed
        self._slot_of: dict[str, int] = {}
        self._len_title, self._len_body = _Column(np.float64), _Column(np.float64)
        self._alive = _Column(np.bool_)
        self._kind, self._region, self._unit = _Column(np.int32), _Column(np.int32), _Column(np.int32)
        self._codes: dict[str, dict[str | None, int]] = {"kind": {}, "region": {None: 0}, "unit": {None: 0}}
        self._sum_title = self._sum_body = 0.0
        self._sentence_ids: dict[str, np.ndarray] = {}
        self._sentence_cache = sentence_cache
        self._common_share = common_share  # terms in more documents than this share are pruned

    def __getstate__(self) -> dict[str, object]:
        """Picklable, so a built index can be cached on disk instead of re-tokenising at start-up."""
        with self._lock:
            self._flush()
            return {k: v for k, v in self.__dict__.items() if k not in ("_lock", "_sentence_ids")}

    def __setstate__(self, state: dict[str, object]) -> None:
        self.__dict__.update(state, _lock=threading.RLock(), _sentence_ids={})

    def __len__(self) -> int:
        return len(self._slot_of)

    def __contains__(self, doc_id: object) -> bool:
        return doc_id in self._slot_of

    def get(self, doc_id: str) -> KnowledgeDoc | None:
        slot = self._slot_of.get(doc_id)
        return None if slot is None else self._docs[slot]

    def add(self, doc: KnowledgeDoc) -> None:
        """Index `doc`, replacing any document with the same id."""
        with self._lock:
            if doc.id in self._slot_of:
                self.remove(doc.id)
            title_ids, body_ids = self._analyse(doc)
            terms, inverse = np.unique(np.concatenate([title_ids, body_ids]), return_inverse=True)
            tf_title = np.minimum(np.bincount(inverse[: len(title_ids)], minlength=len(terms)), _MAX_TF)
            tf_body = np.minimum(np.bincount(inverse[len(title_ids) :], minlength=len(terms)), _MAX_TF)
            slot = len(self._docs)
            packed = (np.int64(slot) << _PACK_SHIFT) | (tf_title.astype(np.int64) << 16) | tf_body
            self._pending_terms.frombytes(terms.astype(np.int64).tobytes())
            self._pending_postings.frombytes(packed.astype(np.int64).tobytes())
            self._df.view[terms] += 1
            self._docs.append(doc)
            self._slot_of[doc.id] = slot
            self._len_title.append(len(title_ids))
            self._len_body.append(len(body_ids))
            self._sum_title += len(title_ids)
            self._sum_body += len(body_ids)
            self._alive.append(True)
            self._kind.append(self._code("kind", doc.kind))
            self._region.append(self._code("region", doc.region))
            self._unit.append(self._code("unit", doc.unit))

    def remove(self, doc_id: str) -> bool:
        """Drop a document; False if it was not indexed. Space is reclaimed in batches."""
        with self._lock:
            slot = self._slot_of.pop(doc_id, None)
            if slot is None:
                return False
            doc = self._docs[slot]
            assert doc is not None
            title_ids, body_ids = self._analyse(doc)
            self._df.view[np.unique(np.concatenate([title_ids, body_ids]))] -= 1
            self._docs[slot] = None
            self._alive.view[slot] = False
            self._sum_title -= self._len_title.view[slot]
            self._sum_body -= self._len_body.view[slot]
            dead = len(self._docs) - len(self._slot_of)
            if dead > 1000 and dead > len(self._docs) // 4:
                self._compact()
            return True

    def search(
        self,
        query: str,
        k: int = 5,
        region: str | None = None,
        unit: str | None = None,
        kinds: Iterable[str] | None = None,
    ) -> list[KnowledgeHit]:
        """The `k` best documents for `query`, best first.

        `region` keeps documents of that region, of a region it starts with (广州市 covers
        广州市天河区) and of no region; `unit` keeps that unit's documents; `kinds` keeps those kinds.
        A query with no searchable term gives [].
        """
        with self._lock:
            self._flush()
            weights = self._query_terms(query)
            if not weights or k <= 0 or not self._slot_of:
                return []
            scores = self._scores(weights, self._filter(region, unit, kinds), k)
            candidates = np.flatnonzero(scores > 0)
            if len(candidates) > k:
                candidates = candidates[np.argpartition(-scores[candidates], k - 1)[:k]]
            best = candidates[np.lexsort((candidates, -scores[candidates]))]
            terms = [self._terms[t] for t in weights]
            return [self._hit(self._docs[slot], float(scores[slot]), terms) for slot in best]

    def _scores(self, weights: dict[int, float], keep: np.ndarray, k: int) -> np.ndarray:
        """BM25F scores by slot, exact for the top `k` (MaxScore pruning).

        Rare terms are scored over all their postings. Common terms (most of the postings) are
        only looked up for the documents that can still reach the top `k` given the most they
        could add; if a document matching common terms alone could, every posting is scored.
        """
        n_docs = len(self._slot_of)
        avg_title = max(self._sum_title / n_docs, 1.0)
        avg_body = max(self._sum_body / n_docs, 1.0)
        norm_title = self._title_weight / (
            1 - self._b_title + self._b_title * self._len_title.view / avg_title
        )
        norm_body = 1.0 / (1 - self._b_body + self._b_body * self._len_body.view / avg_body)

        def impact(term: int, weight: float) -> float:
            df = self._df.view[term]
            return weight * math.log(1 + (n_docs - df + 0.5) / (df + 0.5)) * (self._k1 + 1)

        def contributions(packed: np.ndarray, term_impact: float) -> tuple[np.ndarray, np.ndarray]:
            slot = packed >> _PACK_SHIFT
            tf = ((packed >> 16) & _MAX_TF) * norm_title[slot] + (packed & _MAX_TF) * norm_body[slot]
            return slot, term_impact * tf / (self._k1 + tf)

        common_df = max(64, n_docs * self._common_share)
        rare = [(t, impact(t, w)) for t, w in weights.items() if self._df.view[t] <= common_df]
        common = [(t, impact(t, w)) for t, w in weights.items() if self._df.view[t] > common_df]
        scores = np.zeros(len(self._docs))
        if rare:
            parts = [contributions(np.frombuffer(self._postings[t], dtype=np.int64), i) for t, i in rare]
            slots, weighted = zip(*parts, strict=True)
            scores += np.bincount(np.concatenate(slots), np.concatenate(weighted), minlength=len(self._docs))
            scores *= keep
        matched = scores[scores > 0]
        kth = np.partition(matched, len(matched) - k)[len(matched) - k] if len(matched) >= k else 0.0
        most_added = sum(i for _, i in common)
        if kth <= most_added:  # a document with no rare term could still make the top k
            parts = [contributions(np.frombuffer(self._postings[t], dtype=np.int64), i) for t, i in common]
            for slot, part in parts:
                scores += np.bincount(slot, part, minlength=len(self._docs))
            return scores * keep
        candidates = np.flatnonzero(scores + most_added >= kth)
        keys = candidates.astype(np.int64) << _PACK_SHIFT
        for term, term_impact in common:
            packed = np.frombuffer(self._postings[term], dtype=np.int64)
            at = np.minimum(np.searchsorted(packed, keys), len(packed) - 1)
            found = (packed[at] >> _PACK_SHIFT) == candidates
            slot, part = contributions(packed[at[found]], term_impact)
            scores[slot] += part
        return scores

    def _filter(self, region: str | None, unit: str | None, kinds: Iterable[str] | None) -> np.ndarray:
        keep = self._alive.view.copy()
        if region is not None:
            covering = [c for r, c in self._codes["region"].items() if r is None or region.startswith(r)]
            keep &= np.isin(self._region.view, covering)
        if unit is not None:
            keep &= self._unit.view == self._codes["unit"].get(unit, -1)
        if kinds is not None:
            keep &= np.isin(self._kind.view, [self._codes["kind"].get(kind, -1) for kind in kinds])
        return keep

    def _hit(self, doc: KnowledgeDoc | None, score: float, terms: list[str]) -> KnowledgeHit:
        assert doc is not None
        text = f"{doc.title} {' '.join(doc.variants)} {doc.body}".lower()
        matched = self._matched(terms, text)
        return KnowledgeHit(doc.id, doc.kind, doc.title, snippet(doc.body, matched), round(score, 4), matched)

    def _matched(self, terms: list[str], text: str) -> tuple[str, ...]:
        """Readable matched terms: words, the document's synonym phrases, then runs of matched
        bigrams that no matched word already covers."""
        found: list[str] = []
        runs: list[str] = []
        for term in terms:
            if term.startswith(_CONCEPT):
                found += [p for p in self._synonyms.groups[int(term[1:])] if p in text]
            elif term.startswith(_BIGRAM):
                gram = term[1:]
                if gram not in text:
                    continue
                if runs and runs[-1][-1] == gram[0] and runs[-1] + gram[1] in text:
                    runs[-1] += gram[1]
                else:
                    runs.append(gram)
            elif term in text and not _HAN_CHAR.fullmatch(term):
                found.append(term)
        found += [run for run in runs if not any(run in f for f in found)]
        return tuple(dict.fromkeys(found))

    def _query_terms(self, query: str) -> dict[int, float]:
        """Known term ids of the query, in query order, with their namespace weights."""
        ids = (self._vocab.get(term) for term in self._terms_of(clean_text(query).lower()))
        return {tid: _QUERY_WEIGHTS.get(self._terms[tid][0], 1.0) for tid in ids if tid is not None}

    def _terms_of(self, text: str) -> Iterator[str]:
        for sentence in _SENTENCE_END.split(text):
            yield from _sentence_terms(sentence)
        for group in self._synonyms.concepts(text):
            yield f"{_CONCEPT}{group}"

    def _analyse(self, doc: KnowledgeDoc) -> tuple[np.ndarray, np.ndarray]:
        """Term ids (with repeats) of the question field and of the body field."""
        title = clean_text(" \n".join((doc.title, *doc.variants))).lower()
        return self._ids(title), self._ids(clean_text(doc.body).lower())

    def _ids(self, text: str) -> np.ndarray:
        parts = [self._sentence_term_ids(s) for s in _SENTENCE_END.split(text) if s.strip()]
        concepts = [self._term_id(f"{_CONCEPT}{g}") for g in self._synonyms.concepts(text)]
        return np.concatenate([*parts, np.array(concepts, dtype=np.int64)])

    def _sentence_term_ids(self, sentence: str) -> np.ndarray:
        """Term ids of one sentence, memoised per index (ids are stable: the vocabulary only grows)."""
        ids = self._sentence_ids.get(sentence)
        if ids is None:
            if len(self._sentence_ids) >= self._sentence_cache:
                self._sentence_ids.clear()
            ids = np.array([self._term_id(t) for t in _sentence_terms(sentence)], dtype=np.int64)
            self._sentence_ids[sentence] = ids
        return ids

    def _term_id(self, term: str) -> int:
        tid = self._vocab.get(term)
        if tid is None:
            tid = self._vocab[term] = len(self._terms)
            self._terms.append(term)
            self._postings.append(array("q"))
            self._df.grow(tid + 1)
        return tid

    def _code(self, column: str, value: str | None) -> int:
        codes = self._codes[column]
        return codes.setdefault(value, len(codes) + 1)

    def _flush(self) -> None:
        """Move pending postings to their terms' lists (a stable sort keeps slot order)."""
        if not self._pending_terms:
            return
        terms = np.frombuffer(self._pending_terms, dtype=np.int64)
        order = np.argsort(terms, kind="stable")
        terms, packed = terms[order], np.frombuffer(self._pending_postings, dtype=np.int64)[order]
        starts = np.flatnonzero(np.r_[True, terms[1:] != terms[:-1]])
        for start, end in zip(starts, np.r_[starts[1:], len(terms)], strict=True):
            self._postings[terms[start]].frombytes(packed[start:end].tobytes())
        del terms, packed, order
        self._pending_terms, self._pending_postings = array("q"), array("q")

    def _compact(self) -> None:
        """Drop removed slots from every column and posting list, renumbering the survivors."""
        self._flush()
        alive = self._alive.view.copy()
        new_slot = np.cumsum(alive) - 1
        for term, postings in enumerate(self._postings):
            packed = np.frombuffer(postings, dtype=np.int64)
            slot = packed >> _PACK_SHIFT
            keep = alive[slot]
            renumbered = (new_slot[slot[keep]] << _PACK_SHIFT) | (packed[keep] & 0xFFFFFFFF)
            del packed
            self._postings[term] = array("q", renumbered.tobytes())
        for column in (self._len_title, self._len_body, self._alive, self._kind, self._region, self._unit):
            column.keep(alive)
        self._docs = [doc for doc in self._docs if doc is not None]
        self._slot_of = {doc.id: slot for slot, doc in enumerate(self._docs)}


@lru_cache(maxsize=1 << 16)
def _sentence_terms(sentence: str) -> tuple[str, ...]:
    """Words (stopwords and punctuation dropped) and Han character bigrams of one cleaned sentence.

    Memoised, as jieba dominates indexing time and replies repeat boilerplate sentences.
    """
    words = [w for w in tokenize(sentence) if w not in _STOPWORDS and any(ch.isalnum() for ch in w)]
    bigrams = [
        _BIGRAM + run[i : i + 2]
        for run in _HAN_RUN.findall(sentence)
        for i in range(len(run) - 1)
        if not (run[i] in _STOPWORDS and run[i + 1] in _STOPWORDS)  # 的了, 了吗, 是不 …
    ]
    return (*words, *bigrams)


def snippet(text: str, terms: Iterable[str], width: int = 80) -> str:
    """The `width`-character excerpt of `text` covering the most matched-term characters."""
    text = " ".join(text.split())
    lowered = text.lower()
    hits = sorted(
        (position, term) for term in {t.lower() for t in terms if t} for position in _find_all(lowered, term)
    )
    start, best = 0, 0
    for i, (position, _) in enumerate(hits):
        covered = set()
        for later, term in hits[i:]:
            if later + len(term) > position + width:
                break
            covered.add(term)
        if (weight := sum(map(len, covered))) > best:
            best, start = weight, max(0, position - width // 8)
    start = max(0, min(start, len(text) - width))
    excerpt = text[start : start + width]
    return ("…" if start else "") + excerpt + ("…" if start + width < len(text) else "")


def _find_all(text: str, term: str, limit: int = 20) -> Iterator[int]:
    position = text.find(term)
    while position >= 0 and limit:
        yield position
        position, limit = text.find(term, position + len(term)), limit - 1


def highlight(excerpt: str, terms: Iterable[str], before: str = "【", after: str = "】") -> str:
    """Wrap each occurrence of the matched `terms` in `excerpt` (longest first, no nesting)."""
    ordered = sorted({t for t in terms if t}, key=len, reverse=True)
    if not ordered:
        return excerpt
    pattern = re.compile("|".join(map(re.escape, ordered)), re.IGNORECASE)
    return pattern.sub(lambda m: f"{before}{m.group()}{after}", excerpt)
