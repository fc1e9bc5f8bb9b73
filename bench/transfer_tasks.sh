#!/usr/bin/env bash
# Does a CXR-pretrained backbone beat random initialisation on real tasks? `pleura bench transfer` trains the same network
# with the same recipe and seeds from both starts on the same patient-level splits, for several training-set sizes, and
# scores each split's untouched test part; the difference is paired by split (95% Student-t interval).
# Source: `pleura pretrain` on the paediatric normal / bacterial / viral images of the pneumonia set (its covid class is
# left out: it overlaps the COVID-19 collection). Targets:
#   view   - is a frontal radiograph of the COVID-19 collection PA or AP (AP supine merged into AP)? 555 images, 327 patients
#   nodule - does a JSRT radiograph show a lung nodule? 247 images, one per patient
# Usage: bench/transfer_tasks.sh [OUT] [TASK...]   (needs ../shared/data; REPEATS=10 by default; view takes about 10 minutes per
# recipe on 2 cores, nodule about 5)
#   START=imagenet: the ImageNet ResNet-18 (`pleura weights imagenet`, resnet18-cntk) at 128x128 instead of the
#   pneumonia-pretrained resnet10-w32; SIZES and RECIPES narrow the run (e.g. SIZES="25 0" RECIPES=all-layers REPEATS=5)
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
bench_setup runs/transfer-tasks "${1:-}"
shift || true
tasks=("${@:-view}")

common=(--batch 16)
if [ "${START:-cxr}" = imagenet ]; then
  [ -f "$out/imagenet.safetensors" ] || pleura weights imagenet -o "$out/imagenet.safetensors" >/dev/null
  start="$out/imagenet.safetensors"; common+=(--size 128); suffix=-imagenet
else
  start="$out/pneumo3.safetensors"; suffix=""
fi
[ "${START:-cxr}" = imagenet ] || [ -f "$out/pneumo3.safetensors" ] || pleura pretrain "$data/pneumonia/index.csv" --classes normal bacterial viral -o "$out/pneumo3.safetensors" \
  --arch resnet10-w32 --size 128 --grey sum --epochs2 30 --lr2 1e-3 "${common[@]}"
# Two recipes, each the same for both starts: the method's two stages (head, then every layer at a lower rate), and every
# layer from the first epoch at the rate that suits training from scratch.
declare -A recipes=(
  [two-stage]="--epochs1 5 --epochs2 20 --lr1 1e-3 --lr2 3e-4 --unfreeze -1"
  [all-layers]="--epochs1 0 --epochs2 25 --lr2 1e-3 --unfreeze -1"
)
for task in "${tasks[@]}"; do
  for recipe in ${RECIPES:-two-stage all-layers}; do
    read -r -a settings <<< "${recipes[$recipe]}"
    run=(--pretrained "$start" --repeats "${REPEATS:-10}" "${settings[@]}" "${common[@]}" -o "$out/$task-$recipe$suffix")
    echo "== $task, $recipe"
    case "$task" in
      view) pleura bench transfer "$data/cohen/metadata.csv" --path-column filename --class-column view --patient-column patientid \
              --images "$data/cohen/images" --merge "AP Supine=AP" --classes PA AP --sizes ${SIZES:-10 25 50 0} "${run[@]}" ;;
      nodule) pleura bench transfer "$data/jsrt-scr/index.csv" --path-column image --class-column has_nodule --images "$data/jsrt-scr/images" \
              --classes 0 1 --sizes ${SIZES:-25 50 0} "${run[@]}" ;;
      *) echo "unknown task '$task' (view, nodule)" >&2; exit 2 ;;
    esac
  done
done
