#!/usr/bin/env bash
# Packs what bench/gpu-check.js needs on a machine with a GPU but without Node, GStreamer or this
# project's packages (the lent device machine, see /work/.library/device): this Node binary, the
# built dist/, the production packages (ONNX Runtime for Linux x64 only, no GStreamer binding: the
# check reads frames from a folder), the two models, and the first N frames of the default
# recording as JPEG. Writes .gpukit/kit.tar.xz (ignored by git, ~48 MB) and Debian's Vulkan loader
# into .gl/; bench/gpu-run.sh unpacks and runs them there. usage: bench/gpu-kit.sh [frames=60]
set -euo pipefail
cd "$(dirname "$0")/.."
frames=${1:-60}
models=${EDGEVIS_MODEL_DIR:-../shared/models}
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
npx tsc -p tsconfig.json
mkdir -p "$stage/kit/bin" "$stage/kit/models" "$stage/kit/frames" "$stage/kit/node_modules"
cp "$(command -v node)" "$stage/kit/bin/node"
cp -r dist package.json "$stage/kit/"
cp "$models/yolov8n-seg_fp32.onnx" "$models/osnet_x0_25_msmt17.onnx" "$stage/kit/models/"
# Top-level folders of the production dependency tree (nested node_modules come along).
npm ls --omit=dev --all --parseable 2>/dev/null | sed -n "s|^$PWD/node_modules/||p" \
  | awk -F/ '{ print ($1 ~ /^@/) ? $1 "/" $2 : $1 }' | sort -u | grep -v '^gstreamer-superficial$' \
  | while read -r pkg; do mkdir -p "$stage/kit/node_modules/$(dirname "$pkg")"; cp -rL "node_modules/$pkg" "$stage/kit/node_modules/$pkg"; done
ort="$stage/kit/node_modules/onnxruntime-node/bin/napi-v6"
find "$ort" -mindepth 1 -maxdepth 1 ! -name linux -exec rm -rf {} +
find "$ort/linux" -mindepth 1 -maxdepth 1 ! -name x64 -exec rm -rf {} +
gst-launch-1.0 -q filesrc location=/usr/share/doc/opencv-doc/examples/data/vtest.avi ! decodebin ! videoconvert \
  ! video/x-raw,format=I420 ! identity eos-after=$((frames + 1)) ! jpegenc quality=92 ! multifilesink location="$stage/kit/frames/%05d.jpg"
mkdir -p .gpukit
tar -C "$stage" -cf - kit | xz -T0 -6 > .gpukit/kit.tar.xz
# The Vulkan loader Dawn needs (the device has the NVIDIA driver, not the loader): Debian's package.
if ! ls .gl/libvulkan1_*.deb >/dev/null 2>&1; then
  mkdir -p .gl /tmp/amd64/partial
  apt_amd64=(-oAPT::Architecture=amd64 -oAPT::Architectures=amd64 -oDir::State::Lists=/tmp/amd64)
  apt-get "${apt_amd64[@]}" update -qq && (cd .gl && apt-get "${apt_amd64[@]}" download libvulkan1)
fi
ls -la .gpukit/kit.tar.xz .gl/
