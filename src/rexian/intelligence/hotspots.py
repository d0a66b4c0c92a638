"""Hotspots (热点): many appeals about the same place and the same problem in a time window.

Method, chosen to stay linear in the number of messages (1M on two cores in minutes):
1. Block by place: the main named place of each message (title first, see `places`), else its
   district. Appeals about different estates are never one hotspot.
2. Within a block, cluster by text: character 2/3-gram TF-IDF (hashed, so no vocabulary pass) with
   the place names removed, average-linkage agglomerative clustering on cosine distance.
   Blocks larger than `max_block` are first split by k-means so the pairwise step stays small.
3. Rank clusters by the heat index (`heat_index`), then describe the top ones: the place as written
   most often, the problem as key terms (jieba TF-IDF) and the most central title.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

import numpy as np
from scipy.cluster.hierarchy import fcluster, linkage
from scipy.sparse import csr_matrix, vstack
from scipy.spatial.distance import squareform
from sklearn.cluster import MiniBatchKMeans
from sklearn.feature_extraction.text import HashingVectorizer, TfidfTransformer
from sklearn.preprocessing import normalize
from tqdm import tqdm

from rexian.intelligence.places import Places, extract_places, place_key
from rexian.intelligence.text import clean_text

_TEXT_CHARS = 150  # the head of a message says what it is about; the tail is mostly pleading
_STOPWORDS = frozenset(
    [
        "问题",
        "反映",
        "投诉",
        "咨询",
        "请问",
        "建议",
        "希望",
        "要求",
        "政府",
        "相关",
        "部门",
        "领导",
        "有关",
        "情况",
        "现在",
        "目前",
        "没有",
        "什么",
        "怎么",
        "为什么",
        "是否",
        "能否",
        "何时",
        "一直",
        "已经",
        "严重",
        "业主",
        "居民",
        "市民",
        "小区",
        "我们",
        "他们",
        "进行",
        "存在",
        "导致",
        "请求",
        "解决",
        "处理",
        "街道",
        "社区",
        "A市",
        "西地省",
    ]
)


@dataclass(frozen=True, slots=True)
class HotspotMessage:
    """One appeal as the hotspot engine sees it; `likes`/`dislikes` are 0 where a channel has none."""

    id: str
    user: str
    title: str
    text: str
    at: datetime
    likes: int = 0
    dislikes: int = 0
    district: str | None = None


@dataclass(frozen=True, slots=True)
class Hotspot:
    rank: int
    heat: float
    place: str
    problem: str  # key terms, most telling first
    first_at: datetime
    last_at: datetime
    message_ids: tuple[str, ...]
    users: int
    likes: int
    dislikes: int = 0
    summary: str = ""  # the most central message title

    @property
    def appeals(self) -> int:
        return len(self.message_ids)


def heat_index(appeals: int, users: int, likes: int, dislikes: int, times: Sequence[datetime]) -> float:
    """Heat of a cluster of appeals; each term is logarithmic so no single signal dominates.

    heat = 2·ln(1+users) + ln(1+appeals) + 0.5·ln(1+likes) + 0.25·ln(1+dislikes)
           + ln(1 + 30·appeals / (span_days + 30))          # intensity: a burst beats a trickle
           + 0.5·clip(ln((1+late) / (1+early)), -1, 1)      # growth: second half vs first half

    Distinct people weigh double: one person posting ten times is not ten people. Dislikes
    (反对数) still show attention, at half the weight of likes; likes count half an appeal's
    weight because one post can gather thousands. `span_days` is last minus first appeal.
    """
    first, last = min(times), max(times)
    span_days = (last - first).total_seconds() / 86400
    middle = first + (last - first) / 2
    late = sum(1 for t in times if t > middle)
    growth = max(-1.0, min(1.0, math.log((1 + late) / (1 + appeals - late))))
    return (
        2 * math.log1p(users)
        + math.log1p(appeals)
        + 0.5 * math.log1p(likes)
        + 0.25 * math.log1p(dislikes)
        + math.log1p(30 * appeals / (span_days + 30))
        + 0.5 * growth
    )


def _split(rows: np.ndarray, matrix: csr_matrix, max_block: int) -> list[np.ndarray]:
    """Cut a large block into parts of at most `max_block` rows by k-means on the same vectors."""
    if len(rows) <= max_block:
        return [rows]
    k = min(16, math.ceil(2 * len(rows) / max_block))
    labels = MiniBatchKMeans(k, random_state=0, n_init=1, batch_size=4096).fit_predict(matrix[rows])
    parts = [rows[labels == label] for label in range(k)]
    if max(len(p) for p in parts) == len(rows):  # k-means could not separate: cut arbitrarily
        parts = np.array_split(rows, k)
    return [piece for part in parts if len(part) for piece in _split(part, matrix, max_block)]


def _canonical_places(counts: Counter[str]) -> dict[str, str]:
    """Map a short name to the one longer name ending with it ("滨河苑" → "伊景园滨河苑")."""
    longer: dict[str, set[str]] = {}
    for key in counts:
        for cut in range(1, len(key) - 1):
            if key[cut:] in counts:
                longer.setdefault(key[cut:], set()).add(key)
    return {short: next(iter(names)) for short, names in longer.items() if len(names) == 1}


def _agglomerate(vectors: csr_matrix, similarity: float) -> np.ndarray:
    """Average-linkage labels of l2-normalised rows, cut at the given cosine similarity."""
    distance = np.clip(1.0 - (vectors @ vectors.T).toarray(), 0.0, 2.0)
    np.fill_diagonal(distance, 0.0)
    tree = linkage(squareform(distance, checks=False), method="average")
    return fcluster(tree, t=1.0 - similarity, criterion="distance")


def _cluster(rows: np.ndarray, matrix: csr_matrix, similarity: float, merge: float) -> list[np.ndarray]:
    """Cluster messages, then merge clusters whose centroids agree (long texts share few n-grams
    pairwise even when their common core is the same)."""
    if len(rows) == 1:
        return [rows]
    labels = _agglomerate(matrix[rows], similarity)
    groups = [rows[labels == label] for label in np.unique(labels)]
    if len(groups) == 1:
        return groups
    centroids = normalize(vstack([csr_matrix(matrix[g].mean(axis=0)) for g in groups]))
    merged = _agglomerate(centroids, merge)
    return [
        np.concatenate([g for g, m in zip(groups, merged, strict=True) if m == label])
        for label in np.unique(merged)
    ]


@lru_cache(maxsize=1)
def _jieba_analyse():
    from jieba import analyse

    from rexian.intelligence.text import jieba_instance

    jieba_instance()
    return analyse


def _key_terms(texts: list[str], places: Iterable[str], k: int = 5) -> list[str]:
    """The cluster's most telling words by jieba's TF-IDF, places and filler words removed."""
    blob = "\n".join(texts)
    for place in places:
        blob = blob.replace(place, " ")
    tags = _jieba_analyse().extract_tags(blob, topK=k * 3)
    return [t for t in tags if t not in _STOPWORDS and not t[0].isdigit() and len(t) > 1][:k]


def _describe(
    rank: int,
    heat: float,
    members: list[int],
    messages: list[HotspotMessage],
    places: list[Places],
    matrix: csr_matrix,
) -> Hotspot:
    group = [messages[i] for i in members]
    names = Counter(name for i in members for name in places[i].names[:1])
    districts = Counter(places[i].district for i in members if places[i].district)
    district = districts.most_common(1)[0][0] if districts else ""
    place = names.most_common(1)[0][0] if names else ""
    if not place.startswith(district):
        place = district + place
    sub = matrix[members]
    centre = np.asarray(sub @ sub.mean(axis=0).T).ravel()
    summary = clean_text(group[int(centre.argmax())].title)
    terms = _key_terms(
        [clean_text(m.title) + " " + clean_text(m.text)[:_TEXT_CHARS] for m in group],
        [name for name in [*names, district] if name],
    )
    times = sorted(m.at for m in group)
    return Hotspot(
        rank=rank,
        heat=round(heat, 2),
        place=place or "A市",
        problem="、".join(terms),
        first_at=times[0],
        last_at=times[-1],
        message_ids=tuple(m.id for m in sorted(group, key=lambda m: m.at)),
        users=len({m.user for m in group}),
        likes=sum(m.likes for m in group),
        dislikes=sum(m.dislikes for m in group),
        summary=summary,
    )


def detect_hotspots(
    messages: Iterable[HotspotMessage],
    start: datetime | None = None,
    end: datetime | None = None,
    top: int = 5,
    *,
    similarity: float = 0.15,
    merge: float = 0.45,
    min_users: int = 2,
    max_block: int = 1500,
    progress: bool = False,
) -> list[Hotspot]:
    """The `top` hotspots among messages in [start, end), hottest first.

    A hotspot needs at least `min_users` distinct people. `similarity` is the average cosine
    similarity that still joins two groups of messages about the same place; `merge` the cosine
    similarity of cluster centroids that joins two clusters.
    """
    chosen = [m for m in messages if (start is None or m.at >= start) and (end is None or m.at < end)]
    if not chosen:
        return []
    places: list[Places] = []
    bodies: list[str] = []
    keys: list[str] = []
    for m in tqdm(chosen, desc="places", disable=not progress, mininterval=2):
        title, text = clean_text(m.title), clean_text(m.text)[:_TEXT_CHARS]
        found = extract_places(title, text)
        if m.district and not found.district:
            found = Places(m.district, found.names)
        places.append(found)
        body = f"{title} {title} {title} {text}"
        for name in found.names[:3]:
            body = body.replace(name, " ")
        bodies.append(body)
        keys.append(place_key(found.main) if found.main else "")
    blocks: dict[str, list[int]] = {}
    canonical = _canonical_places(Counter(keys))
    for i, key in enumerate(keys):
        blocks.setdefault(canonical.get(key, key), []).append(i)
    chunks = [bodies[i : i + 50_000] for i in range(0, len(bodies), 50_000)]
    matrix = vstack([_vectorise_chunk(c) for c in tqdm(chunks, desc="vectors", disable=not progress)])
    matrix = TfidfTransformer(sublinear_tf=True).fit_transform(matrix).tocsr()

    scored: list[tuple[float, list[int]]] = []
    for rows in tqdm(list(blocks.values()), desc="clusters", disable=not progress, mininterval=2):
        for part in _split(np.asarray(rows), matrix, max_block):
            for cluster in _cluster(part, matrix, similarity, merge):
                members = cluster.tolist()
                users = len({chosen[i].user for i in members})
                if users < min_users:
                    continue
                heat = heat_index(
                    len(members),
                    users,
                    sum(chosen[i].likes for i in members),
                    sum(chosen[i].dislikes for i in members),
                    [chosen[i].at for i in members],
                )
                scored.append((heat, members))
    scored.sort(key=lambda item: -item[0])
    scored = _merge_same_topic(scored[: max(5 * top, 100)], chosen, places, canonical) + scored[max(5 * top, 100) :]
    return [
        _describe(rank, heat, members, chosen, places, matrix)
        for rank, (heat, members) in enumerate(scored[:top], start=1)
    ]


def _shares(terms: list[str], other: list[str]) -> int:
    """Key terms two clusters share; "搅拌" and "搅拌站" count as one."""
    return sum(1 for t in terms if any(t in o or o in t for o in other))


def _merge_same_topic(
    scored: list[tuple[float, list[int]]],
    messages: list[HotspotMessage],
    places: list[Places],
    canonical: dict[str, str],
    min_shared: int = 3,
) -> list[tuple[float, list[int]]]:
    """Join the hottest clusters that name the same place and share key terms (jieba TF-IDF).

    Text clustering cuts one real hotspot into several when people word it differently ("搅拌站噪音"
    and "修建搅拌厂灰尘" about 丽发新城); a person reads them as one. The heat is recomputed on the
    merged cluster. Only clusters naming the same place are joined: the same words about two
    estates are two hotspots.
    """
    groups: list[tuple[str, list[str], list[int]]] = []
    for _, members in scored:
        names = Counter(canonical.get(k, k) for i in members for k in map(place_key, places[i].names[:1]))
        place = names.most_common(1)[0][0] if names else ""
        texts = [clean_text(messages[i].title) + " " + clean_text(messages[i].text)[:_TEXT_CHARS] for i in members]
        terms = _key_terms(texts, [n for i in members for n in places[i].names[:3]], k=8)
        for g_place, g_terms, g_members in groups:
            if place and place == g_place and _shares(terms, g_terms) >= min_shared:
                g_members.extend(members)
                g_terms.extend(t for t in terms if t not in g_terms)  # the topic is what all members say
                break
        else:
            groups.append((place, terms, list(members)))
    merged = [
        (
            heat_index(
                len(members),
                len({messages[i].user for i in members}),
                sum(messages[i].likes for i in members),
                sum(messages[i].dislikes for i in members),
                [messages[i].at for i in members],
            ),
            members,
        )
        for _, _, members in groups
    ]
    return sorted(merged, key=lambda item: -item[0])


def _vectorise_chunk(texts: list[str]) -> csr_matrix:
    """Raw hashed n-gram counts; IDF is fitted once over all chunks."""
    return HashingVectorizer(
        analyzer="char", ngram_range=(2, 3), n_features=2**18, alternate_sign=False, norm=None
    ).transform(texts)
