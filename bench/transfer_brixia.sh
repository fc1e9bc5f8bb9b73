#!/usr/bin/env bash
# Does a CXR-pretrained backbone beat training from scratch? Per-lung BrixIA grades (COVID-19 image collection), five
# folds of a patient-level split, the same small network and settings, started either from random weights or from a
# backbone pretrained with `pleura pretrain` on the paediatric normal / bacterial / viral images of the pneumonia set
# (no overlap with the COVID-19 collection; its covid class is left out for that reason).
# Usage: bench/transfer_brixia.sh [OUT]   (needs ../shared/data; about 10 minutes on 2 cores)
# EPOCHS1, EPOCHS2 and UNFREEZE set the two stages (default: 5 head-only epochs, then 30 with every layer).
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
bench_setup runs/transfer-brixia "${1:-}"

pleura manifest brixia "$data/brixia/annotations.csv" --metadata "$data/cohen/metadata.csv" --images "$data/cohen/images" -o "$out/brixia.csv"
pleura split "$out/brixia.csv" -o "$out/split.json" --seed 7
common=(--arch resnet10-w32 --size 128 --grey sum --batch 16)
[ -f "$out/pneumo3.safetensors" ] || pleura pretrain "$data/pneumonia/index.csv" --classes normal bacterial viral -o "$out/pneumo3.safetensors" \
  "${common[@]}" --epochs2 30 --lr2 1e-3

for fold in 1 2 3 4 5; do
  for init in scratch pretrained; do
    run="$out/$init-fold$fold"
    extra=()
    [ "$init" = pretrained ] && extra=(--pretrained "$out/pneumo3.safetensors")
    pleura train -m "$out/brixia.csv" -s "$out/split.json" -o "$run" --fold "$fold" "${common[@]}" \
      --epochs1 "${EPOCHS1:-5}" --lr1 1e-3 --epochs2 "${EPOCHS2:-30}" --lr2 3e-4 --unfreeze "${UNFREEZE:--1}" "${extra[@]}" > "$run.log"
    pleura evaluate "$run" -m "$out/brixia.csv" -s "$out/split.json" --part test --fold "$fold" --bootstrap 0 -o "$run/test" > /dev/null
  done
done

checking && exit 0
echo "init,fold,macro_mae,mae,f1_weighted,quadratic_weighted_kappa" > "$out/summary.csv"
for init in scratch pretrained; do
  for fold in 1 2 3 4 5; do
    f="$out/$init-fold$fold/test/metrics.csv"
    get() { awk -F, -v m="$1" '$1=="mean of sides" && $3==m {print $4}' "$f"; }
    echo "$init,$fold,$(get macro_mae),$(get mae),$(get f1_weighted),$(get quadratic_weighted_kappa)" >> "$out/summary.csv"
  done
done
awk -F, 'NR>1 {n[$1]++; for(i=3;i<=6;i++) s[$1,i]+=$i} END {
  printf "%-11s %9s %7s %12s %16s\n", "init", "macro MAE", "MAE", "weighted F1", "quadratic kappa";
  for (k in n) printf "%-11s %9.3f %7.3f %12.3f %16.3f\n", k, s[k,3]/n[k], s[k,4]/n[k], s[k,5]/n[k], s[k,6]/n[k] }' "$out/summary.csv"
