"""Variants of the classifier under the CV protocol of bench/compare_classifiers.py (same folds, seed 0).

Screening only (uncalibrated LinearSVC argmax unless the variant calibrates); the table "Improvements tried"
in docs/classifier.md. Each variant-fold is cached under var/classifier_variants; word tokens are cached
across runs. `base` is the shipped recipe (words by rjieba since the rjieba change; results cached before
it were renamed `jieba` for base and `jieba+<variant>` for the others).

    python bench/classifier_variants.py base,tw2,pseudo --folds 0,1
    python bench/classifier_variants.py --summary 0,1
"""

import argparse
import pickle
import sys
import time
from collections import defaultdict
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from compare_classifiers import protocol_folds
from scipy.sparse import hstack
from sklearn.calibration import CalibratedClassifierCV
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import SGDClassifier
from sklearn.naive_bayes import ComplementNB
from sklearn.svm import LinearSVC
from weak_labels import weak_label

from rexian.config import get_settings
from rexian.intelligence.classifier import (
    TEDDY,
    LabelledText,
    _read_csv,
    compose_text,
    score,
    synthetic_pairs,
    text_key,
)
from rexian.intelligence.text import clean_text, tokenize

K = 5
folder = get_settings().data_dir / TEDDY
cv = protocol_folds(K)
full, full_fold, titles, details, folds, linked = cv.full, cv.full_fold, cv.titles, cv.details, cv.folds, cv.linked
linked_title = np.array([text_key(i.text) in linked for i in titles])
linked_detail = np.array([text_key(i.text) in linked for i in details])

# unlabelled messages of the same platform, minus any whose title or detail is a labelled text
labelled_keys = {text_key(i.text) for i in titles + details} | set(linked)
unl = []
for name in ("attachment3_full.csv.gz", "attachment4_full.csv.gz", "attachment2_testset_unlabeled.csv.gz"):
    for r in _read_csv(folder / name):
        if text_key(r["留言主题"]) in labelled_keys or text_key(r["留言详情"]) in labelled_keys:
            continue
        unl.append(compose_text(r["留言主题"], r["留言详情"]))
unl = list(dict.fromkeys(unl))
print(f"{len(unl)} unlabelled messages kept", flush=True)

# 附件4 messages weakly labelled by the department their reply names (bench/weak_labels.py), minus any whose
# title or detail is a labelled text; (title, raw detail, label), first of exact duplicates kept
weak4 = {}
for r in _read_csv(folder / "attachment4_full.csv.gz"):
    label = weak_label(r["答复意见"])
    if label is None or text_key(r["留言主题"]) in labelled_keys or text_key(r["留言详情"]) in labelled_keys:
        continue
    weak4.setdefault(compose_text(r["留言主题"], r["留言详情"]), (r["留言主题"], r["留言详情"], label))
weak4 = list(weak4.values())
# 附件2's labels put most bus/metro messages under 城乡建设 (titles naming 公交: 41 城乡建设, 3 交通运输), while
# the department answering them is 交通运输局: the `weak4nb` variant drops those weak labels
_BUS = ("公交", "地铁", "轨道")
print(f"{len(weak4)} weakly labelled 附件4 messages kept", flush=True)

OUT = Path("var/classifier_variants")
OUT.mkdir(parents=True, exist_ok=True)
_TOK = OUT / "tokens.pkl"
_tok = pickle.load(_TOK.open("rb")) if _TOK.exists() else {}


def _python_jieba(hmm):
    from rexian.intelligence.text import jieba_instance

    return lambda text: [w for w in jieba_instance().lcut(clean_text(text), HMM=hmm) if w.strip()]


# word tokenizers: "rust" is the shipped `tokenize` (rjieba); the jieba ones were the shipped recipe before.
# Cache keys: plain text for Python jieba with HMM (the older cache), (tokenizer, text) otherwise.
TOKENIZERS = {"rust": tokenize, "jieba": _python_jieba(True), "nohmm": _python_jieba(False)}


def words_of(n, tok="rust", bigrams=False):
    split = TOKENIZERS[tok]

    def f(text):
        key = text[:n] if tok == "jieba" else (tok, text[:n])
        v = _tok.get(key)
        if v is None:
            v = _tok[key] = split(text[:n])
        # a callable analyzer ignores ngram_range: the word bigrams are added here
        return v + [a + " " + b for a, b in zip(v, v[1:])] if bigrams else v

    return f


def feats(cfg):
    chars = TfidfVectorizer(
        analyzer=cfg.get("char_an", "char"),
        ngram_range=cfg.get("ng", (1, 3)),
        preprocessor=(lambda t, m=cfg.get("maxc", 1200): t[:m]),
        sublinear_tf=True,
        min_df=2,
        max_features=cfg.get("maxf", 300_000),
        dtype=np.float32,
    )
    blocks = [chars]
    if cfg.get("wc", 160):
        blocks.append(
            TfidfVectorizer(
                analyzer=words_of(cfg.get("wc", 160), cfg.get("tok", "rust"), cfg.get("wbi", False)),
                sublinear_tf=True,
                min_df=2,
                dtype=np.float32,
            )
        )
    return blocks


def fit_transform(blocks, texts):
    return hstack([b.fit_transform(texts) for b in blocks]).tocsr()


def transform(blocks, texts):
    return hstack([b.transform(texts) for b in blocks]).tocsr()


def softmax(z):
    z = z - z.max(1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(1, keepdims=True)


def second_model(kind):
    """The model put beside the LinearSVC: `ens` variants calibrate both, `mix` variants average it with base."""
    if kind == "cnb":
        return ComplementNB(alpha=0.3)
    return SGDClassifier(loss="modified_huber", alpha=1e-5, random_state=0)


def mix_proba(model, X):
    """Class probabilities of a `mix` model on the scale of base's softmax(3 × decision): the SGD model has
    the SVM's margin-1 loss, so the same softmax(3 × decision); ComplementNB's own predict_proba (the softmax of
    its joint log-likelihood)."""
    if isinstance(model, ComplementNB):
        return model.predict_proba(X)
    return softmax(model.decision_function(X) * 3)


def compose_w(title, detail, tw=1):
    return " ".join([clean_text(title)] * tw + ([clean_text(detail)] if detail else []))


VARIANTS = {
    "base": dict(),
    "jieba": dict(tok="jieba"),
    "nohmm": dict(tok="nohmm"),
    "w80": dict(wc=80),
    "nohmm_c14_600k": dict(tok="nohmm", ng=(1, 4), maxf=600_000),
    "c14": dict(ng=(1, 4)),
    "c24": dict(ng=(2, 4), maxf=600_000),
    "c14_600k": dict(ng=(1, 4), maxf=600_000),
    "c14_only": dict(ng=(1, 4), wc=0),
    "c13_only": dict(wc=0),
    "w400": dict(wc=400),
    "wall": dict(wc=100_000),
    "c3000": dict(maxc=3000),
    "c400": dict(maxc=400),
    "c600": dict(maxc=600),
    "c800": dict(maxc=800),
    "c14_c600": dict(ng=(1, 4), maxc=600),
    "tw2": dict(tw=2),
    "bal": dict(cw="balanced"),
    "C1": dict(C=1.0),
    "C025": dict(C=0.25),
    "cnb_ens": dict(ens="cnb"),
    # the uncalibrated base LinearSVC averaged with a second model fitted on the same features (see `run`)
    "svc+cnb": dict(mix="cnb"),
    "svc+sgd": dict(mix="sgd"),
    "wbi": dict(wbi=True),
    "sgd_ens": dict(ens="sgd"),
    "pseudo": dict(pseudo=0.5),
    "pseudo_all": dict(pseudo=1.0),
    "cal": dict(cal=True),
    "weak4": dict(weak="all"),
    "weak4nb": dict(weak="nobus"),
    "c14_cal": dict(ng=(1, 4), cal=True),
}


def run(name, k):
    cfg = VARIANTS[name]
    tw = cfg.get("tw", 1)
    train_t = [i for i, f in zip(titles, folds["title"]) if f != k]
    train_d = [i for i, f in zip(details, folds["detail"]) if f != k]
    train_full = [r for r, f in zip(full, full_fold) if f != k]
    test_full = [r for r, f in zip(full, full_fold) if f == k]
    items = (
        train_t
        + train_d
        + [
            LabelledText(compose_w(r["留言主题"], r["留言详情"], tw), r["一级分类"], "full")
            for r in train_full
        ]
    )
    items = items + synthetic_pairs(items, 6000, title_repeats=tw)
    if cfg.get("weak"):  # training only: 附件4 shares no text with any labelled item, so with no test item
        items += [
            LabelledText(compose_w(t, d, tw), label, "weak")
            for t, d, label in weak4
            if cfg["weak"] == "all" or not (label == "交通运输" and any(w in t for w in _BUS))
        ]
    X_text = [i.text for i in items]
    y = np.array([i.label for i in items])
    tests = {
        "full": [compose_w(r["留言主题"], r["留言详情"], tw) for r in test_full],
        "titles": [i.text for i, f in zip(titles, folds["title"]) if f == k],
        "details": [i.text for i, f in zip(details, folds["detail"]) if f == k],
    }
    blocks = feats(cfg)
    X = fit_transform(blocks, X_text)
    svm = LinearSVC(C=cfg.get("C", 0.5), class_weight=cfg.get("cw"))
    if cfg.get("pseudo"):
        svm.fit(X, y)
        U = transform(blocks, unl)
        d = svm.decision_function(U)
        s = np.sort(d, 1)
        margin = s[:, -1] - s[:, -2]
        keep = margin >= np.quantile(margin, 1 - cfg["pseudo"])
        pl = svm.classes_[d.argmax(1)][keep]
        X_text2 = X_text + [u for u, kp in zip(unl, keep) if kp]
        y = np.concatenate([y, pl])
        blocks = feats(cfg)
        X = fit_transform(blocks, X_text2)
        svm = LinearSVC(C=cfg.get("C", 0.5))
    model = (
        CalibratedClassifierCV(svm, method="sigmoid", cv=3, ensemble=False)
        if (cfg.get("cal") or cfg.get("ens"))
        else svm
    )
    model.fit(X, y)
    extra = None
    if cfg.get("ens"):
        extra = CalibratedClassifierCV(second_model(cfg["ens"]), method="sigmoid", cv=3, ensemble=False).fit(X, y)
    mix = second_model(cfg["mix"]).fit(X, y) if cfg.get("mix") else None
    out = {}
    for form, texts in tests.items():
        Xt = transform(blocks, texts)
        if model is svm:
            p = softmax(svm.decision_function(Xt) * 3)
            if mix is not None:
                q = mix_proba(mix, Xt)
                out[form + "/parts"] = (p, q)  # kept for inspection; `summary` reads only `form`
                p = (p + q) / 2
        else:
            p = model.predict_proba(Xt)
            if extra is not None:
                p = (p + extra.predict_proba(Xt)) / 2
        out[form] = p
    gold = {
        "full": [r["一级分类"] for r in test_full],
        "titles": [i.label for i, f in zip(titles, folds["title"]) if f == k],
        "details": [i.label for i, f in zip(details, folds["detail"]) if f == k],
    }
    return out, gold, list(model.classes_)


def summary(spec):
    import numpy as np

    res = defaultdict(dict)
    for p in OUT.glob("res_*.pkl"):
        name, k = p.stem[len("res_") :].rsplit("_", 1)
        res[name][int(k)] = pickle.loads(p.read_bytes())
    folds = list(map(int, spec.split(",")))
    print("folds", folds)
    base = None
    for name in ["base"] + sorted(n for n in res if n != "base"):
        if not all(k in res[name] for k in folds):
            print(name, "missing folds", sorted(res[name]))
            continue
        line = [name]
        correct = {}
        for form in ("full", "titles", "details"):
            gold, pred = [], []
            for k in folds:
                out, g, classes = res[name][k]
                gold += g[form]
                pred += [classes[i] for i in out[form].argmax(1)]
            r = score(gold, pred)
            correct[form] = np.array([a == b for a, b in zip(gold, pred)])
            line.append(f"{form} F1 {r['macro_f1']:.4f} acc {r['accuracy']:.4f} (n {r['n']})")
        if name == "base":
            base = correct
        else:
            # paired: rows this variant gets right that base misses, and vice versa
            line.append(
                " ".join(
                    f"{f} +{(correct[f] & ~base[f]).sum()}/-{(~correct[f] & base[f]).sum()}"
                    for f in ("full", "titles", "details")
                )
            )
        print(" | ".join(line))


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("names", nargs="?", default="")
    ap.add_argument("--folds", default="0,1,2,3,4")
    ap.add_argument("--summary", default="", help="print the table for these folds")
    a = ap.parse_args()
    if a.summary:
        summary(a.summary)
        sys.exit()
    for name in filter(None, a.names.split(",")):
        for k in map(int, a.folds.split(",")):
            path = OUT / f"res_{name}_{k}.pkl"
            if path.exists():
                continue
            t0 = time.perf_counter()
            out, gold, classes = run(name, k)
            pickle.dump((out, gold, classes), path.open("wb"))
            r = score(gold["full"], [classes[i] for i in out["full"].argmax(1)])
            pickle.dump(_tok, _TOK.open("wb"))
            print(f"{name} fold {k}: {time.perf_counter() - t0:.0f}s full F1 {r['macro_f1']:.4f}", flush=True)
