"""HTML report with a journey-map view, built from the files of docs/outputs.md.

``write_report(out_dir, protocol)`` reads the analysis folder, draws the heatmaps and gaze
plots next to it and writes ``index.html`` (journey map), ``overview.html`` and
``touchpoints/<id>/index.html``. JSON/CSV export for client tools lives in ``export``.
"""

from gazemap.report.data import AnalysisOutputs, load_outputs
from gazemap.report.html import fmt_num, fmt_share, fmt_value, write_report

__all__ = ["AnalysisOutputs", "fmt_num", "fmt_share", "fmt_value", "load_outputs", "write_report"]
