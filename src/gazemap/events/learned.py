"""Learned detector: a random forest on per-sample features, after Zemblys et al. (2018).

Reference: Zemblys, R., Niehorster, D. C., Komogortsev, O., & Holmqvist, K. (2018). Using
machine learning to detect events in eye-tracking data. *Behavior Research Methods*, 50(1),
160-181. doi:10.3758/s13428-017-0860-3

The forest (scikit-learn ``RandomForestClassifier``) is trained by
``scripts/train_detector.py`` with fixed seeds on the hand-labelled Lund 2013 recordings (both
coders' labels; classes fixation, saccade, PSO, pursuit, blink edge) and shipped as plain
arrays in ``gazemap/events/models/rf_lund2013.npz``, evaluated here with NumPy: no pickle, no
scikit-learn version coupling, no access to the training data (docs/model-card.md).

Per-sample decision: the class with the highest mean tree probability. With ``pursuit=False``
(the default, for static stimuli such as web pages and images) the pursuit probability is
added to fixation: slow drift on a still page is fixation. Lost samples are blink/loss.
Saccades shorter than ``min_saccade_s`` become fixation. On signals noisier than the
training tracker (median angle between consecutive samples above ``smooth_noise_deg``,
0.1 deg; the Lund recordings have 0.015-0.045 deg, a 0.3 deg-noise remote tracker ~0.25 deg)
the class probabilities are first averaged over ``smooth_s`` (20 ms): without it the forest
fragments fixations on such signals (docs/model-card.md). On signals noisier than
``median_noise_deg`` (0.3 deg) the features are computed on a moving median of the positions,
as ``ivt_pso`` labels them (:func:`gazemap.events.preprocess.median_filtered`; 2026-11-26):
simulated fixation F1 at 0.6 / 1.0 deg noise and 60 Hz 0.53 / 0.04 -> 0.95 / 0.79.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

import numpy as np

from gazemap.errors import InputError
from gazemap.events._common import Params, run_detector
from gazemap.events.features import compute_features, feature_names
from gazemap.events.postprocess import FIX, SAC, discard_short
from gazemap.events.preprocess import (
    PREPROCESS_DEFAULTS,
    Prepared,
    median_filtered,
    preprocess,
    sample_noise_deg,
)
from gazemap.types import DetectionResult, GazeSamples, Label, ScreenGeometry

MODEL_DIR = Path(__file__).parent / "models"
MODEL_FILE = MODEL_DIR / "rf_lund2013.npz"

DEFAULTS: Params = {
    "velocity_window_s": 0.020,
    "pursuit": False,
    "min_saccade_s": 0.006,
    "smooth_s": 0.020,
    "smooth_noise_deg": 0.1,
    "median_noise_deg": 0.3,
    "median_target_deg": 0.22,
    "median_max_s": 0.08,
}

#: names of the learned detectors (for the benchmark's cross-validation)
LEARNED_DETECTORS = ("rf",)

#: training settings used by scripts/train_detector.py and the cross-validation
TRAIN_SETTINGS: dict[str, Any] = {
    "n_estimators": 24,
    "max_depth": 16,
    "min_samples_leaf": 5,
    "max_features": "sqrt",
    "random_state": 20130,
    "classes": (1, 2, 3, 4, 5),
}


# -- the shipped forest as arrays ----------------------------------------------------------


@functools.lru_cache(maxsize=4)
def load_forest(path: str | None = None) -> dict[str, np.ndarray]:
    """The forest arrays (feature, threshold, left, right, value, roots, classes, ...)."""
    p = Path(path) if path else MODEL_FILE
    if not p.is_file():
        raise InputError(
            f"the learned detector's model {p} is missing; reinstall gazemap or run "
            "scripts/train_detector.py to make it."
        )
    with np.load(p, allow_pickle=False) as z:
        forest = {k: z[k] for k in z.files}
    names = [str(s) for s in forest["feature_names"]]
    if names != feature_names():
        raise InputError(
            f"{p} was trained on other features than this gazemap computes; retrain it with "
            "scripts/train_detector.py."
        )
    return forest


def model_info(path: str | None = None) -> dict[str, Any]:
    """The metadata stored with the model (training data, settings, scores)."""
    return dict(json.loads(str(load_forest(path)["meta"])))


def export_forest(rf: Any, meta: dict[str, Any]) -> dict[str, np.ndarray]:
    """Flatten a fitted sklearn RandomForestClassifier into concatenated node arrays."""
    feats, thr, left, right, vals, roots = [], [], [], [], [], []
    off = 0
    n_classes = len(rf.classes_)
    for est in rf.estimators_:
        t = est.tree_
        roots.append(off)
        leaf = t.children_left < 0
        feats.append(np.where(leaf, -1, t.feature).astype(np.int16))
        thr.append(t.threshold.astype(np.float32))
        left.append(np.where(leaf, -1, t.children_left + off).astype(np.int32))
        right.append(np.where(leaf, -1, t.children_right + off).astype(np.int32))
        v = t.value[:, 0, :]
        v = v / np.maximum(v.sum(axis=1, keepdims=True), 1e-12)
        # tree classes are indices into rf.classes_ (all classes are present in training)
        vals.append(v.reshape(-1, n_classes).astype(np.float16))
        off += t.node_count
    return {
        "feature": np.concatenate(feats),
        "threshold": np.concatenate(thr),
        "left": np.concatenate(left),
        "right": np.concatenate(right),
        "value": np.concatenate(vals),
        "roots": np.asarray(roots, dtype=np.int64),
        "classes": np.asarray(rf.classes_, dtype=np.int8),
        "feature_names": np.asarray(feature_names()),
        "meta": np.asarray(json.dumps(meta, sort_keys=True)),
    }


def predict_proba(forest: dict[str, np.ndarray], X: np.ndarray, chunk: int = 262144) -> np.ndarray:
    """Mean class probabilities (n, n_classes) of the forest for the rows of ``X``."""
    n = len(X)
    feat, thr = forest["feature"], forest["threshold"]
    left, right, value = forest["left"], forest["right"], forest["value"]
    out = np.zeros((n, len(forest["classes"])), dtype=np.float32)
    for a in range(0, n, chunk):
        xb = X[a : a + chunk]
        m = len(xb)
        flat = xb.reshape(-1)
        nf = xb.shape[1]
        for root in forest["roots"]:
            node = np.full(m, root, dtype=np.int64)
            rows = np.arange(m, dtype=np.int64)
            act_node, act_rows = node, rows
            while len(act_rows):
                f = feat[act_node]
                leaf = f < 0
                if leaf.any():
                    node[act_rows[leaf]] = act_node[leaf]
                    keep = ~leaf
                    act_node, act_rows, f = act_node[keep], act_rows[keep], f[keep]
                    if not len(act_rows):
                        break
                go_left = flat[act_rows * nf + f] <= thr[act_node]
                act_node = np.where(go_left, left[act_node], right[act_node])
            out[a : a + m] += value[node]
    out /= len(forest["roots"])
    return out


# -- detection -----------------------------------------------------------------------------


def moving_mean(a: np.ndarray, w: int) -> np.ndarray:
    """Centred moving mean over ``w`` (odd) rows of a (n, k) array; the ends average over the
    rows that exist."""
    h = w // 2
    c = np.cumsum(np.vstack((np.zeros((1, a.shape[1])), a)), axis=0)
    i = np.arange(len(a))
    lo = np.maximum(i - h, 0)
    hi = np.minimum(i + h + 1, len(a))
    return (c[hi] - c[lo]) / (hi - lo)[:, None]


def classify(
    prep: Prepared, p: Params, forest: dict[str, np.ndarray] | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Per-sample labels of the learned detector and the speed feature, deg/s (see the module
    docstring)."""
    forest = forest if forest is not None else load_forest()
    noisy = sample_noise_deg(prep) > float(p["smooth_noise_deg"])
    prep = median_filtered(prep, p)  # on very noisy signals
    X = compute_features(prep)
    proba = predict_proba(forest, X)
    classes = [int(c) for c in forest["classes"]]
    if not p["pursuit"] and Label.PURSUIT in classes:
        proba[:, classes.index(Label.FIXATION)] += proba[:, classes.index(Label.PURSUIT)]
        proba[:, classes.index(Label.PURSUIT)] = 0.0
    w = int(round(float(p["smooth_s"]) / prep.dt_s)) | 1
    if w > 1 and len(proba) > w and noisy:
        # the forest learned from a quiet tracker (~0.02 deg between samples); on noisier
        # signals it flickers between classes inside fixations: average its probabilities
        proba = moving_mean(proba, w)
    labels = forest["classes"][np.argmax(proba, axis=1)].astype(np.int8)
    speed = X[:, feature_names().index("speed_sg_small")].astype(np.float64)
    speed[~prep.valid] = np.nan
    return discard_short(labels, prep, SAC, float(p["min_saccade_s"]), to=FIX), speed


def detect_rf(gaze: GazeSamples, screen: ScreenGeometry, **params: object) -> DetectionResult:
    """Label ``gaze`` with the random forest shipped with gazemap.

    Parameters
    ----------
    gaze : (n,) samples in screen px.
    screen : screen geometry.
    **params : override DEFAULTS (``pursuit``, ``min_saccade_s``) and the preprocessing
        defaults.
    """
    return run_detector("rf", gaze, screen, DEFAULTS, params, classify, window_velocity=False)


# -- training and cross-validation (scikit-learn) ------------------------------------------


def training_set(recs: list[Any], rows: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Features and labels of Lund-layout recordings: every valid sample once per coder,
    labels 1..5 (undefined samples are left out)."""
    xs, ys = [], []
    params = dict(PREPROCESS_DEFAULTS)
    for r in recs:
        prep = preprocess(r.gaze, r.screen, params, None)
        f = compute_features(prep)
        for lab in r.labels.values():
            m = prep.valid & (lab >= 1) & (lab <= 5)
            xs.append(f[m])
            ys.append(lab[m])
    return np.vstack(xs), np.concatenate(ys).astype(np.int8)


def train_forest(X: np.ndarray, y: np.ndarray, n_jobs: int = 2, **overrides: Any) -> Any:
    """Fit the RandomForestClassifier with TRAIN_SETTINGS (fixed seed)."""
    from sklearn.ensemble import RandomForestClassifier

    s = {**TRAIN_SETTINGS, **overrides}
    missing = sorted(set(s["classes"]) - {int(c) for c in np.unique(y)})
    if missing:
        raise InputError(
            f"training labels lack class(es) {missing}; add recordings that have them."
        )
    rf = RandomForestClassifier(
        n_estimators=s["n_estimators"],
        max_depth=s["max_depth"],
        min_samples_leaf=s["min_samples_leaf"],
        max_features=s["max_features"],
        random_state=s["random_state"],
        n_jobs=n_jobs,
    )
    rf.fit(X, y)
    return rf


def cross_validate(
    recs: list[Any], name: str = "rf", folds: int | None = None
) -> dict[str, np.ndarray]:
    """Held-out labels per recording: for each fold the forest is trained on the other
    recordings and labels the held-out ones. ``folds`` None = leave-one-recording-out."""
    if name not in LEARNED_DETECTORS:
        raise InputError(f"{name!r} is not a learned detector ({', '.join(LEARNED_DETECTORS)}).")
    k = len(recs) if folds is None else int(folds)
    held: dict[str, np.ndarray] = {}
    for fold in range(k):
        test = [r for i, r in enumerate(recs) if i % k == fold]
        train = [r for i, r in enumerate(recs) if i % k != fold]
        X, y = training_set(train)
        forest = export_forest(train_forest(X, y), {})
        for r in test:
            res = run_detector(
                name,
                r.gaze,
                r.screen,
                DEFAULTS,
                {},
                functools.partial(classify, forest=forest),
                window_velocity=False,
            )
            held[r.name] = res.labels
    return held
