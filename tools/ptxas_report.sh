#!/usr/bin/env bash
# Resource usage of every CUDA kernel, from the compiler: compiles each kernels/cuda/*.cu with
# nvcc -Xptxas -v for sm_80 and sm_90 (the flags of the CMake CUDA build), and prints a markdown
# table per kernel: registers (sm_80, sm_90), spill stores/loads, stack frame, static shared
# memory, the block size its launcher uses, and the theoretical occupancy on sm_90 (H100/H200).
# Exit status 1, naming the kernels, if any kernel spills registers (or uses a stack frame for
# spills) on either architecture; 2 if a file does not compile.
#
#   tools/ptxas_report.sh [--out FILE] [--jobs N] [--keep DIR]
#   GAN_PTXAS_FLAGS="-maxrregcount=64" tools/ptxas_report.sh     extra nvcc flags (experiments)
#
# No GPU needed. Compiles each file once for both architectures (-gencode pairs); 16-42 s on
# 2 cores, about a minute when they are shared with other builds. Needs nvcc (CUDACXX or /usr/local/cuda/bin/nvcc) and cu++filt or c++filt.
#
# Occupancy on sm_90 (per SM): 65536 registers, allocated per warp in units of 256 (so a thread's
# count rounds up to a multiple of 8), at most 255 per thread; at most 64 warps and 32 blocks;
# 228 KiB of shared memory, at most 227 KiB per block, plus 1 KiB the system reserves per block,
# allocated in 128-byte units. The kernels use no dynamic shared memory (none calls
# GAN_DYNAMIC_SHARED; add its bytes to a row if one ever does).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out=""
jobs="$(nproc 2>/dev/null || echo 2)"
keep=""
die() { echo "ptxas_report: $*" >&2; exit 2; }
while [[ $# -gt 0 ]]; do
  case "$1" in
    --out) [[ $# -ge 2 ]] || die "--out needs a file"; out="$2"; shift 2 ;;
    --jobs) [[ $# -ge 2 ]] || die "--jobs needs a number"; jobs="$2"; shift 2 ;;
    --keep) [[ $# -ge 2 ]] || die "--keep needs a directory"; keep="$2"; shift 2 ;;
    -h|--help) sed -n '2,20p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown argument '$1' (see --help)" ;;
  esac
done

nvcc="${CUDACXX:-/usr/local/cuda/bin/nvcc}"
[[ -x "$nvcc" ]] || nvcc="$(command -v nvcc || true)"
[[ -n "$nvcc" && -x "$nvcc" ]] || die "nvcc not found (set CUDACXX)"
filt="$(dirname "$nvcc")/cu++filt"
[[ -x "$filt" ]] || filt="$(command -v cu++filt || command -v c++filt || true)"
[[ -n "$filt" ]] || die "neither cu++filt nor c++filt found"

work="${keep:-$(mktemp -d)}"
mkdir -p "$work"
[[ -n "$keep" ]] || trap 'rm -rf "$work"' EXIT

# The CMake CUDA build's flags (CMakeLists.txt: C++17, Release -O3, GAN_HAS_CUDA/GAN_CUDA_EMULATED;
# kernels/CMakeLists.txt: --expt-relaxed-constexpr), for the two real architectures it builds.
flags=(-std=c++17 -O3 -DNDEBUG --expt-relaxed-constexpr -I"$here" -DGAN_HAS_CUDA=1
       -DGAN_CUDA_EMULATED=0 -lineinfo -Xptxas -v
       -gencode arch=compute_80,code=sm_80 -gencode arch=compute_90,code=sm_90)
# Extra flags for experiments, e.g. GAN_PTXAS_FLAGS=-maxrregcount=64 to see what would spill.
read -r -a extra <<<"${GAN_PTXAS_FLAGS:-}"
flags+=("${extra[@]}")

t0=$SECONDS
export nvcc work
printf '%s\n' "$here"/kernels/cuda/*.cu |
  xargs -P "$jobs" -I{} bash -c '
    f="{}"; b="$(basename "$f" .cu)"
    "$nvcc" "$@" -c -o "$work/$b.o" "$f" >"$work/$b.log" 2>&1 || { echo "$b" >>"$work/failed"; }
  ' _ "${flags[@]}"
if [[ -s "$work/failed" ]]; then
  for b in $(cat "$work/failed"); do
    echo "ptxas_report: $b.cu does not compile:" >&2
    tail -n 20 "$work/$b.log" >&2
  done
  exit 2
fi

# One TSV row per (kernel, arch): mangled name, arch, registers, stack, spill stores, spill loads,
# static shared bytes. "Function properties for F" precedes F's stack line; "Used N registers"
# belongs to the entry being compiled.
for log in "$work"/*.log; do
  awk -v OFS='\t' -v file="$(basename "$log" .log).cu" '
    /Compiling entry function/ {
      match($0, /function \x27[^\x27]+\x27/); entry = substr($0, RSTART + 10, RLENGTH - 11)
      match($0, /for \x27sm_[0-9]+\x27/); arch = substr($0, RSTART + 5, RLENGTH - 6)
      next
    }
    /Function properties for/ { props = $NF; next }
    /bytes stack frame/ {
      stack[props] = $1; st[props] = $5; ld[props] = $9; parch[props] = arch; next
    }
    /Used [0-9]+ registers/ {
      regs = 0; smem = 0
      for (i = 1; i <= NF; ++i) {
        if ($(i + 1) ~ /^registers/) regs = $i
        if ($(i + 1) == "bytes" && $(i + 2) ~ /^smem/) smem = $i
      }
      print entry, arch, regs, stack[entry] + 0, st[entry] + 0, ld[entry] + 0, smem, file
      delete stack[entry]
      next
    }
    END {  # a non-inlined device function with spills: report it under its own name
      for (f in stack) if (st[f] + ld[f] > 0) print f, parch[f], 0, stack[f], st[f], ld[f], 0, file
    }
  ' "$log"
done >"$work/rows.tsv"
[[ -s "$work/rows.tsv" ]] || die "no kernels found in the ptxas output (see $work)"

# Demangled, without parameter lists and namespaces, for the table.
cut -f1 "$work/rows.tsv" | "$filt" -p 2>/dev/null | sed -e 's/^void //' -e 's/gan::cuda:://g' \
  -e 's/(anonymous namespace):://g' >"$work/names.txt" ||
  cut -f1 "$work/rows.tsv" >"$work/names.txt"
paste "$work/names.txt" "$work/rows.tsv" >"$work/named.tsv"

# Per kernel: the sm_80 and sm_90 rows side by side, sm_90 occupancy, and the spill verdict.
table="$(awk -F'\t' '
  # The block size each launcher uses (kernels/cuda/*.cu): 256 threads everywhere except these.
  function block_of(name) {
    if (name ~ /^instance_norm_channel_sums_kernel/) return 128
    # threads_for(HW): 32..256 by plane size; 256 for planes of 256 or more values.
    if (name ~ /^instance_norm_(forward|backward)_kernel/) return 256
    return 256
  }
  function ceil_div(a, b) { return int((a + b - 1) / b) }
  {
    name = $9 "|" $1; arch = $3  # kernel names repeat across files (forward_kernel)
    if (!(name in seen)) { seen[name] = 1; order[++n] = name; kname[name] = $1 }
    regs[name, arch] = $4; stack[name, arch] = $5; st[name, arch] = $6; ld[name, arch] = $7
    smem[name, arch] = $8; file[name] = $9
  }
  END {
    print "| file | kernel | regs sm_80 | regs sm_90 | spill st/ld (B) | stack (B) | static smem (B) | block | blocks/SM sm_90 | occupancy sm_90 | limited by |"
    print "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|"
    bad = ""
    for (i = 1; i <= n; ++i) {
      k = order[i]
      r = regs[k, "sm_90"] + 0; s = smem[k, "sm_90"] + 0
      threads = block_of(kname[k]); warps = ceil_div(threads, 32)
      # Registers: per warp, rounded up to 256; blocks = warps that fit / warps per block.
      if (r > 0) { per_warp = ceil_div(r * 32, 256) * 256; by_regs = int(int(65536 / per_warp) / warps) }
      else by_regs = 32
      # Shared memory: static bytes in 128-byte units plus the 1 KiB reserved per block.
      by_smem = int(228 * 1024 / (ceil_div(s, 128) * 128 + 1024))
      by_warps = int(64 / warps)
      blocks = 32; lim = "blocks (32)"
      if (by_warps < blocks) { blocks = by_warps; lim = "warps (64)" }
      if (by_regs < blocks) { blocks = by_regs; lim = "registers" }
      if (by_smem < blocks) { blocks = by_smem; lim = "shared memory" }
      occ = blocks * warps / 64
      spill = 0; sts = ""; stk = ""
      for (a = 80; a <= 90; a += 10) {
        arch = "sm_" a
        if (!((k, arch) in regs)) continue
        spill += st[k, arch] + ld[k, arch]
        sts = sts (sts == "" ? "" : ", ") st[k, arch] "/" ld[k, arch]
        stk = stk (stk == "" ? "" : ", ") stack[k, arch]
      }
      if (spill > 0) bad = bad "  " kname[k] " (" file[k] ")\n"
      printf "| %s | `%s` | %s | %s | %s | %s | %d | %d | %d | %d%% (%d warps) | %s |\n", file[k],
             kname[k], regs[k, "sm_80"] == "" ? "-" : regs[k, "sm_80"], r, sts, stk, s, threads, blocks,
             int(occ * 100 + 0.5), blocks * warps, lim
    }
    if (bad != "") printf "%s", bad > "/dev/stderr"
  }
' "$work/named.tsv" 2>"$work/spills.txt")"

secs=$((SECONDS - t0))
header="Kernel resources from nvcc $("$nvcc" --version | sed -n 's/.*release \([0-9.]*\).*/\1/p') -Xptxas -v (sm_80 and sm_90; spill and stack columns list sm_80, sm_90). Occupancy: theoretical, sm_90, at the launcher's block size."
if [[ -n "$out" ]]; then
  { echo "$header"; echo; echo "$table"; } >"$out"
fi
echo "$header"
echo
echo "$table"
echo
echo "ptxas_report: $(wc -l <"$work/rows.tsv") kernel builds from $(ls "$here"/kernels/cuda/*.cu | wc -l) files in ${secs}s"
if [[ -s "$work/spills.txt" ]]; then
  echo "ptxas_report: FAILED: these kernels spill registers:" >&2
  cat "$work/spills.txt" >&2
  exit 1
fi
echo "ptxas_report: no kernel spills registers"
