#!/usr/bin/env bash
# The framework on real data: a BrixIA study (per-lung grades from the senior and junior readers' zone scores,
# COVID-19 image collection images and lung masks), levels 1-4 with a CXR-pretrained backbone.
# The backbone is pretrained with `pleura pretrain` on the paediatric normal / bacterial / viral images of the pneumonia
# set (no overlap with the COVID-19 collection; its covid class is left out for that reason).
# Usage: bench/brixia_study.sh [OUT]   (needs ../shared/data; the study itself takes minutes on 2 cores)
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-runs/brixia-study}
data=$(cd ../shared/data && pwd)
dotnet build src/Pleura.Cli -v q -nologo >/dev/null
pleura() { src/Pleura.Cli/bin/Debug/net10.0/pleura "$@"; }
mkdir -p "$out"

pleura manifest brixia "$data/brixia/annotations.csv" --metadata "$data/cohen/metadata.csv" --images "$data/cohen/images" \
  --lung-masks "$data/cohen/lung-masks" -o "$out/brixia.csv" || true   # a warning-level report still writes the manifest
# Lung masks: the collection's own for most images; the lung U-Net (trained on JSRT/SCR) for the others.
[ -f "$out/lungs.safetensors" ] || pleura segment train --images "$data/jsrt-scr/images" --mask left_lung="$data/jsrt-scr/masks/left_lung" \
  --mask right_lung="$data/jsrt-scr/masks/right_lung" -o "$out/lungs.safetensors" --size 128 --epochs 30 --arch unet-w16
pleura segment predict "$out/lungs.safetensors" --manifest "$out/brixia.csv" -o "$out/predicted-lungs" --manifest-out "$out/brixia-masks.csv"
[ -f "$out/pneumo3.safetensors" ] || pleura pretrain "$data/pneumonia/index.csv" --classes normal bacterial viral -o "$out/pneumo3.safetensors" \
  --arch resnet10-w32 --size 128 --grey sum --batch 16 --epochs2 30 --lr2 1e-3

cat > "$out/study.yaml" <<YAML
# BrixIA: reader 1 = senior radiologist, reader 2 = junior; grade = zones of the lung scored > 0.
name: brixia
manifest: brixia-masks.csv
groups: [sex, age, view]
grid:
  roi: [none, lung, spine]
  balancing: [under, over, double]
  backbones: [resnet10-w32]
folds: 3
top_k: 3
split: { seed: 7, oob_fraction: 0.15 }
training:
  image_size: 128
  input_channels: 1
  batch_size: 16
  stage1_epochs: 10
  stage2_epochs: 20
  stage1_learning_rate: 0.001
  stage2_learning_rate: 0.0003
  unfreeze_conv_layers: 5
pretrained:
  resnet10-w32: pneumo3.safetensors
bootstrap: 1000
min_group_size: 10
YAML
pleura study run "$out/study.yaml"
