#!/usr/bin/env bash
# The framework on real data: a BrixIA study (per-lung grades from the senior and junior readers' zone scores,
# COVID-19 image collection images and lung masks), levels 1-4 from the ImageNet ResNet-18 that NuGet ships as ONNX
# (`pleura weights imagenet`), at the method's 224x224.
# Usage: bench/brixia_study.sh [OUT] [STUDY]   (needs ../shared/data)
#   STUDY = imagenet (default): resnet18-cntk from ImageNet, 224x224, grey replicated to BGR minus the ImageNet means
#   STUDY = cxr: the earlier study, resnet10-w32 pretrained on the paediatric pneumonia images, 128x128
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-runs/brixia-study}
study=${2:-imagenet}
data=$(cd ../shared/data && pwd)
# PLEURA_BIN: a copy of the built program to use (so that rebuilding the tree meanwhile does not touch a running study).
bin=${PLEURA_BIN:-src/Pleura.Cli/bin/Debug/net10.0}
[ -n "${PLEURA_BIN:-}" ] || dotnet build src/Pleura.Cli -v q -nologo >/dev/null
pleura() { "$bin/pleura" "$@"; }
mkdir -p "$out"

pleura manifest brixia "$data/brixia/annotations.csv" --metadata "$data/cohen/metadata.csv" --images "$data/cohen/images" \
  --lung-masks "$data/cohen/lung-masks" -o "$out/brixia.csv" || true   # a warning-level report still writes the manifest
# Lung masks: the collection's own for most images; the lung U-Net (trained on JSRT/SCR) for the others.
[ -f "$out/lungs.safetensors" ] || pleura segment train --images "$data/jsrt-scr/images" --mask left_lung="$data/jsrt-scr/masks/left_lung" \
  --mask right_lung="$data/jsrt-scr/masks/right_lung" -o "$out/lungs.safetensors" --size 128 --epochs 30 --arch unet-w16
pleura segment predict "$out/lungs.safetensors" --manifest "$out/brixia.csv" -o "$out/predicted-lungs" --manifest-out "$out/brixia-masks.csv"

common='manifest: brixia-masks.csv
groups: [sex, age, view]
folds: 3
top_k: 3
split: { seed: 7, oob_fraction: 0.15 }
bootstrap: 1000
min_group_size: 10'

if [ "$study" = cxr ]; then
  [ -f "$out/pneumo3.safetensors" ] || pleura pretrain "$data/pneumonia/index.csv" --classes normal bacterial viral -o "$out/pneumo3.safetensors" \
    --arch resnet10-w32 --size 128 --grey sum --batch 16 --epochs2 30 --lr2 1e-3
  cat > "$out/study-cxr.yaml" <<YAML
# BrixIA: reader 1 = senior radiologist, reader 2 = junior; grade = zones of the lung scored > 0.
name: brixia-cxr
$common
grid:
  roi: [none, lung, spine]
  balancing: [under, over, double]
  backbones: [resnet10-w32]
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
YAML
  pleura study run "$out/study-cxr.yaml"
else
  [ -f "$out/imagenet.safetensors" ] || pleura weights imagenet -o "$out/imagenet.safetensors" >/dev/null
  cat > "$out/study-imagenet.yaml" <<YAML
# BrixIA: reader 1 = senior radiologist, reader 2 = junior; grade = zones of the lung scored > 0.
# ImageNet ResNet-18 (CNTK export), grey replicated and fed as the weights expect (their checkpoint's input recipe).
name: brixia-imagenet
$common
grid:
  roi: [none, lung, spine]
  balancing: [under, over, double]
  backbones: [resnet18-cntk]
training:
  image_size: 224
  input_channels: 3
  batch_size: 16
  stage1_epochs: 20
  stage2_epochs: 20
  stage1_learning_rate: 0.001
  stage2_learning_rate: 0.0001
  unfreeze_conv_layers: 5
pretrained:
  resnet18-cntk: imagenet.safetensors
YAML
  pleura study run "$out/study-imagenet.yaml"
fi
