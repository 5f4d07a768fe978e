#!/usr/bin/env bash
# Remake the sample study: 8 simulated participants doing the online-store journey.
# Usage (from anywhere, with gazemap installed): bash recordings/sample/make_sample.sh
# Deterministic: the same gazemap version gives the same files (except created_utc).
set -euo pipefail
cd "$(dirname "$0")"
PROTOCOL=../../protocols/online-store.yaml
RATE_HZ=300
# participant  seed  precision_deg  accuracy_deg  data_loss  failed touchpoints (- = none; a,b)
while read -r P SEED PREC ACC LOSS FAIL; do
  FAILS=()
  if [ "$FAIL" != "-" ]; then
    for TP in ${FAIL//,/ }; do FAILS+=(--fail "$TP"); done
  fi
  gazemap simulate --protocol "$PROTOCOL" --participant "$P" --seed "$SEED" \
    --rate-hz "$RATE_HZ" --validation-points 5 --precision-deg "$PREC" --accuracy-deg "$ACC" --data-loss "$LOSS" \
    ${FAILS[@]+"${FAILS[@]}"} \
    --screen-width-mm 432 --screen-height-mm 270 --distance-mm 650 \
    --out "$P.h5" --force
  # store the default detector's events in the file (/derived), as `gazemap analyze` would,
  # so that analysing the shipped sample reads them and leaves the files unchanged
  gazemap detect "$P.h5" >/dev/null
done <<'TABLE'
P01 101 0.25 0.35 0.01 -
P02 102 0.30 0.50 0.02 -
P03 103 0.20 0.30 0.01 -
P04 104 0.35 0.45 0.03 search
P05 105 0.30 0.40 0.02 -
P06 106 0.40 0.60 0.04 search
P07 107 0.90 0.80 0.25 -
P08 108 0.25 0.40 0.02 -
TABLE
du -sh .
