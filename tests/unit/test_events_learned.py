"""The learned detector's forest: NumPy evaluation equals scikit-learn's, the shipped model
loads without ../shared and is small, errors are clear."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from conftest import LUND

from gazemap.errors import InputError
from gazemap.events import learned
from gazemap.events.features import feature_names


def test_numpy_forest_matches_sklearn() -> None:
    from sklearn.ensemble import RandomForestClassifier

    rng = np.random.default_rng(0)
    nf = len(feature_names())
    X = rng.normal(size=(3000, nf)).astype(np.float32)
    y = (X[:, 0] > 0).astype(int) + (X[:, 1] > 0.5).astype(int) * 2 + 1  # classes 1..4
    rf = RandomForestClassifier(n_estimators=5, max_depth=6, random_state=0).fit(X, y)
    forest = learned.export_forest(rf, {"test": True})
    ours = learned.predict_proba(forest, X[:500], chunk=128)
    ref = rf.predict_proba(X[:500])
    assert np.allclose(ours, ref, atol=2e-3)  # leaf probabilities are stored as float16
    assert np.array_equal(forest["classes"][ours.argmax(1)], rf.predict(X[:500]))


def test_shipped_model_loads_and_is_small() -> None:
    assert learned.MODEL_FILE.is_file()
    assert learned.MODEL_FILE.stat().st_size < 10 * 1024 * 1024
    info = learned.model_info()
    assert info["data_licence"] == "GPL-3.0" and info["settings"]["random_state"] == 20130
    forest = learned.load_forest()
    assert [int(c) for c in forest["classes"]] == [1, 2, 3, 4, 5]


def test_model_errors(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="missing"):
        learned.load_forest(str(tmp_path / "none.npz"))
    bad = dict(learned.load_forest())
    bad["feature_names"] = np.asarray(["a", "b"])
    np.savez(tmp_path / "bad.npz", **bad)
    with pytest.raises(InputError, match="other features"):
        learned.load_forest(str(tmp_path / "bad.npz"))
    with pytest.raises(InputError, match="not a learned detector"):
        learned.cross_validate([], "ivt")
    with pytest.raises(InputError, match="lack class"):
        learned.train_forest(np.zeros((4, 2)), np.array([1, 1, 2, 2]))


@pytest.mark.skipif(
    not (LUND / "recordings.json").is_file(), reason=f"Lund 2013 data not at {LUND}"
)
def test_training_set_from_lund() -> None:
    from gazemap.importers.lund_csv import read_lund_folder

    recs = read_lund_folder(LUND)[:2]
    X, y = learned.training_set(recs)
    assert X.shape[1] == len(feature_names()) and len(X) == len(y)
    assert set(np.unique(y)) <= {1, 2, 3, 4, 5}


def test_moving_mean_of_class_probabilities_by_hand() -> None:
    from gazemap.events.learned import moving_mean

    a = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 0.0]])
    m = moving_mean(a, 3)
    # ends average over the rows that exist: (1 + 0) / 2; inside: (1 + 0 + 1) / 3
    assert np.allclose(m[:, 0], [0.5, 2 / 3, 2 / 3, 1.0])
    assert np.allclose(m.sum(axis=1), 1.0)


def test_rf_smooths_its_probabilities_on_noisy_signals() -> None:
    # a scanpath of 4 fixations with ~0.1 deg sample noise (3 px at ~31.5 px/deg): far
    # noisier than the training tracker; unsmoothed, the forest fragments the fixations
    from gazemap.events import detect
    from gazemap.events.preprocess import PREPROCESS_DEFAULTS, preprocess
    from gazemap.types import GazeSamples, ScreenGeometry

    screen = ScreenGeometry(1024, 768, 380.0, 300.0, 670.0)
    path = [(200, 300, 0.4), (700, 300, 0.3), (700, 600, 0.5), (300, 100, 0.3)]

    def scanpath(rate_hz: float, noise_px: float, seed: int = 0) -> GazeSamples:
        rng = np.random.default_rng(seed)
        xs, ys = [], []
        px, py = path[0][:2]
        for k, (x, y, dur) in enumerate(path):
            if k:  # raised-cosine saccade, main-sequence duration
                m = int(round((0.021 + 0.0022 * np.hypot(x - px, y - py) / 31.5) * rate_hz))
                w = (1 - np.cos(np.linspace(0, np.pi, m))) / 2
                xs.append(px + (x - px) * w)
                ys.append(py + (y - py) * w)
            xs.append(np.full(int(round(dur * rate_hz)), float(x)))
            ys.append(np.full(int(round(dur * rate_hz)), float(y)))
            px, py = x, y
        xa = np.concatenate(xs)
        ya = np.concatenate(ys)
        xa = xa + rng.normal(0, noise_px, len(xa))
        ya = ya + rng.normal(0, noise_px, len(ya))
        return GazeSamples(np.arange(len(xa)) / rate_hz, xa, ya)

    g = scanpath(1000, noise_px=3.0, seed=1)
    prep = preprocess(g, screen, dict(PREPROCESS_DEFAULTS), None)
    assert learned.sample_noise_deg(prep) > learned.DEFAULTS["smooth_noise_deg"]
    smoothed = detect(g, screen, "rf")
    raw = detect(g, screen, "rf", smooth_s=0.0)
    assert len(smoothed.fixations) == 4
    assert len(raw.fixations) > 4
    # on a quiet signal (0.5 px) the threshold is not reached: smoothing changes nothing
    quiet = scanpath(500, noise_px=0.5)
    assert np.array_equal(
        detect(quiet, screen, "rf").labels, detect(quiet, screen, "rf", smooth_s=0.0).labels
    )
