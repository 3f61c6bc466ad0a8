#!/usr/bin/env bash
# Configures and builds mdlbench in build/ (CUDA code too when nvcc is found).
# Extra arguments go to cmake's configure step, e.g. -DMDL_CUDA=OFF.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v nvcc >/dev/null && [ -x /usr/local/cuda/bin/nvcc ]; then
    export PATH="/usr/local/cuda/bin:$PATH"
fi
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DMDL_WERROR=ON "$@" >/dev/null
cmake --build build -j"$(nproc)"
