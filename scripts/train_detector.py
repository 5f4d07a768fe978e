"""Train gazemap's learned event detector ("rf") on the Lund 2013 hand-labelled data.

Usage::

    python scripts/train_detector.py ../shared/data/lund2013 [--out PATH] [--cv-folds K]

Fixed seeds (gazemap.events.learned.TRAIN_SETTINGS): the same data and library versions give
the same model. Writes src/gazemap/events/models/rf_lund2013.npz (plain arrays, no pickle)
with its provenance (data source, licence, sample counts, settings, versions and, with
``--cv-folds``, held-out agreement) in the file's ``meta``. See docs/model-card.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "benchmarks"))


def main(argv: list[str] | None = None) -> int:
    import sklearn

    from gazemap.events import learned
    from gazemap.importers.lund_csv import read_lund_folder

    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("data", type=Path, help="Lund 2013 folder (recordings.json + CSVs)")
    ap.add_argument("--out", type=Path, default=learned.MODEL_FILE)
    ap.add_argument(
        "--cv-folds", type=int, default=0, help="also cross-validate (0 = skip, 27 = LORO)"
    )
    args = ap.parse_args(argv)
    recs = read_lund_folder(args.data)
    t0 = time.perf_counter()
    X, y = learned.training_set(recs)
    rf = learned.train_forest(X, y)
    meta = {
        "detector": "rf",
        "trained_utc": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "data": "Lund 2013 hand-labelled eye-movement data, development subset (27 recordings)",
        "data_source": "github.com/richardandersson/EyeMovementDetectorEvaluation @3e12416",
        "data_licence": "GPL-3.0",
        "recordings": [r.name for r in recs],
        "recordings_json_sha256": hashlib.sha256(
            (args.data / "recordings.json").read_bytes()
        ).hexdigest(),
        "n_training_rows": int(len(y)),
        "class_counts": {str(int(c)): int((y == c).sum()) for c in np.unique(y)},
        "settings": {
            k: list(v) if isinstance(v, tuple) else v for k, v in learned.TRAIN_SETTINGS.items()
        },
        "sklearn_version": sklearn.__version__,
        "numpy_version": np.__version__,
        "n_nodes": int(sum(e.tree_.node_count for e in rf.estimators_)),
    }
    if args.cv_folds:
        from lund_agreement import score

        held = learned.cross_validate(
            recs, "rf", folds=args.cv_folds if args.cv_folds < len(recs) else None
        )
        s = score(held, recs)
        meta["cross_validation"] = {
            "folds": args.cv_folds,
            **{
                k: {
                    m: round(float(v[m]), 4)
                    for m in ("kappa_fixation", "kappa_saccade", "kappa_pso")
                }
                for k, v in s.items()
            },  # type: ignore[attr-defined]
        }
    arrays = learned.export_forest(rf, meta)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(args.out, **arrays)
    meta["seconds"] = round(time.perf_counter() - t0, 1)
    meta["file_bytes"] = args.out.stat().st_size
    print(json.dumps(meta, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
