#!/usr/bin/env bash
# Opacity on real radiographs (METHOD's fourth study) without drawn opacity: an opacity U-Net (METHOD's ResNet-18
# encoder from ImageNet, resnet18-cntk-unet) whose pixel map is learned from BrixIA's zone scores (six zones per image,
# both readers; zones = thirds of each lung mask's height), with the lung masks the BrixIA study uses (the collection's,
# else the study's lung U-Net's, trained on the collection's masks of other patients). Leaves OUT/opacity.safetensors, an ordinary opacity model:
#   pleura segment opacity OUT/opacity.safetensors -m MANIFEST -o DIR   (any manifest with lung masks)
# and OUT/scored/ (that model on the BrixIA images it trained on, with overlays of five of them in OUT/scored/overlays:
# not for committing, the images' licences do not allow it), and, unless CV_FOLDS=0, OUT/cv/: the same recipe
# cross-validated by patient (every image scored by a model that never saw its patient; metrics.csv with intervals).
# Usage: bench/opacity_brixia.sh [OUT]   (needs ../shared/data; default OUT runs/opacity-brixia)
#   SIZE (default 224), EPOCHS (default 10), CV_FOLDS (default 5; 0 = none)
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
bench_setup runs/opacity-brixia "${1:-}"
size=${SIZE:-224}
epochs=${EPOCHS:-10}
folds=${CV_FOLDS:-5}

pleura manifest brixia "$data/brixia/annotations.csv" --metadata "$data/cohen/metadata.csv" --images "$data/cohen/images" \
  --lung-masks "$data/cohen/lung-masks" -o "$out/brixia.csv"
# Lung masks: the collection's own where it has them, the BrixIA study's lung model elsewhere (brixia_lungs, bench/lib.sh).
[ -f "$out/imagenet.safetensors" ] || pleura weights imagenet -o "$out/imagenet.safetensors" >/dev/null
brixia_lungs
pleura segment predict "$out/lungs.safetensors" --manifest "$out/brixia.csv" -o "$out/predicted-lungs" --manifest-out "$out/brixia-masks.csv"

train=(--arch resnet18-cntk-unet --pretrained "$out/imagenet.safetensors" --size "$size" --epochs "$epochs")
pleura segment train-zones -m "$out/brixia-masks.csv" -o "$out/opacity.safetensors" "${train[@]}"
pleura segment opacity "$out/opacity.safetensors" -m "$out/brixia-masks.csv" -o "$out/scored" --overlays 5
[ "$folds" = 0 ] || pleura segment zones-cv -m "$out/brixia-masks.csv" -o "$out/cv" --folds "$folds" "${train[@]}"
checking && exit 0
echo "opacity model: $out/opacity.safetensors"
[ "$folds" = 0 ] || { echo "cross-validated figures ($out/cv/metrics.csv):"; cat "$out/cv/metrics.csv"; }
