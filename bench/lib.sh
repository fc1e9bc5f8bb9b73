# Shared set-up of the bench scripts, sourced after `cd` to the repository root.
# bench_setup DEFAULT_OUT [OUT]: $out (made, absolute), $data (../shared/data) and $bin, the program `pleura` runs:
# PLEURA_BIN, a copy of the built program (so that rebuilding the tree meanwhile does not touch a running benchmark),
# or else a fresh Debug build.
bench_setup() {
  [ -d ../shared/data ] || { echo "${0##*/}: needs ../shared/data beside the repository" >&2; exit 2; }
  mkdir -p "${2:-$1}"
  out=$(cd "${2:-$1}" && pwd)
  data=$(cd ../shared/data && pwd)
  bin=${PLEURA_BIN:-src/Pleura.Cli/bin/Debug/net10.0}
  [ -n "${PLEURA_BIN:-}" ] || dotnet build src/Pleura.Cli -v q -nologo >/dev/null
}
pleura() { "$bin/pleura" "$@"; }
# Check mode (PLEURA_CHECK_ONLY=1, as build/smoke.sh runs every script): each pleura command only parses and checks
# that its inputs under PLEURA_CHECK_INPUTS exist; a script stops with `checking && exit 0` before it reads results.
checking() { [ "${PLEURA_CHECK_ONLY:-}" = 1 ]; }
# The label tables (with their patient-level splits) and the ImageNet ResNet-18 that the classify benchmarks start from.
classify_inputs() {
  [ -f "$out/tables/view.csv" ] || dotnet run bench/classify/tables.cs "$data" "$out/tables"
  [ -f "$out/imagenet.safetensors" ] || pleura weights imagenet -o "$out/imagenet.safetensors" >/dev/null
}
# brixia_lungs: OUT/lungs.safetensors for the BrixIA images without a collection lung mask (needs OUT/brixia.csv and
# OUT/imagenet.safetensors). METHOD's U-Net (ResNet-18 encoder from ImageNet) trained on the collection's own masks
# (its convention: lungs behind the heart included) of every patient outside BrixIA, so that it never saw a study
# patient; LUNGS=jsrt: the small U-Net on JSRT/SCR (masks without the region behind the heart), the earlier model.
# Delete OUT/lungs.safetensors to train it again.
brixia_lungs() {
  [ ! -f "$out/lungs.safetensors" ] || return 0
  if [ "${LUNGS:-collection}" = jsrt ]; then
    pleura segment train --images "$data/jsrt-scr/images" --mask left_lung="$data/jsrt-scr/masks/left_lung" \
      --mask right_lung="$data/jsrt-scr/masks/right_lung" -o "$out/lungs.safetensors" --size 128 --epochs 30 --arch unet-w16
  else
    pleura manifest import "$data/cohen/metadata.csv" --map path=filename --map patient_id=patientid --image-root "$data/cohen/images" \
      -o "$out/cohen.csv" --replace >/dev/null
    pleura segment train -m "$out/cohen.csv" --mask left_lung="$data/cohen/lung-masks/left" --mask right_lung="$data/cohen/lung-masks/right" \
      --exclude-patients "$out/brixia.csv" --arch resnet18-cntk-unet --pretrained "$out/imagenet.safetensors" --size 128 --epochs 30 \
      -o "$out/lungs.safetensors"
  fi
}
