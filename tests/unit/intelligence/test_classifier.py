"""The appeal classifier, trained small on real 附件2 messages (the full model is built by `rexian model train`)."""

from __future__ import annotations

import csv
import json
import random
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from rexian.cli.main import app
from rexian.config import get_settings
from rexian.intelligence.classifier import (
    SAMPLE_FILE,
    TEDDY,
    AppealClassifier,
    LabelledText,
    _CharNgramLookup,
    _lookup,
    _read_csv,
    build_features,
    compose_text,
    evaluate,
    fit,
    load_labelled,
    score,
)
from rexian.intelligence.text import clean_text

PER_CLASS_TRAIN, PER_CLASS_TEST = 60, 20


@pytest.fixture(scope="session")
def split() -> tuple[list[LabelledText], list[LabelledText]]:
    """A stratified sample of titles and details: 60 per class to train, 20 others per class to test."""
    by_class: dict[str, list[LabelledText]] = defaultdict(list)
    for item in load_labelled(get_settings().data_dir):
        if item.kind != "full":
            by_class[item.label].append(item)
    rng = random.Random(7)
    train, test = [], []
    for items in by_class.values():
        rng.shuffle(items)
        train += items[:PER_CLASS_TRAIN]
        test += items[PER_CLASS_TRAIN : PER_CLASS_TRAIN + PER_CLASS_TEST]
    return train, test


@pytest.fixture(scope="session")
def small_model(split) -> AppealClassifier:
    return fit(split[0], pairs=100)


@pytest.fixture(scope="session")
def sample_rows() -> list[dict[str, str]]:
    return _read_csv(get_settings().data_dir / TEDDY / SAMPLE_FILE)


def test_a_small_model_beats_chance_by_far_on_held_out_messages(small_model, split):
    test = split[1]
    result = evaluate(small_model, [t.text for t in test], [t.label for t in test])
    assert result["n"] == len(test)
    assert result["macro_f1"] >= 0.75  # chance over 7 classes is about 0.14
    assert result["accuracy"] >= 0.75


def test_probabilities_are_calibrated_distributions(small_model, split):
    probabilities = small_model.probabilities([t.text for t in split[1][:50]])
    assert probabilities.shape == (50, len(small_model.labels))
    assert np.allclose(probabilities.sum(axis=1), 1.0)
    assert (probabilities >= 0).all()


def test_a_prediction_gives_the_top_three_in_decreasing_order(small_model, sample_rows):
    row = sample_rows[0]
    prediction = small_model.predict(row["留言主题"], row["留言详情"])
    assert len(prediction.top) == 3
    confidences = [p for _, p in prediction.top]
    assert confidences == sorted(confidences, reverse=True)
    assert (prediction.label, prediction.confidence) == prediction.top[0]
    assert len({label for label, _ in prediction.top}) == 3


def test_predict_many_agrees_with_predict(small_model, sample_rows):
    pairs = [(r["留言主题"], r["留言详情"]) for r in sample_rows[:5]]
    assert small_model.predict_many(pairs) == [small_model.predict(t, c) for t, c in pairs]
    assert small_model.predict_many([]) == []


def test_the_single_text_path_computes_what_the_pipeline_computes(small_model, sample_rows):
    texts = [compose_text(r["留言主题"], r["留言详情"]) for r in sample_rows[:40]] + ["", "？？？"]
    pipeline = small_model.probabilities(texts)
    single = np.array([small_model._scorer.probabilities(clean_text(t)) for t in texts])
    assert np.allclose(single, pipeline, atol=1e-6)


def test_character_ngrams_are_looked_up_as_the_vectorizer_counts_them(small_model, sample_rows):
    assert isinstance(
        _lookup(small_model.model.named_steps["features"].transformer_list[0][1]), _CharNgramLookup
    )
    texts = [compose_text(r["留言主题"], r["留言详情"]) for r in sample_rows[:20]]
    texts += ["", "水", "停水   三天\t\n了 ", "😀表情𠀀😀", "扰民" * 1500, "ABC abc 123"]
    # the production block's settings, fitted on these very texts: every n-gram is in the vocabulary
    chars = build_features().transformer_list[0][1].set_params(min_df=1).fit(texts + ["水水水"])
    lookup = _lookup(chars)
    analyzer, vocabulary = chars.build_analyzer(), chars.vocabulary_
    for text in texts + ["停水三天 了", "未见过的字 A"]:
        columns, counts = lookup(text)
        expected = Counter(vocabulary[term] for term in analyzer(text) if term in vocabulary)
        assert dict(zip(columns.tolist(), counts.tolist())) == expected


def test_a_saved_model_loads_with_the_same_predictions(small_model, split, tmp_path):
    texts = [t.text for t in split[1][:20]]
    small_model.save(tmp_path / "m" / "classifier.joblib")
    loaded = AppealClassifier.load(tmp_path / "m" / "classifier.joblib")
    assert loaded.labels == small_model.labels
    assert np.allclose(loaded.probabilities(texts), small_model.probabilities(texts))


def test_scores_match_a_hand_computed_example():
    result = score(["a", "a", "b", "b"], ["a", "b", "b", "b"])
    assert result["per_class"]["a"] == pytest.approx(
        {"precision": 1.0, "recall": 0.5, "f1": 2 / 3, "support": 2}
    )
    assert result["per_class"]["b"] == pytest.approx(
        {"precision": 2 / 3, "recall": 1.0, "f1": 0.8, "support": 2}
    )
    assert result["macro_f1"] == pytest.approx((2 / 3 + 0.8) / 2)
    assert result["accuracy"] == 0.75
    assert result["confusion_matrix"] == [[1, 1], [0, 2]]


class FixedModel:
    """A stand-in for the sklearn pipeline: the same probabilities for every text, in order."""

    classes_ = np.array(["a", "b"])

    def __init__(self, rows: list[list[float]]) -> None:
        self.rows = np.array(rows)

    def predict_proba(self, texts):
        return self.rows[: len(texts)]


def test_evaluate_reports_calibration_from_the_probabilities():
    classifier = AppealClassifier(FixedModel([[0.9, 0.1], [0.6, 0.4]]))
    result = evaluate(classifier, ["x", "y"], ["a", "b"])
    assert result["accuracy"] == 0.5
    # bins 0.9 (right) and 0.6 (wrong): ECE = 0.5·|1-0.9| + 0.5·|0-0.6|
    assert result["ece"] == pytest.approx(0.35)
    # Brier: ((0.1² + 0.1²) + (0.6² + 0.6²)) / 2
    assert result["brier"] == pytest.approx((0.02 + 0.72) / 2)


@pytest.fixture(scope="session")
def model_dir(small_model, tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("models")
    small_model.save(folder / "classifier.joblib")
    return folder


@pytest.fixture
def installed_model(model_dir, monkeypatch) -> Path:
    """The small model as the default one (REXIAN_MODEL_DIR)."""
    monkeypatch.setenv("REXIAN_MODEL_DIR", str(model_dir))
    return model_dir / "classifier.joblib"


def _write_csv(path: Path, rows: list[dict[str, str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


def test_cli_evaluate_prints_one_json_object_with_the_metrics(installed_model, sample_rows, tmp_path):
    file = _write_csv(tmp_path / "labelled.csv", sample_rows[:40])
    result = CliRunner().invoke(app, ["model", "evaluate", str(file), "--json"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload["n"] == 40
    assert 0.0 <= payload["accuracy"] <= 1.0 and 0.0 <= payload["macro_f1"] <= 1.0
    assert len(payload["confusion_matrix"]) == len(payload["classes"])


def test_cli_evaluate_names_a_missing_column(installed_model, sample_rows, tmp_path):
    file = _write_csv(tmp_path / "labelled.csv", sample_rows[:5])
    result = CliRunner().invoke(app, ["model", "evaluate", str(file), "--label-column", "类别"])
    assert result.exit_code == 2
    assert "类别" in result.output and "missing column" in result.output


def test_cli_classify_without_a_trained_model_says_so(tmp_path, monkeypatch):
    monkeypatch.setenv("REXIAN_MODEL_DIR", str(tmp_path / "empty"))
    result = CliRunner().invoke(app, ["classify", "小区噪音扰民"])
    assert result.exit_code == 2
    assert "rexian model train" in result.output and "未找到" in result.output


def test_cli_classify_prints_label_confidence_and_top_three(installed_model):
    result = CliRunner().invoke(app, ["classify", "孩子上学的学校乱收补课费", "--json"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload["label"] == payload["top"][0][0]
    assert len(payload["top"]) == 3
