#!/usr/bin/env bash
# The whole test suite: installs what is missing, builds with warnings as errors, runs
# ctest, fuzzes the .mdl reader for a minute (scripts/fuzz.sh, build-fuzz/), then rebuilds
# the host code with AddressSanitizer and UndefinedBehaviorSanitizer (CPU-only, in
# build-asan/) and runs ctest again. Ends on ctest's summary.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install_deps.sh
scripts/build.sh
(cd build && ctest --output-on-failure -j1)
scripts/fuzz.sh 60  # the .mdl reader and range decoder under libFuzzer, one minute
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DMDL_WERROR=ON -DMDL_SANITIZE=ON \
    -DMDL_CUDA=OFF >/dev/null
cmake --build build-asan -j"$(nproc)"
cd build-asan
ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 ctest --output-on-failure -j1 -LE paper
