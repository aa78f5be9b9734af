#include <catch2/catch.hpp>
#include <cstring>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/rng.h"
#include "tests/train/temp_dir.h"
#include "train/io/safetensors.h"

using gan::DType;
using gan::InputError;
using gan::Shape;
using gan::Tensor;
using gan::testing::TempDir;
using namespace gan::io;

namespace {

// A safetensors file from a header (as JSON text) and a data section.
std::string make_file(const std::string& header, const std::string& data) {
  std::string out(8, '\0');
  uint64_t n = header.size();
  for (int i = 0; i < 8; ++i) out[i] = static_cast<char>(n >> (8 * i));
  return out + header + data;
}

std::string load_error(const std::string& path) {
  try {
    load_safetensors(path);
  } catch (const InputError& e) {
    return e.what();
  }
  return "(no error)";
}

}  // namespace

TEST_CASE("safetensors round trip keeps names, shapes, values, order and metadata", "[safetensors]") {
  TempDir dir;
  gan::Rng g(7);
  Tensor w = Tensor::randn(Shape{3, 2, 4, 4}, g);
  Tensor b = Tensor::randn(Shape{3}, g);
  Tensor d = Tensor::randn(Shape{2, 5}, g, DType::f64);
  Tensor s = Tensor::scalar(2.5);
  Tensor e = Tensor::zeros(Shape{0, 4});
  std::vector<std::pair<std::string, Tensor>> in = {
      {"model.conv.weight", w}, {"model.conv.bias", b}, {"d64", d}, {"scalar", s}, {"empty", e}};
  const std::string path = dir.file("ckpt.safetensors");
  save_safetensors(path, in, {{"step", "1200"}, {"config", "{\"ngf\": 64}"}});

  // The layout matches the format: u64 length, JSON, data starting 8-byte aligned.
  std::string raw = gan::testing::read_bytes(path);
  uint64_t n = 0;
  std::memcpy(&n, raw.data(), 8);
  CHECK((8 + n) % 8 == 0);
  auto header = nlohmann::json::parse(raw.substr(8, n));
  CHECK(header["model.conv.weight"]["dtype"] == "F32");
  CHECK(header["d64"]["dtype"] == "F64");
  CHECK(header["__metadata__"]["step"] == "1200");

  SafetensorsFile f = load_safetensors(path);
  REQUIRE(f.tensors.size() == in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    CHECK(f.tensors[i].first == in[i].first);  // data order = given order
    const Tensor& t = f.tensors[i].second;
    CHECK(t.shape() == in[i].second.shape());
    CHECK(t.dtype() == in[i].second.dtype());
    if (t.dtype() == DType::f64) CHECK(t.to_vector<double>() == in[i].second.to_vector<double>());
    else CHECK(t.to_vector<float>() == in[i].second.to_vector<float>());
  }
  CHECK(f.metadata.at("step") == "1200");
  CHECK(f.metadata.at("config") == "{\"ngf\": 64}");
  REQUIRE(f.find("model.conv.bias") != nullptr);
  CHECK(f.find("model.conv.bias")->to_vector<float>() == b.to_vector<float>());
  CHECK(f.find("nope") == nullptr);
}

TEST_CASE("save_safetensors rejects bad names", "[safetensors]") {
  TempDir dir;
  Tensor t = Tensor::ones(Shape{2});
  CHECK_THROWS_AS(save_safetensors(dir.file("a"), {{"x", t}, {"x", t}}), std::invalid_argument);
  CHECK_THROWS_AS(save_safetensors(dir.file("a"), {{"__metadata__", t}}), std::invalid_argument);
  CHECK_THROWS_AS(save_safetensors(dir.file("a"), {{"", t}}), std::invalid_argument);
  CHECK_THROWS_AS(save_safetensors(dir.file("no/dir/a"), {{"x", t}}), InputError);
}

TEST_CASE("safetensors: a valid hand-made file loads", "[safetensors]") {
  TempDir dir;
  float v[3] = {1.f, -2.f, 3.5f};
  std::string data(reinterpret_cast<const char*>(v), sizeof v);
  gan::testing::write_bytes(dir.file("ok"), make_file(R"({"t":{"dtype":"F32","shape":[3],"data_offsets":[0,12]}})", data));
  auto f = load_safetensors(dir.file("ok"));
  REQUIRE(f.tensors.size() == 1);
  CHECK(f.tensors[0].second.to_vector<float>() == std::vector<float>{1.f, -2.f, 3.5f});
}

TEST_CASE("safetensors: every malformed file is an InputError naming file and problem", "[safetensors]") {
  TempDir dir;
  const std::string p = dir.file("bad.safetensors");
  const std::string data(24, '\0');
  auto check = [&](const std::string& file_bytes, const std::string& needle) {
    gan::testing::write_bytes(p, file_bytes);
    std::string msg = load_error(p);
    INFO(msg);
    CHECK(msg.rfind(p + ": ", 0) == 0);
    CHECK(msg.find(needle) != std::string::npos);
  };
  const std::string good = make_file(R"({"a":{"dtype":"F32","shape":[2,3],"data_offsets":[0,24]}})", data);
  REQUIRE_NOTHROW(load_safetensors((gan::testing::write_bytes(p, good), p)));

  check(good.substr(0, good.size() - 1), "tensor 'a'");              // truncated data
  check(good.substr(0, 20), "exceeds the file size");                // truncated header
  check(std::string(5, '\0'), "too short");
  check(make_file("{", data).substr(0), "not valid JSON");
  check(make_file("[1,2]", data), "not a JSON object");
  std::string big = good;
  big[6] = 1;  // header length ~2^48
  check(big, "exceeds the file size");
  check(make_file(R"({"a":{"dtype":"BF16","shape":[12],"data_offsets":[0,24]}})", data), "unsupported dtype 'BF16'");
  check(make_file(R"({"a":{"dtype":"F32","shape":[2,2],"data_offsets":[0,24]}})", data), "needs 16 bytes");
  check(make_file(R"({"a":{"dtype":"F32","shape":[1,1,1,2,3],"data_offsets":[0,24]}})", data), "rank 5");
  check(make_file(R"({"a":{"dtype":"F32","shape":[-6],"data_offsets":[0,24]}})", data), "non-negative");
  check(make_file(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[8,0]}})", data), "begin > end");
  check(make_file(R"({"a":{"dtype":"F32","shape":[4],"data_offsets":[16,32]}})", data), "past the end");
  check(make_file(R"({"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]},)"
                  R"("b":{"dtype":"F32","shape":[4],"data_offsets":[8,24]}})", data),
        "overlaps tensor 'a'");
  check(make_file(R"({"a":{"dtype":"F32","shape":[6]}})", data), "data_offsets");
  check(make_file(R"({"a":{"shape":[6],"data_offsets":[0,24]}})", data), "dtype");
  check(make_file(R"({"__metadata__":{"step":3}})", data), "not a string");
}

TEST_CASE("safetensors: a tiny file claiming a huge tensor errors without allocating", "[safetensors]") {
  TempDir dir;
  const std::string p = dir.file("huge.safetensors");
  // 2^40 floats claimed, with offsets to match, in a file of about 100 bytes.
  std::string f = make_file(R"({"w":{"dtype":"F32","shape":[1048576,1048576],"data_offsets":[0,4398046511104]}})", "");
  CHECK(f.size() < 120);
  gan::testing::write_bytes(p, f);
  std::string msg = load_error(p);
  CHECK(msg.find("tensor 'w'") != std::string::npos);
  CHECK(msg.find("past the end") != std::string::npos);
  // Dims whose product overflows 64 bits.
  gan::testing::write_bytes(p, make_file(R"({"w":{"dtype":"F64","shape":[4294967296,4294967296,16],"data_offsets":[0,0]}})", ""));
  msg = load_error(p);
  CHECK(msg.find("more than 2^64") != std::string::npos);
}
