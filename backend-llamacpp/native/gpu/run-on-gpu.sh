#!/usr/bin/env bash
# The GPU check of the llama.cpp backend, in one go on a machine with an NVIDIA GPU, CUDA's compiler, CMake and
# ninja, and nothing else (no JDK, no network): builds the cuda library from the payload that prepare.sh
# assembled, then runs dev.locallm.bench.GpuRun with it on a jlink'ed runtime. Writes machine.txt, build.log and
# gpu-run.txt to $OUT (default backend-llamacpp/native/target/gpu-out). About 10 minutes on 16 cores.
#
#   bash backend-llamacpp/native/gpu/run-on-gpu.sh
#
# LOCALLM_GPU_VARIANT=cpu rehearses the whole path on a machine without a GPU (GPU rows are then skipped).
# ROUNDS (5) and THREADS (the cores) tune GpuRun; LOCALLM_CUDA_ARCHITECTURES defaults to 90 (Hopper).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
payload=$here/../target/gpu-payload
out=${OUT:-$here/../target/gpu-out}
work=${LOCALLM_GPU_WORK:-/tmp/locallm-gpu-run}
variant=${LOCALLM_GPU_VARIANT:-cuda}
mkdir -p "$out"
rm -rf "$work"
mkdir -p "$work"
if command -v nvcc >/dev/null; then
  cuda_home=$(dirname "$(dirname "$(command -v nvcc)")")
elif [ -x /usr/local/cuda/bin/nvcc ]; then
  cuda_home=/usr/local/cuda
  export PATH=$cuda_home/bin:$PATH
fi
if [ -n "${cuda_home:-}" ]; then
  export LD_LIBRARY_PATH=$cuda_home/lib64:$cuda_home/lib:${LD_LIBRARY_PATH:-}
fi
{
  date -u
  echo "cores: $(nproc)"
  nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv 2>&1
  nvcc --version 2>&1 | tail -2
  cmake --version | head -1
  git --version
} > "$out/machine.txt" 2>&1
cat "$out/machine.txt"

tar xJf "$payload/jre.tar.xz" -C "$work"
start=$(date +%s)
LOCALLM_BINDING_SOURCE=$payload/java-llama.cpp.bundle LOCALLM_LLAMA_SOURCE=$payload/llama.cpp-b4980.bundle \
  LOCALLM_CUDA_ARCHITECTURES=${LOCALLM_CUDA_ARCHITECTURES:-90} LOCALLM_NATIVE_WORK=$work/native-work \
  bash "$here/../build.sh" "$variant" "$work/native" > "$out/build.log" 2>&1
status=$?
echo "build.sh $variant: exit $status after $(( $(date +%s) - start )) s" | tee -a "$out/machine.txt"
if [ $status -ne 0 ]; then
  tail -60 "$out/build.log"
  exit $status
fi
ldd "$work"/native/dev/locallm/llamacpp/native/*/*/libjllama.so >> "$out/machine.txt" 2>&1
"$work/jre/bin/java" -Xmx4g -Dbench.models="$work/models" -Dlocallm.native.dir="$work/unpacked" \
  -cp "$work/native:$payload/lib/*" dev.locallm.bench.GpuRun "${ROUNDS:-5}" "${THREADS:-$(nproc)}" 4 2>&1 \
  | grep -v '^[0-9:. ]*\(DEBUG\|TRACE\)' | tee "$out/gpu-run.txt"
exit "${PIPESTATUS[0]}"
