#!/usr/bin/env bash
# What the README promises, run from the built CLI as a user types it, on tiny data (CI runs it after the tests):
#  1. the CLI's Debug and Release builds and a publish folder are each closed (`pleura info`: every assembly reference
#     resolves to a deployed assembly of at least its version; libtorch computes);
#  2. the README's tour once each: ImageNet weights, train from them, evaluate, predict, explain, export to ONNX (run
#     in ONNX Runtime against Pleura), ingest of chest radiographs made lossless JPEG by dcmtk, classify train, serve up
#     to /health/ready and one graded POST, a two-trial study;
#  3. every bench/*.sh in check mode (each pleura command parses and finds its inputs, nothing trains).
# Usage: build/smoke.sh   (needs dcmtk and curl; the bench checks need ../shared/data and are skipped without it)
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
server=
cleanup() { [ -z "$server" ] || kill "$server" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
step() { echo "== smoke: $*"; }
fail() { echo "smoke: $*" >&2; exit 1; }

step "builds: Debug (the README's), Release, publish; each closed"
dotnet build src/Pleura.Cli -c Debug -v q -nologo >/dev/null
dotnet build src/Pleura.Cli -c Release -v q -nologo >/dev/null
dotnet publish src/Pleura.Cli -c Release -o "$work/publish" -v q -nologo >/dev/null
for dir in src/Pleura.Cli/bin/Debug/net10.0 src/Pleura.Cli/bin/Release/net10.0 "$work/publish"; do
  "$dir/pleura" info >"$work/info.txt" || { cat "$work/info.txt"; fail "pleura info failed in $dir"; }
  grep -q "every reference resolves" "$work/info.txt" || fail "$dir: assemblies do not resolve"
done
bin=$(pwd)/src/Pleura.Cli/bin/Debug/net10.0
pleura() { "$bin/pleura" "$@"; }
cd "$work"

step "phantoms, manifest, split"
pleura phantoms --count 48 --size 64 --seed 3 --dicom -o ph >/dev/null
pleura manifest validate ph/manifest.csv >/dev/null
pleura split ph/manifest.csv --out split.json --seed 3 >/dev/null

step "weights imagenet, train --pretrained (1 + 1 epochs), evaluate, predict, explain"
pleura weights imagenet -o imagenet.safetensors >/dev/null
tiny=(--arch resnet18-cntk --pretrained imagenet.safetensors --size 64 --epochs1 1 --epochs2 1 --batch 16)
pleura train -m ph/manifest.csv -s split.json -o run "${tiny[@]}" >/dev/null
pleura evaluate run -m ph/manifest.csv -s split.json --part test --bootstrap 0 >/dev/null
test -s run/evaluation/test-fold1/metrics.csv || test -n "$(find run -name metrics.csv)" || fail "evaluate wrote no metrics"
pleura predict run ph/images -o predictions.csv >/dev/null
[ "$(tail -n +2 predictions.csv | wc -l)" -ge 48 ] || fail "predict graded fewer rows than images"
pleura explain run -m ph/manifest.csv -s split.json --part test --limit 2 >/dev/null

step "export onnx --check (each graph run in ONNX Runtime against Pleura)"
pleura export onnx run -o onnx --check >/dev/null
test -s onnx/left.onnx && test -s onnx/right.onnx || fail "export wrote no ONNX files"

step "ingest of chest radiographs made lossless JPEG (process 14, SV1) by dcmtk"
mkdir lossless
for f in ph/dicom/*.dcm; do dcmcjpeg --encode-lossless-sv1 "$f" "lossless/$(basename "$f")"; done
pleura ingest lossless -o ingested --keep-identifiers >/dev/null
n=$(ls lossless | wc -l)
[ "$(tail -n +2 ingested/manifest.csv | wc -l)" -eq "$n" ] || fail "ingest kept fewer than the $n lossless files: $(cat ingested/flow.csv)"

step "classify train (2 folds, 1 + 1 epochs)"
awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; print "path,class,patient"; next }
         { print "ph/" $c["path"] "," ($c["left_grade"] > 0 ? "opaque" : "clear") "," $c["patient_id"] }' ph/manifest.csv > classes.csv
pleura classify train classes.csv -o classify --arch resnet10-w16 --size 64 --epochs1 1 --epochs2 1 --folds 2 >/dev/null
test -s classify/report/index.html || test -n "$(find classify/report -name '*.html')" || fail "classify train wrote no report"

step "serve up to /health/ready, one graded POST"
echo "smoke-key-$RANDOM$RANDOM" > keys.txt
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
# The binary itself, not the pleura function: $! must be the server's own process, so that it is stopped below.
"$bin/pleura" serve run --api-key-file keys.txt --port "$port" >serve.log 2>&1 &
server=$!
for _ in $(seq 1 120); do
  curl -sf "http://127.0.0.1:$port/health/ready" >/dev/null && break
  kill -0 "$server" 2>/dev/null || { cat serve.log; fail "serve stopped before it was ready"; }
  sleep 0.5
done
curl -sf "http://127.0.0.1:$port/health/ready" >/dev/null || fail "serve not ready after 60 s"
image=$(ls ph/images/*.png | head -1)
curl -sf -H "X-API-Key: $(cat keys.txt)" -H "Content-Type: image/png" --data-binary "@$image" "http://127.0.0.1:$port/v1/grade" > graded.json \
  || fail "POST /v1/grade failed"
grep -q '"grade"' graded.json || fail "the graded answer has no grade: $(cat graded.json)"
kill "$server"; wait "$server" 2>/dev/null || true; server=

step "a two-trial study (ROI none, under and over, 2 folds, every level)"
cat > study.yaml <<YAML
name: smoke
manifest: ph/manifest.csv
groups: [sex]
grid: { roi: [none], balancing: [under, over], backbones: [resnet10-w16] }
folds: 2
top_k: 1
training: { image_size: 64, input_channels: 1, batch_size: 16, stage1_epochs: 1, stage2_epochs: 1, unfreeze_conv_layers: -1 }
bootstrap: 50
min_group_size: 5
YAML
pleura study run study.yaml --folder study >/dev/null
test -n "$(find study -name 'report*.html' -o -name 'index.html' | head -1)" || fail "the study wrote no report"

cd - >/dev/null
if [ -d ../shared/data ]; then
  step "bench scripts in check mode"
  for script in bench/*.sh; do
    [ "$script" = bench/lib.sh ] && continue
    PLEURA_CHECK_ONLY=1 PLEURA_CHECK_INPUTS="$(cd ../shared/data && pwd)" PLEURA_BIN="$bin" \
      bash "$script" "$work/bench/$(basename "$script" .sh)" >"$work/bench.log" 2>&1 \
      || { cat "$work/bench.log"; fail "$script failed its check"; }
    echo "   $script: $(grep -c '^check: ' "$work/bench.log") commands checked"
  done
else
  echo "== smoke: bench scripts not checked: no ../shared/data beside the repository"
fi
echo "smoke: every README command ran from the built CLI"
