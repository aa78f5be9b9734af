#include "core/tensor.h"

#include <cmath>
#include <limits>
#include <sstream>
#include <stdexcept>

#include "core/autograd.h"
#include "core/device.h"
#include "core/rng.h"
#include "kernels/common/philox.h"
#if GAN_HAS_CUDA
#include "kernels/cuda/fill.h"
#endif

namespace gan {

size_t dtype_size(DType t) { return t == DType::f32 ? 4 : 8; }
const char* dtype_name(DType t) { return t == DType::f32 ? "f32" : "f64"; }
const char* device_name(Device d) { return d == Device::cpu ? "cpu" : "cuda"; }

std::shared_ptr<Storage> Storage::allocate(size_t bytes, Device device) {
  auto s = std::make_shared<Storage>();
  s->data = device::allocate(bytes, device);
  s->bytes = bytes;
  s->device = device;
  return s;
}
Storage::~Storage() { device::release(data, bytes, device); }

// ---- errors -----------------------------------------------------------------------------------
std::string Tensor::describe() const {
  if (!defined()) return "undefined";
  return std::string(dtype_name(dtype())) + " " + device_name(device()) + " " + shape().str();
}

void throw_shape_error(const char* op, const std::string& what, const Tensor& a, const Tensor* b) {
  std::string msg = std::string(op) + ": " + what + " (got " + a.describe();
  if (b) msg += " and " + b->describe();
  throw std::invalid_argument(msg + ")");
}
void check_same_shape(const char* op, const Tensor& a, const Tensor& b) {
  check_same_dtype_device(op, a, b);
  if (a.shape() != b.shape()) throw_shape_error(op, "shapes must match", a, &b);
}
void check_same_dtype_device(const char* op, const Tensor& a, const Tensor& b) {
  if (!a.defined() || !b.defined()) throw std::invalid_argument(std::string(op) + ": undefined tensor");
  if (a.dtype() != b.dtype()) throw_shape_error(op, "dtypes must match", a, &b);
  if (a.device() != b.device()) throw_shape_error(op, "devices must match", a, &b);
}
void check_ndim(const char* op, const Tensor& a, int ndim) {
  if (!a.defined()) throw std::invalid_argument(std::string(op) + ": undefined tensor");
  if (a.ndim() != ndim) throw_shape_error(op, "expected a " + std::to_string(ndim) + "-d tensor", a);
}
void Tensor::check_numel(size_t n, const Shape& s, const char* op) {
  if (static_cast<int64_t>(n) != s.numel())
    throw std::invalid_argument(std::string(op) + ": " + std::to_string(n) +
                                " values for shape " + s.str());
}

TensorImpl& Tensor::impl() const {
  if (!impl_) throw std::logic_error("use of an undefined Tensor");
  return *impl_;
}

int64_t Tensor::size(int dim) const {
  int n = ndim();
  if (dim < 0) dim += n;
  if (dim < 0 || dim >= n)
    throw std::out_of_range("size: dim " + std::to_string(dim) + " of " + describe());
  return shape()[dim];
}

void* Tensor::raw_data() const {
  const TensorImpl& t = impl();
  return static_cast<char*>(t.storage->data) + t.offset * dtype_size(t.dtype);
}
template <class T> T* Tensor::data() const {
  if (dtype() != dtype_of<T>())
    throw std::invalid_argument(std::string("data: tensor is ") + dtype_name(dtype()) +
                                ", asked for " + dtype_name(dtype_of<T>()));
  return static_cast<T*>(raw_data());
}
template float* Tensor::data<float>() const;
template double* Tensor::data<double>() const;

bool Tensor::same_storage(const Tensor& o) const {
  return defined() && o.defined() && impl().storage == o.impl().storage;
}

// ---- creation ---------------------------------------------------------------------------------
Tensor Tensor::empty(const Shape& s, DType t, Device d) {
  if (d == Device::cuda && t != DType::f32)
    throw std::invalid_argument("empty: the cuda device holds f32 tensors only, asked for " +
                                std::string(dtype_name(t)) + " " + s.str());
  auto impl = std::make_shared<TensorImpl>();
  impl->shape = s;
  impl->dtype = t;
  impl->device = d;
  impl->storage = Storage::allocate(static_cast<size_t>(s.numel()) * dtype_size(t), d);
  Tensor r(std::move(impl));
  if (device::poison_new_buffers()) r.fill_(std::numeric_limits<double>::quiet_NaN());
  return r;
}

Tensor Tensor::zeros(const Shape& s, DType t, Device d) {
  Tensor r = empty(s, t, d);
  device::set_zero(r.raw_data(), r.numel() * dtype_size(t), d);
  return r;
}
Tensor Tensor::ones(const Shape& s, DType t, Device d) { return full(s, 1.0, t, d); }
Tensor Tensor::full(const Shape& s, double v, DType t, Device d) {
  Tensor r = empty(s, t, d);
  r.fill_(v);
  return r;
}
Tensor Tensor::scalar(double v, DType t, Device d) { return full(Shape{}, v, t, d); }

// Fills a host tensor elementwise from f(i), then moves it to the device.
template <class F>
static Tensor generate(const Shape& s, DType t, Device d, F f) {
  Tensor host = Tensor::empty(s, t, Device::cpu);
  int64_t n = s.numel();
  if (t == DType::f32) {
    float* p = host.data<float>();
    for (int64_t i = 0; i < n; ++i) p[i] = static_cast<float>(f(i));
  } else {
    double* p = host.data<double>();
    for (int64_t i = 0; i < n; ++i) p[i] = f(i);
  }
  return d == Device::cpu ? host : host.to(d);
}

static double unit_at(uint64_t seed, uint64_t stream, int64_t i) {
  rng::U32x4 r = rng::philox_at(seed, stream, static_cast<uint64_t>(i));
  return rng::u64_to_unit_double(r.v[0], r.v[1]);
}

Tensor Tensor::randn(const Shape& s, Rng& g, DType t, Device d) {
  uint64_t seed = g.seed(), stream = g.next_stream();
  return generate(s, t, d, [&](int64_t i) {
    rng::U32x4 r = rng::philox_at(seed, stream, static_cast<uint64_t>(i));
    // Box-Muller; u1 in (0, 1] so the log is finite.
    double u1 = 1.0 - rng::u64_to_unit_double(r.v[0], r.v[1]);
    double u2 = rng::u64_to_unit_double(r.v[2], r.v[3]);
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
  });
}
Tensor Tensor::uniform(const Shape& s, Rng& g, double lo, double hi, DType t, Device d) {
  uint64_t seed = g.seed(), stream = g.next_stream();
  return generate(s, t, d, [&](int64_t i) { return lo + (hi - lo) * unit_at(seed, stream, i); });
}
Tensor Tensor::bernoulli(const Shape& s, Rng& g, double p, DType t, Device d) {
  uint64_t seed = g.seed(), stream = g.next_stream();
  return generate(s, t, d, [&](int64_t i) { return unit_at(seed, stream, i) < p ? 1.0 : 0.0; });
}

Tensor Tensor::from_buffer(const float* data, const Shape& s, Device d) {
  Tensor r = empty(s, DType::f32, d);
  device::copy(r.raw_data(), d, data, Device::cpu, s.numel() * sizeof(float));
  return r;
}
Tensor Tensor::from_buffer(const double* data, const Shape& s, Device d) {
  Tensor r = empty(s, DType::f64, Device::cpu);
  device::copy(r.raw_data(), Device::cpu, data, Device::cpu, s.numel() * sizeof(double));
  return d == Device::cpu ? r : r.to(d);
}

// ---- copies and views ---------------------------------------------------------------------
void Tensor::copy_from(const Tensor& src) {
  if (src.shape().numel() != numel() || src.dtype() != dtype())
    throw_shape_error("copy_from", "element count and dtype must match", *this, &src);
  device::copy(raw_data(), device(), src.raw_data(), src.device(), numel() * dtype_size(dtype()));
}

void Tensor::fill_(double v) {
  int64_t n = numel();
  if (device() == Device::cpu) {
    if (dtype() == DType::f32) {
      float* p = data<float>();
      for (int64_t i = 0; i < n; ++i) p[i] = static_cast<float>(v);
    } else {
      double* p = data<double>();
      for (int64_t i = 0; i < n; ++i) p[i] = v;
    }
    return;
  }
#if GAN_HAS_CUDA
  kernels::cuda::fill(data<float>(), n, static_cast<float>(v));
#else
  copy_from(full(shape(), v, dtype(), Device::cpu));
#endif
}

Tensor Tensor::to(Device d) const {
  if (device() == d) return *this;
  Tensor r = empty(shape(), dtype(), d);
  r.copy_from(*this);
  Device src = device();
  return record(r, "to_device", {*this}, [src](const Tensor& g, const std::vector<bool>&) {
    return std::vector<Tensor>{g.to(src)};
  });
}

Tensor Tensor::to(DType t) const {
  if (dtype() == t) return *this;
  if (device() != Device::cpu)
    throw std::invalid_argument("to(dtype): casts run on the cpu, tensor is " + describe());
  Tensor r = empty(shape(), t, Device::cpu);
  int64_t n = numel();
  if (t == DType::f64) {
    const float* s = data<float>();
    double* o = r.data<double>();
    for (int64_t i = 0; i < n; ++i) o[i] = s[i];
  } else {
    const double* s = data<double>();
    float* o = r.data<float>();
    for (int64_t i = 0; i < n; ++i) o[i] = static_cast<float>(s[i]);
  }
  DType src = dtype();
  return record(r, "cast", {*this}, [src](const Tensor& g, const std::vector<bool>&) {
    return std::vector<Tensor>{g.to(src)};
  });
}

Tensor Tensor::clone() const {
  Tensor r = empty(shape(), dtype(), device());
  r.copy_from(*this);
  return record(r, "clone", {*this}, [](const Tensor& g, const std::vector<bool>&) {
    return std::vector<Tensor>{g};
  });
}

static Tensor make_view(const Tensor& src, const Shape& s, int64_t offset) {
  auto impl = std::make_shared<TensorImpl>();
  impl->shape = s;
  impl->dtype = src.dtype();
  impl->device = src.device();
  impl->storage = src.impl().storage;
  impl->offset = src.impl().offset + offset;
  return Tensor(std::move(impl));
}

Tensor Tensor::reshape(const Shape& s) const {
  if (s.numel() != numel())
    throw std::invalid_argument("reshape: cannot view " + describe() + " as " + s.str());
  Shape orig = shape();
  return record(make_view(*this, s, 0), "reshape", {*this},
                [orig](const Tensor& g, const std::vector<bool>&) {
                  return std::vector<Tensor>{g.reshape(orig)};
                });
}

Tensor Tensor::slice_batch(int64_t start, int64_t len) const {
  if (ndim() < 1 || start < 0 || len < 0 || start + len > shape()[0])
    throw std::invalid_argument("slice_batch: rows [" + std::to_string(start) + ", " +
                                std::to_string(start + len) + ") out of range for " + describe());
  Shape s = shape();
  s.d[0] = len;
  int64_t row = ndim() ? numel() / shape()[0] : 1;
  Shape full_shape = shape();
  return record(make_view(*this, s, start * row), "slice_batch", {*this},
                [full_shape, start, len](const Tensor& g, const std::vector<bool>&) {
                  Tensor r = Tensor::zeros(full_shape, g.dtype(), g.device());
                  r.slice_batch(start, len).copy_from(g);
                  return std::vector<Tensor>{r};
                });
}

Tensor Tensor::detach() const { return make_view(*this, shape(), 0); }

template <class T> std::vector<T> Tensor::to_vector() const {
  Tensor host = device() == Device::cpu ? *this : to(Device::cpu);
  std::vector<T> out(static_cast<size_t>(numel()));
  if (host.dtype() == DType::f32) {
    const float* p = host.data<float>();
    for (size_t i = 0; i < out.size(); ++i) out[i] = static_cast<T>(p[i]);
  } else {
    const double* p = host.data<double>();
    for (size_t i = 0; i < out.size(); ++i) out[i] = static_cast<T>(p[i]);
  }
  return out;
}
template std::vector<float> Tensor::to_vector<float>() const;
template std::vector<double> Tensor::to_vector<double>() const;

double Tensor::item() const {
  if (numel() != 1) throw std::invalid_argument("item: needs one element, got " + describe());
  NoGradGuard ng;
  return to_vector<double>()[0];
}

Tensor& Tensor::set_requires_grad(bool r) {
  if (r && !is_leaf())
    throw std::invalid_argument("set_requires_grad: only leaf tensors can be made to require grad");
  impl().requires_grad = r;
  return *this;
}

void Tensor::backward(bool retain_graph) const {
  BackwardOptions o;
  o.retain_graph = retain_graph;
  gan::backward(*this, o);
}

}  // namespace gan
