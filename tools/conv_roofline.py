#!/usr/bin/env python3
"""Roofline estimate of every convolution layer of bench/bench_conv_cuda.cpp on an H200.

A documentation helper (prints the markdown table of docs/kernels.md "Roofline on an H200"); the
product never runs it. Model, all numbers stated:

  peaks      FP32 SIMT 67 TFLOP/s (132 SMs x 128 lanes x 2 x 1.98 GHz), TF32 tensor cores dense
             495 TFLOP/s, HBM3e 4.8 TB/s (docs/kernels.md; /work/.library/device/H200.md)
  FLOPs      2 x c_out x n h_out w_out x c_in k k, the same for all three passes
  bytes      the minimum: every operand read once and the result written once, float32:
             4 (|x| + |w| + |y|) for every pass (each pass reads two of them and writes the third)
  bound      compute when FLOPs / peak > bytes / bandwidth, else memory; t_min = the larger
  a variant's best case:  t = max(FLOPs / (peak x f_smem x f_fill x f_wave), bytes / bandwidth)
             and the table gives t_min / t (1.00 = can reach the roofline). Global re-reads of
             operands by the tiles are assumed to hit L2 (optimistic), and the global -> shared
             stores (one per loaded value per slice) are ignored (~10% of the shared traffic).
    f_smem   issue limit of the inner loop per warp and k step: FMA-pipe clocks over shared-memory
             wavefront clocks (1 wavefront per clock per SM, 4 warp instructions per clock):
               v0  no shared memory: ~12 instructions (index math, 2 loads) per FFMA -> 1/12
               v1  16 FFMA (4 clocks) per 1 LDS.128 (broadcast) + 4 LDS.32 -> 4/5
               v2  64 FFMA (16 clocks) per 2 LDS.128 + 8 LDS.32 -> 1
               v3  8 wmma m16n16k8 = 16384 FMA = 16 clocks at 1024 TF32 FMA/clock/SM, per
                   6 fragment loads x 4 LDS.32 = 24 wavefronts -> 2/3
    f_fill   useful fraction of the tiles: M N / (tiles_m BM x tiles_n BN) (per phase for dx)
    f_wave   tiles / (waves x 132 x blocks per SM), blocks per SM from tools/ptxas_report.sh
             (sm_90, theoretical occupancy); v0 has enough threads everywhere (1.0)
"""
import math

SMS = 132
PEAK_FP32 = 67e12
PEAK_TF32 = 495e12
BW = 4.8e12

# variant: (BM, BN, BK, f_smem, blocks/SM for fwd, dgrad, wgrad) -- blocks/SM from ptxas_report
VARIANTS = {
    1: (64, 64, 16, 4 / 5, (5, 4, 5)),
    2: (128, 128, 8, 1.0, (2, 2, 2)),
    3: (128, 128, 16, 2 / 3, (2, 1, 2)),
}
F_V0 = 1 / 12


def conv(n, ci, h, co, k, s, p):
    ho = (h + 2 * p - k) // s + 1
    return dict(n=n, c_in=ci, h=h, w=h, c_out=co, k=k, s=s, p=p, h_out=ho, w_out=ho)


def convt(n, ci, h, co, k, s, p, op):
    ho = (h - 1) * s - 2 * p + k + op  # the convolution g whose data gradient this is
    return dict(n=n, c_in=co, h=ho, w=ho, c_out=ci, k=k, s=s, p=p, h_out=h, w_out=h)


def layers():
    r = []
    widths = [64, 128, 256, 512, 512, 512, 512, 512]
    cin, h = 1, 256
    for i in range(8):
        r.append(("unet", f"down{i + 1}", conv(1, cin, h, widths[i], 4, 2, 1), False))
        cin, h = widths[i], h // 2
    h = 1
    for j in range(7):
        r.append(("unet", f"up{j + 1}", convt(1, cin, h, widths[6 - j], 4, 2, 1, 0), True))
        cin, h = 2 * widths[6 - j], h * 2
    r.append(("unet", "up8", convt(1, cin, 128, 1, 4, 2, 1, 0), True))
    r += [
        ("resnet", "in7x7", conv(1, 1, 262, 64, 7, 1, 0), False),
        ("resnet", "down1", conv(1, 64, 256, 128, 3, 2, 1), False),
        ("resnet", "down2", conv(1, 128, 128, 256, 3, 2, 1), False),
        ("resnet", "res3x3", conv(1, 256, 66, 256, 3, 1, 0), False),
        ("resnet", "up1", convt(1, 256, 64, 128, 3, 2, 1, 1), True),
        ("resnet", "up2", convt(1, 128, 128, 64, 3, 2, 1, 1), True),
        ("resnet", "out7x7", conv(1, 64, 262, 1, 7, 1, 0), False),
        ("patchgan", "c1", conv(1, 1, 256, 64, 4, 2, 1), False),
        ("patchgan", "c2", conv(1, 64, 128, 128, 4, 2, 1), False),
        ("patchgan", "c3", conv(1, 128, 64, 256, 4, 2, 1), False),
        ("patchgan", "c4", conv(1, 256, 32, 512, 4, 1, 1), False),
        ("patchgan", "c5", conv(1, 512, 31, 1, 4, 1, 1), False),
    ]
    return r


def cdiv(a, b):
    return (a + b - 1) // b


def tiles_of(g, pass_, v):
    """(tiles, useful fraction) of g's pass `pass_` (0 fwd, 1 dgrad, 2 wgrad), as the launchers."""
    BM, BN, BK = VARIANTS[v][:3]
    if pass_ == 0:
        M, N = g["c_out"], g["n"] * g["h_out"] * g["w_out"]
        t = cdiv(M, BM) * cdiv(N, BN)
        return t, M * N / (t * BM * BN)
    if pass_ == 1:
        s, tiles, useful = g["s"], 0, 0
        for ph in range(s):
            for pw in range(s):
                ha = cdiv(g["h"] - ph, s) if ph < g["h"] else 0
                wa = cdiv(g["w"] - pw, s) if pw < g["w"] else 0
                cols = g["n"] * ha * wa
                tiles += cdiv(g["c_in"], BM) * cdiv(cols, BN)
                useful += g["c_in"] * cols
        return tiles, useful / (tiles * BM * BN)
    M, N, K = g["c_out"], g["c_in"] * g["k"] ** 2, g["n"] * g["h_out"] * g["w_out"]
    mn = cdiv(M, BM) * cdiv(N, BN)
    splits = max(1, min(cdiv(4 * 132, mn), cdiv(K, 8 * BK), 64))
    chunk = cdiv(cdiv(K, splits), BK) * BK
    splits = max(1, cdiv(K, chunk))
    return mn * splits, M * N / (mn * BM * BN)


def fraction(g, flops, bytes_, pass_, v):
    peak = PEAK_TF32 if v == 3 else PEAK_FP32
    t_min = max(flops / peak, bytes_ / BW)
    if v == 0:
        return t_min / max(flops / (peak * F_V0), bytes_ / BW)
    f_smem, blocks = VARIANTS[v][3], VARIANTS[v][4][pass_]
    tiles, f_fill = tiles_of(g, pass_, v)
    slots = SMS * blocks
    f_wave = tiles / (cdiv(tiles, slots) * slots)
    return t_min / max(flops / (peak * f_smem * f_fill * f_wave), bytes_ / BW)


def main():
    print("| layer | GFLOP | MB min | FLOP/B | FP32: bound, t_min us | v0 | v1 | v2 | TF32: bound, t_min us | v3 |")
    print("|---|---:|---:|---:|---|---|---|---|---|---|")
    for net, name, g, transposed in layers():
        flops = 2 * g["c_out"] * g["n"] * g["h_out"] * g["w_out"] * g["c_in"] * g["k"] ** 2
        elems = (g["n"] * g["c_in"] * g["h"] * g["w"] + g["c_out"] * g["c_in"] * g["k"] ** 2 +
                 g["n"] * g["c_out"] * g["h_out"] * g["w_out"])
        bytes_ = 4 * elems
        ai = flops / bytes_
        cells = []
        for peak, vs in ((PEAK_FP32, (0, 1, 2)), (PEAK_TF32, (3,))):
            t_c, t_m = flops / peak, bytes_ / BW
            bound = "compute" if t_c >= t_m else "memory"
            cells.append(f"{bound}, {max(t_c, t_m) * 1e6:.1f}")
            for v in vs:
                # The layer's own passes in order fwd / dgrad / wgrad; a transposed layer's
                # forward is g's data gradient and its data gradient g's forward.
                order = (1, 0, 2) if transposed else (0, 1, 2)
                cells.append("/".join(f"{fraction(g, flops, bytes_, p, v):.2f}" for p in order))
        print(f"| {net}.{name} | {flops / 1e9:.2f} | {bytes_ / 1e6:.2f} | {ai:.0f} | " +
              " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
