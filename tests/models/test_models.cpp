// Network shapes, parameter counts (closed form from each layer list), and the checkpoint name
// table of docs/checkpoint.md (regenerated from the code; GAN_UPDATE_DOCS=1 rewrites it).
#include <catch2/catch.hpp>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "core/autograd.h"
#include "models/cyclegan.h"
#include "models/patchgan.h"
#include "models/resnet_generator.h"
#include "models/unet_generator.h"

using namespace gan;
using namespace gan::models;

namespace {

int64_t conv(int64_t cin, int64_t cout, int64_t k, bool bias) {
  return cin * cout * k * k + (bias ? cout : 0);
}

int64_t unet_count(int c, int ngf, int size) {
  int n = 0;
  while ((1 << n) < size) ++n;
  std::vector<int64_t> w;
  for (int i = 0; i < n; ++i) w.push_back(std::min<int64_t>(int64_t(ngf) << i, ngf * 8));
  int64_t total = 0, cin = c;
  for (int i = 0; i < n; ++i) total += conv(cin, w[i], 4, false), cin = w[i];
  for (int j = 0; j < n - 1; ++j) {
    int64_t out = w[n - 2 - j];
    total += conv(cin, out, 4, false);
    cin = 2 * out;
  }
  return total + conv(cin, c, 4, true);
}

int64_t resnet_count(int c, int ngf, int blocks) {
  return conv(c, ngf, 7, true) + conv(ngf, 2 * ngf, 3, true) + conv(2 * ngf, 4 * ngf, 3, true) +
         blocks * 2 * conv(4 * ngf, 4 * ngf, 3, true) + conv(4 * ngf, 2 * ngf, 3, true) +
         conv(2 * ngf, ngf, 3, true) + conv(ngf, c, 7, true);
}

int64_t patchgan_count(int c, int ndf) {
  return conv(c, ndf, 4, true) + conv(ndf, 2 * ndf, 4, true) + conv(2 * ndf, 4 * ndf, 4, true) +
         conv(4 * ndf, 8 * ndf, 4, true) + conv(8 * ndf, 1, 4, true);
}

Tensor input(int n, int c, int s) {
  Rng g(5);
  return Tensor::uniform({n, c, s, s}, g, -1, 1);
}

}  // namespace

TEST_CASE("unet: output shape at two sizes, values in (-1, 1)", "[models]") {
  NoGradGuard ng;
  for (int size : {32, 64}) {
    UNetGenerator g(1, 4, size, std::make_shared<Rng>(0));
    Rng init(1);
    nn::init_parameters(g, init);
    Tensor y = g(input(2, 1, size));
    CHECK(y.shape() == Shape{2, 1, size, size});
    for (float v : y.to_vector<float>()) REQUIRE((v > -1.f && v < 1.f));
  }
  UNetGenerator g3(3, 4, 32, std::make_shared<Rng>(0));
  CHECK(g3(input(1, 3, 64)).shape() == Shape{1, 3, 64, 64});  // any multiple of the stride
  CHECK_THROWS_AS(g3(input(1, 3, 48)), std::invalid_argument);
  CHECK_THROWS_AS(UNetGenerator(1, 4, 48, nullptr), std::invalid_argument);
}

TEST_CASE("resnet: output shape at two sizes", "[models]") {
  NoGradGuard ng;
  for (int size : {32, 48}) {
    ResNetGenerator g(1, 4, 2);
    CHECK(g(input(1, 1, size)).shape() == Shape{1, 1, size, size});
  }
  CHECK(ResNetGenerator::blocks_for_size(128) == 6);
  CHECK(ResNetGenerator::blocks_for_size(256) == 9);
}

TEST_CASE("patchgan: one logit per 70x70 patch", "[models]") {
  NoGradGuard ng;
  PatchGAN d(1, 4);
  CHECK(d(input(2, 1, 32)).shape() == Shape{2, 1, 2, 2});
  CHECK(d(input(1, 1, 64)).shape() == Shape{1, 1, 6, 6});
}

TEST_CASE("parameter counts match the closed form of each layer list", "[models]") {
  for (int size : {32, 256}) {
    for (int ngf : {4, 64}) {
      CHECK(UNetGenerator(1, ngf, size, nullptr).parameter_count() == unet_count(1, ngf, size));
      CHECK(UNetGenerator(3, ngf, size, nullptr).parameter_count() == unet_count(3, ngf, size));
    }
  }
  CHECK(ResNetGenerator(1, 64, 9).parameter_count() == resnet_count(1, 64, 9));
  CHECK(ResNetGenerator(3, 8, 6).parameter_count() == resnet_count(3, 8, 6));
  CHECK(PatchGAN(1, 64).parameter_count() == patchgan_count(1, 64));
  CHECK(PatchGAN(3, 4).parameter_count() == patchgan_count(3, 4));
  // Published sizes of the reference networks (PyTorch, 3 channels): ResNet-9 11,378,179;
  // PatchGAN 2,764,737.
  CHECK(ResNetGenerator(3, 64, 9).parameter_count() == 11378179);
  CHECK(PatchGAN(3, 64).parameter_count() == 2764737);
}

TEST_CASE("CycleGAN bundle: prefixes, seeded init, generator/discriminator split", "[models]") {
  ModelConfig c;
  c.size = 32;
  c.ngf = c.ndf = 4;
  CycleGAN a(c, 3), b(c, 3), other(c, 4);
  auto na = a.named_parameters(), nb = b.named_parameters(), no = other.named_parameters();
  REQUIRE(na.size() == nb.size());
  CHECK(na.front().first == "G_AB.down.0.0.weight");
  CHECK(na.back().first == "D_B.11.bias");
  for (size_t i = 0; i < na.size(); ++i)
    CHECK(na[i].second.to_vector<float>() == nb[i].second.to_vector<float>());
  CHECK(na[0].second.to_vector<float>() != no[0].second.to_vector<float>());
  // G_AB and G_BA start different (drawn one after the other).
  CHECK(a.G_AB->parameters()[0].to_vector<float>() != a.G_BA->parameters()[0].to_vector<float>());
  CHECK(a.generator_parameters().size() + a.discriminator_parameters().size() == na.size());
}

TEST_CASE("docs/checkpoint.md lists every tensor name and shape", "[models][docs]") {
  std::ostringstream table;
  auto emit = [&](const std::string& title, nn::Module& m) {
    table << "### " << title << " (" << m.parameter_count() << " parameters)\n\n```\n";
    for (auto& [name, t] : m.named_parameters()) table << name << " " << t.shape().str() << "\n";
    table << "```\n\n";
  };
  UNetGenerator unet(1, 64, 256, nullptr);
  ResNetGenerator resnet(1, 64, 9);
  PatchGAN patch(1, 64);
  emit("unet, size 256, ngf 64, 1 channel", unet);
  emit("resnet, size 256 (9 blocks), ngf 64, 1 channel", resnet);
  emit("patchgan, ndf 64, 1 channel", patch);
  const std::string begin = "<!-- BEGIN GENERATED: tests/models/test_models.cpp -->\n";
  const std::string end = "<!-- END GENERATED -->";
  const std::string path = std::string(GAN_SOURCE_DIR) + "/docs/checkpoint.md";
  std::ifstream in(path);
  REQUIRE(in);
  std::string doc((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  size_t b = doc.find(begin), e = doc.find(end);
  REQUIRE(b != std::string::npos);
  REQUIRE(e != std::string::npos);
  std::string generated = table.str();
  std::string current = doc.substr(b + begin.size(), e - b - begin.size());
  if (current != generated && std::getenv("GAN_UPDATE_DOCS")) {
    doc = doc.substr(0, b + begin.size()) + generated + doc.substr(e);
    std::ofstream(path) << doc;
    current = generated;
  }
  CHECK(current == generated);  // run with GAN_UPDATE_DOCS=1 to regenerate
}
