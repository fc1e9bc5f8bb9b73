#!/usr/bin/env bash
# Issue 15, seed 001: frontal (PA, AP, AP supine) against lateral on the COVID-19 collection plus JSRT's frontal images,
# split by patient (75/25, 5-fold CV, seed 42), and the seed's comparisons, each a second run on the same split and test
# images that differs from the reference in one thing, paired with it by `classify compare` (DeLong, McNemar):
#   view-whole      the reference: ImageNet ResNet-18, head for 5 epochs, then the last 5 convolutions for 5 (128x128)
#   view-head       fine-tuning the top only (the head; no second stage)
#   view-all        fine-tuning all layers in the second stage
#   view-augmented  augmentation: the laterals over-sampled with rotated, scaled and shifted copies (--balance over)
#   view-cxr        grey pretraining: a network pretrained on grey radiographs (the paediatric pneumonia images,
#                   `pleura pretrain`, resnet10-w32 with one grey input channel) instead of colour ImageNet photographs
# then the robustness set on the reference and the end-to-end throughput of `classify predict` on PNG and DICOM.
# Usage: bench/classify_view.sh [OUT] [RUN...]   (needs ../shared/data; 10-25 minutes per run on 2 cores)
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
bench_setup runs/classify "${1:-}"
shift || true
runs=("${@:-view-whole view-head view-all view-augmented view-cxr}")
classify_inputs
imagenet=(--arch resnet18-cntk --pretrained "$out/imagenet.safetensors")
stages=(--size 128 --epochs1 5 --seed 42)
for run in ${runs[@]}; do
  case "$run" in
    view-whole) pleura classify train "$out/tables/view.csv" -o "$out/$run" "${imagenet[@]}" "${stages[@]}" --epochs2 5 ;;
    view-head) pleura classify train "$out/tables/view.csv" -o "$out/$run" "${imagenet[@]}" "${stages[@]}" --epochs2 0 ;;
    view-all) pleura classify train "$out/tables/view.csv" -o "$out/$run" "${imagenet[@]}" "${stages[@]}" --epochs2 5 --unfreeze -1 ;;
    view-augmented) pleura classify train "$out/tables/view.csv" -o "$out/$run" "${imagenet[@]}" "${stages[@]}" --epochs2 5 --balance over ;;
    view-cxr)
      [ -f "$out/pneumo3.safetensors" ] || pleura pretrain "$data/pneumonia/index.csv" --classes normal bacterial viral -o "$out/pneumo3.safetensors" \
        --arch resnet10-w32 --size 128 --grey sum --batch 16 --epochs2 30 --lr2 1e-3
      pleura classify train "$out/tables/view.csv" -o "$out/$run" --arch resnet10-w32 --pretrained "$out/pneumo3.safetensors" --grey sum "${stages[@]}" --epochs2 5 ;;
    *) echo "unknown run '$run': view-whole, view-head, view-all, view-augmented or view-cxr" >&2; exit 2 ;;
  esac
  [ "$run" = view-whole ] || pleura classify compare "$out/view-whole" "$out/$run" -o "$out/compare-$run"
done
pleura classify robustness "$out/view-whole"
# Throughput end to end (decode, resize, the five fold models), float32 and bfloat16: JSRT's PNGs and the chest DICOM files.
mkdir -p "$out/dicom-chest"
for f in CR-MONO1-10-chest CR-ModalitySequenceLUT.dcm RG1_J2KI.dcm RG1_JLSN.dcm; do ln -sf "$data/dicom/$f" "$out/dicom-chest/$f"; done
pleura bench classify "$out/view-whole" --input png="$data/jsrt-scr/images" --input dicom="$out/dicom-chest"
