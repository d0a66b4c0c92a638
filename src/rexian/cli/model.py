"""`rexian model train|evaluate` and `rexian classify`: the appeal category classifier."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from rexian.adapters.files import read_rows
from rexian.cli.core import fail
from rexian.config import get_settings
from rexian.domain.errors import InvalidInput
from rexian.intelligence.text import clean_text

if TYPE_CHECKING:
    from rexian.intelligence.classifier import AppealClassifier

# The classifier module imports scikit-learn (seconds): every command imports it when it runs, so
# `rexian --help` and the other commands start without it.

app = typer.Typer(help="The appeal category classifier (一级分类).", no_args_is_help=True)


def _model() -> AppealClassifier:
    from rexian.intelligence.classifier import default_model_path, load_default

    classifier = load_default()
    if classifier is None:
        fail(
            f"未找到分类模型 {default_model_path()}，请先运行 rexian model train",
            f"no classifier model at {default_model_path()}; run `rexian model train` first",
        )
    return classifier  # type: ignore[return-value]  # fail exits


@app.command("train")
def train(
    data_dir: Annotated[
        Path | None, typer.Option(help="Data folder holding teddy2020c/ (default: the repo's data/).")
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", help="No progress bar.")] = False,
) -> None:
    """Train the classifier on the labelled messages of 附件2 and save it as the default model."""
    from rexian.intelligence.classifier import default_model_path, train_classifier

    folder = data_dir or get_settings().data_dir
    try:
        classifier = train_classifier(folder, progress=not quiet)
    except (OSError, KeyError, ValueError) as exc:
        fail(f"无法读取训练数据（{folder}）", f"cannot read the training data in {folder}: {exc}")
    path = default_model_path()
    classifier.save(path)
    typer.echo(f"模型已保存 model saved: {path} ({len(classifier.labels)} classes)")


@app.command("evaluate")
def evaluate(
    file: Annotated[Path, typer.Argument(help="Labelled CSV, CSV.GZ or XLSX.")],
    text_column: Annotated[
        list[str] | None,
        typer.Option("--text-column", help="Text column(s), joined in order (default: 留言主题 留言详情)."),
    ] = None,
    label_column: Annotated[
        str | None,
        typer.Option("--label-column", help="Gold label column (default: 一级标签, else 一级分类)."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Per-class precision / recall / F1, macro-F1, accuracy and the confusion matrix on a labelled file."""
    from rexian.intelligence.classifier import CONTENT_COLUMN, LABEL_COLUMNS, TITLE_COLUMN
    from rexian.intelligence.classifier import evaluate as evaluate_model

    classifier = _model()
    try:
        rows = list(read_rows(file)[1])
    except InvalidInput as exc:
        fail(exc.message_zh, exc.message_en)
    except OSError as exc:
        fail(f"无法读取文件 {file}", f"cannot read {file}: {exc}")
    header = set(rows[0]) if rows else set()
    columns = text_column or [c for c in (TITLE_COLUMN, CONTENT_COLUMN) if c in header]
    label = label_column or next((c for c in LABEL_COLUMNS if c in header), LABEL_COLUMNS[0])
    missing = [c for c in [*columns, label] if c not in header]
    if missing or not columns:
        wanted = ", ".join(missing or [TITLE_COLUMN, CONTENT_COLUMN])
        fail(f"文件缺少列：{wanted}", f"missing column(s) in {file}: {wanted}")
    rows = [r for r in rows if clean_text(str(r[label] or ""))]
    if not rows:
        fail("文件中没有带标签的行", f"no labelled rows in {file}")
    texts = [" ".join(clean_text(str(r[c] or "")) for c in columns) for r in rows]
    result = evaluate_model(classifier, texts, [clean_text(str(r[label])) for r in rows])
    if as_json:
        typer.echo(json.dumps(result, ensure_ascii=False))
        return
    typer.echo(f"{'类别 class':<16}{'P':>8}{'R':>8}{'F1':>8}{'n':>7}")
    for name, m in result["per_class"].items():
        typer.echo(f"{name:<16}{m['precision']:>8.3f}{m['recall']:>8.3f}{m['f1']:>8.3f}{m['support']:>7}")
    typer.echo(f"\nn={result['n']}  accuracy={result['accuracy']:.4f}  macro-F1={result['macro_f1']:.4f}")
    if "ece" in result:
        typer.echo(f"calibration: ECE={result['ece']:.4f}  Brier={result['brier']:.4f}")
    typer.echo("\n混淆矩阵 confusion matrix (rows gold, columns predicted):")
    classes = result["classes"]
    typer.echo("\t" + "\t".join(c[:4] for c in classes))
    for name, row in zip(classes, result["confusion_matrix"]):
        typer.echo(name[:4] + "\t" + "\t".join(str(v) for v in row))


def classify(
    text: Annotated[str, typer.Argument(help="The appeal: title and/or content.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """The category of one appeal, its calibrated confidence and the top-3."""
    prediction = _model().predict_text(text)
    if as_json:
        payload = {"label": prediction.label, "confidence": prediction.confidence, "top": prediction.top}
        typer.echo(json.dumps(payload, ensure_ascii=False))
        return
    typer.echo(f"{prediction.label}  ({prediction.confidence:.2f})")
    for name, p in prediction.top:
        typer.echo(f"  {name:<12}{p:.3f}")
