#!/usr/bin/env bash
# The main job, end to end, on built-in data: installs dependencies, builds, generates a paired
# MRI head phantom as NIfTI volumes (T1w and T2w), trains a CycleGAN T1 -> T2 on its unpaired
# training volumes within a time budget, translates the paired test T1 volumes into NIfTI
# volumes, scores them against the real T2 volumes (whole volumes, and slice by slice) and
# against two trivial baselines, and writes demo-out/report/index.html.
#   tools/demo.sh                  at most 10 minutes of training on the CPU (or a GPU when present)
#   tools/demo.sh --minutes 3      another training budget
#   tools/demo.sh --steps 20       a fixed number of steps instead (smoke test)
#   tools/demo.sh --smoke          a seconds-long version at 64x64 (what CI and ctest run)
#   tools/demo.sh --out DIR        somewhere else than demo-out/
#   tools/demo.sh --bin DIR        use the tools already built in DIR (no setup, no build)
#   tools/demo.sh --threads N      CPU threads for training (default: the cores idle right now)
#   tools/demo.sh --device cuda    train and translate on this device (default: cuda if a GPU
#                                  is present and nvcc is installed, else cpu)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)

minutes=10 steps=0 out=$root/demo-out smoke=0 bin="" device="" threads=""
while (($#)); do
  case $1 in
    --minutes) minutes=$2; shift 2 ;;
    --steps) steps=$2; shift 2 ;;
    --out) mkdir -p "$2"; out=$(cd "$2" && pwd); shift 2 ;;
    --smoke) smoke=1; shift ;;
    --bin) bin=$(cd "$2" && pwd); shift 2 ;;
    --device) device=$2; shift 2 ;;
    --threads) threads=$2; shift 2 ;;
    -h|--help) sed -n '2,16p' "$0"; exit 0 ;;
    *) echo "demo.sh: unknown option '$1' (see --help)" >&2; exit 2 ;;
  esac
done
cd "$root"

# The demo configuration: a U-Net CycleGAN at 128x128 (ngf/ndf 32), gan_train's defaults (the seed
# tutorial's recipe: BCE loss, lambda 10, identity 0.5, Adam 2e-4 / 0.5; plus an NGF structure
# term of weight 5, docs/quality.md) without the image pool (the cheaper single-forward step), on
# 6 + 6 training volumes x 12 axial slices: 8 epochs at the base learning rate and 8 of linear
# decay = 1152 steps, about 4 minutes on two quiet cores; a slower machine stops at the
# 10-minute budget instead.
size=128 ngf=32 subjects=6 slices=12 epochs=8 pool=0
if ((smoke)); then
  size=64 ngf=8 subjects=2 slices=6 epochs=2
  ((steps == 0)) && steps=24
fi

jobs=$(nproc 2>/dev/null || echo 2)
if [[ -n $bin ]]; then
  device=${device:-cpu}
  echo "== tools from $bin"
else
  tools/setup.sh
  has_gpu=0
  command -v nvidia-smi >/dev/null && nvidia-smi -L >/dev/null 2>&1 &&
    [[ -x ${CUDACXX:-/usr/local/cuda/bin/nvcc} ]] && has_gpu=1
  [[ -z $device ]] && { ((has_gpu)) && device=cuda || device=cpu; }
  if [[ $device == cuda ]]; then
    echo "== build (real CUDA)"
    build=build-cuda
    cmake -S . -B $build -DCMAKE_BUILD_TYPE=Release -DGAN_CUDA=ON -DGAN_CUDA_EMU=OFF \
      -DCMAKE_CUDA_COMPILER="${CUDACXX:-/usr/local/cuda/bin/nvcc}" >/dev/null
  else
    echo "== build (CPU; same configuration as tools/test.sh)"
    build=build
    cmake -S . -B $build -DCMAKE_BUILD_TYPE=Release -DGAN_CUDA=OFF -DGAN_CUDA_EMU=ON >/dev/null
  fi
  cmake --build $build -j "$jobs" --target gan_phantom gan_train gan_infer gan_eval gan_report gan_slices
  bin=$root/$build/bin
fi

# Training threads: the cores other processes leave idle. On a shared machine, more compute
# threads than idle cores make every parallel region wait for a descheduled thread.
idle_cores() {  # measured over one second from /proc/stat; at least 1
  local a b
  read -ra a < /proc/stat; sleep 1; read -ra b < /proc/stat
  awk -v n="$jobs" -v t0="$((a[1] + a[2] + a[3] + a[4] + a[5] + a[6] + a[7]))" -v i0="$((a[4] + a[5]))" \
      -v t1="$((b[1] + b[2] + b[3] + b[4] + b[5] + b[6] + b[7]))" -v i1="$((b[4] + b[5]))" \
      'BEGIN { c = int(n * (i1 - i0) / (t1 - t0 + 1e-9) + 0.5); print (c < 1 ? 1 : c) }'
}

mkdir -p "$out"
data=$out/data run=$out/run pred=$out/pred evals=$out/eval
rm -rf "$run" "$pred" "$evals"
mkdir -p "$evals"

echo "== 1/6 phantom volumes: $subjects + $subjects training subjects (unpaired), 2 paired test subjects"
rm -rf "$data"
"$bin/gan_phantom" --out "$data" --format nifti --size $size --subjects $subjects --slices $slices \
  --test-subjects 2 --seed 1

[[ -z $threads ]] && threads=$( [[ -r /proc/stat ]] && idle_cores || echo 0)
echo "== 2/6 train on $device, $threads CPU threads ($( ((steps)) && echo "$steps steps" || echo "$minutes minutes"))"
budget=(--minutes "$minutes")
((steps)) && budget=(--steps "$steps")
"$bin/gan_train" --data-a "$data/trainA" --data-b "$data/trainB" --out "$run" --gen unet \
  --size $size --load-size $((size + size / 8)) --ngf $ngf --ndf $ngf --epochs $epochs \
  --decay-epochs $epochs --pool $pool --device $device --threads $threads --log-every 50 "${budget[@]}"

echo "== 3/6 translate the test T1 volumes into T2 volumes (NIfTI)"
"$bin/gan_infer" --checkpoint "$run/checkpoints/latest.safetensors" --direction t1-to-t2 \
  --input "$data/testA" --output "$pred" --device $device

echo "== 4/6 axial slices of the test volumes and the translations (16-bit PNG, as training sees them)"
slices_dir=$out/slices
rm -rf "$slices_dir"
for what in testA testB pred; do
  src=$data/$what
  [[ $what == pred ]] && src=$pred
  "$bin/gan_slices" --input "$src" --output "$slices_dir/$what"
done

echo "== 5/6 evaluate against the real T2 volumes and slices, and the baselines"
"$bin/gan_eval" --pred "$pred" --target "$data/testB" --json "$evals/model_volumes.json" --csv "$evals/model_volumes.csv"
"$bin/gan_eval" --pred "$data/testA" --target "$data/testB" --json "$evals/identity_volumes.json"
"$bin/gan_eval" --pred "$data/testA" --target "$data/testB" --baseline invert --json "$evals/invert_volumes.json"
"$bin/gan_eval" --pred "$slices_dir/pred" --target "$slices_dir/testB" --json "$evals/model.json" --csv "$evals/model.csv"
"$bin/gan_eval" --pred "$slices_dir/testA" --target "$slices_dir/testB" --json "$evals/identity.json"
"$bin/gan_eval" --pred "$slices_dir/testA" --target "$slices_dir/testB" --baseline invert --json "$evals/invert.json"

echo "== 6/6 report"
"$bin/gan_report" --run "$run" --out "$out/report" --eval "CycleGAN (this run), slices=$evals/model.json" \
  --eval "baseline: identity (T1 as is), slices=$evals/identity.json" \
  --eval "baseline: inverted T1, slices=$evals/invert.json" \
  --eval "CycleGAN (this run), whole volumes=$evals/model_volumes.json" \
  --eval "baseline: identity, whole volumes=$evals/identity_volumes.json" \
  --eval "baseline: inverted T1, whole volumes=$evals/invert_volumes.json" \
  --input "$slices_dir/testA" --pred "$slices_dir/pred" --target "$slices_dir/testB" \
  --title "T1 -> T2 CycleGAN on the built-in phantom (NIfTI volumes)"

headline() {  # name json -> "name: PSNR x dB, SSIM y"
  sed -n '/"mean"/,/}/p' "$2" | tr -d ' ,"' | awk -F: -v n="$1" '
    $1=="psnr"{p=$2} $1=="ssim"{s=$2} END{printf "  %-10s PSNR %6.2f dB   SSIM %.4f\n", n, p, s}'
}
echo
echo "report: $out/report/index.html"
echo "test set (T1 -> T2, paired phantom volumes; slices | whole volumes):"
headline model "$evals/model.json"
headline identity "$evals/identity.json"
headline inverted "$evals/invert.json"
headline "model vol" "$evals/model_volumes.json"
headline "ident. vol" "$evals/identity_volumes.json"
headline "invert vol" "$evals/invert_volumes.json"
echo "translated volumes: $pred"
