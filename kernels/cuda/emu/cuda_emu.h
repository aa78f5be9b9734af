// The CUDA emulator: with this header a kernels/cuda/*.cu file compiles with a plain C++ compiler
// and its kernels run on the CPU. It supplies what kernel code uses (threadIdx/blockIdx/blockDim/
// gridDim, __syncthreads, warp shuffles, atomics, vector types, fast-math intrinsics), the runtime
// calls the project makes (cudaMalloc, cudaMemcpyAsync, ...) and the launch machinery behind
// GAN_LAUNCH (kernels/cuda/launch.h).
//
// How a launch runs (kernels/cuda/emu/emulator.cpp, docs/kernels.md): blocks run one after
// another in a scrambled order (set GAN_EMU_BLOCK_ORDER=sequential|reverse to change it); the
// threads of a block run as cooperative fibers (ucontext) on small reused stacks, switching only at
// __syncthreads/__syncwarp/shuffles, so a barrier really waits for every thread of the block.
// Kernels launched with GAN_LAUNCH_NOSYNC promise to use none of these and run their threads in a
// plain loop instead (fast path); breaking that promise aborts with a message.
#pragma once
#if defined(__CUDACC__)
#error "cuda_emu.h is for host compilers; nvcc uses the real CUDA runtime"
#endif
#include <math.h>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>

// ---- keywords ---------------------------------------------------------------------------------
#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
#define __noinline__
#define __launch_bounds__(...)

// ---- vector and index types -------------------------------------------------------------------
struct uint3 {
  unsigned x, y, z;
};
struct dim3 {
  unsigned x, y, z;
  constexpr dim3(unsigned x_ = 1, unsigned y_ = 1, unsigned z_ = 1) : x(x_), y(y_), z(z_) {}
};
struct alignas(8) float2 {
  float x, y;
};
struct alignas(16) float4 {
  float x, y, z, w;
};
inline float2 make_float2(float x, float y) { return float2{x, y}; }
inline float4 make_float4(float x, float y, float z, float w) { return float4{x, y, z, w}; }

constexpr int warpSize = 32;

// The built-in index variables. The emulator sets threadIdx every time it switches to a thread's
// fiber, so each thread sees its own; they are per OS thread for safety. __thread rather than
// thread_local: they are constant-initialized, and thread_local's lazy-init check before every
// access (a weak _ZTH symbol), after the linker's TLS relaxation, trips UBSan's null check.
extern __thread uint3 threadIdx;
extern __thread uint3 blockIdx;
extern __thread dim3 blockDim;
extern __thread dim3 gridDim;

// ---- runtime API subset -----------------------------------------------------------------------
enum cudaError_t {
  cudaSuccess = 0,
  cudaErrorInvalidValue = 1,
  cudaErrorMemoryAllocation = 2,
  cudaErrorInvalidConfiguration = 9,
  cudaErrorInvalidDevicePointer = 17,
  cudaErrorInvalidMemcpyDirection = 21,
  cudaErrorNoDevice = 100,
  cudaErrorInvalidDevice = 101,
  cudaErrorInvalidResourceHandle = 400,
};
using cudaError = cudaError_t;
enum cudaMemcpyKind {
  cudaMemcpyHostToHost = 0,
  cudaMemcpyHostToDevice = 1,
  cudaMemcpyDeviceToHost = 2,
  cudaMemcpyDeviceToDevice = 3,
  cudaMemcpyDefault = 4,
};
enum cudaFuncAttribute { cudaFuncAttributeMaxDynamicSharedMemorySize = 8 };
struct CUstream_st;
using cudaStream_t = CUstream_st*;
constexpr unsigned cudaStreamNonBlocking = 1;

cudaError_t cudaGetDeviceCount(int* count);
cudaError_t cudaSetDevice(int device);
cudaError_t cudaGetDevice(int* device);
cudaError_t cudaMalloc(void** p, size_t bytes);
cudaError_t cudaFree(void* p);
cudaError_t cudaMemcpy(void* dst, const void* src, size_t bytes, cudaMemcpyKind kind);
cudaError_t cudaMemcpyAsync(void* dst, const void* src, size_t bytes, cudaMemcpyKind kind,
                            cudaStream_t stream = nullptr);
cudaError_t cudaMemset(void* p, int value, size_t bytes);
cudaError_t cudaMemsetAsync(void* p, int value, size_t bytes, cudaStream_t stream = nullptr);
cudaError_t cudaStreamCreate(cudaStream_t* s);
cudaError_t cudaStreamCreateWithFlags(cudaStream_t* s, unsigned flags);
cudaError_t cudaStreamDestroy(cudaStream_t s);
cudaError_t cudaStreamSynchronize(cudaStream_t s);
cudaError_t cudaDeviceSynchronize();
cudaError_t cudaGetLastError();
cudaError_t cudaPeekAtLastError();
cudaError_t cudaMemGetInfo(size_t* free_bytes, size_t* total_bytes);
const char* cudaGetErrorString(cudaError_t e);
const char* cudaGetErrorName(cudaError_t e);
cudaError_t cudaFuncSetAttribute(const void* func, cudaFuncAttribute attr, int value);
template <class F>
cudaError_t cudaFuncSetAttribute(F* func, cudaFuncAttribute attr, int value) {
  return cudaFuncSetAttribute(reinterpret_cast<const void*>(func), attr, value);
}

// ---- emulator internals used by the inline device functions and the launch macros -------------
namespace gan::kernels::cuda::emu {

enum class ShuffleKind { index, up, down, bfly };
uint64_t shuffle(unsigned mask, uint64_t bits, ShuffleKind kind, int arg, int width);
void sync_block();
void sync_warp(unsigned mask);
// A warp-collective operation (the WMMA calls below): every lane of the calling warp passes its
// `arg`; once all lanes have arrived, lane 0 runs fn(args of lanes 0..lanes-1, lanes), and no lane
// returns before fn has finished. fn may be null (only the all-lanes-arrive check). `what` names
// the operation in error messages.
void warp_collective(const char* what, void* arg, void (*fn)(void* const* lane_args, int lanes));
[[noreturn]] void fail_in_kernel(const char* what);

// One distinct key object per __shared__ declaration (a function-local static); the emulator maps
// it to the same bytes for every thread of the running block.
struct SharedKey {
  char unused;
};
// `align`: the declaration's alignment, as nvcc gives it: 16 for GAN_SHARED whatever the type
// (nvcc's __align__(16) wins over a type's alignas), more only through GAN_SHARED_ALIGNED.
void* static_shared(const SharedKey* key, size_t bytes, size_t align);
void* dynamic_shared();

struct LaunchConfig {
  dim3 grid, block;
  size_t dynamic_shared_bytes = 0;
  cudaStream_t stream = nullptr;
  bool uses_barriers = true;  // false: GAN_LAUNCH_NOSYNC, threads run in a plain loop
  const void* kernel = nullptr;
  const char* kernel_name = "";
};
// Runs body(ctx) once for every thread of every block. A bad configuration sets the last error
// (as the real runtime does) and runs nothing.
void launch(const LaunchConfig& cfg, void (*body)(void*), void* ctx);

template <class... Params>
struct KernelLaunch {
  void (*kernel)(Params...);
  LaunchConfig cfg;
  template <class... Args>
  void operator()(Args&&... args) const {
    static_assert(sizeof...(Args) == sizeof...(Params), "kernel launched with the wrong arity");
    // Arguments are converted once, as the real launch copies them into parameter space; each
    // thread then receives its own by-value copies.
    std::tuple<std::decay_t<Params>...> packed(std::forward<Args>(args)...);
    auto call = [&] { std::apply(kernel, packed); };
    using Call = decltype(call);
    launch(cfg, [](void* c) { (*static_cast<Call*>(c))(); }, &call);
  }
};

template <class... Params>
KernelLaunch<Params...> make_launch(void (*kernel)(Params...), dim3 grid, dim3 block,
                                    size_t shared_bytes, cudaStream_t stream, bool uses_barriers,
                                    const char* name) {
  LaunchConfig c;
  c.grid = grid;
  c.block = block;
  c.dynamic_shared_bytes = shared_bytes;
  c.stream = stream;
  c.uses_barriers = uses_barriers;
  c.kernel = reinterpret_cast<const void*>(kernel);
  c.kernel_name = name;
  return KernelLaunch<Params...>{kernel, c};
}

template <class T>
uint64_t to_bits(T v) {
  static_assert(sizeof(T) <= 8 && std::is_trivially_copyable<T>::value, "shuffle of a big type");
  uint64_t b = 0;
  std::memcpy(&b, &v, sizeof(T));
  return b;
}
template <class T>
T from_bits(uint64_t b) {
  T v;
  std::memcpy(&v, &b, sizeof(T));
  return v;
}

}  // namespace gan::kernels::cuda::emu

#define GAN_EMU_LAUNCH_(kernel, grid, block, smem, stream, barriers)                      \
  ::gan::kernels::cuda::emu::make_launch(kernel, dim3(grid), dim3(block), static_cast<size_t>(smem), \
                                stream, barriers, #kernel)
#define GAN_LAUNCH(kernel, grid, block, smem, stream) \
  GAN_EMU_LAUNCH_(kernel, grid, block, smem, stream, true)
#define GAN_LAUNCH_NOSYNC(kernel, grid, block, smem, stream) \
  GAN_EMU_LAUNCH_(kernel, grid, block, smem, stream, false)
#define GAN_SHARED(type, name, dims)                                             \
  static ::gan::kernels::cuda::emu::SharedKey gan_shared_key_##name;                      \
  auto& name = *reinterpret_cast<type(*) dims>(                                  \
      ::gan::kernels::cuda::emu::static_shared(&gan_shared_key_##name, sizeof(type dims), 16))
#define GAN_SHARED_ALIGNED(type, name, dims, bytes)                                     \
  static ::gan::kernels::cuda::emu::SharedKey gan_shared_key_##name;                              \
  auto& name = *reinterpret_cast<type(*) dims>(                                          \
      ::gan::kernels::cuda::emu::static_shared(&gan_shared_key_##name, sizeof(type dims), bytes))
#define GAN_DYNAMIC_SHARED(type, name) \
  type* name = reinterpret_cast<type*>(::gan::kernels::cuda::emu::dynamic_shared())

// ---- device functions -------------------------------------------------------------------------
inline void __syncthreads() { ::gan::kernels::cuda::emu::sync_block(); }
inline void __syncwarp(unsigned mask = 0xffffffffu) { ::gan::kernels::cuda::emu::sync_warp(mask); }

template <class T>
T __shfl_sync(unsigned mask, T v, int src_lane, int width = warpSize) {
  using namespace ::gan::kernels::cuda::emu;
  return from_bits<T>(shuffle(mask, to_bits(v), ShuffleKind::index, src_lane, width));
}
template <class T>
T __shfl_up_sync(unsigned mask, T v, unsigned delta, int width = warpSize) {
  using namespace ::gan::kernels::cuda::emu;
  return from_bits<T>(shuffle(mask, to_bits(v), ShuffleKind::up, static_cast<int>(delta), width));
}
template <class T>
T __shfl_down_sync(unsigned mask, T v, unsigned delta, int width = warpSize) {
  using namespace ::gan::kernels::cuda::emu;
  return from_bits<T>(shuffle(mask, to_bits(v), ShuffleKind::down, static_cast<int>(delta), width));
}
template <class T>
T __shfl_xor_sync(unsigned mask, T v, int lane_mask, int width = warpSize) {
  using namespace ::gan::kernels::cuda::emu;
  return from_bits<T>(shuffle(mask, to_bits(v), ShuffleKind::bfly, lane_mask, width));
}

// Atomics: real atomic read-modify-writes, so they stay correct if blocks ever run on several
// OS threads.
inline int atomicAdd(int* p, int v) { return __atomic_fetch_add(p, v, __ATOMIC_RELAXED); }
inline unsigned atomicAdd(unsigned* p, unsigned v) { return __atomic_fetch_add(p, v, __ATOMIC_RELAXED); }
inline unsigned long long atomicAdd(unsigned long long* p, unsigned long long v) {
  return __atomic_fetch_add(p, v, __ATOMIC_RELAXED);
}
template <class F, class U>
F gan_emu_atomic_float_add_(F* p, F v) {
  U* q = reinterpret_cast<U*>(p);
  U old_bits = __atomic_load_n(q, __ATOMIC_RELAXED);
  for (;;) {
    F old_val;
    std::memcpy(&old_val, &old_bits, sizeof(F));
    F new_val = old_val + v;
    U new_bits;
    std::memcpy(&new_bits, &new_val, sizeof(F));
    if (__atomic_compare_exchange_n(q, &old_bits, new_bits, false, __ATOMIC_RELAXED,
                                    __ATOMIC_RELAXED))
      return old_val;
  }
}
inline float atomicAdd(float* p, float v) { return gan_emu_atomic_float_add_<float, uint32_t>(p, v); }
inline double atomicAdd(double* p, double v) { return gan_emu_atomic_float_add_<double, uint64_t>(p, v); }
inline int atomicMax(int* p, int v) {
  int old = __atomic_load_n(p, __ATOMIC_RELAXED);
  while (old < v && !__atomic_compare_exchange_n(p, &old, v, false, __ATOMIC_RELAXED, __ATOMIC_RELAXED)) {
  }
  return old;
}
inline int atomicCAS(int* p, int compare, int v) {
  __atomic_compare_exchange_n(p, &compare, v, false, __ATOMIC_RELAXED, __ATOMIC_RELAXED);
  return compare;
}
inline unsigned atomicCAS(unsigned* p, unsigned compare, unsigned v) {
  __atomic_compare_exchange_n(p, &compare, v, false, __ATOMIC_RELAXED, __ATOMIC_RELAXED);
  return compare;
}

// Intrinsics: the fast-math forms map to the accurate ones.
inline float __expf(float x) { return std::exp(x); }
inline float __logf(float x) { return std::log(x); }
inline float __fdividef(float a, float b) { return a / b; }
inline float __frcp_rn(float x) { return 1.0f / x; }
inline float __saturatef(float x) { return x < 0.0f ? 0.0f : (x > 1.0f ? 1.0f : x); }
inline float rsqrtf(float x) { return 1.0f / std::sqrt(x); }
inline double rsqrt(double x) { return 1.0 / std::sqrt(x); }
inline unsigned __float_as_uint(float x) { return ::gan::kernels::cuda::emu::from_bits<unsigned>(::gan::kernels::cuda::emu::to_bits(x)); }
inline float __uint_as_float(unsigned x) { return ::gan::kernels::cuda::emu::from_bits<float>(::gan::kernels::cuda::emu::to_bits(x)); }
inline float __int_as_float(int x) { return ::gan::kernels::cuda::emu::from_bits<float>(::gan::kernels::cuda::emu::to_bits(x)); }
inline float __fmaf_rn(float a, float b, float c) { return std::fma(a, b, c); }
template <class T>
T __ldg(const T* p) { return *p; }

// ---- tensor cores: the nvcuda::wmma subset of <mma.h> the TF32 convolution uses ----------------
// Model (docs/kernels.md, the emulator's "Tensor cores (WMMA)"): a fragment is opaque on a GPU
// (each lane holds some elements in an unspecified order), so the emulator may hold it any way it
// likes: here every lane holds the whole tile, row-major, and num_elements is the tile's size.
// Element-wise code over frag.x[0 .. num_elements) therefore means the same as on a GPU. What is
// kept exactly:
//   - every call is warp-collective: all lanes of the warp must make it (a missing lane deadlocks,
//     and the emulator reports the deadlock);
//   - the memory layouts: load_matrix_sync reads element (r, c) at p[r * ldm + c] (row_major) or
//     p[c * ldm + r] (col_major), store_matrix_sync likewise; a swapped layout gives wrong numbers;
//   - the alignment rules: the pointer 32-byte aligned, ldm a multiple of 4 floats (16 bytes);
//   - the arithmetic: mma_sync reads only the TF32 bits of its A and B elements (the low 13 mantissa
//     bits are dropped, as the tensor core ignores them), forms the products exactly and adds them
//     to C in double, rounding once to float. It runs once per warp (lane 0, behind the warp
//     barrier) and hands every lane the result.
// Only the shapes the kernel uses exist: m16n16k8 with precision::tf32 A and B, float C.
namespace nvcuda::wmma {

struct row_major {};
struct col_major {};
struct matrix_a {};
struct matrix_b {};
struct accumulator {};
namespace precision {
struct tf32 {};
}  // namespace precision
enum layout_t { mem_row_major, mem_col_major };

// float -> TF32 as the real one (cvt.rna.tf32.f32, crt/mma.h): round to nearest on the 13 dropped
// mantissa bits, ties AWAY from zero (rna), the low 13 bits of the result zero. Adding half of the
// dropped range (0x1000) to the magnitude bits and truncating does exactly that; a carry into the
// exponent is the correct rounding up (to infinity past the largest TF32). Inf and NaN pass through.
inline float __float_to_tf32(float in) {
  uint32_t b;
  std::memcpy(&b, &in, 4);
  if ((b & 0x7f800000u) != 0x7f800000u) b = (b + 0x1000u) & 0xffffe000u;
  float r;
  std::memcpy(&r, &b, 4);
  return r;
}

template <class Use, int M, int N, int K, class T, class Layout = void>
class fragment {
  static_assert(M == 16 && N == 16 && K == 8, "the emulator implements m16n16k8 only");
  static_assert(std::is_same<Use, accumulator>::value ? std::is_same<T, float>::value
                                                      : std::is_same<T, precision::tf32>::value,
                "the emulator implements TF32 A/B fragments and float accumulators only");

 public:
  using element_type = float;
  static constexpr int rows = std::is_same<Use, matrix_b>::value ? K : M;
  static constexpr int cols = std::is_same<Use, matrix_a>::value ? K : N;
  static constexpr int num_elements = rows * cols;
  float x[num_elements];  // the whole tile, row-major, in every lane
};

namespace emu_detail {
inline void check_pointer(const void* p, unsigned ldm, const char* what) {
  if (reinterpret_cast<uintptr_t>(p) % 32 != 0)
    ::gan::kernels::cuda::emu::fail_in_kernel((std::string(what) + ": pointer not 32-byte aligned").c_str());
  if (ldm % 4 != 0)
    ::gan::kernels::cuda::emu::fail_in_kernel((std::string(what) + ": ldm not a multiple of 4 floats").c_str());
}
inline float tf32_bits(float v) {  // what the tensor core reads of an A or B element
  uint32_t b;
  std::memcpy(&b, &v, 4);
  b &= 0xffffe000u;
  std::memcpy(&v, &b, 4);
  return v;
}
struct MmaArgs {
  float* d;
  const float* a;
  const float* b;
  const float* c;
};
inline void mma_once(void* const* lane_args, int lanes) {
  const MmaArgs& l0 = *static_cast<const MmaArgs*>(lane_args[0]);
  float r[16 * 16];
  for (int i = 0; i < 16; ++i)
    for (int j = 0; j < 16; ++j) {
      double s = l0.c[i * 16 + j];
      for (int k = 0; k < 8; ++k) s += double(tf32_bits(l0.a[i * 8 + k])) * double(tf32_bits(l0.b[k * 16 + j]));
      r[i * 16 + j] = float(s);
    }
  for (int lane = 0; lane < lanes; ++lane)
    std::memcpy(static_cast<const MmaArgs*>(lane_args[lane])->d, r, sizeof r);
}
struct StoreArgs {
  float* p;
  const float* tile;
  unsigned ldm;
  layout_t layout;
};
inline void store_once(void* const* lane_args, int) {
  const StoreArgs& l0 = *static_cast<const StoreArgs*>(lane_args[0]);
  for (int i = 0; i < 16; ++i)
    for (int j = 0; j < 16; ++j)
      l0.p[l0.layout == mem_row_major ? i * l0.ldm + j : j * l0.ldm + i] = l0.tile[i * 16 + j];
}
}  // namespace emu_detail

template <class Use, int M, int N, int K, class T, class Layout>
void fill_fragment(fragment<Use, M, N, K, T, Layout>& f, float v) {
  for (float& e : f.x) e = v;
  ::gan::kernels::cuda::emu::warp_collective("wmma::fill_fragment", nullptr, nullptr);
}

// A or B with the layout in its type.
template <class Use, int M, int N, int K, class T, class Layout>
void load_matrix_sync(fragment<Use, M, N, K, T, Layout>& f, const float* p, unsigned ldm) {
  static_assert(std::is_same<Layout, row_major>::value || std::is_same<Layout, col_major>::value,
                "an A or B fragment needs row_major or col_major");
  emu_detail::check_pointer(p, ldm, "wmma::load_matrix_sync");
  using F = fragment<Use, M, N, K, T, Layout>;
  for (int r = 0; r < F::rows; ++r)
    for (int c = 0; c < F::cols; ++c)
      f.x[r * F::cols + c] = std::is_same<Layout, row_major>::value ? p[r * ldm + c] : p[c * ldm + r];
  ::gan::kernels::cuda::emu::warp_collective("wmma::load_matrix_sync", nullptr, nullptr);
}

// D = A B + C (d may be c). The fragments' contents are the layout-free tiles, so A's and B's
// layouts do not matter here any more.
template <int M, int N, int K, class LA, class LB>
void mma_sync(fragment<accumulator, M, N, K, float>& d,
              const fragment<matrix_a, M, N, K, precision::tf32, LA>& a,
              const fragment<matrix_b, M, N, K, precision::tf32, LB>& b,
              const fragment<accumulator, M, N, K, float>& c) {
  emu_detail::MmaArgs args{d.x, a.x, b.x, c.x};
  ::gan::kernels::cuda::emu::warp_collective("wmma::mma_sync", &args, emu_detail::mma_once);
}

template <int M, int N, int K>
void store_matrix_sync(float* p, const fragment<accumulator, M, N, K, float>& f, unsigned ldm,
                       layout_t layout) {
  emu_detail::check_pointer(p, ldm, "wmma::store_matrix_sync");
  emu_detail::StoreArgs args{p, f.x, ldm, layout};
  ::gan::kernels::cuda::emu::warp_collective("wmma::store_matrix_sync", &args, emu_detail::store_once);
}

}  // namespace nvcuda::wmma
