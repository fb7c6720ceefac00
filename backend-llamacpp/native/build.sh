#!/usr/bin/env bash
# Builds the JNI library of de.kherud:llama 4.2.0 against llama.cpp b4980 for this machine, from pinned sources
# checked by commit hash, with LocaLLM's patches (patches/) and additions (src/). See README.md beside this file.
#
#   backend-llamacpp/native/build.sh VARIANT OUT_DIR
#
# VARIANT   cpu (tuned to this CPU, OpenMP off), cpu-portable (AVX2 baseline on x86-64, OpenMP off),
#           cuda, vulkan, metal
# OUT_DIR   receives dev/locallm/llamacpp/native/<platform>/<variant>/<library> and
#           META-INF/locallm/llamacpp-native.properties, the layout the backend loads from the classpath (the
#           Maven profile `native` packages it as a jar; one variant per OUT_DIR).
#
# Environment (all optional):
#   LOCALLM_BINDING_SOURCE  git repository (URL or path, bare or not) holding java-llama.cpp v4.2.0;
#                           default https://github.com/kherud/java-llama.cpp
#   LOCALLM_LLAMA_SOURCE    git repository holding llama.cpp b4980, a git bundle, or the npm package
#                           node-llama-cpp-3.7.0.tgz (which ships b4980 as a bundle); default
#                           https://github.com/ggml-org/llama.cpp
#   LOCALLM_CUDA_ARCHITECTURES  CMAKE_CUDA_ARCHITECTURES for cuda (default 80;86;89;90)
#   LOCALLM_BUILD_TYPE      Release (default) or RelWithDebInfo
#   LOCALLM_NATIVE_WORK     scratch directory (default OUT_DIR/../native-work); sources are reused from there
#   LOCALLM_CMAKE_ARGS      more arguments for CMake
set -euo pipefail

BINDING_VERSION=4.2.0
BINDING_COMMIT=330ccc1a6c20a8841857fba95fab4d74e3d24ab9
LLAMA_TAG=b4980
# b4980 upstream, and the same release as node-llama-cpp 3.7.0 ships it (one squashed commit).
LLAMA_COMMITS=(2099a9d5dbdcd2841d02dd396a71d0de70bf4490 a97dd0e3e54f266967ff7e9e9b36164b9d1074aa)
NODE_LLAMA_CPP_TGZ_SHA256=900a51b3cb7e379564353f0818e5c229d132b06ca56e46e1cada2dfc23966fbf

variant=${1:?usage: build.sh cpu|cpu-portable|cuda|vulkan|metal OUT_DIR}
out=${2:?usage: build.sh VARIANT OUT_DIR}
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$out"
out=$(cd "$out" && pwd)
work=${LOCALLM_NATIVE_WORK:-$out/../native-work}
mkdir -p "$work"
work=$(cd "$work" && pwd)

fail() { echo "build.sh: $*" >&2; exit 1; }
log() { echo "build.sh: $*" >&2; }

case "$(uname -s)" in
  Linux) os=linux; lib=libjllama.so ;;
  Darwin) os=macos; lib=libjllama.dylib ;;
  MINGW* | MSYS* | CYGWIN*) os=windows; lib=jllama.dll ;;
  *) fail "unsupported operating system $(uname -s)" ;;
esac
case "$(uname -m)" in
  x86_64 | amd64) arch=x86_64 ;;
  aarch64 | arm64) arch=aarch64 ;;
  *) fail "unsupported architecture $(uname -m)" ;;
esac
platform=$os-$arch

# The instruction-set extensions a library may use, named as in Linux's /proc/cpuinfo (pni is SSE3); the backend
# reads them from the descriptor and passes over a library this CPU lacks one of, instead of dying of SIGILL.
# On x86-64 every variant names its extensions to ggml one by one (never -march=native, which would let the
# compiler use anything this CPU has), so the list is exactly what the compiler was allowed.
x86_baseline="pni ssse3 sse4_1 sse4_2 avx avx2 fma f16c bmi2"
cpu_flags=""
if [ -r /proc/cpuinfo ]; then
  cpu_flags=" $(grep -m1 -E '^(flags|Features)' /proc/cpuinfo | cut -d: -f2) "
fi
has_flags() {
  local f
  for f in "$@"; do
    case "$cpu_flags" in *" $f "*) ;; *) return 1 ;; esac
  done
}
features=""
x86_options() {
  local opt flags
  features=$x86_baseline
  cmake_args+=(-DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_BMI2=ON)
  [ "$1" = tuned ] || return 0
  for opt in "GGML_AVX_VNNI:avx_vnni" "GGML_AVX512:avx512f avx512cd avx512vl avx512dq avx512bw" \
      "GGML_AVX512_VBMI:avx512vbmi" "GGML_AVX512_VNNI:avx512_vnni" "GGML_AVX512_BF16:avx512_bf16" \
      "GGML_AMX_TILE:amx_tile" "GGML_AMX_INT8:amx_int8" "GGML_AMX_BF16:amx_bf16"; do
    flags=${opt#*:}
    # shellcheck disable=SC2086
    if has_flags $flags; then
      cmake_args+=("-D${opt%%:*}=ON")
      features="$features $flags"
    else
      cmake_args+=("-D${opt%%:*}=OFF")
    fi
  done
}

cmake_args=(-DCMAKE_BUILD_TYPE="${LOCALLM_BUILD_TYPE:-Release}" -DGGML_OPENMP=OFF -DLOCALLM_VARIANT="$variant")
portable() {
  if [ "$arch" = x86_64 ]; then
    x86_options portable
  else
    cmake_args+=(-DGGML_NATIVE=OFF)
  fi
}
case "$variant" in
  cpu)
    if [ "$arch" = x86_64 ]; then
      x86_options tuned
    else
      # -mcpu=native on Arm: the library needs every feature this CPU lists (on macOS none can be checked; such a
      # library runs on the chip generation it was built on and later ones).
      cmake_args+=(-DGGML_NATIVE=ON)
      features=$(echo $cpu_flags)
    fi ;;
  cpu-portable) portable ;;
  cuda)
    command -v nvcc >/dev/null || [ -n "${CUDACXX:-}" ] || fail "cuda needs CUDA's compiler nvcc on PATH (or CUDACXX)"
    portable
    cmake_args+=(-DGGML_CUDA=ON -DCMAKE_CUDA_ARCHITECTURES="${LOCALLM_CUDA_ARCHITECTURES:-80;86;89;90}") ;;
  vulkan)
    command -v glslc >/dev/null || fail "vulkan needs the Vulkan SDK (glslc on PATH and the Vulkan headers)"
    portable
    cmake_args+=(-DGGML_VULKAN=ON) ;;
  metal)
    [ "$os" = macos ] || fail "metal builds only on macOS"
    cmake_args+=(-DGGML_NATIVE=OFF -DGGML_METAL=ON -DGGML_METAL_EMBED_LIBRARY=ON) ;;
  *) fail "unknown variant '$variant' (cpu, cpu-portable, cuda, vulkan, metal)" ;;
esac
# shellcheck disable=SC2206
[ -n "${LOCALLM_CMAKE_ARGS:-}" ] && cmake_args+=(${LOCALLM_CMAKE_ARGS})

# Checks out the first of the given commits that SOURCE holds into DEST; a commit hash names its content.
checkout_commit() {
  local source=$1 dest=$2
  shift 2
  local c
  if [ -d "$dest/.git" ]; then
    local head
    head=$(git -C "$dest" rev-parse HEAD)
    for c in "$@"; do [ "$head" = "$c" ] && return 0; done
  fi
  rm -rf "$dest" "$dest.tmp"
  git init -q "$dest.tmp"
  local quiet=/dev/stderr
  [ -e "$source" ] && quiet=/dev/null
  for c in "$@"; do
    if git -C "$dest.tmp" fetch -q --depth 1 "$source" "$c" 2>"$quiet"; then
      git -C "$dest.tmp" -c advice.detachedHead=false checkout -q FETCH_HEAD
      mv "$dest.tmp" "$dest"
      return 0
    fi
  done
  # A bundle or a local repository that refuses to give out a bare commit: take its refs, then look for it.
  if [ -e "$source" ]; then
    git -C "$dest.tmp" fetch -q "$source" '+refs/*:refs/remotes/source/*' 2>/dev/null || true
    git -C "$dest.tmp" fetch -q "$source" '+HEAD:refs/remotes/source/HEAD' 2>/dev/null || true
    for c in "$@"; do
      if git -C "$dest.tmp" cat-file -e "$c^{commit}" 2>/dev/null; then
        git -C "$dest.tmp" -c advice.detachedHead=false checkout -q "$c"
        mv "$dest.tmp" "$dest"
        return 0
      fi
    done
  fi
  rm -rf "$dest.tmp"
  fail "$source holds none of the pinned commits $*"
}

binding_source=${LOCALLM_BINDING_SOURCE:-https://github.com/kherud/java-llama.cpp}
llama_source=${LOCALLM_LLAMA_SOURCE:-https://github.com/ggml-org/llama.cpp}
case "$llama_source" in
  *.tgz)
    [ -f "$llama_source" ] || fail "no such file: $llama_source"
    sum=$( (sha256sum "$llama_source" 2>/dev/null || shasum -a 256 "$llama_source") | cut -d' ' -f1)
    [ "$sum" = "$NODE_LLAMA_CPP_TGZ_SHA256" ] || fail "$llama_source has SHA-256 $sum, expected node-llama-cpp 3.7.0's $NODE_LLAMA_CPP_TGZ_SHA256"
    mkdir -p "$work/node-llama-cpp"
    tar xzf "$llama_source" -C "$work/node-llama-cpp" package/llama/gitRelease.bundle
    llama_source=$work/node-llama-cpp/package/llama/gitRelease.bundle ;;
esac

log "java-llama.cpp $BINDING_VERSION ($BINDING_COMMIT) from $binding_source"
checkout_commit "$binding_source" "$work/java-llama.cpp" "$BINDING_COMMIT"
log "llama.cpp $LLAMA_TAG from $llama_source"
checkout_commit "$llama_source" "$work/llama.cpp-$LLAMA_TAG" "${LLAMA_COMMITS[@]}"
llama_commit=$(git -C "$work/llama.cpp-$LLAMA_TAG" rev-parse HEAD)

# A copy of the binding with LocaLLM's patches applied (the checkout stays pristine), made again only when the
# patches change, so that a second build compiles nothing it need not. One build at a time per work directory.
patched=$work/java-llama.cpp-patched
stamp=$(cat "$here"/patches/*.patch | git hash-object --stdin)
if [ "$(cat "$patched/.locallm-patches" 2>/dev/null)" != "$stamp" ]; then
  rm -rf "$patched"
  mkdir -p "$patched"
  git -C "$work/java-llama.cpp" archive HEAD | tar x -C "$patched"
  for p in "$here"/patches/*.patch; do
    patch -s -p1 --forward -d "$patched" < "$p" || fail "patch $(basename "$p") does not apply"
  done
  echo "$stamp" > "$patched/.locallm-patches"
fi

generator=(-G "Unix Makefiles")
command -v ninja >/dev/null && generator=(-G Ninja)
[ "$os" = windows ] && generator=()
build=$work/build-$platform-$variant-$(echo "${generator[*]:-default}" | tr -cd 'A-Za-z')
log "configuring $variant for $platform: ${cmake_args[*]}"
cmake -S "$here" -B "$build" ${generator[@]+"${generator[@]}"} -Wno-dev -DLOCALLM_BINDING_DIR="$patched" \
  -DLOCALLM_LLAMA_DIR="$work/llama.cpp-$LLAMA_TAG" -DLOCALLM_LLAMA_TAG="$LLAMA_TAG" \
  -DLOCALLM_LLAMA_COMMIT="$llama_commit" "${cmake_args[@]}" >&2
cmake --build "$build" --config "${LOCALLM_BUILD_TYPE:-Release}" --target jllama \
  -j "$(nproc 2>/dev/null || sysctl -n hw.ncpu 2>/dev/null || echo 2)" >&2

built=$(find "$build" -name "$lib" -type f -print -quit)
[ -n "$built" ] || fail "the build produced no $lib"
resource_dir=dev/locallm/llamacpp/native/$platform/$variant
mkdir -p "$out/$resource_dir" "$out/META-INF/locallm"
cp "$built" "$out/$resource_dir/$lib"
sha=$( (sha256sum "$out/$resource_dir/$lib" 2>/dev/null || shasum -a 256 "$out/$resource_dir/$lib") | cut -d' ' -f1)
cat > "$out/META-INF/locallm/llamacpp-native.properties" <<EOF
platform=$platform
variant=$variant
library=$resource_dir/$lib
sha256=$sha
bindingVersion=$BINDING_VERSION
bindingCommit=$BINDING_COMMIT
llamaCppTag=$LLAMA_TAG
llamaCppCommit=$llama_commit
cpuFeatures=$features
buildType=${LOCALLM_BUILD_TYPE:-Release}
cmakeArguments=${cmake_args[*]}
EOF
log "built $out/$resource_dir/$lib"
echo "$out/$resource_dir/$lib"
