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
