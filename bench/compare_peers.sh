#!/usr/bin/env bash
# Seconds per CycleGAN training step, ours against the two PyTorch yardsticks, side by side in one
# run: for every configuration, ROUNDS rounds of (ours, PyTorch 1.13 + OpenBLAS, PyTorch 2.x from
# PyPI), each K timed steps after a warm-up, all with the same threads. Prints a markdown table of
# the medians' range over the rounds, our speed relative to the faster peer (> 1: we are faster)
# and the peak resident memory of each (MiB, the largest over the rounds).
#   bench/compare_peers.sh [--build DIR] [--peers DIR] [--threads T] [--rounds R] [--configs "unet:128:32 resnet:256:64"]
# The peers live beside the repository (../shared/peers: torch_tuned.sh needs Debian's
# python3-torch, torch_pip.sh makes its own venv); a measurement tool for this machine only.
set -euo pipefail
cd "$(dirname "$0")/.."
build=build-bench peers=../shared/peers threads=2 rounds=2
configs="unet:128:32 resnet:128:32 unet:256:64 resnet:256:64"
while [[ $# -gt 0 ]]; do
  case $1 in
    --build) build=$2; shift 2 ;;
    --peers) peers=$2; shift 2 ;;
    --threads) threads=$2; shift 2 ;;
    --rounds) rounds=$2; shift 2 ;;
    --configs) configs=$2; shift 2 ;;
    *) echo "compare_peers.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
bench_step=$build/bin/bench_step
[[ -x $bench_step ]] || { echo "compare_peers.sh: $bench_step not built (cmake --build $build --target bench_step)" >&2; exit 2; }
for p in torch_tuned.sh torch_pip.sh; do
  [[ -x $peers/$p ]] || { echo "compare_peers.sh: $peers/$p not found" >&2; exit 2; }
done

# From a run's output: the median seconds per step ("sec/step median=X"), the peak RSS in MiB
# (ours "peak_rss_mib=X", the peers' "peakRSS=X MiB").
median() { sed -n 's/.*sec\/step median=\([0-9.]*\).*/\1/p' <<<"$1" | tail -1; }
rss() { sed -n 's/.*peak_rss_mib=\([0-9]*\).*/\1/p; s/.*peakRSS=\([0-9]*\) MiB.*/\1/p' <<<"$1" | tail -1; }
largest() { printf '%s\n' "$@" | sort -g | tail -1; }
steps_for() { [[ $2 -ge 256 && $1 == resnet ]] && echo 2 || echo 3; }

echo "# $(date -u '+%Y-%m-%d %H:%M UTC'), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) cores, threads=$threads, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "| config | ours s/step | PyTorch 1.13 + OpenBLAS | PyTorch 2 (oneDNN) | ours vs the faster peer | peak RSS MiB ours / 1.13 / 2 |"
echo "|---|---|---|---|---|---|"
for cfg in $configs; do
  IFS=: read -r gen size width <<<"$cfg"
  steps=$(steps_for "$gen" "$size")
  args=(--gen "$gen" --size "$size" --ngf "$width" --ndf "$width" --steps "$steps" --threads "$threads")
  ours=() tuned=() pip=() ours_rss=() tuned_rss=() pip_rss=()
  for ((r = 0; r < rounds; r++)); do
    o=$("$bench_step" "${args[@]}" --no-phases 2>&1)
    t=$("$peers/torch_tuned.sh" "${args[@]}" 2>&1)
    p=$("$peers/torch_pip.sh" "${args[@]}" 2>&1)
    ours+=("$(median "$o")") tuned+=("$(median "$t")") pip+=("$(median "$p")")
    ours_rss+=("$(rss "$o")") tuned_rss+=("$(rss "$t")") pip_rss+=("$(rss "$p")")
  done
  range_of() { printf '%s\n' "$@" | sort -g | sed -n '1p;$p' | paste -sd- | sed 's/^\([^-]*\)-\1$/\1/'; }
  ratio=$(printf '%s\n' "${ours[@]}" "${tuned[@]}" "${pip[@]}" | awk -v n="${#ours[@]}" '
    NR <= n { o[NR] = $1; next } NR <= 2 * n { t[NR - n] = $1; next } { p[NR - 2 * n] = $1 }
    END { lo = 1e9; hi = 0; for (i = 1; i <= n; i++) { f = t[i] < p[i] ? t[i] : p[i]; r = f / o[i];
          if (r < lo) lo = r; if (r > hi) hi = r } printf "%.2f-%.2fx", lo, hi }')
  echo "| $gen $size/$width | $(range_of "${ours[@]}") | $(range_of "${tuned[@]}") | $(range_of "${pip[@]}") | $ratio | $(largest "${ours_rss[@]}") / $(largest "${tuned_rss[@]}") / $(largest "${pip_rss[@]}") |"
done
