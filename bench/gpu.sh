#!/usr/bin/env bash
# Lesion-model throughput on an NVIDIA GPU machine: the same benchmark (bench/model.ts) with
# --ep webgpu and with --ep cpu, printed one after the other.
#
# onnxruntime-node's WebGPU provider reaches NVIDIA GPUs through Dawn's Vulkan backend, so the machine
# needs the Vulkan loader (Debian's libvulkan1) and the NVIDIA ICD. The GPU machine has no network and
# no Node, so everything is prepared here first:
#
#   bash bench/gpu.sh prepare     # on this machine: .gl/ (Vulkan loader debs) and .gpu/ (node, bundle, ORT, model)
#   bash bench/gpu.sh run         # on the GPU machine, from the repository root, with .gl and .gpu carried
#
# With the device tool: run(command="bash bench/gpu.sh run", carry=[".gl", ".gpu"], timeout_s=300).
# Both folders are git-ignored through .git/info/exclude by `prepare`.
set -euo pipefail
cd "$(dirname "$0")/.."

prepare() {
  grep -qxF '/.gl/' .git/info/exclude 2>/dev/null || echo '/.gl/' >>.git/info/exclude
  grep -qxF '/.gpu/' .git/info/exclude 2>/dev/null || echo '/.gpu/' >>.git/info/exclude
  # Vulkan loader and GL dispatch libraries, as amd64 debs to unpack there (recipe from the device notes).
  mkdir -p .gl /tmp/amd64/partial
  local o='-oAPT::Architecture=amd64 -oAPT::Architectures=amd64 -oDir::State::Lists=/tmp/amd64'
  # shellcheck disable=SC2086
  apt-get $o update -qq
  # shellcheck disable=SC2086
  (cd .gl && apt-get $o download libvulkan1 libegl1 libglvnd0 libopengl0 libgl1 libglx0 libgles2)
  # Node (compressed: the carried tree is limited to 64 MiB), the benchmark as one CommonJS bundle,
  # onnxruntime-node with its native library, and the model folder.
  rm -rf .gpu && mkdir -p .gpu/node_modules .gpu/models
  xz -T2 -6 -c "$(readlink -f "$(command -v node)")" >.gpu/node.xz
  npx esbuild bench/model.ts --bundle --platform=node --target=node20 --format=cjs \
    --external:onnxruntime-node --outfile=.gpu/bench-model.js --log-level=warning
  cp -r node_modules/onnxruntime-common .gpu/node_modules/
  mkdir -p .gpu/node_modules/onnxruntime-node
  cp -r node_modules/onnxruntime-node/{package.json,dist,lib} .gpu/node_modules/onnxruntime-node/ 2>/dev/null || true
  mkdir -p .gpu/node_modules/onnxruntime-node/bin/napi-v6/linux/x64
  cp node_modules/onnxruntime-node/bin/napi-v6/linux/x64/onnxruntime_binding.node .gpu/node_modules/onnxruntime-node/bin/napi-v6/linux/x64/
  xz -T2 -6 -c node_modules/onnxruntime-node/bin/napi-v6/linux/x64/libonnxruntime.so.1 >.gpu/libonnxruntime.so.1.xz
  cp -r models/lesion-cnn .gpu/models/
  du -sh .gl .gpu
  echo "prepared: now run 'bash bench/gpu.sh run' on the GPU machine with .gl and .gpu carried"
}

run() {
  [ -d .gpu ] && [ -d .gl ] || { echo "gpu.sh: .gpu/ and .gl/ are missing: run 'bash bench/gpu.sh prepare' here first" >&2; exit 2; }
  # SF_GPU_DRY_RUN=1 skips unpacking into / (to check the rest of the script on a machine without a GPU).
  if [ -z "${SF_GPU_DRY_RUN:-}" ]; then
    for f in .gl/*.deb; do dpkg -x "$f" /; done
    ldconfig
    if ! ldconfig -p | grep -q libvulkan.so.1; then echo "gpu.sh: libvulkan.so.1 still not found" >&2; exit 1; fi
  fi
  # The NVIDIA ICD lives with the driver mount on these machines.
  if [ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ]; then
    export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
    export __EGL_VENDOR_LIBRARY_FILENAMES=/usr/local/nvidia/share/glvnd/egl_vendor.d/10_nvidia.json
  fi
  local work=/tmp/sf-gpu
  rm -rf "$work" && mkdir -p "$work"
  xz -dc .gpu/node.xz >"$work/node" && chmod +x "$work/node"
  cp -r .gpu/node_modules .gpu/bench-model.js "$work/"
  xz -dc .gpu/libonnxruntime.so.1.xz >"$work/node_modules/onnxruntime-node/bin/napi-v6/linux/x64/libonnxruntime.so.1"
  nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader || true
  local model="$PWD/.gpu/models/lesion-cnn"
  local out="${OUT:-$work}"
  for ep in webgpu cpu; do
    echo "== --ep $ep"
    (cd "$work" && ./node bench-model.js --ep "$ep" --batches 1,64,512 --seconds "${SF_GPU_SECONDS:-3}" --model-dir "$model" --json) | tee "$out/bench-$ep.json"
  done
  echo "== summary (candidates/s by batch size)"
  for ep in webgpu cpu; do
    "$work/node" -e '
      const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
      const rows = r.throughput.map((t) => `b${t.batch}: ${Math.round(t.candidatesPerSecond)}/s`).join("  ");
      console.log(`${process.argv[2].padEnd(7)} ran on ${r.model.executionProvider.padEnd(7)} load+warm-up ${r.loadAndWarmUpMs} ms  ${rows}`);
    ' "$out/bench-$ep.json" "$ep"
  done
}

case "${1:-}" in
  prepare) prepare ;;
  run) run ;;
  *) echo "usage: bash bench/gpu.sh prepare|run" >&2; exit 2 ;;
esac
