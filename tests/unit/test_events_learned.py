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
