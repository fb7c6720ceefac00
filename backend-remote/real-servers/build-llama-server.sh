#!/usr/bin/env bash
# Builds llama.cpp's llama-server from the source the npm package node-llama-cpp ships (a git bundle), so the
# real-server suite (RealLlamaServerIT) runs without GitHub. Usage:
#   backend-remote/real-servers/build-llama-server.sh NODE_LLAMA_CPP_VERSION [WORK_DIR]
# NODE_LLAMA_CPP_VERSION picks the llama.cpp release: 3.7.0 holds b4980 (the release nearest the bundled
# binding's b4916); the newest version holds a current one. WORK_DIR defaults to target/real-servers under this
# module. Prints the path of the built binary last. Needs npm (or a node-llama-cpp-VERSION.tgz already in
# WORK_DIR), git, cmake, a C++ compiler; ninja when present. About 5 minutes on 2 cores.
set -euo pipefail
version=${1:?usage: build-llama-server.sh NODE_LLAMA_CPP_VERSION [WORK_DIR]}
here=$(cd "$(dirname "$0")" && pwd)
work=${2:-$here/../target/real-servers}
mkdir -p "$work"
work=$(cd "$work" && pwd)
tgz="$work/node-llama-cpp-$version.tgz"
if [ ! -f "$tgz" ]; then
  (cd "$work" && npm pack --silent "node-llama-cpp@$version" >/dev/null)
fi
unpacked="$work/node-llama-cpp-$version"
if [ ! -d "$unpacked" ]; then
  mkdir -p "$unpacked"
  tar xzf "$tgz" -C "$unpacked" package/llama/gitRelease.bundle package/llama/llama.cpp.info.json
fi
tag=$(sed -n 's/.*"tag": *"\([^"]*\)".*/\1/p' "$unpacked/package/llama/llama.cpp.info.json")
src="$work/llama.cpp-$tag"
if [ ! -d "$src" ]; then
  git -c advice.detachedHead=false clone --quiet "$unpacked/package/llama/gitRelease.bundle" "$src"
fi
echo "llama.cpp $tag at commit $(git -C "$src" rev-parse HEAD) (node-llama-cpp $version)" >&2
build="$work/build-$tag"
generator=()
if command -v ninja >/dev/null; then generator=(-G Ninja); fi
# Options the newer releases need to build offline; older ones ignore what they do not know.
cmake -S "$src" -B "$build" "${generator[@]}" -DCMAKE_BUILD_TYPE=Release -DLLAMA_CURL=OFF -DLLAMA_OPENSSL=OFF \
  -DLLAMA_BUILD_UI=OFF -DLLAMA_USE_PREBUILT_UI=OFF -DLLAMA_BUILD_TESTS=OFF -DGGML_NATIVE=ON -DGGML_OPENMP=OFF \
  -Wno-dev >&2
cmake --build "$build" --target llama-server -j "$(nproc 2>/dev/null || echo 2)" >&2
echo "$build/bin/llama-server"
