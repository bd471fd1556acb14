#!/usr/bin/env bash
# Replays every DAVIS 2016 val sequence in ../shared/datasets/davis2016-val (or $1) through
# edgevis (all classes, default config) and scores the DAVIS PNGs with `edgevis eval`:
# J&F of the foreground (union of all tracks) plus HOTA/CLEAR/IDF1 with mask IoU.
# usage: bench/davis2016.sh [DAVIS_DIR] [OUT_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
davis=${1:-../shared/datasets/davis2016-val}
out=${2:-out/davis2016}
npx tsc -p tsconfig.json
for seq in $(cat "$davis/val.txt"); do
  node dist/pipeline/cli.js replay "$davis/JPEGImages/480p/$seq" --out "$out/$seq" > /dev/null
done
node dist/pipeline/cli.js eval --gt "$davis/Annotations/480p" --pred "$out" --json "$out/scores.json"
