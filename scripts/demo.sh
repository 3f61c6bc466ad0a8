#!/usr/bin/env bash
# The default benchmark: installs what is missing, builds, and runs mdlbench's main job on
# /usr/share/common-licenses (on every Debian machine), printing the summary and writing
# results/default.h5. About two minutes on 2 cores.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install_deps.sh
scripts/build.sh
mkdir -p results
./build/mdlbench run --corpus /usr/share/common-licenses -o results/default.h5
