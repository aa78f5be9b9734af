// The CUDA emulator's launch machinery: the block loop, the per-block fiber scheduler behind
// __syncthreads and the warp shuffles, per-block shared memory. See cuda_emu.h and docs/kernels.md.
#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "kernels/cuda/emu/cuda_emu.h"
#include "kernels/cuda/emu/emu_internal.h"

#if defined(__SANITIZE_ADDRESS__)
#define GAN_EMU_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define GAN_EMU_ASAN 1
#endif
#endif
#ifndef GAN_EMU_ASAN
#define GAN_EMU_ASAN 0
#endif
#if GAN_EMU_ASAN
#include <sanitizer/common_interface_defs.h>
#endif

__thread uint3 threadIdx{0, 0, 0};
__thread uint3 blockIdx{0, 0, 0};
__thread dim3 blockDim{1, 1, 1};
__thread dim3 gridDim{1, 1, 1};

namespace gan::kernels::cuda::emu {
namespace {

constexpr size_t kStaticSharedLimit = 48 * 1024;  // the default per-block limit of real devices
constexpr int kMaxThreads = 1024;
// Static shared memory starts 16 bytes past a 128-byte boundary: aligned as GAN_SHARED promises
// (16) but deliberately not more, so a declaration that needs more (a wmma tile: 32) and does not
// ask for it with GAN_SHARED_ALIGNED gets a misaligned address here, as it may on a GPU, and the
// wmma alignment check reports it. Declarations may ask for up to 128.
constexpr size_t kSharedBaseAlign = 128;
constexpr size_t kSharedBaseSkew = 16;

size_t fiber_stack_bytes() {
  static const size_t bytes = [] {
    size_t kb = GAN_EMU_ASAN ? 256 : 64;  // ASan's redzones make frames larger
    if (const char* e = std::getenv("GAN_EMU_STACK_KB")) kb = std::strtoul(e, nullptr, 10);
    return (kb < 16 ? 16 : kb) * 1024;
  }();
  return bytes;
}

// A fiber stack with a PROT_NONE guard page below it, so an overflow faults instead of silently
// corrupting the neighbouring stack. Stacks are made once per OS thread and reused by every block.
struct Stack {
  char* base = nullptr;  // start of the usable area
  size_t size = 0;
};

struct Fiber {
  ucontext_t ctx;
  uint3 tid;
  int linear = 0;
  bool done = false;
  void* asan_fake_stack = nullptr;
};

// Everything about the block that is running on this OS thread.
struct BlockState {
  const LaunchConfig* cfg = nullptr;
  void (*body)(void*) = nullptr;
  void* ctx = nullptr;
  bool fibers = false;  // false: the barrier-free plain loop
  int nthreads = 0;
  std::vector<Fiber> fiber;
  int current = -1;

  // __syncthreads: a counting barrier with a generation number.
  int block_arrived = 0;
  unsigned block_generation = 0;
  // Per warp: the same for __syncwarp and shuffles, and the 32 exchange slots of a shuffle.
  std::vector<int> warp_arrived, warp_lanes;
  std::vector<unsigned> warp_generation;
  std::vector<uint64_t> warp_slot;
  std::vector<void*> warp_arg;  // per lane: the argument of a warp-collective call (WMMA)
  uint64_t progress = 0;  // bumped on every arrival: the deadlock detector watches it

  // Shared memory: static declarations keyed by their SharedKey, then the dynamic area.
  std::vector<std::pair<const SharedKey*, size_t>> static_offsets;
  size_t static_used = 0;
  std::vector<unsigned char> static_area, dynamic_area;
  unsigned char* static_base = nullptr;  // in static_area, kSharedBaseSkew past a 128-byte boundary

  ucontext_t scheduler;
  const void* scheduler_stack_bottom = nullptr;
  size_t scheduler_stack_size = 0;
  std::vector<Stack> stacks;
};

thread_local BlockState g_block;

[[noreturn]] void fail(const std::string& what) {
  const LaunchConfig* c = g_block.cfg;
  std::fprintf(stderr,
               "CUDA emulator: %s\n  in kernel %s, block (%u,%u,%u), thread (%u,%u,%u)\n",
               what.c_str(), c ? c->kernel_name : "?", blockIdx.x, blockIdx.y, blockIdx.z,
               threadIdx.x, threadIdx.y, threadIdx.z);
  std::fflush(stderr);
  std::abort();
}

void require_fibers(const char* what) {
  if (!g_block.cfg) fail(std::string(what) + " called outside a kernel");
  if (!g_block.fibers)
    fail(std::string(what) +
         " in a kernel launched with GAN_LAUNCH_NOSYNC (barrier-free); launch it with GAN_LAUNCH");
}

Stack& stack_for(int i) {
  auto& stacks = g_block.stacks;
  while (static_cast<int>(stacks.size()) <= i) {
    const size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
    const size_t size = fiber_stack_bytes();
    void* m = mmap(nullptr, size + page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED) fail("cannot map a fiber stack");
    mprotect(m, page, PROT_NONE);
    stacks.push_back(Stack{static_cast<char*>(m) + page, size});
  }
  return stacks[i];
}

// ---- switching between the scheduler and a thread's fiber -------------------------------------
void switch_to_fiber(Fiber& f, const Stack& s) {
#if GAN_EMU_ASAN
  void* fake = nullptr;
  __sanitizer_start_switch_fiber(&fake, s.base, s.size);
  swapcontext(&g_block.scheduler, &f.ctx);
  __sanitizer_finish_switch_fiber(fake, nullptr, nullptr);
#else
  (void)s;
  swapcontext(&g_block.scheduler, &f.ctx);
#endif
}

// From the running fiber back to the scheduler. `finished`: this fiber never resumes.
void switch_to_scheduler(bool finished) {
  Fiber& f = g_block.fiber[g_block.current];
#if GAN_EMU_ASAN
  __sanitizer_start_switch_fiber(finished ? nullptr : &f.asan_fake_stack,
                                 g_block.scheduler_stack_bottom, g_block.scheduler_stack_size);
  swapcontext(&f.ctx, &g_block.scheduler);
  __sanitizer_finish_switch_fiber(f.asan_fake_stack, nullptr, nullptr);
#else
  (void)finished;
  swapcontext(&f.ctx, &g_block.scheduler);
#endif
}

void fiber_main() {
#if GAN_EMU_ASAN
  __sanitizer_finish_switch_fiber(nullptr, &g_block.scheduler_stack_bottom,
                                  &g_block.scheduler_stack_size);
#endif
  g_block.body(g_block.ctx);
  g_block.fiber[g_block.current].done = true;
  if (g_block.block_arrived > 0)
    fail("thread exited while other threads of its block wait at __syncthreads()");
  switch_to_scheduler(true);
  fail("finished fiber resumed");
}

void set_thread_index(int linear) {
  const dim3 b = blockDim;
  threadIdx = uint3{linear % b.x, (linear / b.x) % b.y, linear / (b.x * b.y)};
}

// Runs the threads of the current block as fibers until all have returned. Threads go round in
// ascending order on even blocks and descending order on odd ones, so code that reads another
// thread's result without a barrier sees stale (poisoned) shared memory in one of the two.
void run_block_fibers(bool descending) {
  BlockState& B = g_block;
  const int n = B.nthreads;
  B.fiber.resize(n);
  for (int i = 0; i < n; ++i) {
    Fiber& f = B.fiber[i];
    Stack& s = stack_for(i);
    f.linear = i;
    f.done = false;
    f.asan_fake_stack = nullptr;
    getcontext(&f.ctx);
    f.ctx.uc_stack.ss_sp = s.base;
    f.ctx.uc_stack.ss_size = s.size;
    f.ctx.uc_link = nullptr;
    makecontext(&f.ctx, fiber_main, 0);
  }
  int live = n;
  while (live > 0) {
    const uint64_t progress_before = B.progress;
    const int live_before = live;
    for (int k = 0; k < n; ++k) {
      const int i = descending ? n - 1 - k : k;
      Fiber& f = B.fiber[i];
      if (f.done) continue;
      B.current = i;
      set_thread_index(i);
      switch_to_fiber(f, B.stacks[i]);
      if (f.done) --live;
    }
    if (live > 0 && live == live_before && B.progress == progress_before) {
      int at_block = B.block_arrived, at_warp = 0;
      for (int a : B.warp_arrived) at_warp += a;
      fail("deadlock: " + std::to_string(live) + " of " + std::to_string(n) +
           " threads still running, " + std::to_string(at_block) + " wait at __syncthreads(), " +
           std::to_string(at_warp) +
           " at a warp barrier/shuffle (a barrier not reached by every thread?)");
    }
  }
  B.current = -1;
}

// Visiting order of the blocks: i -> (i * stride + offset) mod count, a permutation when stride
// and count are coprime. Scrambled by default so no test passes only because blocks ran in order.
struct BlockOrder {
  uint64_t count, stride = 1, offset = 0;
  explicit BlockOrder(uint64_t n) : count(n) {
    static const int mode = [] {
      const char* e = std::getenv("GAN_EMU_BLOCK_ORDER");
      if (!e) return 2;
      std::string s(e);
      return s == "sequential" ? 0 : s == "reverse" ? 1 : 2;
    }();
    if (n <= 1 || mode == 0) return;
    if (mode == 1) {
      stride = n - 1;  // coprime with n; offset n-1 gives n-1, n-2, ..., 0
      offset = n - 1;
      return;
    }
    auto gcd = [](uint64_t a, uint64_t b) {
      while (b) { uint64_t t = a % b; a = b; b = t; }
      return a;
    };
    stride = n * 5 / 8 + 1;
    while (gcd(stride, n) != 1) ++stride;
    offset = n / 3;
  }
  uint64_t operator[](uint64_t i) const { return (i * stride + offset) % count; }
};

bool valid_config(const LaunchConfig& c) {
  const uint64_t threads = uint64_t(c.block.x) * c.block.y * c.block.z;
  if (threads == 0 || threads > kMaxThreads || c.block.z > 64) return false;
  if (c.grid.x == 0 || c.grid.y == 0 || c.grid.z == 0 || c.grid.y > 65535 || c.grid.z > 65535 ||
      c.grid.x > 0x7fffffffu)
    return false;
  return true;
}

}  // namespace

// ---- device-side entry points -------------------------------------------------------------------
void sync_block() {
  require_fibers("__syncthreads()");
  BlockState& B = g_block;
  const unsigned gen = B.block_generation;
  ++B.progress;
  if (++B.block_arrived == B.nthreads) {  // the last thread releases the others
    B.block_arrived = 0;
    ++B.block_generation;
    return;
  }
  while (B.block_generation == gen) switch_to_scheduler(false);
}

namespace {
void warp_barrier(int warp) {
  BlockState& B = g_block;
  const unsigned gen = B.warp_generation[warp];
  ++B.progress;
  if (++B.warp_arrived[warp] == B.warp_lanes[warp]) {
    B.warp_arrived[warp] = 0;
    ++B.warp_generation[warp];
    return;
  }
  while (B.warp_generation[warp] == gen) switch_to_scheduler(false);
}

void check_mask(unsigned mask, int warp, const char* what) {
  const int lanes = g_block.warp_lanes[warp];
  const unsigned existing = lanes == 32 ? 0xffffffffu : ((1u << lanes) - 1u);
  if (mask != 0xffffffffu && mask != existing)
    fail(std::string(what) + ": partial lane masks are not emulated (mask " + std::to_string(mask) + ")");
}
}  // namespace

void sync_warp(unsigned mask) {
  require_fibers("__syncwarp()");
  const int warp = g_block.fiber[g_block.current].linear / 32;
  check_mask(mask, warp, "__syncwarp");
  warp_barrier(warp);
}

uint64_t shuffle(unsigned mask, uint64_t bits, ShuffleKind kind, int arg, int width) {
  require_fibers("warp shuffle");
  BlockState& B = g_block;
  const int linear = B.fiber[B.current].linear, warp = linear / 32, lane = linear % 32;
  check_mask(mask, warp, "shuffle");
  if (width <= 0 || width > 32 || (width & (width - 1))) fail("shuffle width must be a power of 2 <= 32");
  B.warp_slot[warp * 32 + lane] = bits;
  warp_barrier(warp);  // every lane has written its value
  const int segment = lane & ~(width - 1);
  int src = lane;
  switch (kind) {
    case ShuffleKind::index: src = segment + (arg & (width - 1)); break;
    case ShuffleKind::up: src = lane - arg >= segment ? lane - arg : lane; break;
    case ShuffleKind::down: src = lane + arg < segment + width ? lane + arg : lane; break;
    case ShuffleKind::bfly: src = (lane ^ arg) < segment + width ? lane ^ arg : lane; break;
  }
  if (src >= B.warp_lanes[warp])
    fail("shuffle reads lane " + std::to_string(src) + ", which does not exist in this block");
  const uint64_t r = B.warp_slot[warp * 32 + src];
  warp_barrier(warp);  // every lane has read before the slots are written again
  return r;
}

void warp_collective(const char* what, void* arg, void (*fn)(void* const* lane_args, int lanes)) {
  require_fibers(what);
  BlockState& B = g_block;
  const int linear = B.fiber[B.current].linear, warp = linear / 32, lane = linear % 32;
  B.warp_arg[warp * 32 + lane] = arg;
  warp_barrier(warp);  // every lane of the warp has made the call
  if (!fn) return;
  if (lane == 0) fn(&B.warp_arg[warp * 32], B.warp_lanes[warp]);
  warp_barrier(warp);  // lane 0 has finished before any lane uses the result
}

void fail_in_kernel(const char* what) { fail(what); }

void* static_shared(const SharedKey* key, size_t bytes, size_t align) {
  BlockState& B = g_block;
  if (!B.cfg) fail("__shared__ declared outside a kernel");
  for (const auto& e : B.static_offsets)
    if (e.first == key) return B.static_base + e.second;
  if (align < 16) align = 16;  // GAN_SHARED promises 16 bytes (float4 reads)
  if (align > kSharedBaseAlign || (align & (align - 1)))
    fail("__shared__ alignment must be a power of 2 up to 128 bytes");
  const uintptr_t base = reinterpret_cast<uintptr_t>(B.static_base);
  const uintptr_t at = (base + B.static_used + align - 1) / align * align;
  const size_t offset = size_t(at - base);
  if (offset + bytes > kStaticSharedLimit)
    fail("static __shared__ memory of the kernel exceeds 48 KiB");
  B.static_used = offset + bytes;
  B.static_offsets.emplace_back(key, offset);
  std::memset(B.static_base + offset, 0xff, bytes);  // poisoned like the rest
  return B.static_base + offset;
}

void* dynamic_shared() {
  if (!g_block.cfg) fail("extern __shared__ used outside a kernel");
  return g_block.dynamic_area.data();
}

void launch(const LaunchConfig& cfg, void (*body)(void*), void* ctx) {
  if (!valid_config(cfg)) {
    set_last_error(cudaErrorInvalidConfiguration);
    return;
  }
  const size_t dyn_limit = max_dynamic_shared(cfg.kernel);
  if (cfg.dynamic_shared_bytes > dyn_limit) {
    set_last_error(cudaErrorInvalidValue);
    return;
  }
  if (g_block.cfg) fail("kernel launched from inside a kernel (dynamic parallelism is not emulated)");

  BlockState& B = g_block;
  B.cfg = &cfg;
  B.body = body;
  B.ctx = ctx;
  B.fibers = cfg.uses_barriers;
  B.nthreads = static_cast<int>(cfg.block.x * cfg.block.y * cfg.block.z);
  const int warps = (B.nthreads + 31) / 32;
  B.warp_lanes.assign(warps, 32);
  if (B.nthreads % 32) B.warp_lanes.back() = B.nthreads % 32;
  B.warp_arrived.assign(warps, 0);
  B.warp_generation.assign(warps, 0);
  B.warp_slot.assign(size_t(warps) * 32, 0);
  B.warp_arg.assign(size_t(warps) * 32, nullptr);
  B.block_arrived = 0;
  B.static_offsets.clear();
  B.static_used = 0;
  // Room for the skew and for aligning declarations up to kSharedBaseAlign past it.
  B.static_area.resize(kStaticSharedLimit + 2 * kSharedBaseAlign);
  {
    const uintptr_t raw = reinterpret_cast<uintptr_t>(B.static_area.data());
    B.static_base = B.static_area.data() +
                    ((kSharedBaseAlign - raw % kSharedBaseAlign) % kSharedBaseAlign) + kSharedBaseSkew;
  }
  B.dynamic_area.resize(cfg.dynamic_shared_bytes + 16);

  blockDim = cfg.block;
  gridDim = cfg.grid;
  const uint64_t gx = cfg.grid.x, gy = cfg.grid.y;
  const uint64_t blocks = gx * gy * cfg.grid.z;
  BlockOrder order(blocks);
  for (uint64_t k = 0; k < blocks; ++k) {
    const uint64_t b = order[k];
    blockIdx = uint3{unsigned(b % gx), unsigned((b / gx) % gy), unsigned(b / (gx * gy))};
    // Shared memory starts as garbage on a GPU: poison it (all-ones bytes are NaN as floats), so
    // a kernel that reads before writing fails its test.
    std::memset(B.static_base, 0xff, B.static_used);
    std::memset(B.dynamic_area.data(), 0xff, cfg.dynamic_shared_bytes);
    if (B.fibers) {
      run_block_fibers(k % 2 == 1);
    } else {
      for (int i = 0; i < B.nthreads; ++i) {
        set_thread_index(i);
        body(ctx);
      }
    }
  }
  B.cfg = nullptr;
  threadIdx = uint3{0, 0, 0};
  blockIdx = uint3{0, 0, 0};
}

}  // namespace gan::kernels::cuda::emu
