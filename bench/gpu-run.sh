#!/usr/bin/env bash
# Runs on the lent device machine (no Node there): unpacks the Vulkan loader packages from .gl (see
# the device README) and the kit from bench/gpu-kit.sh, then the GPU check; its report goes to
# $OUT/gpu-check.txt. usage (device run, carry [".gpukit", ".gl"]): bench/gpu-run.sh [frames] [cameras] [seconds]
set -uo pipefail
cd "$(dirname "$0")/.."
for f in .gl/*.deb; do dpkg -x "$f" /; done
ldconfig
nvidia_icd=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
[ -e "$nvidia_icd" ] && export VK_DRIVER_FILES=$nvidia_icd
mkdir -p /tmp/gpukit && xz -dc .gpukit/kit.tar.xz | tar -C /tmp/gpukit -xf -
cd /tmp/gpukit/kit
EDGEVIS_MODEL_DIR=$PWD/models UV_THREADPOOL_SIZE=32 ./bin/node dist/bench/gpu-check.js frames "${1:-60}" "${2:-1,4,8,16,32}" "${3:-10}" 2>&1 | tee "${OUT:-/tmp}/gpu-check.txt"
