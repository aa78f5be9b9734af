#!/usr/bin/env bash
# Quality per minute: trains each recipe for the same wall-clock budgets on the built-in phantom and
# scores its translations of the paired test set (PSNR, SSIM whole slice and foreground, edge_corr
# against the T1 input), next to the trivial baselines. Writes OUT/quality.csv, OUT/quality.md and
# OUT/quality.png (scores against minutes). docs/quality.md describes the recipes and the files.
#   tools/quality.sh                           every recipe, budgets 5 15 45 minutes, 128x128
#   tools/quality.sh --recipes "seed paper"    some recipes (seed paper seed+ssim seed+ngc seed+ngf
#                                              pix2pix)
#   tools/quality.sh --minutes "5 15 45"       training budgets in minutes, increasing: checkpoints
#                                              of one run per recipe (45 costs 45 minutes, not 65)
#   tools/quality.sh --size 128                image side (phantom and network)
#   tools/quality.sh --threads N               CPU threads of every tool (default 0: all cores;
#                                              --quick: 1)
#   tools/quality.sh --device cuda             train and translate on this device (default cpu)
#   tools/quality.sh --out DIR                 somewhere else than quality-out/
#   tools/quality.sh --bin DIR                 the tools already built in DIR (default: build them)
#   tools/quality.sh --quick                   a seconds-long smoke run at 32x32 (what ctest runs)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)

all_recipes="seed paper seed+ssim seed+ngc seed+ngf seed+ngf5 pix2pix"
recipes=$all_recipes minutes="5 15 45" size=128 threads="" device=cpu out=$root/quality-out bin="" quick=0
minutes_given=0 size_given=0
while (($#)); do
  case $1 in
    --recipes) recipes=$2; shift 2 ;;
    --minutes) minutes=$2; minutes_given=1; shift 2 ;;
    --size) size=$2; size_given=1; shift 2 ;;
    --threads) threads=$2; shift 2 ;;
    --device) device=$2; shift 2 ;;
    --out) mkdir -p "$2"; out=$(cd "$2" && pwd); shift 2 ;;
    --bin) bin=$(cd "$2" && pwd); shift 2 ;;
    --quick) quick=1; shift ;;
    -h|--help) sed -n '2,17p' "$0"; exit 0 ;;
    *) echo "quality.sh: unknown option '$1' (see --help)" >&2; exit 2 ;;
  esac
done

# The recipes: every flag that defines one is written out, so a recipe does not move when
# gan_train's defaults do. The seed CycleGAN: U-Net, BCE, image pool 50, Adam 2e-4 / 0.5, lambda
# cycle 10, identity 0.5; gan_train's defaults are seed+ngf5 (the seed recipe with an NGF structure
# term of weight 5).
seed_flags="--gen unet --gan-loss bce --pool 50 --lr 0.0002 --beta1 0.5 --lambda-cycle 10 --lambda-identity 0.5"
recipe_flags() {
  case $1 in
    seed) echo "$seed_flags --structure-loss none" ;;
    paper) echo "--gen resnet --gan-loss lsgan --pool 50 --lr 0.0002 --beta1 0.5 --lambda-cycle 10 --lambda-identity 0.5 --structure-loss none" ;;
    seed+ssim) echo "$seed_flags --structure-loss ssim --lambda-structure 1" ;;
    seed+ngc) echo "$seed_flags --structure-loss ngc --lambda-structure 1" ;;
    seed+ngf) echo "$seed_flags --structure-loss ngf --lambda-structure 1" ;;
    seed+ngf5) echo "$seed_flags --structure-loss ngf --lambda-structure 5" ;;
    pix2pix) echo "--mode pix2pix --gen unet --gan-loss bce --lr 0.0002 --beta1 0.5" ;;
    *) return 1 ;;
  esac
}
# Recipes trained on paired data (the same subjects in trainA and trainB).
paired_recipe() { [[ $1 == pix2pix ]]; }

for r in $recipes; do
  recipe_flags "$r" >/dev/null || { echo "quality.sh: --recipes: unknown recipe '$r' (known: $all_recipes)" >&2; exit 2; }
done
[[ -n ${recipes// /} ]] || { echo "quality.sh: --recipes: empty" >&2; exit 2; }
[[ $device == cpu || $device == cuda ]] || { echo "quality.sh: --device must be cpu or cuda, got '$device'" >&2; exit 2; }

# Data and network sizes: the demo's (tools/demo.sh) network width and phantom, 3 paired test subjects.
subjects=6 slices=12 test_subjects=3 ngf=32
if ((quick)); then
  subjects=1 slices=4 test_subjects=1 ngf=8
  ((size_given)) || size=32
  ((minutes_given)) || minutes="0.05 0.1"
  # One thread: on a busy machine, more compute threads than idle cores make every parallel region
  # wait for a descheduled thread, and a smoke run of a tiny network gains nothing from more.
  threads=${threads:-1}
fi
threads=${threads:-0}
[[ $threads =~ ^[0-9]+$ ]] || { echo "quality.sh: --threads must be a whole number, got '$threads'" >&2; exit 2; }
# gan_train takes --threads; gan_infer and gan_eval take OpenMP's setting.
((threads > 0)) && export OMP_NUM_THREADS=$threads
[[ $size =~ ^[0-9]+$ ]] && ((size >= 32)) || { echo "quality.sh: --size must be a whole number >= 32, got '$size'" >&2; exit 2; }
awk -v list="$minutes" 'BEGIN { n = split(list, m, " "); if (n < 1) exit 1
  for (i = 1; i <= n; ++i) if (m[i] !~ /^[0-9]*\.?[0-9]+$/ || m[i] + 0 <= 0 || (i > 1 && m[i] + 0 <= m[i - 1] + 0)) exit 1 }' ||
  { echo "quality.sh: --minutes must be increasing positive numbers, got '$minutes'" >&2; exit 2; }

t0=$SECONDS
say() { local s=$((SECONDS - t0)); printf '[%02d:%02d:%02d] %s\n' $((s / 3600)) $((s / 60 % 60)) $((s % 60)) "$*"; }

if [[ -z $bin ]]; then
  cd "$root"
  if [[ $device == cuda ]]; then
    build=build-cuda
    cmake -S . -B $build -DCMAKE_BUILD_TYPE=Release -DGAN_CUDA=ON -DGAN_CUDA_EMU=OFF \
      -DCMAKE_CUDA_COMPILER="${CUDACXX:-/usr/local/cuda/bin/nvcc}" >/dev/null
  else
    build=build
    cmake -S . -B $build -DCMAKE_BUILD_TYPE=Release -DGAN_CUDA=OFF -DGAN_CUDA_EMU=ON >/dev/null
  fi
  say "build the tools in $build/"
  cmake --build $build -j "$(nproc 2>/dev/null || echo 2)" --target gan_phantom gan_train gan_infer gan_eval gan_report
  bin=$root/$build/bin
fi

mkdir -p "$out"
data=$out/data paired_data=$out/data_paired runs=$out/runs pred=$out/pred evals=$out/eval
rm -rf "$data" "$paired_data" "$runs" "$pred" "$evals"
mkdir -p "$runs" "$pred" "$evals"
phantom=(--size "$size" --subjects "$subjects" --slices "$slices" --test-subjects "$test_subjects" --seed 1)
say "phantom: ${size}x${size} PNG slices, $subjects + $subjects training subjects x $slices slices, $test_subjects paired test subjects"
"$bin/gan_phantom" --out "$data" "${phantom[@]}" >/dev/null
for r in $recipes; do
  if paired_recipe "$r"; then
    say "phantom, paired (same subjects in trainA and trainB) for $r"
    "$bin/gan_phantom" --out "$paired_data" --paired "${phantom[@]}" >/dev/null
    break
  fi
done

# Every model and baseline is scored on the same test set: $data/testA (T1) -> $data/testB (T2).
csv=$out/quality.csv
echo "recipe,kind,minutes,train_minutes,steps,psnr,ssim,mae,fg_psnr,fg_ssim,fg_mae,edge_corr,edge_corr_target" >"$csv"
# A gan_eval --csv file's "mean" row without its name: psnr .. edge_corr_target.
mean_row() { awk -F, '$1 == "mean" { sub(/^[^,]*,/, ""); print }' "$1"; }
score() {  # name, [gan_eval flags...] -> $evals/name.csv
  local name=$1
  shift
  "$bin/gan_eval" --target "$data/testB" --input "$data/testA" --csv "$evals/$name.csv" --json "$evals/$name.json" "$@" >/dev/null
}

say "baselines: identity (the T1 as it is) and inverted T1"
score identity --pred "$data/testA"
score inverted --pred "$data/testA" --baseline invert
echo "identity,baseline,,,,$(mean_row "$evals/identity.csv")" >>"$csv"
echo "inverted,baseline,,,,$(mean_row "$evals/inverted.csv")" >>"$csv"

# Training seconds over all segments of a run (losses.csv's `seconds` restarts at each --resume).
trained_seconds() {
  awk -F, 'NR == 1 { for (i = 1; i <= NF; ++i) if ($i == "seconds") c = i; next }
           c { s = $c + 0; if (s < prev) total += prev; prev = s } END { printf "%.3f\n", total + prev }' "$1"
}
last_step() { awk -F, 'NR > 1 && $1 != "" { s = $1 } END { print s + 0 }' "$1"; }

failed=""
for r in $recipes; do
  run=$runs/$r log=$runs/$r.log
  train_data=$data
  paired_recipe "$r" && train_data=$paired_data
  read -ra flags <<<"$(recipe_flags "$r")"
  common=(--data-a "$train_data/trainA" --data-b "$train_data/trainB" --out "$run" --size "$size"
          --load-size $((size + size / 8)) --ngf "$ngf" --ndf "$ngf" --epochs 100000 --decay-epochs 0
          --batch 1 --seed 1 --sample-every 0 --log-every 200 --device "$device" --threads "$threads")
  resume=()
  for m in $minutes; do
    trained=0
    [[ -f $run/losses.csv ]] && trained=$(trained_seconds "$run/losses.csv")
    left=$(awk -v m="$m" -v t="$trained" 'BEGIN { printf "%.4f", m - t / 60 }')
    if awk -v l="$left" 'BEGIN { exit !(l > 0.0005) }'; then
      say "$r: train to $m min (${left} min more; log $log)"
      if ! "$bin/gan_train" "${common[@]}" "${flags[@]}" --minutes "$left" "${resume[@]}" >>"$log" 2>&1; then
        say "$r: gan_train failed; the end of $log:"
        tail -n 3 "$log" | sed 's/^/    /'
        failed="$failed $r"
        continue 2
      fi
    else
      say "$r: already trained $(awk -v t="$trained" 'BEGIN { printf "%.2f", t / 60 }') min: scoring that for $m min"
    fi
    resume=(--resume)
    trained=$(trained_seconds "$run/losses.csv")
    steps=$(last_step "$run/losses.csv")
    cp "$run/checkpoints/latest.safetensors" "$run/checkpoints/at_${m}min.safetensors"
    say "$r: $steps steps in $(awk -v t="$trained" 'BEGIN { printf "%.2f", t / 60 }') min; translate and score the test set"
    out_dir=$pred/$r/${m}min
    if ! "$bin/gan_infer" --checkpoint "$run/checkpoints/latest.safetensors" --direction t1-to-t2 \
           --input "$data/testA" --output "$out_dir" --device "$device" >>"$log" 2>&1 ||
       ! score "$r-${m}min" --pred "$out_dir" 2>>"$log"; then
      say "$r: translating or scoring failed; the end of $log:"
      tail -n 3 "$log" | sed 's/^/    /'
      failed="$failed $r"
      continue 2
    fi
    echo "$r,model,$m,$(awk -v t="$trained" 'BEGIN { printf "%.3f", t / 60 }'),$steps,$(mean_row "$evals/$r-${m}min.csv")" >>"$csv"
  done
done

say "chart and table"
"$bin/gan_report" --quality "$csv" --out "$out/quality.png" >/dev/null
{
  echo "# Quality per minute"
  echo
  echo "tools/quality.sh: ${size}x${size} phantom, $device, threads $threads, budgets: $minutes minutes."
  echo "Test set: $data/testA (T1) -> $data/testB (T2), $(ls "$data/testA" | wc -l) slices."
  echo
  echo "![test-set scores against training minutes](quality.png)"
  echo
  echo "| recipe | minutes | steps | PSNR (dB) | SSIM | PSNR fg (dB) | SSIM fg | edge_corr |"
  echo "|---|---|---|---|---|---|---|---|"
  awk -F, 'NR > 1 { printf "| %s | %s | %s | %.2f | %.4f | %.2f | %.4f | %.4f |\n", $1, ($2 == "baseline" ? "-" : $3),
                    ($2 == "baseline" ? "-" : $5), $6, $7, $9, $10, $12; ref = $13 }
           END { printf "\nReal T2 vs T1 edge_corr (the reference a true T2 reaches): %.4f\n", ref }' "$csv"
  echo
  echo "PSNR, SSIM: against the real T2 slices, data range 1; fg = inside the T2's foreground mask;"
  echo "edge_corr: Sobel gradient magnitudes of the translation against its T1 input (docs/evaluation.md)."
} >"$out/quality.md"

say "done: $out/quality.csv, $out/quality.md, $out/quality.png"
column -s, -t <"$csv" 2>/dev/null || cat "$csv"
if [[ -n $failed ]]; then
  echo "quality.sh: recipes that failed:$failed (logs in $runs/)" >&2
  exit 1
fi
