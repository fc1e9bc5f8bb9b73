#!/usr/bin/env bash
# Packs `pleura` as a .NET tool, installs it from that package into an empty folder, and runs it there: the check
# that a user who installs the tool (README, "Install as a .NET tool") gets a working command, libtorch included.
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
dotnet pack src/Pleura.Cli -c Release -o "$work/feed" -p:ContinuousIntegrationBuild=true >/dev/null
mkdir -p "$work/fresh"
cd "$work/fresh"
dotnet tool install pleura --add-source "$work/feed" --tool-path "$work/tools" >/dev/null
"$work/tools/pleura" --version
"$work/tools/pleura" info | tee "$work/info.txt"
grep -q "computes correctly" "$work/info.txt" || { echo "error: the installed tool's libtorch does not compute correctly" >&2; exit 1; }
"$work/tools/pleura" phantoms --count 4 --size 64 --out "$work/fresh/ph" >/dev/null
test -s "$work/fresh/ph/manifest.csv" || { echo "error: the installed tool wrote no phantoms" >&2; exit 1; }
echo "tool check: packed, installed into an empty folder and ran"
