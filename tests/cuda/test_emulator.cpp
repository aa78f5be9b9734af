// Tests of the CUDA emulator itself (kernels/cuda/emu): each kernel here gives the right answer
// only if the emulated feature works (barriers, per-block shared memory, shuffles, atomics).
// Emulated builds only: under real CUDA these kernels would need nvcc.
#include <catch2/catch.hpp>

#if GAN_CUDA_EMULATED
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <csignal>
#include <cstring>
#include <numeric>
#include <type_traits>
#include <vector>

#include "kernels/cuda/block_reduce.cuh"
#include "kernels/cuda/launch.h"

namespace {

using gan::kernels::cuda::stream;

// Device buffers for the tests: plain cudaMalloc'd arrays with copies in and out.
template <class T>
struct DeviceArray {
  T* p = nullptr;
  size_t n = 0;
  explicit DeviceArray(size_t count) : n(count) { GAN_CUDA_CHECK(cudaMalloc(reinterpret_cast<void**>(&p), n * sizeof(T))); }
  explicit DeviceArray(const std::vector<T>& v) : DeviceArray(v.size()) {
    GAN_CUDA_CHECK(cudaMemcpy(p, v.data(), n * sizeof(T), cudaMemcpyHostToDevice));
  }
  ~DeviceArray() { cudaFree(p); }
  std::vector<T> get() const {
    std::vector<T> v(n);
    GAN_CUDA_CHECK(cudaMemcpy(v.data(), p, n * sizeof(T), cudaMemcpyDeviceToHost));
    return v;
  }
};

// Tree reduction in shared memory: correct only if every __syncthreads waits for all threads.
__global__ void tree_sum_kernel(const float* x, float* out) {
  GAN_SHARED(float, buf, [1024]);
  const int t = threadIdx.x;
  buf[t] = x[blockIdx.x * blockDim.x + t];
  __syncthreads();
  for (int half = blockDim.x / 2; half > 0; half /= 2) {
    if (t < half) buf[t] += buf[t + half];
    __syncthreads();
  }
  if (t == 0) out[blockIdx.x] = buf[0];
}

// Block-wise reversal through shared memory: thread t reads what thread (n-1-t) wrote.
__global__ void reverse_kernel(const int* x, int* y) {
  GAN_SHARED(int, buf, [256]);
  const int t = threadIdx.x, base = blockIdx.x * blockDim.x;
  buf[t] = x[base + t];
  __syncthreads();
  y[base + t] = buf[blockDim.x - 1 - t];
}

__global__ void reverse_dynamic_kernel(const int* x, int* y) {
  GAN_DYNAMIC_SHARED(int, buf);
  const int t = threadIdx.x, base = blockIdx.x * blockDim.x;
  buf[t] = x[base + t];
  __syncthreads();
  y[base + t] = buf[blockDim.x - 1 - t];
}

// Each block reads its shared array before writing it, then stamps it with its own index.
// A value left by another block would show up in `seen`.
__global__ void shared_isolation_kernel(float* seen) {
  GAN_SHARED(float, a, [64]);
  GAN_SHARED(float, b, [64]);
  const int t = threadIdx.x;
  seen[blockIdx.x * 64 + t] = a[t];
  __syncthreads();
  a[t] = float(blockIdx.x);
  b[t] = -1.0f;  // a distinct declaration: must not alias a
  __syncthreads();
  if (a[(t + 1) % 64] != float(blockIdx.x)) seen[blockIdx.x * 64 + t] = 1e30f;
}

__global__ void shuffle_kernel(int* down, int* xr, int* idx, int* up, int* down16) {
  const int t = threadIdx.x;
  const int v = 1000 + t;
  down[t] = __shfl_down_sync(0xffffffffu, v, 3);
  xr[t] = __shfl_xor_sync(0xffffffffu, v, 5);
  idx[t] = __shfl_sync(0xffffffffu, v, 7);
  up[t] = __shfl_up_sync(0xffffffffu, v, 2);
  down16[t] = __shfl_down_sync(0xffffffffu, v, 4, 16);
}

// Only warp 0 shuffles (the second stage of a block reduction): the warp barrier must not wait
// for the other warps.
__global__ void block_sum_kernel(const float* x, float* out) {
  GAN_SHARED(float, scratch, [32]);
  float v = x[blockIdx.x * blockDim.x + threadIdx.x];
  float s = gan::kernels::cuda::block_sum(v, scratch);
  float s2 = gan::kernels::cuda::block_sum(2.0f * v, scratch);  // scratch reused right away
  if (threadIdx.x == 0) {
    out[2 * blockIdx.x] = s;
    out[2 * blockIdx.x + 1] = s2;
  }
}

__global__ void atomic_kernel(int* counter, float* fsum, int* order) {
  const int previous = atomicAdd(counter, 1);
  atomicAdd(fsum, 1.0f);
  if (threadIdx.x == 0) order[blockIdx.x] = previous / int(blockDim.x);
}

__global__ void missing_barrier_kernel(float* out) {
  if (threadIdx.x < 32) __syncthreads();  // the other threads never arrive: deadlock
  out[threadIdx.x] = 1.0f;
}
__global__ void barrier_in_nosync_kernel(float* out) {
  __syncthreads();
  out[threadIdx.x] = 1.0f;
}

// WMMA: each of the block's warps multiplies its own 16x8 A (layout LA in memory) by its own 8x16
// B (layout LB), converting the fragments' elements to TF32 first, adds 1 and stores D (16x16,
// row- or column-major as `d_row_major`).
template <class LA, class LB>
__global__ void wmma_kernel(const float* a, const float* b, float* d, bool d_row_major) {
  namespace wmma = nvcuda::wmma;
  const int warp = threadIdx.x / 32;
  constexpr bool a_rows = std::is_same<LA, wmma::row_major>::value;
  constexpr bool b_rows = std::is_same<LB, wmma::row_major>::value;
  wmma::fragment<wmma::matrix_a, 16, 16, 8, wmma::precision::tf32, LA> fa;
  wmma::fragment<wmma::matrix_b, 16, 16, 8, wmma::precision::tf32, LB> fb;
  wmma::fragment<wmma::accumulator, 16, 16, 8, float> acc;
  wmma::load_matrix_sync(fa, a + warp * 128, a_rows ? 8 : 16);
  wmma::load_matrix_sync(fb, b + warp * 128, b_rows ? 16 : 8);
  for (int i = 0; i < fa.num_elements; ++i) fa.x[i] = wmma::__float_to_tf32(fa.x[i]);
  for (int i = 0; i < fb.num_elements; ++i) fb.x[i] = wmma::__float_to_tf32(fb.x[i]);
  wmma::fill_fragment(acc, 1.0f);
  wmma::mma_sync(acc, fa, fb, acc);
  wmma::store_matrix_sync(d + warp * 256, acc, 16, d_row_major ? wmma::mem_row_major : wmma::mem_col_major);
}

// A WMMA call that lane 31 skips: the warp-collective call never completes.
__global__ void wmma_missing_lane_kernel(const float* a) {
  nvcuda::wmma::fragment<nvcuda::wmma::matrix_a, 16, 16, 8, nvcuda::wmma::precision::tf32,
                         nvcuda::wmma::row_major> fa;
  if (threadIdx.x < 31) nvcuda::wmma::load_matrix_sync(fa, a, 8);
}
// A fragment read `offset` floats into a 256-byte aligned buffer (wmma needs 32-byte alignment).
__global__ void wmma_offset_load_kernel(const float* a, int offset) {
  nvcuda::wmma::fragment<nvcuda::wmma::matrix_a, 16, 16, 8, nvcuda::wmma::precision::tf32,
                         nvcuda::wmma::row_major> fa;
  nvcuda::wmma::load_matrix_sync(fa, a + offset, 8);
}

// Runs f in a child process and returns true when the child aborted (the emulator's reaction to
// a kernel that cannot run correctly).
template <class F>
bool aborts(F f) {
  pid_t pid = fork();
  if (pid == 0) {
    std::signal(SIGABRT, SIG_DFL);  // not the test framework's handler
    std::freopen("/dev/null", "w", stderr);
    std::freopen("/dev/null", "w", stdout);
    f();
    _exit(0);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT;
}

}  // namespace

TEST_CASE("emulator: __syncthreads makes a shared-memory tree reduction correct", "[cuda][emulator]") {
  for (int threads : {64, 256, 1024}) {
    const int blocks = 5;
    std::vector<float> x(size_t(blocks) * threads);
    for (size_t i = 0; i < x.size(); ++i) x[i] = float(int(i * 37 % 101) - 50);
    DeviceArray<float> dx(x), dout(blocks);
    GAN_LAUNCH(tree_sum_kernel, blocks, threads, 0, stream())(dx.p, dout.p);
    GAN_CUDA_CHECK_LAUNCH();
    std::vector<float> out = dout.get();
    for (int b = 0; b < blocks; ++b) {
      float expect = 0;
      for (int t = 0; t < threads; ++t) expect += x[size_t(b) * threads + t];
      INFO("threads " << threads << " block " << b);
      CHECK(out[b] == expect);  // small integers: exact in float
    }
  }
}

TEST_CASE("emulator: static and dynamic shared memory reversal per block", "[cuda][emulator]") {
  const int blocks = 7, threads = 256;
  std::vector<int> x(blocks * threads);
  std::iota(x.begin(), x.end(), 0);
  DeviceArray<int> dx(x), dy(x.size()), dz(x.size());
  GAN_LAUNCH(reverse_kernel, blocks, threads, 0, stream())(dx.p, dy.p);
  GAN_CUDA_CHECK_LAUNCH();
  GAN_LAUNCH(reverse_dynamic_kernel, blocks, threads, threads * sizeof(int), stream())(dx.p, dz.p);
  GAN_CUDA_CHECK_LAUNCH();
  std::vector<int> y = dy.get(), z = dz.get();
  for (int b = 0; b < blocks; ++b)
    for (int t = 0; t < threads; ++t) {
      const int expect = b * threads + (threads - 1 - t);
      REQUIRE(y[b * threads + t] == expect);
      REQUIRE(z[b * threads + t] == expect);
    }
}

TEST_CASE("emulator: shared memory is per block and starts uninitialised", "[cuda][emulator]") {
  const int blocks = 9;
  DeviceArray<float> seen(blocks * 64);
  GAN_LAUNCH(shared_isolation_kernel, blocks, 64, 0, stream())(seen.p);
  GAN_CUDA_CHECK_LAUNCH();
  for (float v : seen.get()) REQUIRE(std::isnan(v));  // never another block's value, never 1e30
}

TEST_CASE("emulator: warp shuffles follow CUDA's 32-lane semantics", "[cuda][emulator]") {
  const int threads = 64;
  DeviceArray<int> down(threads), xr(threads), idx(threads), up(threads), down16(threads);
  GAN_LAUNCH(shuffle_kernel, 1, threads, 0, stream())(down.p, xr.p, idx.p, up.p, down16.p);
  GAN_CUDA_CHECK_LAUNCH();
  auto d = down.get(), x = xr.get(), i = idx.get(), u = up.get(), d16 = down16.get();
  for (int t = 0; t < threads; ++t) {
    const int lane = t % 32, warp_base = t - lane;
    INFO("thread " << t);
    CHECK(d[t] == 1000 + (lane + 3 < 32 ? t + 3 : t));
    CHECK(x[t] == 1000 + warp_base + (lane ^ 5));
    CHECK(i[t] == 1000 + warp_base + 7);
    CHECK(u[t] == 1000 + (lane >= 2 ? t - 2 : t));
    CHECK(d16[t] == 1000 + ((lane % 16) + 4 < 16 ? t + 4 : t));
  }
}

TEST_CASE("emulator: block_sum over 1024 threads with divergent warp-0 shuffles", "[cuda][emulator]") {
  for (int threads : {32, 96, 1024}) {
    const int blocks = 3;
    std::vector<float> x(size_t(blocks) * threads);
    for (size_t k = 0; k < x.size(); ++k) x[k] = float(k % 13);
    DeviceArray<float> dx(x), dout(2 * blocks);
    GAN_LAUNCH(block_sum_kernel, blocks, threads, 0, stream())(dx.p, dout.p);
    GAN_CUDA_CHECK_LAUNCH();
    auto out = dout.get();
    for (int b = 0; b < blocks; ++b) {
      float expect = 0;
      for (int t = 0; t < threads; ++t) expect += x[size_t(b) * threads + t];
      INFO("threads " << threads << " block " << b);
      CHECK(out[2 * b] == expect);
      CHECK(out[2 * b + 1] == 2 * expect);
    }
  }
}

TEST_CASE("emulator: atomicAdd, and blocks run in a scrambled order", "[cuda][emulator]") {
  const int blocks = 40, threads = 128;
  DeviceArray<int> counter(std::vector<int>{0}), order(blocks);
  DeviceArray<float> fsum(std::vector<float>{0.0f});
  GAN_LAUNCH_NOSYNC(atomic_kernel, blocks, threads, 0, stream())(counter.p, fsum.p, order.p);
  GAN_CUDA_CHECK_LAUNCH();
  CHECK(counter.get()[0] == blocks * threads);
  CHECK(fsum.get()[0] == float(blocks * threads));
  std::vector<int> o = order.get(), sorted = o;
  std::sort(sorted.begin(), sorted.end());
  std::vector<int> identity(blocks);
  std::iota(identity.begin(), identity.end(), 0);
  CHECK(sorted == identity);  // every block ran once
  CHECK(o != identity);       // ... but not in index order
}

TEST_CASE("emulator: a bad launch configuration is reported, not run", "[cuda][emulator]") {
  DeviceArray<float> out(1);
  (void)cudaGetLastError();
  GAN_LAUNCH(tree_sum_kernel, 1, 2048, 0, stream())(out.p, out.p);
  CHECK(cudaGetLastError() == cudaErrorInvalidConfiguration);
  GAN_LAUNCH(reverse_dynamic_kernel, 1, 32, 64 * 1024, stream())(nullptr, nullptr);
  CHECK(cudaGetLastError() == cudaErrorInvalidValue);  // > 48 KiB dynamic shared without opt-in
  CHECK(cudaGetLastError() == cudaSuccess);            // reading the error clears it
}

TEST_CASE("emulator: a barrier not reached by all threads aborts instead of hanging", "[cuda][emulator]") {
  DeviceArray<float> out(64);
  CHECK(aborts([&] { GAN_LAUNCH(missing_barrier_kernel, 1, 64, 0, stream())(out.p); }));
  CHECK(aborts([&] { GAN_LAUNCH_NOSYNC(barrier_in_nosync_kernel, 1, 64, 0, stream())(out.p); }));
  CHECK_FALSE(aborts([&] { GAN_LAUNCH(barrier_in_nosync_kernel, 1, 64, 0, stream())(out.p); }));
}

TEST_CASE("emulator: __float_to_tf32 rounds as cvt.rna.tf32.f32", "[cuda][emulator][tf32]") {
  auto tf32 = [](uint32_t bits) {
    float f;
    std::memcpy(&f, &bits, 4);
    const float r = nvcuda::wmma::__float_to_tf32(f);
    uint32_t out;
    std::memcpy(&out, &r, 4);
    return out;
  };
  // 10 mantissa bits are kept; the 13 dropped ones round to nearest, ties away from zero.
  CHECK(tf32(0x3f800000u) == 0x3f800000u);  // 1.0 is exact
  CHECK(tf32(0x3f800fffu) == 0x3f800000u);  // below half: down
  CHECK(tf32(0x3f801001u) == 0x3f802000u);  // above half: up
  CHECK(tf32(0x3f801000u) == 0x3f802000u);  // a tie with an even kept part: away from zero (RNE: down)
  CHECK(tf32(0x3f803000u) == 0x3f804000u);  // a tie with an odd kept part: away from zero
  CHECK(tf32(0xbf801000u) == 0xbf802000u);  // negative tie: away from zero too
  CHECK(tf32(0xbf800fffu) == 0xbf800000u);
  CHECK(tf32(0x3fffffffu) == 0x40000000u);  // the carry moves into the exponent: 2.0
  CHECK(tf32(0x7f7fffffu) == 0x7f800000u);  // FLT_MAX rounds up to infinity
  CHECK(tf32(0x7f7fefffu) == 0x7f7fe000u);  // the largest TF32 below it stays
  CHECK(tf32(0x00001000u) == 0x00002000u);  // subnormal tie: away from zero
  CHECK(tf32(0x00000fffu) == 0x00000000u);  // smallest subnormals: to zero
  CHECK(tf32(0x80000000u) == 0x80000000u);  // -0
  CHECK(tf32(0x7f800000u) == 0x7f800000u);  // +inf
  CHECK(tf32(0xff800000u) == 0xff800000u);  // -inf
  CHECK(std::isnan(nvcuda::wmma::__float_to_tf32(std::nanf(""))));
}

namespace {
float tf32_host(float v) {  // the same rounding, written independently
  uint32_t b;
  std::memcpy(&b, &v, 4);
  const uint32_t dropped = b & 0x1fffu;
  b &= ~0x1fffu;
  if (dropped >= 0x1000u) b += 0x2000u;  // half or more of the last kept unit: away from zero
  std::memcpy(&v, &b, 4);
  return v;
}

// D = tf32(A) tf32(B) + 1 for two warps with the given memory layouts, checked exactly against
// the same sums in double (the emulator adds the 8 products to C in double and rounds once).
template <class LA, class LB>
void check_wmma(bool d_row_major) {
  constexpr bool a_rows = std::is_same<LA, nvcuda::wmma::row_major>::value;
  constexpr bool b_rows = std::is_same<LB, nvcuda::wmma::row_major>::value;
  std::vector<float> a(2 * 128), b(2 * 128);
  uint32_t state = 7;
  for (auto* v : {&a, &b})
    for (float& e : *v) {
      state = state * 1664525u + 1013904223u;
      e = float(state >> 8) / float(1u << 24) * 2.0f - 1.0f;
    }
  DeviceArray<float> da(a), db(b), dd(2 * 256);
  auto* kernel = wmma_kernel<LA, LB>;
  GAN_LAUNCH(kernel, 1, 64, 0, stream())(da.p, db.p, dd.p, d_row_major);
  GAN_CUDA_CHECK_LAUNCH();
  const std::vector<float> d = dd.get();
  int wrong = 0;
  for (int w = 0; w < 2; ++w)
    for (int i = 0; i < 16; ++i)
      for (int j = 0; j < 16; ++j) {
        double s = 1.0;
        for (int k = 0; k < 8; ++k) {
          const float av = a[w * 128 + (a_rows ? i * 8 + k : k * 16 + i)];
          const float bv = b[w * 128 + (b_rows ? k * 16 + j : j * 8 + k)];
          s += double(tf32_host(av)) * double(tf32_host(bv));
        }
        const float got = d[w * 256 + (d_row_major ? i * 16 + j : j * 16 + i)];
        wrong += got != float(s);
      }
  CHECK(wrong == 0);
}
}  // namespace

TEST_CASE("emulator: wmma m16n16k8 TF32 with every layout", "[cuda][emulator][tf32]") {
  using nvcuda::wmma::col_major;
  using nvcuda::wmma::row_major;
  check_wmma<row_major, row_major>(true);
  check_wmma<col_major, row_major>(true);
  check_wmma<row_major, col_major>(false);
  check_wmma<col_major, col_major>(false);
}

TEST_CASE("emulator: wmma calls are warp-collective and check alignment", "[cuda][emulator][tf32]") {
  DeviceArray<float> a(256);
  CHECK(aborts([&] { GAN_LAUNCH(wmma_missing_lane_kernel, 1, 32, 0, stream())(a.p); }));
  CHECK(aborts([&] { GAN_LAUNCH(wmma_offset_load_kernel, 1, 32, 0, stream())(a.p, 4); }));
  CHECK_FALSE(aborts([&] { GAN_LAUNCH(wmma_offset_load_kernel, 1, 32, 0, stream())(a.p, 8); }));
}

#endif  // GAN_CUDA_EMULATED
