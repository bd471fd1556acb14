#!/usr/bin/env bash
# Installs what edgevis needs on Debian 12 with Node 20, skipping what is already there:
# Debian packages (GStreamer + decoders, the default recording from opencv-doc, headers to build
# gstreamer-superficial; plugins-ugly's x264enc encodes what is recorded from raw sources and the
# simulated H.264 camera), npm packages (onnxruntime-node without its CUDA download), and builds
# the TypeScript. With --test it also installs what the test suite needs (mosquitto, the RTSP server).
set -euo pipefail
cd "$(dirname "$0")"

pkgs=(opencv-doc pkg-config g++ make libgstreamer1.0-dev libgstreamer-plugins-base1.0-dev
      gstreamer1.0-plugins-base gstreamer1.0-plugins-good gstreamer1.0-plugins-bad gstreamer1.0-plugins-ugly
      gstreamer1.0-libav gstreamer1.0-tools)
if [ "${1:-}" = "--test" ]; then
  pkgs+=(mosquitto nats-server python3-gi gir1.2-gstreamer-1.0 gir1.2-gst-rtsp-server-1.0 chromium)
fi
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "setup: installing Debian packages: ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "setup: installing npm packages"
  # onnxruntime-node's postinstall downloads CUDA libraries; skip it (CPU and WebGPU are bundled).
  ONNXRUNTIME_NODE_INSTALL=skip npm ci --no-audit --no-fund --loglevel=error
fi
npm run --silent build
