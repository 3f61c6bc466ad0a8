#!/usr/bin/env bash
# Regenerates the README's example summary from a real run of the default job (the demo:
# `mdlbench run --corpus /usr/share/common-licenses -o results/default.h5`): the block
# between the markers <!-- example: run --> and <!-- /example --> is replaced by what the
# run printed. Run it whenever the defaults or the summary change (about 1.5 min on 2 cores).
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${MDLBENCH:-./build/mdlbench}
[ -x "$bin" ] || scripts/build.sh
mkdir -p results
summary=$(mktemp)
trap 'rm -f "$summary"' EXIT
"$bin" run --corpus /usr/share/common-licenses -o results/default.h5 -q >"$summary"
/usr/bin/python3 - "$summary" <<'PY'
import sys
text = open(sys.argv[1]).read().strip("\n")
block = "\n".join("    " + line if line else "" for line in text.splitlines())
readme = open("README.md").read()
start, end = "<!-- example: run -->\n", "<!-- /example -->"
a, b = readme.index(start) + len(start), readme.index(end)
open("README.md", "w").write(readme[:a] + "\n" + block + "\n\n" + readme[b:])
print("README.md: example summary replaced,", len(text.splitlines()), "lines")
PY
