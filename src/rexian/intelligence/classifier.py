"""Top-level category (一级分类) of a citizen appeal, from its title and content.

A linear SVM on TF-IDF character 1-3-grams and jieba words (rjieba), with sigmoid-calibrated
probabilities (CalibratedClassifierCV). Chosen by cross-validation against logistic regression,
SGD, complement naive Bayes, a fastText-style hashed-bag model and soft-voting ensembles; the
comparison and the held-out numbers are in docs/classifier.md.

The labelled data (Teddy Cup 2020 C, 附件2) holds titles and cleaned details that cannot be joined,
plus 383 full rows; real appeals arrive as title + raw detail. The model therefore trains on titles,
on details, on the full rows and on synthetic title + detail pairs of the same class, so it copes
with every form. Word features use only the opening of the text, which carries the topic and keeps
segmentation cheap. One message is scored by the fitted weights directly (about 1 ms on one core; see the docs).
"""

from __future__ import annotations

import gc
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property, lru_cache
from itertools import repeat
from pathlib import Path
from typing import Any

import joblib
import numpy as np
from sklearn.calibration import CalibratedClassifierCV
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics import confusion_matrix, precision_recall_fscore_support
from sklearn.pipeline import FeatureUnion, Pipeline
from sklearn.svm import LinearSVC

from rexian.adapters.files import read_rows
from rexian.config import get_settings
from rexian.intelligence.text import clean_text, tokenize

TEDDY = "teddy2020c"
TITLES_FILE = "attachment2_topic_label_visible.csv"
DETAILS_FILE = "attachment2_detail_label_visible.csv.gz"
SAMPLE_FILE = "attachment2_sample_visible.csv"
TITLE_COLUMN, CONTENT_COLUMN = "留言主题", "留言详情"
LABEL_COLUMNS = ("一级标签", "一级分类")

MAX_CHARS = 1200  # character features read at most this much: long texts add little, cost p99
WORD_CHARS = 160  # words are cut from the opening only (title + first sentences)
SYNTHETIC_PAIRS = 6000
TOP_K = 3

_SQUASH = re.compile(r"[\s\u3000\u00a0*]+")


@dataclass(frozen=True)
class CategoryPrediction:
    """The most likely category, its calibrated probability and the top-3 (label, probability)."""

    label: str
    confidence: float
    top: tuple[tuple[str, float], ...]


def compose_text(title: str | None, content: str | None) -> str:
    """One model input from a title and a (raw or cleaned) detail."""
    return " ".join(part for part in (clean_text(title), clean_text(content)) if part)


def text_key(text: str) -> str:
    """Identity of a text for de-duplication: the source cleaned details by deleting all spaces and '*'."""
    return _SQUASH.sub("", clean_text(text))


def _chars(text: str) -> str:
    return text[:MAX_CHARS]


def _words(text: str) -> list[str]:
    return tokenize(text[:WORD_CHARS])


def build_features() -> FeatureUnion:
    """TF-IDF on character 1-3-grams of the text and on the words of its opening (`tokenize`)."""
    return FeatureUnion(
        [
            (
                "chars",
                TfidfVectorizer(
                    analyzer="char",
                    ngram_range=(1, 3),
                    preprocessor=_chars,
                    sublinear_tf=True,
                    min_df=2,
                    max_features=300_000,
                    dtype=np.float32,
                ),
            ),
            ("words", TfidfVectorizer(analyzer=_words, sublinear_tf=True, min_df=2, dtype=np.float32)),
        ]
    )


def build_model() -> Pipeline:
    """The chosen model, untrained: features → one LinearSVC, sigmoid-calibrated on 3-fold out-of-fold scores."""
    return Pipeline(
        [
            ("features", build_features()),
            ("svm", CalibratedClassifierCV(LinearSVC(C=0.5), method="sigmoid", cv=3, ensemble=False)),
        ]
    )


class _VocabularyLookup:
    """The vocabulary columns of a text's terms and their counts: the vectorizer's analyzer, a dict look-up each."""

    def __init__(self, vectorizer: TfidfVectorizer) -> None:
        self.analyzer = vectorizer.build_analyzer()
        self.vocabulary = vectorizer.vocabulary_

    def __call__(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        terms = self.analyzer(text)
        # look-ups and counting in C (map, np.unique), not a Python loop per term
        found = np.fromiter(map(self.vocabulary.get, terms, repeat(-1)), dtype=np.int64, count=len(terms))
        return np.unique(found[found >= 0], return_counts=True)


class _CharNgramLookup:
    """The same columns for character 1-3-grams, without a string or a dict look-up per n-gram.

    Each n-gram is one integer (code point + 1 in 21 bits per character); the distinct codes, sorted, are
    found by binary search in the sorted codes of the vocabulary. A long message has ~3,600 n-grams: their
    dict look-ups in a 300k-term vocabulary (cache misses) cost ~1.4 ms, this ~0.15 ms.
    """

    BITS = 21  # code points are below 2**21; +1 keeps a 1-gram's code apart from a 2-gram's

    @classmethod
    def applies(cls, vectorizer: TfidfVectorizer) -> bool:
        return vectorizer.analyzer == "char" and vectorizer.ngram_range[1] * cls.BITS < 64

    def __init__(self, vectorizer: TfidfVectorizer) -> None:
        self.preprocess = vectorizer.build_preprocessor()
        self.white_spaces = vectorizer._white_spaces  # the analyzer's own whitespace rule
        self.sizes = range(vectorizer.ngram_range[0], vectorizer.ngram_range[1] + 1)
        # the terms as a fixed-width array of code points, 0-padded on the right; codes built column by column
        points = np.array(list(vectorizer.vocabulary_), dtype=f"U{self.sizes[-1]}").view(np.uint32)
        codes = np.zeros(len(vectorizer.vocabulary_), dtype=np.int64)
        for column in points.reshape(len(codes), -1).astype(np.int64).T:
            codes = np.where(column > 0, (codes << self.BITS) | (column + 1), codes)
        order = np.argsort(codes)
        self.codes = codes[order]
        self.columns = np.fromiter(vectorizer.vocabulary_.values(), dtype=np.int64, count=len(codes))[order]

    def __call__(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        text = self.white_spaces.sub(" ", self.preprocess(text))
        points = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32).astype(np.int64) + 1
        grams = []
        for n in self.sizes:
            code = points[: len(points) - n + 1]
            for j in range(1, n):
                code = (code << self.BITS) | points[j : len(points) - n + 1 + j]
            grams.append(code)
        codes, counts = np.unique(np.concatenate(grams), return_counts=True)
        at = np.minimum(np.searchsorted(self.codes, codes), len(self.codes) - 1)
        known = self.codes[at] == codes
        return self.columns[at[known]], counts[known]


def _lookup(vectorizer: TfidfVectorizer) -> _VocabularyLookup | _CharNgramLookup:
    return (_CharNgramLookup if _CharNgramLookup.applies(vectorizer) else _VocabularyLookup)(vectorizer)


class _SingleTextScorer:
    """The fitted pipeline's arithmetic for one text, without scikit-learn's per-call overhead.

    Same numbers as `Pipeline.predict_proba` (a test checks it): TF-IDF of each block (sublinear tf,
    idf, l2 norm), the SVM's decision values, each class's sigmoid calibrator, then normalisation.
    One intake classifies one text, so this path is the one on the hot path.
    """

    def __init__(self, model: Pipeline) -> None:
        blocks = model.named_steps["features"].transformer_list
        svm = model.named_steps["svm"]
        calibrated = svm.calibrated_classifiers_[0]
        estimator = calibrated.estimator
        self.lookups, self.idfs, offsets = [], [], []
        offset = 0
        for _, vectorizer in blocks:
            self.lookups.append(_lookup(vectorizer))
            self.idfs.append(vectorizer.idf_.astype(np.float64))
            offsets.append(offset)
            offset += len(vectorizer.vocabulary_)
        self.offsets = offsets
        # features × classes, C order: one text's weights are a few hundred contiguous rows
        self.coef = np.ascontiguousarray(np.asarray(estimator.coef_, dtype=np.float64).T)
        self.intercept = np.asarray(estimator.intercept_, dtype=np.float64)
        self.a = np.array([c.a_ for c in calibrated.calibrators], dtype=np.float64)
        self.b = np.array([c.b_ for c in calibrated.calibrators], dtype=np.float64)
        classes = list(svm.classes_)
        self.positions = np.array([classes.index(c) for c in estimator.classes_])
        self.n_classes = len(classes)

    def probabilities(self, text: str) -> np.ndarray:
        decision = self.intercept.copy()
        for lookup, idf, offset in zip(self.lookups, self.idfs, self.offsets):
            indices, counts = lookup(text)
            if not len(indices):
                continue
            weights = (1.0 + np.log(counts)) * idf[indices]
            weights /= np.sqrt(weights @ weights)
            decision += weights @ self.coef[indices + offset]
        calibrated = 1.0 / (1.0 + np.exp(self.a * decision + self.b))
        proba = np.zeros(self.n_classes)
        proba[self.positions] = calibrated
        total = proba.sum()
        return proba / total if total > 0 else np.full(self.n_classes, 1.0 / self.n_classes)


class AppealClassifier:
    """A trained model with the category API the intake and the router use."""

    def __init__(self, model: Pipeline) -> None:
        self.model = model
        self.labels: tuple[str, ...] = tuple(str(label) for label in model.classes_)

    @cached_property
    def _scorer(self) -> _SingleTextScorer:
        return _SingleTextScorer(self.model)

    def probabilities(self, texts: Sequence[str]) -> np.ndarray:
        """Calibrated class probabilities (rows sum to 1), columns in `self.labels` order."""
        return self.model.predict_proba([clean_text(t) for t in texts])

    def predict_text(self, text: str) -> CategoryPrediction:
        return self._prediction(self._scorer.probabilities(clean_text(text)))

    def predict(self, title: str, content: str) -> CategoryPrediction:
        return self.predict_text(compose_text(title, content))

    def predict_many(self, pairs: Iterable[tuple[str, str]]) -> list[CategoryPrediction]:
        return [self.predict(title, content) for title, content in pairs]

    def _prediction(self, row: np.ndarray) -> CategoryPrediction:
        order = np.argsort(-row)[:TOP_K]
        top = tuple((self.labels[i], float(row[i])) for i in order)
        return CategoryPrediction(label=top[0][0], confidence=top[0][1], top=top)

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        for _, vectorizer in getattr(self.model.named_steps.get("features"), "transformer_list", []):
            vectorizer.stop_words_ = None  # the pruned n-grams: large and unused at prediction time
        joblib.dump(self.model, path, compress=1)

    @classmethod
    def load(cls, path: Path) -> AppealClassifier:
        return cls(joblib.load(path))


@dataclass(frozen=True)
class LabelledText:
    """One training text; `kind` is "title", "detail" or "full" (title + raw detail)."""

    text: str
    label: str
    kind: str


def _read_csv(path: Path) -> list[dict[str, str]]:
    return list(read_rows(path)[1])


def load_labelled(data_dir: Path) -> list[LabelledText]:
    """Every labelled text of 附件2 once (exact duplicates after cleaning dropped, first label kept)."""
    folder = data_dir / TEDDY
    items = [
        LabelledText(compose_text(r[TITLE_COLUMN], ""), r["一级标签"], "title")
        for r in _read_csv(folder / TITLES_FILE)
    ]
    items += [
        LabelledText(compose_text("", r[CONTENT_COLUMN]), r["一级标签"], "detail")
        for r in _read_csv(folder / DETAILS_FILE)
    ]
    items += [
        LabelledText(compose_text(r[TITLE_COLUMN], r[CONTENT_COLUMN]), r["一级分类"], "full")
        for r in _read_csv(folder / SAMPLE_FILE)
    ]
    unique: dict[str, LabelledText] = {}
    for item in items:
        if item.text and item.label:
            unique.setdefault(text_key(item.text), item)
    return list(unique.values())


def synthetic_pairs(items: Sequence[LabelledText], n: int, seed: int = 0, title_repeats: int = 1
                    ) -> list[LabelledText]:
    """`n` title + detail texts made by joining a title and a detail of the same class at random.

    Classes are drawn in proportion to their titles, so the class balance of the data is kept.
    `title_repeats` writes the title that many times (a variant the CV bench screens).
    """
    rng = np.random.default_rng(seed)
    titles: dict[str, list[str]] = defaultdict(list)
    details: dict[str, list[str]] = defaultdict(list)
    for item in items:
        if item.kind == "title":
            titles[item.label].append(item.text)
        elif item.kind == "detail":
            details[item.label].append(item.text)
    weighted = [label for label, texts in titles.items() if label in details for _ in texts]
    if not weighted:
        return []
    pairs = []
    for label in rng.choice(weighted, size=n):
        title = titles[label][rng.integers(len(titles[label]))]
        detail = details[label][rng.integers(len(details[label]))]
        pairs.append(LabelledText(" ".join([title] * title_repeats + [detail]), str(label), "pair"))
    return pairs


def fit(
    items: Sequence[LabelledText], pairs: int = SYNTHETIC_PAIRS, model: Pipeline | None = None
) -> AppealClassifier:
    """Train `model` (default: `build_model()`) on `items` plus synthetic title + detail pairs."""
    train = list(items) + synthetic_pairs(items, pairs)
    pipeline = model if model is not None else build_model()
    pipeline.fit([item.text for item in train], [item.label for item in train])
    return AppealClassifier(pipeline)


def train_classifier(data_dir: Path, progress: bool = True) -> AppealClassifier:
    """The production model: every labelled text of `data_dir`/teddy2020c, with a progress bar."""
    from tqdm import tqdm

    with tqdm(total=3, desc="classifier", unit="step", disable=not progress) as bar:
        bar.set_postfix_str("reading 附件2")
        items = load_labelled(data_dir)
        bar.update()
        train = items + synthetic_pairs(items, SYNTHETIC_PAIRS)
        texts = [item.text for item in train]
        labels = [item.label for item in train]
        bar.set_postfix_str(f"features of {len(texts)} texts")
        model = build_model()
        features = model.named_steps["features"].fit_transform(texts)
        bar.update()
        bar.set_postfix_str("calibrated LinearSVC")
        model.named_steps["svm"].fit(features, labels)
        bar.update()
    return AppealClassifier(model)


def default_model_path() -> Path:
    return get_settings().model_dir / "classifier.joblib"


@lru_cache(maxsize=1)
def _load_cached(path: Path, mtime: float) -> AppealClassifier:
    """Load once, then move every object alive so far out of the garbage collector's reach (gc.freeze).

    The vocabularies are ~300k long-lived objects; a full collection that walks
    them costs tens of milliseconds and would land on whichever message happened to trigger it.
    """
    classifier = AppealClassifier.load(path)
    classifier.predict_text("")  # build the scorer and load the tokenizer's dictionary before freezing
    gc.collect()
    gc.freeze()
    return classifier


def load_default() -> AppealClassifier | None:
    """The trained model at `default_model_path()`, loaded once; None until `rexian model train` ran."""
    path = default_model_path()
    if not path.is_file():
        return None
    return _load_cached(path, path.stat().st_mtime)


def expected_calibration_error(probabilities: np.ndarray, correct: np.ndarray, bins: int = 10) -> float:
    """ECE of the top-1 confidence: mean |accuracy - confidence| over equal-width bins, weighted by size."""
    confidence = probabilities.max(axis=1)
    which = np.minimum((confidence * bins).astype(int), bins - 1)
    error = 0.0
    for b in range(bins):
        mask = which == b
        if mask.any():
            error += mask.mean() * abs(correct[mask].mean() - confidence[mask].mean())
    return float(error)


def evaluate(classifier: AppealClassifier, texts: Sequence[str], labels: Sequence[str]) -> dict[str, Any]:
    """Per-class precision / recall / F1 and support, macro-F1, accuracy, n, confusion matrix, ECE and Brier.

    The classes are the union of the model's and the gold labels; the confusion matrix rows are gold,
    columns predicted, both in `classes` order.
    """
    gold = [str(label) for label in labels]
    probabilities = classifier.probabilities(texts)
    predicted = [classifier.labels[i] for i in probabilities.argmax(axis=1)]
    return score(gold, predicted, probabilities, classifier.labels)


def score(
    gold: Sequence[str],
    predicted: Sequence[str],
    probabilities: np.ndarray | None = None,
    model_labels: Sequence[str] = (),
) -> dict[str, Any]:
    """The metrics of `evaluate` from gold and predicted labels (probabilities optional, columns = model_labels)."""
    classes = sorted(set(gold) | set(predicted) | set(model_labels))
    gold_classes = sorted(set(gold))
    precision, recall, f1, support = precision_recall_fscore_support(
        gold, predicted, labels=classes, zero_division=0
    )
    per_class = {
        c: {"precision": float(p), "recall": float(r), "f1": float(f), "support": int(s)}
        for c, p, r, f, s in zip(classes, precision, recall, f1, support)
    }
    result: dict[str, Any] = {
        "n": len(gold),
        "accuracy": float(np.mean([g == p for g, p in zip(gold, predicted)])) if gold else 0.0,
        # macro over the classes present in the gold labels, the usual convention of the contest
        "macro_f1": float(np.mean([per_class[c]["f1"] for c in gold_classes])) if gold else 0.0,
        "per_class": per_class,
        "classes": classes,
        "confusion_matrix": confusion_matrix(gold, predicted, labels=classes).tolist(),
    }
    if probabilities is not None and len(gold):
        index = {label: i for i, label in enumerate(model_labels)}
        onehot = np.zeros_like(probabilities)
        for row, label in enumerate(gold):
            if label in index:
                onehot[row, index[label]] = 1.0
        correct = np.array([g == p for g, p in zip(gold, predicted)])
        result["ece"] = expected_calibration_error(probabilities, correct)
        result["brier"] = float(np.mean(np.sum((probabilities - onehot) ** 2, axis=1)))
    return result
