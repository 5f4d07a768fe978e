"""HTML report with a journey-map view, built from the files of docs/outputs.md."""
