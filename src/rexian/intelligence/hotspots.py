"""Hotspots (热点): many appeals about the same place and the same problem in a time window.

Method, chosen to stay linear in the number of messages (1M on two cores in minutes):
1. Block by place: the main named place of each message (title first, see `places`), else its
   district. Appeals about different estates are never one hotspot.
2. Within a block, cluster by text: character 2/3-gram TF-IDF (hashed, so no vocabulary pass) with
   the place names removed, average-linkage agglomerative clustering on cosine distance.
   Blocks larger than `max_block` are first split by k-means so the pairwise step stays small.
3. Rank clusters by the heat index (`heat_index`), then describe the top ones: the place as written
   most often, the problem as key terms (jieba TF-IDF) and the most central title.

Repeated texts (copies, re-posts) are read and vectorised once. Near-duplicates at one place (the
same appeal re-posted with small edits) are then collapsed before clustering: MinHash of each text's
n-gram set, locality-sensitive hashing in bands to find candidates within a block, an estimated
Jaccard similarity of at least `duplicate` to join them. Clustering sees each such group once; its
members all count in the heat index. Places, n-grams and MinHash of large inputs are computed by
`workers` processes.
"""

from __future__ import annotations

import math
import multiprocessing
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, as_completed, wait
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache, partial
from typing import TypeVar

import numpy as np
from scipy.cluster.hierarchy import fcluster, linkage
from scipy.sparse import coo_matrix, csr_matrix, vstack
from scipy.sparse.csgraph import connected_components
from scipy.spatial.distance import squareform
from sklearn.cluster import KMeans
from sklearn.preprocessing import normalize
from threadpoolctl import threadpool_limits
from tqdm import tqdm

from rexian.intelligence.places import Places, extract_places, place_key
from rexian.intelligence.text import clean_text

_T = TypeVar("_T")
_R = TypeVar("_R")
_TEXT_CHARS = 150  # the head of a message says what it is about; the tail is mostly pleading
_KEY_TEXTS = 30  # key terms of a large cluster are read from this many of its messages
_CHUNK = 20_000  # distinct messages per unit of (parallel) preparation
_FEATURES = 18  # log2 of the hashed n-gram columns
_SKETCH = 256  # dense dimensions k-means splits large blocks in
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)  # Fibonacci hashing of an n-gram's code points to a column
_PERMUTATIONS = 32  # MinHash values per text
_BAND = 4  # MinHash values per LSH band: 8 bands find pairs of Jaccard 0.8 with probability 0.998
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
    """Cut a large block into parts of at most `max_block` rows by k-means on a sketch of the vectors.

    k-means on the hashed TF-IDF itself is slow (2**18 sparse dimensions, dense centres); a count
    sketch (each column added, with a random sign, into one of `_SKETCH` dense dimensions) keeps
    the cosine geometry well enough to cut a block into coherent parts.
    """
    if len(rows) <= max_block:
        return [rows]
    k = min(16, math.ceil(2 * len(rows) / max_block))
    labels = KMeans(k, random_state=0, n_init=1).fit_predict(_sketch(matrix[rows]))
    parts = [rows[labels == label] for label in range(k)]
    if max(len(p) for p in parts) == len(rows):  # k-means could not separate: cut arbitrarily
        parts = np.array_split(rows, k)
    return [piece for part in parts if len(part) for piece in _split(part, matrix, max_block)]


def _sketch(vectors: csr_matrix) -> np.ndarray:
    """Dense `_SKETCH`-dimensional count sketch of sparse rows, l2-normalised."""
    rng = np.random.default_rng(0)
    bucket = rng.integers(0, _SKETCH, vectors.shape[1])
    sign = rng.choice(np.array([-1.0, 1.0]), vectors.shape[1])
    row = np.repeat(np.arange(vectors.shape[0]), np.diff(vectors.indptr))
    cells = np.bincount(
        row * _SKETCH + bucket[vectors.indices],
        weights=vectors.data * sign[vectors.indices],
        minlength=vectors.shape[0] * _SKETCH,
    )
    return normalize(cells.reshape(-1, _SKETCH)).astype(np.float32)


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
    sub = matrix[rows]
    labels = _agglomerate(sub, similarity)
    groups = _group(rows, labels)
    if len(groups) == 1:
        return groups
    _, codes = np.unique(labels, return_inverse=True)
    members = csr_matrix((np.ones(len(rows)), (codes, np.arange(len(rows)))), shape=(len(groups), len(rows)))
    merged = _agglomerate(normalize(members @ sub), merge)  # a centroid's direction is its rows' sum
    return [np.concatenate([groups[i] for i in part]) for part in _group(np.arange(len(groups)), merged)]


def _group(items: np.ndarray, labels: np.ndarray) -> list[np.ndarray]:
    """`items` split by label, labels ascending, each part in its original order."""
    order = np.argsort(labels, kind="stable")
    starts = np.flatnonzero(np.diff(labels[order])) + 1
    return np.split(items[order], starts)


@lru_cache(maxsize=1)
def _jieba_analyse():
    from jieba import analyse

    from rexian.intelligence.text import jieba_instance

    jieba_instance()
    return analyse


def _key_terms(texts: list[str], places: Iterable[str], k: int = 5) -> list[str]:
    """The cluster's most telling words by jieba's TF-IDF, places and filler words removed."""
    blob = "\n".join(texts)
    for place in dict.fromkeys(places):
        blob = blob.replace(place, " ")
    tags = _jieba_analyse().extract_tags(blob, topK=k * 3)
    return [t for t in tags if t not in _STOPWORDS and not t[0].isdigit() and len(t) > 1][:k]


def _key_texts(members: list[int], messages: list[HotspotMessage]) -> list[str]:
    """The heads of at most `_KEY_TEXTS` messages spread over a cluster: enough to read its key terms,
    and jieba's time stays bounded however large the cluster."""
    step = math.ceil(len(members) / _KEY_TEXTS)
    return [
        clean_text(messages[i].title) + " " + clean_text(messages[i].text)[:_TEXT_CHARS]
        for i in members[::step]
    ]


def _describe(
    rank: int,
    heat: float,
    members: list[int],
    messages: list[HotspotMessage],
    places: list[Places],
    vectors: csr_matrix,
) -> Hotspot:
    """The hotspot as people read it; `vectors` are the members' TF-IDF rows, in `members` order."""
    group = [messages[i] for i in members]
    names = Counter(name for i in members for name in places[i].names[:1])
    districts = Counter(places[i].district for i in members if places[i].district)
    district = districts.most_common(1)[0][0] if districts else ""
    place = names.most_common(1)[0][0] if names else ""
    if not place.startswith(district):
        place = district + place
    centre = np.asarray(vectors @ vectors.mean(axis=0).T).ravel()
    summary = clean_text(group[int(centre.argmax())].title)
    terms = _key_terms(_key_texts(members, messages), [name for name in [*names, district] if name])
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
    duplicate: float = 0.8,
    max_block: int = 1500,
    workers: int = 1,
    progress: bool = False,
) -> list[Hotspot]:
    """The `top` hotspots among messages in [start, end), hottest first.

    A hotspot needs at least `min_users` distinct people. `similarity` is the average cosine
    similarity that still joins two groups of messages about the same place; `merge` the cosine
    similarity of cluster centroids that joins two clusters; `duplicate` the Jaccard similarity of
    n-gram sets that makes two messages at one place near-duplicates, clustered as one.
    """
    chosen = [m for m in messages if (start is None or m.at >= start) and (end is None or m.at < end)]
    if not chosen:
        return []
    distinct: dict[tuple[str, str, str | None], int] = {}
    copy_of = np.fromiter(
        (distinct.setdefault((m.title, m.text, m.district), len(distinct)) for m in chosen),
        np.int64,
        len(chosen),
    )
    items = list(distinct)
    with _pool(workers) if workers > 1 and len(items) > _CHUNK else nullcontext() as pool:
        found, found_keys, signatures, local, chunks = _prepare_all(items, duplicate, pool, workers, progress)
        places = [found[i] for i in copy_of]
        canonical = _canonical_places(Counter(found_keys[i] for i in copy_of))
        block_ids: dict[str, int] = {}
        block_of = np.fromiter(
            (block_ids.setdefault(canonical.get(k, k), len(block_ids)) for k in found_keys),
            np.int64,
            len(items),
        )
        group_of = _near_duplicates(signatures, block_of, duplicate, local)  # of each distinct text
        leaders = np.unique(group_of, return_index=True)[1]  # a group's first text leads its chunk's group
        del signatures
        held = np.searchsorted(np.flatnonzero(local == np.arange(len(items))), leaders)
        matrix = _tfidf(_rows(chunks, held), np.bincount(group_of[copy_of]))  # one row a group
        del chunks
        blocks = _group(np.arange(len(leaders)), block_of[leaders])
        options = (similarity, merge, max_block)
        clusters = _cluster_all(blocks, matrix, options, pool, workers, progress)

    message_group = group_of[copy_of]
    in_group = _group(np.arange(len(chosen)), message_group)
    scored: list[tuple[float, list[int]]] = []
    for cluster in clusters:
        members = np.sort(np.concatenate([in_group[g] for g in cluster])).tolist()
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
    scored = (
        _merge_same_topic(scored[: max(5 * top, 100)], chosen, places, canonical)
        + scored[max(5 * top, 100) :]
    )
    return [
        _describe(rank, heat, members, chosen, places, matrix[message_group[members]])
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
        terms = _key_terms(
            _key_texts(members, messages), [n for i in members for n in places[i].names[:3]], k=8
        )
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


def _prepare(
    items: list[tuple[str, str, str | None]], duplicate: float
) -> tuple[list[Places], list[str], np.ndarray, np.ndarray, csr_matrix]:
    """Places, block keys, MinHash signatures, the first near-duplicate among them of each, and the
    n-gram counts of those firsts only, of distinct (title, text, district) messages.

    Only the counts of texts that may lead a near-duplicate group are returned, in float32: they are
    the largest data of a run, and re-posted appeals in one chunk need them once."""
    places: list[Places] = []
    keys: list[str] = []
    bodies: list[str] = []
    for raw_title, raw_text, district in items:
        title, text = clean_text(raw_title), clean_text(raw_text)[:_TEXT_CHARS]
        found = extract_places(title, text)
        if district and not found.district:
            found = Places(district, found.names)
        places.append(found)
        body = f"{title} {title} {title} {text}"
        for name in found.names[:3]:
            body = body.replace(name, " ")
        bodies.append(body.lower())
        keys.append(place_key(found.main) if found.main else "")
    counts = _ngram_counts(bodies).astype(np.float32)
    signatures = _minhash(counts)
    key_ids: dict[str, int] = {}
    blocks = np.fromiter((key_ids.setdefault(k, len(key_ids)) for k in keys), np.int64, len(keys))
    group = _near_duplicates(signatures, blocks, duplicate, np.arange(len(keys)))
    firsts = np.unique(group, return_index=True)[1]
    return places, keys, signatures, firsts[group], counts[firsts]


def _single_threaded() -> None:
    """Worker start-up: one BLAS/OpenMP thread each, the processes already share the cores."""
    global _LIMITS
    _LIMITS = threadpool_limits(1)


_LIMITS: threadpool_limits | None = None


def _pool(workers: int) -> ProcessPoolExecutor:
    # spawn, not fork: the caller may be a threaded web server, and OpenMP does not survive fork
    spawn = multiprocessing.get_context("spawn")
    return ProcessPoolExecutor(workers, mp_context=spawn, initializer=_single_threaded)


def _run(
    pool: ProcessPoolExecutor, task: Callable[[_T], _R], items: Iterable[_T], ahead: int
) -> Iterator[tuple[int, _R]]:
    """(index, result) of `task` over `items` as they finish, with at most `ahead` in flight so large
    arguments are not all held at once and one long item does not stall the others."""
    running: dict[Future[_R], int] = {}
    for index, item in enumerate(items):
        running[pool.submit(task, item)] = index
        if len(running) >= ahead:
            finished, _ = wait(running, return_when=FIRST_COMPLETED)
            yield from ((running.pop(f), f.result()) for f in finished)
    yield from ((running[f], f.result()) for f in as_completed(running))


def _prepare_all(
    items: list[tuple[str, str, str | None]],
    duplicate: float,
    pool: ProcessPoolExecutor | None,
    workers: int,
    progress: bool,
) -> tuple[list[Places], list[str], np.ndarray, np.ndarray, list[csr_matrix]]:
    """`_prepare` over chunks of the distinct messages, in the pool's processes when there is one; the
    counts stay in their chunks, so only the rows kept need to be stacked (`_rows`)."""
    chunks = [items[i : i + _CHUNK] for i in range(0, len(items), _CHUNK)]
    task = partial(_prepare, duplicate=duplicate)
    done = _run(pool, task, chunks, 2 * workers) if pool else enumerate(map(task, chunks))
    ordered = [
        d for _, d in sorted(tqdm(done, total=len(chunks), desc="places, n-grams", disable=not progress))
    ]
    places = [p for d in ordered for p in d[0]]
    keys = [k for d in ordered for k in d[1]]
    firsts = np.concatenate([d[3] + i * _CHUNK for i, d in enumerate(ordered)])
    return places, keys, np.concatenate([d[2] for d in ordered]), firsts, [d[4] for d in ordered]


def _rows(chunks: list[csr_matrix], rows: np.ndarray) -> csr_matrix:
    """The given rows (ascending) of the matrix the chunks stack into, without stacking all of them."""
    ends = np.cumsum([c.shape[0] for c in chunks])
    cuts = np.searchsorted(rows, ends)
    starts = np.concatenate(([0], ends[:-1]))
    parts = [chunk[part - start] for chunk, part, start in zip(chunks, np.split(rows, cuts[:-1]), starts)]
    return vstack(parts, format="csr")


def _cluster_all(
    blocks: list[np.ndarray],
    matrix: csr_matrix,
    options: tuple[float, float, int],
    pool: ProcessPoolExecutor | None,
    workers: int,
    progress: bool,
) -> list[np.ndarray]:
    """The clusters of every block, in block order; with a pool, consecutive blocks go out in
    batches with their rows of the matrix."""
    batches: list[list[np.ndarray]] = [[]]
    target = max(2000, matrix.shape[0] // (16 * workers)) if pool else 1
    for rows in blocks:
        if sum(map(len, batches[-1])) >= target:
            batches.append([])
        batches[-1].append(rows)
    tasks = ((matrix[np.concatenate(b)], [len(r) for r in b], *options) for b in batches)
    done = _run(pool, _cluster_batch, tasks, 2 * workers) if pool else enumerate(map(_cluster_batch, tasks))
    found: dict[int, list[np.ndarray]] = {}
    with tqdm(total=len(blocks), desc="clusters", disable=not progress, mininterval=2) as bar:
        for index, clusters in done:
            found[index] = clusters
            bar.update(len(batches[index]))
    return [np.concatenate(batches[i])[c] for i in range(len(batches)) for c in found[i]]


def _cluster_batch(task: tuple[csr_matrix, list[int], float, float, int]) -> list[np.ndarray]:
    """Clusters of consecutive blocks whose rows are stacked in `vectors` (a worker's share); large
    blocks are split first."""
    vectors, sizes, similarity, merge, max_block = task
    blocks = np.split(np.arange(vectors.shape[0]), np.cumsum(sizes)[:-1])
    parts = [part for rows in blocks for part in _split(rows, vectors, max_block)]
    return [cluster for part in parts for cluster in _cluster(part, vectors, similarity, merge)]


def _ngram_counts(texts: list[str]) -> csr_matrix:
    """Counts of each text's character 2- and 3-grams, hashed into 2**_FEATURES columns.

    numpy over all texts at once (scikit-learn's HashingVectorizer slices each n-gram in Python,
    several times slower): code points joined by NUL (which `clean_text` removes), each n-gram packed
    into one integer and hashed, then counted per text by a single sort.
    """
    points = np.frombuffer(("\0".join(texts) + "\0").encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    text_of = np.cumsum(points == 0, dtype=np.uint64)  # texts before each position
    a, b, c = points[:-2], points[1:-1], points[2:]
    two = (a != 0) & (b != 0)
    three = two & (c != 0)
    grams = np.concatenate(
        (
            (a[two] << np.uint64(21)) | b[two],
            (a[three] << np.uint64(42)) | (b[three] << np.uint64(21)) | c[three],
        )
    )
    columns = (grams * _GOLDEN) >> np.uint64(64 - _FEATURES)
    cells = (np.concatenate((text_of[:-2][two], text_of[:-2][three])) << np.uint64(_FEATURES)) | columns
    cells.sort()
    first = np.flatnonzero(np.concatenate(([True], cells[1:] != cells[:-1])))
    counts = np.diff(np.append(first, len(cells))).astype(np.float64)
    cells = cells[first]
    rows = (cells >> np.uint64(_FEATURES)).astype(np.int64)
    indptr = np.concatenate(([0], np.cumsum(np.bincount(rows, minlength=len(texts)))))
    columns = (cells & np.uint64((1 << _FEATURES) - 1)).astype(np.int32)
    return csr_matrix((counts, columns, indptr), shape=(len(texts), 1 << _FEATURES))


def _tfidf(counts: csr_matrix, copies: np.ndarray) -> csr_matrix:
    """Sublinear TF × smooth IDF, rows l2-normalised (scikit-learn's TfidfTransformer formulas), where
    a text posted `copies[i]` times counts that many times in the document frequencies."""
    df = np.bincount(
        counts.indices, weights=np.repeat(copies, np.diff(counts.indptr)), minlength=counts.shape[1]
    )
    idf = np.log((1 + copies.sum()) / (1 + df)) + 1
    weights = counts.astype(np.float64)
    weights.data = (np.log(weights.data) + 1) * idf[weights.indices]
    return normalize(weights)


@lru_cache(maxsize=1)
def _permutations() -> np.ndarray:
    """`_PERMUTATIONS` random orders of the n-gram columns, as a random 32-bit rank of each column."""
    return np.random.default_rng(0).integers(0, 1 << 32, (_PERMUTATIONS, 1 << _FEATURES), dtype=np.uint32)


def _minhash(counts: csr_matrix) -> np.ndarray:
    """MinHash signature of each row's set of n-gram columns: per permutation, the least rank among
    them. Rows without n-grams get the maximum rank everywhere (`_near_duplicates` leaves them alone)."""
    signatures = np.full((counts.shape[0], _PERMUTATIONS), np.iinfo(np.uint32).max, dtype=np.uint32)
    filled = np.flatnonzero(np.diff(counts.indptr))
    if len(filled):
        for k, ranks in enumerate(_permutations()):
            signatures[filled, k] = np.minimum.reduceat(ranks[counts.indices], counts.indptr[filled])
    return signatures


def _near_duplicates(
    signatures: np.ndarray, blocks: np.ndarray, threshold: float, known: np.ndarray
) -> np.ndarray:
    """Group of each text: texts in one block whose MinHash signatures agree on at least `threshold`
    of their values (an estimate of the Jaccard similarity of their n-gram sets), joined transitively,
    and with the text `known[i]` already found to be a near-duplicate of text i (i itself if none).

    Candidates come from locality-sensitive hashing: texts sharing all `_BAND` values of one band are
    compared with the band bucket's first text. Groups are numbered by their first text.
    """
    n = len(signatures)
    filled = signatures[:, 0] != np.iinfo(np.uint32).max
    pairs = [(np.arange(n), known)]
    for band in range(0, _PERMUTATIONS, _BAND):
        code = blocks.astype(np.uint64) * _GOLDEN
        for column in signatures[:, band : band + _BAND].T:
            code = (code ^ column) * _GOLDEN
        order = np.argsort(code, kind="stable")
        ordered = code[order]
        first = np.concatenate(([True], ordered[1:] != ordered[:-1]))
        leader = order[np.flatnonzero(first)[np.cumsum(first) - 1]]
        a, b = leader[~first], order[~first]
        agree = (signatures[a] == signatures[b]).mean(axis=1) >= threshold
        keep = agree & (blocks[a] == blocks[b]) & filled[a]
        pairs.append((a[keep], b[keep]))
    a, b = (np.concatenate(side) for side in zip(*pairs))
    graph = coo_matrix((np.ones(len(a), dtype=np.int8), (a, b)), shape=(n, n))
    _, labels = connected_components(graph, directed=False)
    _, first_text, group = np.unique(labels, return_index=True, return_inverse=True)
    return np.argsort(np.argsort(first_text))[group]
