#!/usr/bin/env bash
# scripts/gpu_check.sh --dry-run: every step's control flow without a GPU, on a fake clock.
# The summary must list the steps in the planned order; a missing Python package must skip
# only the twin's rows; compiler warnings are reported, not fatal; a failing GPU test is
# rerun with CUDA_LAUNCH_BLOCKING=1 and under compute-sanitizer; an impossible build stops
# the run at once; no step may end after the budget.
set -u
src=${MDL_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
py=${PYTHON:-python3}
command -v "$py" >/dev/null || { echo "SKIP: no $py"; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

# a stand-in torch package: find_spec finds it, nothing imports it in a dry run
mkdir -p "$tmp/fakepy/torch"
: >"$tmp/fakepy/torch/__init__.py"

# dry NAME [VAR=VALUE...]: a dry run into $tmp/NAME; its rc in $tmp/NAME.rc, its steps
# (name|status|note) in $tmp/NAME.steps
dry() {
    local name=$1
    shift
    env PYTHON="$py" PYTHONPATH="$tmp/fakepy" TWIN_MODULES=torch CORPUS_MB=0.02 "$@" \
        bash "$src/scripts/gpu_check.sh" --dry-run "$tmp/$name" >"$tmp/$name.out" 2>&1
    echo $? >"$tmp/$name.rc"
    sed -n '/^| step | start s/,/^$/p' "$tmp/$name/summary.md" 2>/dev/null | tail -n +3 |
        awk -F'|' 'NF > 5 { for (i = 2; i <= 6; i++) gsub(/^ +| +$/, "", $i); print $2 "|" $4 "|" $6 }' \
            >"$tmp/$name.steps"
}
names() { cut -d'|' -f1 "$tmp/$1.steps" | tr '\n' ' ' | sed 's/ $//'; }
status_of() { awk -F'|' -v s="$2" '$1 == s { print $2 }' "$tmp/$1.steps"; }
note_of() { awk -F'|' -v s="$2" '$1 == s { print $3 }' "$tmp/$1.steps"; }

planned="info python deps build gpu-ops gpu-model check-fp32-mdlbench check-bf16-mdlbench"
planned+=" compress-fp32 compress-bf16"
planned+=" bench-85M-mdlbench bench-25M-mdlbench bench-2M-mdlbench profile-25M"
planned+=" check-fp32-twin check-bf16-twin bench-85M-eager bench-25M-eager bench-2M-eager"
planned+=" bench-85M-compile bench-25M-compile bench-2M-compile sanitizer"

# 1. time for everything: every step, in the planned order, all PASS; the warnings noted
dry all BUDGET_S=5000
[ "$(cat "$tmp/all.rc")" = 0 ] || fail "all: rc $(cat "$tmp/all.rc") (want 0)"
[ "$(names all)" = "$planned" ] || fail "all: steps '$(names all)', want '$planned'"
n_pass=$(grep -c '|PASS|' "$tmp/all.steps")
[ "$n_pass" -eq 23 ] || fail "all: $n_pass steps PASS, want 23"
case $(note_of all build) in *"2 compiler warnings (not fatal"*) ;; *) fail "all: build note '$(note_of all build)'" ;; esac
grep -q '^Build warnings (2, not fatal)' "$tmp/all/summary.md" || fail "all: no warnings list"
grep -q '^op_timer: matmul_backward' "$tmp/all/summary.md" || fail "all: no op time split"
grep -q '^\*\*DRY RUN\*\*' "$tmp/all/summary.md" || fail "all: not marked as a dry run"
grep -q '^Overall: PASS' "$tmp/all/summary.md" || fail "all: overall not PASS"
if [ ! -s "$tmp/all/details.tar.gz" ] || [ ! -s "$tmp/all/gpu_check.log" ]; then fail "all: details or log missing"; fi
tar tzf "$tmp/all/details.tar.gz" | grep -q 'gpu-ops.log' || fail "all: gpu-ops.log not packed"

# 2. the default budget: the same order, later steps skipped rather than run past it,
#    compute-sanitizer (its time held back) still runs last
dry budget
[ "$(names budget)" = "$planned" ] || fail "budget: steps '$(names budget)'"
[ "$(status_of budget sanitizer)" = PASS ] || fail "budget: sanitizer $(status_of budget sanitizer)"
grep -q '|SKIP|no time left' "$tmp/budget.steps" || fail "budget: nothing skipped for time (plan changed? adjust)"
end=$(sed -n 's/^Last step ended at \([0-9]*\) s of a \([0-9]*\) s budget.*/\1 \2/p' "$tmp/budget/summary.md")
read -r e b <<<"$end"
if [ -z "$e" ] || [ "$e" -gt "$b" ]; then fail "budget: last step ended at '$e' s of '$b'"; fi

# 3. a missing Python package skips only the twin's rows
dry notorch TWIN_MODULES="torch mdl_no_such_module" BUDGET_S=5000
[ "$(cat "$tmp/notorch.rc")" = 0 ] || fail "notorch: rc $(cat "$tmp/notorch.rc")"
[ "$(names notorch)" = "$planned" ] || fail "notorch: steps '$(names notorch)'"
for s in check-fp32-twin check-bf16-twin bench-85M-eager bench-2M-eager bench-85M-compile bench-2M-compile; do
    [ "$(status_of notorch "$s")" = SKIP ] || fail "notorch: $s is '$(status_of notorch "$s")', want SKIP"
    case $(note_of notorch "$s") in *mdl_no_such_module*) ;; *) fail "notorch: $s note '$(note_of notorch "$s")'" ;; esac
done
for s in build gpu-ops gpu-model bench-85M-mdlbench profile-25M sanitizer; do
    [ "$(status_of notorch "$s")" = PASS ] || fail "notorch: $s is '$(status_of notorch "$s")', want PASS"
done

# 4. a failing op test: rerun blocking, then under compute-sanitizer, right after it;
#    the later steps still run, the final sanitizer is not repeated, the run fails
dry opsfail GPU_CHECK_DRY_FAIL=gpu-ops BUDGET_S=5000
[ "$(cat "$tmp/opsfail.rc")" = 1 ] || fail "opsfail: rc $(cat "$tmp/opsfail.rc") (want 1)"
want="info python deps build gpu-ops gpu-ops-blocking gpu-ops-sanitizer gpu-model"
case "$(names opsfail)" in "$want "*) ;; *) fail "opsfail: steps '$(names opsfail)'" ;; esac
case $(status_of opsfail gpu-ops) in FAIL*) ;; *) fail "opsfail: gpu-ops '$(status_of opsfail gpu-ops)'" ;; esac
[ "$(status_of opsfail sanitizer)" = SKIP ] || fail "opsfail: final sanitizer '$(status_of opsfail sanitizer)'"
[ "$(status_of opsfail bench-2M-compile)" = PASS ] || fail "opsfail: the later steps did not run"
grep -q 'CUDA_LAUNCH_BLOCKING=1' "$tmp/opsfail/gpu_check.log" || fail "opsfail: no blocking rerun logged"
grep -q '^Overall: FAIL' "$tmp/opsfail/summary.md" || fail "opsfail: overall not FAIL"

# 5. the build is impossible: stop at once, with a summary
for what in deps build; do
    dry "no$what" GPU_CHECK_DRY_FAIL=$what
    [ "$(cat "$tmp/no$what.rc")" = 1 ] || fail "no$what: rc $(cat "$tmp/no$what.rc") (want 1)"
    last=$(names "no$what" | awk '{print $NF}')
    [ "$last" = "$what" ] || fail "no$what: steps '$(names "no$what")' go on after $what"
    grep -q '^\*\*Stopped early\*\*' "$tmp/no$what/summary.md" || fail "no$what: not marked as stopped"
done

# 6. no warnings: no note, no list
dry nowarn GPU_CHECK_DRY_WARNINGS=0 BUDGET_S=5000
[ -z "$(note_of nowarn build)" ] || fail "nowarn: build note '$(note_of nowarn build)'"
! grep -q '^Build warnings' "$tmp/nowarn/summary.md" || fail "nowarn: a warnings list"

if [ $fails -ne 0 ]; then
    echo "--- summary of the first run:"
    cat "$tmp/all/summary.md" 2>/dev/null || cat "$tmp/all.out"
    echo "FAIL test_gpu_check_dry ($fails)"
    exit 1
fi
echo "PASS test_gpu_check_dry"
