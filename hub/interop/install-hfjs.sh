#!/usr/bin/env bash
# Installs huggingface.js (@huggingface/hub) from the npm registry into DIR (default target/hfjs), for
# HuggingFaceJsInteropTest: ./mvnw -pl hub test -Dtest=HuggingFaceJsInteropTest -Dlocallm.hfjs=DIR/node_modules
set -euo pipefail
dir=${1:-$(cd "$(dirname "$0")/.." && pwd)/target/hfjs}
mkdir -p "$dir"
npm install --prefix "$dir" --no-audit --no-fund @huggingface/hub@2.17.5 >&2
echo "$dir/node_modules"
