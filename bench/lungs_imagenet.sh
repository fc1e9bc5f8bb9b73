#!/usr/bin/env bash
# Lung segmentation with the METHOD's U-Net encoder (ResNet-18) from ImageNet against the same network from random
# weights and the small classic U-Net: trained on JSRT/SCR (128x128, 30 epochs, seeded hold-out of 25 images), then
# scored on the COVID-19 collection's 405 lung masks (other hospitals, diseased lungs, masks behind the heart).
# Usage: bench/lungs_imagenet.sh [OUT]   (needs ../shared/data; about 20 minutes on 2 cores)
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
bench_setup runs/lungs-imagenet "${1:-}"
[ -f "$out/imagenet.safetensors" ] || pleura weights imagenet -o "$out/imagenet.safetensors" >/dev/null
jsrt=(--images "$data/jsrt-scr/images" --mask left_lung="$data/jsrt-scr/masks/left_lung" --mask right_lung="$data/jsrt-scr/masks/right_lung")
covid=(--images "$data/cohen/images" --mask left_lung="$data/cohen/lung-masks/left" --mask right_lung="$data/cohen/lung-masks/right")
for run in unet-w16 resnet18-cntk-unet-scratch resnet18-cntk-unet-imagenet; do
  arch=${run%-scratch}; arch=${arch%-imagenet}
  start=(); [ "${run##*-}" = imagenet ] && start=(--pretrained "$out/imagenet.safetensors")
  echo "== $run: JSRT hold-out"
  [ -f "$out/$run.safetensors" ] || pleura segment train "${jsrt[@]}" -o "$out/$run.safetensors" --arch "$arch" --size 128 --epochs 30 "${start[@]}" | grep -v "^epoch"
  echo "== $run: COVID-19 collection lung masks"
  pleura segment evaluate "$out/$run.safetensors" "${covid[@]}"
done
