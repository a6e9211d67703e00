// safetensors reader/writer: round trips, dtype conversions, damaged files, fixtures.
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstring>
#include <fstream>
#include <limits>
#include <random>

#include "io/error.h"
#include "io/float16.h"
#include "io/json_file.h"
#include "io/safetensors.h"
#include "test_data.h"

namespace fs = std::filesystem;
using namespace logitrank;
using namespace logitrank::io;

namespace {

struct TempDir {
  fs::path path;
  TempDir() {
    std::random_device rd;
    path = fs::temp_directory_path() /
           ("logitrank_io_test_" + std::to_string(rd()) + std::to_string(::getpid()));
    fs::create_directories(path);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

std::string read_all(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}
void write_all(const fs::path& p, const std::string& s) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out.write(s.data(), static_cast<std::streamsize>(s.size()));
}

// A raw safetensors file from a header string and a data blob.
std::string make_raw(const std::string& header, const std::string& data) {
  std::string out(8, '\0');
  uint64_t n = header.size();
  for (int i = 0; i < 8; ++i) out[i] = static_cast<char>((n >> (8 * i)) & 0xff);
  return out + header + data;
}

// Expects an InputError whose message contains every one of `needles`.
template <typename F>
void expect_input_error(F&& f, std::vector<std::string> needles) {
  try {
    f();
    ADD_FAILURE() << "expected InputError";
  } catch (const InputError& e) {
    std::string msg = e.what();
    EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
    for (const auto& n : needles)
      EXPECT_NE(msg.find(n), std::string::npos) << "message '" << msg << "' lacks '" << n << "'";
  } catch (const std::exception& e) {
    ADD_FAILURE() << "expected InputError, got " << e.what();
  }
}

}  // namespace

TEST(Dtype, NamesAndSizes) {
  for (DType t : {DType::F64, DType::F32, DType::F16, DType::BF16, DType::I64, DType::I32, DType::I16,
                  DType::I8, DType::U8, DType::BOOL})
    EXPECT_EQ(parse_dtype(dtype_name(t)), t);
  EXPECT_EQ(dtype_size(DType::BF16), 2u);
  EXPECT_EQ(dtype_size(DType::F64), 8u);
  EXPECT_THROW(parse_dtype("F8_E4M3"), InputError);
}

TEST(Float16, KnownBitPatterns) {
  EXPECT_EQ(bf16_to_float(0x3F80), 1.0f);
  EXPECT_EQ(bf16_to_float(0xC000), -2.0f);
  EXPECT_EQ(bf16_to_float(0x0001), std::bit_cast<float>(0x00010000u));  // bf16 subnormal
  EXPECT_TRUE(std::isinf(bf16_to_float(0x7F80)));
  EXPECT_TRUE(std::isnan(bf16_to_float(0x7FC0)));
  EXPECT_EQ(f16_to_float(0x3C00), 1.0f);
  EXPECT_EQ(f16_to_float(0xC000), -2.0f);
  EXPECT_EQ(f16_to_float(0x7BFF), 65504.0f);
  EXPECT_EQ(f16_to_float(0x0001), std::ldexp(1.0f, -24));     // smallest subnormal
  EXPECT_EQ(f16_to_float(0x03FF), std::ldexp(1023.0f, -24));  // largest subnormal
  EXPECT_EQ(f16_to_float(0x0400), std::ldexp(1.0f, -14));     // smallest normal
  EXPECT_EQ(f16_to_float(0x8000), -0.0f);
  EXPECT_TRUE(std::signbit(f16_to_float(0x8000)));
  EXPECT_TRUE(std::isinf(f16_to_float(0x7C00)));
  EXPECT_TRUE(std::isinf(f16_to_float(0xFC00)) && f16_to_float(0xFC00) < 0);
  EXPECT_TRUE(std::isnan(f16_to_float(0x7E00)));
  // every finite half round-trips exactly through float
  for (uint32_t h = 0; h < 0x10000; ++h) {
    float f = f16_to_float(static_cast<uint16_t>(h));
    if (std::isnan(f)) continue;
    ASSERT_EQ(float_to_f16(f), h) << std::hex << h;
    ASSERT_EQ(float_to_bf16(bf16_to_float(static_cast<uint16_t>(h))), h);
  }
  EXPECT_EQ(float_to_bf16(1.00390625f), 0x3F80);           // tie -> even
  EXPECT_EQ(float_to_f16(65520.0f), 0x7C00);               // overflow -> inf
  EXPECT_EQ(float_to_f16(std::ldexp(1.0f, -25)), 0x0000);  // tie -> even (0)
  EXPECT_EQ(float_to_f16(std::ldexp(1.5f, -25)), 0x0001);
}

TEST(Safetensors, RoundTripEveryDtype) {
  TempDir tmp;
  const fs::path p = tmp.path / "rt.safetensors";
  SafetensorsWriter w;
  std::vector<double> d = {1.5, -2.25, 1e-300, 3.0, 4.0, 5.0};
  std::vector<float> f = {0.1f, -0.0f, 1e-40f, 7.0f};
  std::vector<int64_t> ids = {0, 5, -1};
  std::vector<uint16_t> bf = {0x3F80, 0xC000, 0x0001, 0x7F80};
  std::vector<uint16_t> hf = {0x3C00, 0x0001, 0x03FF, 0xFC00};
  w.add_f64("d", {2, 3}, d);
  w.add_f32("f", {4}, f);
  w.add_i64("ids", {3}, ids);
  w.add("bf", DType::BF16, {2, 2}, std::as_bytes(std::span(bf)));
  w.add("hf", DType::F16, {4}, std::as_bytes(std::span(hf)));
  w.add("empty", DType::F32, {0, 3}, {});
  w.set_metadata("format", "pt");
  w.write(p);
  EXPECT_FALSE(fs::exists(p.string() + ".tmp"));
  // header is 8-byte aligned
  std::string raw = read_all(p);
  uint64_t n = 0;
  for (int i = 7; i >= 0; --i) n = (n << 8) | static_cast<uint8_t>(raw[i]);
  EXPECT_EQ(n % 8, 0u);

  SafetensorsFile file(p);
  EXPECT_EQ(file.metadata().at("format"), "pt");
  EXPECT_EQ(file.names(), (std::vector<std::string>{"bf", "d", "empty", "f", "hf", "ids"}));
  const auto& td = file.at("d");
  EXPECT_EQ(td.dtype, DType::F64);
  EXPECT_EQ(td.shape, (std::vector<int64_t>{2, 3}));
  std::vector<double> d2(6);
  convert_to(td, d2);
  EXPECT_EQ(d2, d);
  std::vector<float> f2(4);
  convert_to(file.at("f"), f2);
  for (int i = 0; i < 4; ++i) EXPECT_EQ(std::bit_cast<uint32_t>(f2[i]), std::bit_cast<uint32_t>(f[i]));
  std::vector<double> b2(4);
  convert_to(file.at("bf"), b2);
  EXPECT_EQ(b2[0], 1.0);
  EXPECT_EQ(b2[1], -2.0);
  EXPECT_EQ(b2[2], static_cast<double>(std::bit_cast<float>(0x00010000u)));
  EXPECT_TRUE(std::isinf(b2[3]));
  std::vector<float> h2(4);
  convert_to(file.at("hf"), h2);
  EXPECT_EQ(h2[0], 1.0f);
  EXPECT_EQ(h2[1], std::ldexp(1.0f, -24));
  EXPECT_EQ(h2[2], std::ldexp(1023.0f, -24));
  EXPECT_TRUE(std::isinf(h2[3]) && h2[3] < 0);
  std::vector<float> r(2);
  convert_range(td, 3, r);
  EXPECT_EQ(r[0], 3.0f);
  EXPECT_EQ(r[1], 4.0f);
  EXPECT_EQ(file.at("empty").numel(), 0);
  const auto& ti = file.at("ids");
  EXPECT_EQ(ti.dtype, DType::I64);
  int64_t v;
  std::memcpy(&v, ti.data + 16, 8);
  EXPECT_EQ(v, -1);
  // non-float conversion and wrong buffer size fail naming the tensor
  std::vector<float> bad(3);
  expect_input_error([&] { convert_to(ti, bad); }, {"ids", p.string()});
  expect_input_error([&] { convert_to(td, bad); }, {"'d'"});
  expect_input_error([&] { convert_range(td, 5, r); }, {"'d'"});
  expect_input_error([&] { file.at("nope"); }, {"nope", p.string()});
  EXPECT_EQ(file.find("nope"), nullptr);
}

TEST(Safetensors, WriterRejectsDuplicatesAndBadSizes) {
  SafetensorsWriter w;
  std::vector<float> f = {1, 2};
  w.add_f32("a", {2}, f);
  EXPECT_THROW(w.add_f32("a", {2}, f), InputError);
  EXPECT_THROW(w.add_f32("b", {3}, f), InputError);
}

TEST(Safetensors, DamagedFiles) {
  TempDir tmp;
  const std::string good_h =
      R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}})";
  const std::string data(12, '\0');
  auto check = [&](const std::string& name, const std::string& bytes, std::vector<std::string> needles) {
    const fs::path p = tmp.path / (name + ".safetensors");
    write_all(p, bytes);
    needles.push_back(p.string());
    expect_input_error([&] { SafetensorsFile f(p); }, needles);
  };
  {  // sanity: the good one opens
    const fs::path p = tmp.path / "good.safetensors";
    write_all(p, make_raw(good_h, data));
    SafetensorsFile f(p);
    EXPECT_EQ(f.names().size(), 2u);
  }
  check("empty", "", {"too short"});
  check("short", "abc", {"too short"});
  std::string full = make_raw(good_h, data);
  check("truncated", full.substr(0, full.size() - 3), {"'b'", "exceed"});
  check("truncated_header", full.substr(0, 20), {"header length"});
  check("header_beyond",
        make_raw(good_h, data).replace(0, 8, std::string("\xff\xff\x00\x00\x00\x00\x00\x00", 8)),
        {"header length"});
  check("bad_json", make_raw(R"({"a":{"dtype":"F32",)", data), {"invalid JSON"});
  check("not_object", make_raw(R"([1,2,3])", data), {"not a JSON object"});
  check("oob", make_raw(R"({"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}})", data),
        {"'a'", "exceed"});
  check(
      "overlap",
      make_raw(
          R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})",
          data),
      {"'a'", "'b'", "overlap"});
  check("unknown_dtype", make_raw(R"({"a":{"dtype":"F8_E4M3","shape":[2],"data_offsets":[0,2]}})", data),
        {"'a'", "F8_E4M3"});
  check("shape_mismatch", make_raw(R"({"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})", data),
        {"'a'", "needs 12 bytes"});
  check("neg_shape", make_raw(R"({"a":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}})", data),
        {"'a'", "negative"});
  check("no_offsets", make_raw(R"({"a":{"dtype":"F32","shape":[2]}})", data), {"'a'", "data_offsets"});
  check("decreasing", make_raw(R"({"a":{"dtype":"F32","shape":[0],"data_offsets":[8,0]}})", data),
        {"'a'", "decrease"});
  check("bad_meta", make_raw(R"({"__metadata__":{"k":1}})", data), {"__metadata__"});
  expect_input_error([&] { SafetensorsFile f(tmp.path / "missing.safetensors"); },
                     {"missing.safetensors", "cannot open"});
}

TEST(TensorStore, ShardedIndexErrors) {
  TempDir tmp;
  SafetensorsWriter w;
  std::vector<float> f = {1, 2};
  w.add_f32("x", {2}, f);
  w.write(tmp.path / "s1.safetensors");
  write_all(tmp.path / "model.safetensors.index.json",
            R"({"weight_map":{"x":"s1.safetensors","y":"s1.safetensors"}})");
  expect_input_error([&] { TensorStore::open(tmp.path); },
                     {"'y'", "s1.safetensors", "model.safetensors.index.json"});
  write_all(tmp.path / "model.safetensors.index.json",
            R"({"weight_map":{"x":"s1.safetensors","y":"s2.safetensors"}})");
  expect_input_error([&] { TensorStore::open(tmp.path); }, {"'y'", "s2.safetensors"});
  write_all(tmp.path / "model.safetensors.index.json", R"({"weight_map":{"x":"s1.safetensors"})");
  expect_input_error([&] { TensorStore::open(tmp.path); }, {"model.safetensors.index.json", "invalid JSON"});
  write_all(tmp.path / "model.safetensors.index.json", R"({"weight_map":{"x":"s1.safetensors"}})");
  auto store = TensorStore::open(tmp.path);
  EXPECT_EQ(store->names(), std::vector<std::string>{"x"});
  EXPECT_EQ(store->total_bytes(), 8u);
  expect_input_error([&] { store->at("zz"); }, {"'zz'", "s1.safetensors"});
  TempDir empty;
  expect_input_error([&] { TensorStore::open(empty.path); }, {"model.safetensors"});
}

TEST(TensorStore, FixturesShardedEqualsSingle) {
  const fs::path fx = logitrank::testing::fixtures_dir();
  auto single = TensorStore::open(fx / "tiny-llama");
  auto sharded = TensorStore::open(fx / "tiny-llama-sharded");
  EXPECT_EQ(sharded->files().size(), 2u);
  ASSERT_FALSE(single->names().empty());
  EXPECT_EQ(single->names(), sharded->names());
  EXPECT_EQ(single->total_bytes(), sharded->total_bytes());
  for (const auto& n : single->names()) {
    const auto& a = single->at(n);
    const auto& b = sharded->at(n);
    ASSERT_EQ(a.dtype, b.dtype) << n;
    ASSERT_EQ(a.shape, b.shape) << n;
    ASSERT_EQ(0, std::memcmp(a.data, b.data, a.nbytes)) << n;
  }
}

TEST(Safetensors, ReadsEveryFixtureFile) {
  const fs::path root = logitrank::testing::data_dir();
  int count = 0;
  for (const auto& sub : {"fixtures", "models"}) {
    ASSERT_TRUE(fs::is_directory(root / sub)) << (root / sub);
    for (const auto& e : fs::recursive_directory_iterator(root / sub)) {
      if (e.path().extension() != ".safetensors") continue;
      SafetensorsFile f(e.path());
      ASSERT_FALSE(f.names().empty()) << e.path();
      for (const auto& n : f.names()) {
        const auto& t = f.at(n);
        ASSERT_EQ(static_cast<std::size_t>(t.numel()) * dtype_size(t.dtype), t.nbytes)
            << e.path() << " " << n;
      }
      if (e.path().filename() == "golden.safetensors") {
        const auto& ids = f.at("input_ids");
        EXPECT_EQ(ids.dtype, DType::I64);
        const auto& q = f.at("layer.0.q");
        EXPECT_EQ(q.dtype, DType::F64);
        ASSERT_EQ(q.shape.size(), 3u);
        std::vector<double> v(static_cast<std::size_t>(q.numel()));
        convert_to(q, v);
        for (double x : v) ASSERT_TRUE(std::isfinite(x));
        // input_ids agree with input_ids.json
        auto j = read_json_file(e.path().parent_path() / "input_ids.json");
        ASSERT_EQ(static_cast<int64_t>(j.size()), ids.numel());
        for (int64_t i = 0; i < ids.numel(); ++i) {
          int64_t id;
          std::memcpy(&id, ids.data + 8 * i, 8);
          ASSERT_EQ(id, j[i].get<int64_t>());
        }
      }
      ++count;
    }
  }
  EXPECT_GE(count, 17);  // 5 fixtures (6 model files + 5 goldens) + 3 models x 2
}

TEST(JsonFile, Errors) {
  TempDir tmp;
  write_all(tmp.path / "c.json", R"({"a": 3, "b": "x", "c": 2.5, "d": true})");
  auto j = read_json_file(tmp.path / "c.json");
  EXPECT_EQ(json_int(j, "a", tmp.path / "c.json"), 3);
  EXPECT_EQ(json_string(j, "b", tmp.path / "c.json"), "x");
  EXPECT_EQ(json_number(j, "c", tmp.path / "c.json"), 2.5);
  EXPECT_TRUE(json_bool(j, "d", tmp.path / "c.json"));
  expect_input_error([&] { json_int(j, "b", tmp.path / "c.json"); }, {"c.json", "'b'"});
  expect_input_error([&] { json_int(j, "zz", tmp.path / "c.json"); }, {"c.json", "'zz'"});
  write_all(tmp.path / "bad.json", "{\"a\":\n");
  expect_input_error([&] { read_json_file(tmp.path / "bad.json"); }, {"bad.json", "invalid JSON"});
  expect_input_error([&] { read_json_file(tmp.path / "none.json"); }, {"none.json"});
}
