// Tensor: the one data type of the engine. A Tensor is a cheap handle (shared_ptr) to a TensorImpl,
// which holds a shape, a dtype, a device, a view into shared Storage, and the autograd fields
// (requires_grad, grad, grad_fn). Views (reshape, slice_batch, detach) share Storage.
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/shape.h"

namespace gan {

enum class DType : uint8_t { f32, f64 };
enum class Device : uint8_t { cpu, cuda };

size_t dtype_size(DType t);
const char* dtype_name(DType t);
const char* device_name(Device d);
template <class T> constexpr DType dtype_of();
template <> constexpr DType dtype_of<float>() { return DType::f32; }
template <> constexpr DType dtype_of<double>() { return DType::f64; }

// A block of memory on one device. Freed (or returned to the device's cache) with the last owner.
struct Storage {
  void* data = nullptr;
  size_t bytes = 0;
  Device device = Device::cpu;
  static std::shared_ptr<Storage> allocate(size_t bytes, Device device);
  Storage() = default;
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;
  ~Storage();
};

struct Node;
class Rng;

struct TensorImpl {
  Shape shape;
  DType dtype = DType::f32;
  Device device = Device::cpu;
  std::shared_ptr<Storage> storage;
  int64_t offset = 0;  // in elements

  bool requires_grad = false;
  bool retains_grad = false;           // keep .grad of a non-leaf after backward
  std::shared_ptr<TensorImpl> grad;    // accumulated gradient (leaves, or retained)
  std::shared_ptr<Node> grad_fn;       // how this tensor was made; null for leaves
};

class Tensor {
 public:
  Tensor() = default;
  explicit Tensor(std::shared_ptr<TensorImpl> impl) : impl_(std::move(impl)) {}

  // ---- creation ---------------------------------------------------------------------------
  static Tensor empty(const Shape& s, DType t = DType::f32, Device d = Device::cpu);
  static Tensor zeros(const Shape& s, DType t = DType::f32, Device d = Device::cpu);
  static Tensor ones(const Shape& s, DType t = DType::f32, Device d = Device::cpu);
  static Tensor full(const Shape& s, double value, DType t = DType::f32, Device d = Device::cpu);
  static Tensor scalar(double value, DType t = DType::f32, Device d = Device::cpu);
  static Tensor randn(const Shape& s, Rng& g, DType t = DType::f32, Device d = Device::cpu);
  static Tensor uniform(const Shape& s, Rng& g, double lo, double hi, DType t = DType::f32,
                        Device d = Device::cpu);
  static Tensor bernoulli(const Shape& s, Rng& g, double p, DType t = DType::f32,
                          Device d = Device::cpu);
  // Copies n = s.numel() values from host memory.
  static Tensor from_buffer(const float* data, const Shape& s, Device d = Device::cpu);
  static Tensor from_buffer(const double* data, const Shape& s, Device d = Device::cpu);
  template <class T>
  static Tensor from_vector(const std::vector<T>& v, const Shape& s, Device d = Device::cpu) {
    check_numel(v.size(), s, "from_vector");
    return from_buffer(v.data(), s, d);
  }

  // ---- properties -------------------------------------------------------------------------
  bool defined() const { return impl_ != nullptr; }
  const Shape& shape() const { return impl().shape; }
  int ndim() const { return impl().shape.ndim; }
  int64_t size(int dim) const;
  int64_t numel() const { return impl().shape.numel(); }
  DType dtype() const { return impl().dtype; }
  Device device() const { return impl().device; }
  bool is_cuda() const { return device() == Device::cuda; }
  std::string describe() const;  // e.g. "f32 cpu [1, 3, 8, 8]"

  // Raw element pointer (device memory for cuda tensors). Checks that T matches the dtype.
  template <class T> T* data() const;
  void* raw_data() const;

  // ---- copies and views -------------------------------------------------------------------
  Tensor to(Device d) const;   // differentiable copy between devices (no-op if already there)
  Tensor to(DType t) const;    // differentiable dtype cast (cpu only)
  Tensor clone() const;        // differentiable deep copy
  Tensor reshape(const Shape& s) const;                  // view, differentiable
  Tensor slice_batch(int64_t start, int64_t len) const;  // view of dim 0, differentiable
  Tensor detach() const;       // view sharing storage, cut from the graph
  template <class T> std::vector<T> to_vector() const;   // copy to host (any device)
  double item() const;         // value of a one-element tensor
  void copy_from(const Tensor& src);  // in place, same shape/dtype, any devices; not recorded
  void fill_(double value);           // in place; not recorded

  // ---- autograd ---------------------------------------------------------------------------
  bool requires_grad() const { return impl().requires_grad; }
  Tensor& set_requires_grad(bool r);
  Tensor grad() const { return Tensor(impl().grad); }
  void set_grad(const Tensor& g) { impl().grad = g.impl_; }
  void zero_grad() { impl().grad.reset(); }
  void retain_grad() { impl().retains_grad = true; }
  bool is_leaf() const { return impl().grad_fn == nullptr; }
  const std::shared_ptr<Node>& grad_fn() const { return impl().grad_fn; }
  // Reverse-mode pass from this scalar. See core/autograd.h for the options.
  void backward(bool retain_graph = false) const;

  TensorImpl& impl() const;
  const std::shared_ptr<TensorImpl>& impl_ptr() const { return impl_; }
  bool same_storage(const Tensor& o) const;

 private:
  static void check_numel(size_t n, const Shape& s, const char* op);
  std::shared_ptr<TensorImpl> impl_;
};

// Throws std::invalid_argument("op: expected <what>, got <shapes>") style messages.
[[noreturn]] void throw_shape_error(const char* op, const std::string& what, const Tensor& a,
                                    const Tensor* b = nullptr);
void check_same_shape(const char* op, const Tensor& a, const Tensor& b);
void check_same_dtype_device(const char* op, const Tensor& a, const Tensor& b);
void check_ndim(const char* op, const Tensor& a, int ndim);

}  // namespace gan
