#!/usr/bin/env bash
# Assembles what run-on-gpu.sh needs on a GPU machine that has CUDA's compiler, CMake and ninja but no JDK and no
# network, into backend-llamacpp/native/target/gpu-payload (about 55 MB; the device tool carries at most 64 MiB):
# a jlink'ed Java runtime, the bench's classes and the jars they load, and the sources as git bundles.
#
#   backend-llamacpp/native/gpu/prepare.sh
#
# Needs a JDK 17+ (jlink), the bench built (./mvnw -q -pl bench -am package -DskipTests), and the sources:
# LOCALLM_BINDING_SOURCE (a git repository holding java-llama.cpp v4.2.0) and LOCALLM_LLAMA_SOURCE
# (node-llama-cpp-3.7.0.tgz or a git bundle of llama.cpp b4980), as for build.sh.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)
payload=$here/../target/gpu-payload
: "${LOCALLM_BINDING_SOURCE:?a git repository holding java-llama.cpp v4.2.0}"
: "${LOCALLM_LLAMA_SOURCE:?node-llama-cpp-3.7.0.tgz or a git bundle of llama.cpp b4980}"
[ -f "$root/bench/target/classpath.txt" ] || { echo "build the bench first" >&2; exit 1; }
rm -rf "$payload"
mkdir -p "$payload/lib"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

jlink --add-modules java.base,java.logging,java.net.http,jdk.unsupported,java.management,java.naming,java.xml \
  --strip-debug --no-header-files --no-man-pages --compress=2 --output "$tmp/jre"
tar cJf "$payload/jre.tar.xz" -C "$tmp" jre

(cd "$root/bench/target/classes" && jar cf "$payload/lib/locallm-bench.jar" .)
# The GPU run loads the llama.cpp backend only: ONNX Runtime, DJL and the ONNX backend stay behind, and the
# binding's jar travels without the stock libraries it bundles for every platform.
for jar in $(tr ':' '\n' < "$root/bench/target/classpath.txt"); do
  case "$(basename "$jar")" in
    onnxruntime-* | tokenizers-* | api-0.* | jna-* | commons-compress-* | locallm-backend-onnx-*) ;;
    llama-4.2.0.jar)
      mkdir -p "$tmp/llama" && (cd "$tmp/llama" && jar xf "$jar" && find de -name '*jllama*' -delete \
        && jar cf "$payload/lib/llama-4.2.0-classes.jar" .) ;;
    *) cp "$jar" "$payload/lib/" ;;
  esac
done

# The pinned commit alone (a shallow bundle): build.sh checks it by its hash there.
git init -q "$tmp/binding"
git -C "$tmp/binding" fetch -q --depth 1 "$LOCALLM_BINDING_SOURCE" 330ccc1a6c20a8841857fba95fab4d74e3d24ab9
git -C "$tmp/binding" -c advice.detachedHead=false checkout -q FETCH_HEAD
git -C "$tmp/binding" bundle create "$payload/java-llama.cpp.bundle" HEAD 2>/dev/null
case "$LOCALLM_LLAMA_SOURCE" in
  *.tgz) tar xzf "$LOCALLM_LLAMA_SOURCE" -O package/llama/gitRelease.bundle > "$payload/llama.cpp-b4980.bundle" ;;
  *) cp "$LOCALLM_LLAMA_SOURCE" "$payload/llama.cpp-b4980.bundle" ;;
esac
du -sh "$payload"
