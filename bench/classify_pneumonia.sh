#!/usr/bin/env bash
# Issue 15, seed 002: COVID-19 / normal / bacterial / viral on ../shared/data/pneumonia, whole image against segmented
# lungs (`classify train --roi lung`), each against the confound baseline (image statistics only) on the same test images.
#   1. label tables and the patient-level 75/25 split with 5-fold CV (seed 42)   bench/classify/tables.cs
#   2. the ImageNet ResNet-18 (`pleura weights imagenet`) and two lung U-Nets (METHOD's ResNet-18 encoder from ImageNet,
#      128x128, 30 epochs): on JSRT/SCR (adult lungs, few opacities; as bench/lungs_imagenet.sh trains it), and on the
#      COVID-19 collection's 405 left/right lung masks (lungs with consolidations, the opaque parts inside the mask)
#   3. three classifiers, the same recipe and seed, differing only in what they see: the whole image, the lungs as the
#      JSRT U-Net finds them, the lungs as the COVID-19 U-Net finds them; head for 5 epochs, then the last 5
#      convolutions for 5 (128x128)
#   4. `classify compare` whole vs each lung run and the two lung runs (DeLong per class, McNemar), the confound
#      baseline's table and each CNN paired with it
# Usage: bench/classify_pneumonia.sh [OUT]   (needs ../shared/data; about 25 minutes per classifier and 15 per U-Net on 2 cores)
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
bench_setup runs/classify "${1:-}"
classify_inputs
[ -f "$out/lungs.safetensors" ] || pleura segment train --images "$data/jsrt-scr/images" --mask left_lung="$data/jsrt-scr/masks/left_lung" \
  --mask right_lung="$data/jsrt-scr/masks/right_lung" -o "$out/lungs.safetensors" --arch resnet18-cntk-unet --pretrained "$out/imagenet.safetensors" \
  --size 128 --epochs 30 | grep -v "^epoch"
[ -f "$out/lungs-covid.safetensors" ] || pleura segment train --images "$data/cohen/images" --mask left_lung="$data/cohen/lung-masks/left" \
  --mask right_lung="$data/cohen/lung-masks/right" -o "$out/lungs-covid.safetensors" --arch resnet18-cntk-unet \
  --pretrained "$out/imagenet.safetensors" --size 128 --epochs 30 | grep -v "^epoch"

recipe=(--arch resnet18-cntk --pretrained "$out/imagenet.safetensors" --size 128 --epochs1 5 --epochs2 5 --seed 42)
pleura classify train "$out/tables/pneumonia.csv" -o "$out/pneumonia-whole" "${recipe[@]}"
pleura classify train "$out/tables/pneumonia.csv" -o "$out/pneumonia-lung" "${recipe[@]}" --roi lung --lungs "$out/lungs.safetensors"
pleura classify train "$out/tables/pneumonia.csv" -o "$out/pneumonia-lung-covid" "${recipe[@]}" --roi lung --lungs "$out/lungs-covid.safetensors"
pleura classify compare "$out/pneumonia-whole" "$out/pneumonia-lung" -o "$out/pneumonia-whole-vs-lung"
pleura classify compare "$out/pneumonia-whole" "$out/pneumonia-lung-covid" -o "$out/pneumonia-whole-vs-lung-covid"
pleura classify compare "$out/pneumonia-lung" "$out/pneumonia-lung-covid" -o "$out/pneumonia-lung-vs-lung-covid"

checking && exit 0
# The confound: a model that never sees the lungs, then each CNN against it on the same 281 test images.
dotnet run bench/classify/confound.cs "$data" "$out/confound"
for run in pneumonia-whole pneumonia-lung pneumonia-lung-covid; do
  echo "== $run against the confound baseline"
  dotnet run bench/classify/paired.cs "$out/$run" "$data"
done
