// Both model files round-trip exactly, and damaged files are rejected with a
// message naming the problem (never a crash, never silent garbage).
#include <gtest/gtest.h>

#include <random>
#include <tuple>

#include "format/safetensors.hpp"
#include "ifq/convert.hpp"
#include "ifq/error.hpp"
#include "ifq/model_io.hpp"
#include "ifq/reference_eval.hpp"
#include "ifq/runtime.hpp"
#include "random_networks.hpp"
#include "temp_dir.hpp"

namespace ifq {
namespace {

using testing::read_bytes;
using testing::write_bytes;

FloatModel sample_model(uint32_t seed) {
  std::mt19937 rng(seed);
  testing::RandomNetworkSpec spec;
  spec.fc_last = false;  // conv head + leaky: exercises more op kinds
  return testing::random_network(rng, spec);
}

// Expects `fn` to throw ifq::Error whose message contains `needle`.
template <class Fn>
void expect_error(Fn fn, const std::string& needle) {
  try {
    fn();
    ADD_FAILURE() << "no error; expected one mentioning '" << needle << "'";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << "message: " << e.what();
  }
}

TEST(ModelFiles, FloatModelRoundTripsExactly) {
  testing::TempDir dir;
  for (uint32_t seed = 1; seed <= 10; ++seed) {
    const FloatModel m = sample_model(seed);
    save_float_model(m, dir.file("a.safetensors"));
    const FloatModel back = load_float_model(dir.file("a.safetensors"));
    save_float_model(back, dir.file("b.safetensors"));
    EXPECT_EQ(read_bytes(dir.file("a.safetensors")), read_bytes(dir.file("b.safetensors")));
    std::mt19937 rng(seed);
    const auto image = testing::random_image(rng, std::get<InputLayer>(m.layers[0]).shape);
    EXPECT_EQ(evaluate_float(m, image).output, evaluate_float(back, image).output);
    EXPECT_EQ(model_file_kind(dir.file("a.safetensors")), "float");
  }
}

TEST(ModelFiles, IntModelRoundTripsExactly) {
  testing::TempDir dir;
  for (uint32_t seed = 1; seed <= 10; ++seed) {
    ConvertOptions opt;
    if (seed % 2) opt.quantized = ConversionKind::Separated;  // requant/bn/quant ops too
    const IntModel m = convert(sample_model(seed), opt).model;
    save_int_model(m, dir.file("a.safetensors"));
    const IntModel back = load_int_model(dir.file("a.safetensors"));
    save_int_model(back, dir.file("b.safetensors"));
    EXPECT_EQ(read_bytes(dir.file("a.safetensors")), read_bytes(dir.file("b.safetensors")));
    ASSERT_EQ(back.substructures.size(), m.substructures.size());
    std::mt19937 rng(seed);
    const auto image = testing::random_image(rng, std::get<IntInputOp>(m.ops[0]).shape);
    EXPECT_EQ(ReferenceRuntime(m).run(image).data, ReferenceRuntime(back).run(image).data);
    EXPECT_EQ(model_file_kind(dir.file("a.safetensors")), "int");
  }
}

// DupNet weight sharing is format version 2: a file that uses it says so
// (a version-1 reader then rejects it instead of misreading the shared
// filters), a file without it stays version 1 and byte-identical.
TEST(ModelFiles, SharedWeightsRoundTripAsVersion2AndOthersStayVersion1) {
  testing::TempDir dir;
  int shared_files = 0;
  for (uint32_t seed = 1; seed <= 6; ++seed) {
    std::mt19937 rng(seed);
    testing::RandomNetworkSpec spec;
    spec.quantized_first = true;
    spec.share_weights = true;
    const FloatModel m = testing::random_network(rng, spec);
    bool shares = false;
    for (const auto& l : m.layers)
      if (auto* c = std::get_if<ConvLayer>(&l)) shares |= c->duplicate > 1 || c->input_repeat > 1;
    save_float_model(m, dir.file("f.ifqf"));
    EXPECT_EQ(testing::model_file_version(dir.file("f.ifqf")), shares ? "2" : "1");
    const FloatModel back = load_float_model(dir.file("f.ifqf"));
    save_float_model(back, dir.file("g.ifqf"));
    EXPECT_EQ(read_bytes(dir.file("f.ifqf")), read_bytes(dir.file("g.ifqf")));
    const auto image = testing::random_image(rng, std::get<InputLayer>(m.layers[0]).shape);
    EXPECT_EQ(evaluate_float(m, image).output, evaluate_float(back, image).output);

    const IntModel im = convert(m).model;
    save_int_model(im, dir.file("i.ifqi"));
    EXPECT_EQ(testing::model_file_version(dir.file("i.ifqi")), shares ? "2" : "1");
    const IntModel iback = load_int_model(dir.file("i.ifqi"));
    EXPECT_EQ(ReferenceRuntime(im).run(image).data, ReferenceRuntime(iback).run(image).data);
    shared_files += shares;
  }
  EXPECT_GE(shared_files, 3);
  save_float_model(sample_model(1), dir.file("plain.ifqf"));
  EXPECT_EQ(testing::model_file_version(dir.file("plain.ifqf")), "1");
}

// Fixed (multi-bit) weights are float format version 3: codes, bits and
// zero point round-trip exactly; bad codes and bit counts are refused with
// a message naming them.
TEST(ModelFiles, FixedWeightsRoundTripAsVersion3AndBadCodesAreRefused) {
  testing::TempDir dir;
  for (int bits = 2; bits <= 8; bits += 3) {
    std::mt19937 rng{uint32_t(bits)};
    testing::RandomNetworkSpec spec;
    spec.quantized_first = true;
    spec.binary_last = true;
    spec.fixed_weight_bits = bits;
    const FloatModel m = testing::random_network(rng, spec);
    save_float_model(m, dir.file("f.ifqf"));
    EXPECT_NE(read_bytes(dir.file("f.ifqf")).find("\"ifq.version\":\"3\""), std::string::npos);
    const FloatModel back = load_float_model(dir.file("f.ifqf"));
    save_float_model(back, dir.file("g.ifqf"));
    EXPECT_EQ(read_bytes(dir.file("f.ifqf")), read_bytes(dir.file("g.ifqf")));
    const auto image = testing::random_image(rng, std::get<InputLayer>(m.layers[0]).shape);
    EXPECT_EQ(evaluate_float(m, image).output, evaluate_float(back, image).output);
  }
  std::mt19937 rng(9);
  testing::RandomNetworkSpec spec;
  spec.quantized_first = true;
  spec.fixed_weight_bits = 4;
  const FloatModel good = testing::random_network(rng, spec);
  auto first_conv = [](FloatModel& m) -> ConvLayer& { return std::get<ConvLayer>(m.layers[1]); };
  FloatModel m = good;
  first_conv(m).weight[0] = 8.0f;  // 4-bit codes end at 7
  expect_error([&] { infer_shapes(m); }, "not an integer code in -8..7");
  m = good;
  first_conv(m).weight[0] = 0.5f;
  expect_error([&] { infer_shapes(m); }, "not an integer code");
  m = good;
  first_conv(m).fixed.bits = 9;
  expect_error([&] { infer_shapes(m); }, "fixed weights need 2..8 bits");
  m = good;
  first_conv(m).fixed.zero_point = -9;
  expect_error([&] { infer_shapes(m); }, "zero point -9 outside the code range -8..7");
  m = good;
  first_conv(m).alpha.clear();
  expect_error([&] { infer_shapes(m); }, "alpha");
}

TEST(ModelFiles, ARuntimeBuiltFromATemporaryModelOwnsIt) {
  // ReferenceRuntime(load_int_model(path)) once kept a reference to the
  // destroyed temporary; the runtime owns its model now.
  testing::TempDir dir;
  const IntModel m = convert(sample_model(4)).model;
  save_int_model(m, dir.file("m.safetensors"));
  ReferenceRuntime from_temporary(load_int_model(dir.file("m.safetensors")));
  std::vector<std::vector<int32_t>> reuse_freed_memory;
  for (int i = 0; i < 64; ++i) reuse_freed_memory.emplace_back(4096, -7);
  std::mt19937 rng(4);
  const auto image = testing::random_image(rng, std::get<IntInputOp>(m.ops[0]).shape);
  EXPECT_EQ(from_temporary.run(image).data, ReferenceRuntime(m).run(image).data);
}

TEST(ModelFiles, DataSectionIsAligned) {
  testing::TempDir dir;
  save_int_model(convert(sample_model(3)).model, dir.file("m.safetensors"));
  const std::string bytes = read_bytes(dir.file("m.safetensors"));
  uint64_t header = 0;
  for (int i = 7; i >= 0; --i) header = (header << 8) | uint8_t(bytes[size_t(i)]);
  EXPECT_EQ((8 + header) % 64, 0u);
}

class DamagedFile : public ::testing::Test {
 protected:
  testing::TempDir dir;
  std::string good, path;
  void SetUp() override {
    path = dir.file("m.safetensors");
    save_int_model(convert(sample_model(7)).model, path);
    good = read_bytes(path);
  }
  uint64_t header_len() const {
    uint64_t n = 0;
    for (int i = 7; i >= 0; --i) n = (n << 8) | uint8_t(good[size_t(i)]);
    return n;
  }
  std::string header() const { return good.substr(8, header_len()); }
  std::string with_header(std::string h) const {
    h.resize(header_len(), ' ');  // keep the length, offsets stay valid
    return good.substr(0, 8) + h + good.substr(8 + header_len());
  }
};

TEST_F(DamagedFile, MissingFile) {
  expect_error([&] { load_int_model(dir.file("absent.safetensors")); }, "cannot open");
}

TEST_F(DamagedFile, TruncatedAnywhere) {
  for (size_t cut : {size_t(0), size_t(5), size_t(8), size_t(40), good.size() / 2, good.size() - 1}) {
    write_bytes(path, good.substr(0, cut));
    EXPECT_THROW(load_int_model(path), Error) << "cut at " << cut;
  }
  write_bytes(path, good.substr(0, good.size() - 1));
  expect_error([&] { load_int_model(path); }, "truncated");
}

TEST_F(DamagedFile, CorruptHeaderJson) {
  std::string h = header();
  h[h.size() / 2] = '\x01';
  write_bytes(path, with_header(h));
  expect_error([&] { load_int_model(path); }, "JSON");
}

TEST_F(DamagedFile, ImplausibleHeaderLength) {
  std::string bad = good;
  bad[6] = '\x7f';  // header length ~ 2^54
  write_bytes(path, bad);
  expect_error([&] { load_int_model(path); }, "implausibly large");
}

TEST_F(DamagedFile, OversizedCountInGraph) {
  // A conv claiming more output channels than its weights hold.
  std::string h = header();
  const size_t at = h.find("\\\"out_channels\\\":");
  ASSERT_NE(at, std::string::npos);
  h.replace(at, 17, "\\\"out_channels\\\":9");
  write_bytes(path, with_header(h));
  EXPECT_THROW(load_int_model(path), Error);
}

TEST_F(DamagedFile, TensorShapeLargerThanItsBytes) {
  std::string h = header();
  const size_t at = h.find("\"shape\":[");
  ASSERT_NE(at, std::string::npos);
  h.insert(at + 9, "99999");
  // Remove five trailing pad spaces so the length is unchanged.
  const size_t pad = h.find_last_not_of(' ');
  ASSERT_GE(h.size() - pad - 1, 5u) << "header has no padding to absorb the edit";
  h.erase(pad + 1, 5);
  write_bytes(path, with_header(h));
  expect_error([&] { load_int_model(path); }, "bytes but its shape needs");
}

TEST_F(DamagedFile, NewerVersionIsRejectedWithAdvice) {
  std::string h = header();
  const size_t at = h.find("\"ifq.version\":\"1\"");
  ASSERT_NE(at, std::string::npos);
  h.replace(at, 17, "\"ifq.version\":\"9\"");
  write_bytes(path, with_header(h));
  expect_error([&] { load_int_model(path); }, "newer ifq");
}

// Issue 15 finding: JSON type errors reached the user with the library's
// "[json.exception.type_error.302]" tag; the message is the problem alone.
TEST_F(DamagedFile, AWrongJsonTypeIsReportedWithoutTheLibraryTag) {
  std::string h = header();
  const std::string from = "\\\"present\\\":false", to = "\\\"present\\\":12345";
  const size_t at = h.find(from);
  ASSERT_NE(at, std::string::npos) << h.substr(0, 300);
  h.replace(at, from.size(), to);
  write_bytes(path, with_header(h));
  try {
    load_int_model(path);
    ADD_FAILURE() << "a boolean holding a number was accepted";
  } catch (const Error& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("malformed graph: type must be boolean"), std::string::npos) << m;
    EXPECT_EQ(m.find("[json.exception"), std::string::npos) << m;
  }
}

// Issue 15 finding: flipped bits in tensor data loaded silently. Every file
// carries a CRC-32 per tensor; any flipped bit is rejected naming its tensor.
TEST_F(DamagedFile, AnyFlippedDataBitIsRejectedNamingTheTensor) {
  testing::TempDir other;
  const std::string float_path = other.file("f.ifqf");
  save_float_model(sample_model(8), float_path);
  const std::string float_good = read_bytes(float_path);
  std::mt19937 rng(23);
  for (const auto& [file, bytes, is_int] : {std::tuple{path, good, true}, std::tuple{float_path, float_good, false}}) {
    uint64_t header = 0;
    for (int i = 7; i >= 0; --i) header = (header << 8) | uint8_t(bytes[size_t(i)]);
    for (int trial = 0; trial < 40; ++trial) {
      std::string bad = bytes;
      const size_t at = 8 + header + rng() % (bad.size() - 8 - header);
      bad[at] = char(bad[at] ^ (1 << (rng() % 8)));
      write_bytes(file, bad);
      try {
        if (is_int) load_int_model(file);
        else load_float_model(file);
        ADD_FAILURE() << "flipped bit at byte " << at << " loaded";
      } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("fails its CRC-32 checksum"), std::string::npos) << e.what();
      }
    }
  }
}

TEST_F(DamagedFile, WrongKindOfModel) {
  expect_error([&] { load_float_model(path); }, "expected 'ifq-float-model'");
}

TEST_F(DamagedFile, TrailingGarbage) {
  write_bytes(path, good + "xx");
  expect_error([&] { load_int_model(path); }, "trailing bytes");
}

TEST_F(DamagedFile, GarbledTensorDataNeverLoadsAsAnInvalidModel) {
  // Damaged data bytes (thresholds out of order, weights out of range, packed
  // padding bits set): loading must either reject the file with ifq::Error or
  // return a model that passes validation (and so runs without undefined
  // behaviour). Inverting every byte must be rejected outright.
  std::string bad = good;
  for (size_t i = 8 + header_len(); i < bad.size(); ++i) bad[i] = char(~bad[i]);
  write_bytes(path, bad);
  EXPECT_THROW(load_int_model(path), Error);
  std::mt19937 rng(17);
  int rejected = 0;
  for (int trial = 0; trial < 60; ++trial) {
    bad = good;
    for (int k = 0; k < 1 + trial % 8; ++k) {
      const size_t at = 8 + header_len() + rng() % (good.size() - 8 - header_len());
      bad[at] = char(rng());
    }
    write_bytes(path, bad);
    IntModel m;
    try {
      m = load_int_model(path);
    } catch (const Error&) {
      ++rejected;
      continue;
    }
    EXPECT_NO_THROW(infer_int_shapes(m)) << "trial " << trial << ": a loaded model must be a valid one";
  }
  EXPECT_GT(rejected, 0) << "no damage was ever detected";
}

TEST_F(DamagedFile, UnknownSubstructureStringsAreErrors) {
  for (const auto& [from, to] : {std::pair<std::string, std::string>{"\\\"quantized\\\"", "\\\"quantised\\\""},
                                 {"\\\"integrated\\\"", "\\\"integrate0\\\""}}) {
    std::string h = header();
    const size_t at = h.find(from);
    ASSERT_NE(at, std::string::npos) << from;
    h.replace(at, from.size(), to);
    write_bytes(path, with_header(h));
    expect_error([&] { load_int_model(path); }, "unknown");
  }
}

TEST(ModelFiles, ATensorTheGraphDoesNotUseIsAnError) {
  testing::TempDir dir;
  const FloatModel fm = sample_model(3);
  save_float_model(fm, dir.file("f.safetensors"));
  save_int_model(convert(fm).model, dir.file("i.safetensors"));
  for (const char* name : {"f.safetensors", "i.safetensors"}) {
    SCOPED_TRACE(name);
    // The same file plus one stray tensor.
    const format::SafetensorsReader good(dir.file(name));
    format::SafetensorsWriter w;
    for (const auto& [key, value] : good.metadata()) w.set_meta(key, value);
    for (const std::string& t : good.names()) {
      const format::TensorBlob& b = good.blob(t);
      ASSERT_TRUE(b.dtype == format::DType::F32 || b.dtype == format::DType::U8 || b.dtype == format::DType::I8 ||
                  b.dtype == format::DType::I16 || b.dtype == format::DType::I32 || b.dtype == format::DType::I64);
      if (b.dtype == format::DType::F32) w.add_f32(t, good.f32(t, b.bytes.size() / 4));
      else if (b.dtype == format::DType::U8) w.add_u8(t, good.u8(t, b.bytes.size()));
      else w.add_ints(t, good.ints(t, b.bytes.size() / format::dtype_size(b.dtype)));
    }
    w.write(dir.file("same.safetensors"));
    w.add_u8("stray", {1, 2, 3});
    w.write(dir.file("stray.safetensors"));
    if (std::string(name)[0] == 'f') {
      EXPECT_NO_THROW(load_float_model(dir.file("same.safetensors")));
      expect_error([&] { load_float_model(dir.file("stray.safetensors")); }, "tensor 'stray' is not used");
    } else {
      EXPECT_NO_THROW(load_int_model(dir.file("same.safetensors")));
      expect_error([&] { load_int_model(dir.file("stray.safetensors")); }, "tensor 'stray' is not used");
    }
  }
}

TEST(Safetensors, RejectsHolesAndOverlaps) {
  testing::TempDir dir;
  const std::string path = dir.file("h.safetensors");
  auto write_with = [&](const std::string& json, size_t data_bytes) {
    std::string h = json;
    std::string out;
    for (int i = 0; i < 8; ++i) out.push_back(char((uint64_t(h.size()) >> (8 * i)) & 0xff));
    write_bytes(path, out + h + std::string(data_bytes, '\0'));
  };
  write_with(R"({"a":{"dtype":"U8","shape":[2],"data_offsets":[0,2]},"b":{"dtype":"U8","shape":[2],"data_offsets":[1,3]}})", 3);
  expect_error([&] { format::SafetensorsReader r(path); }, "overlaps");
  write_with(R"({"a":{"dtype":"U8","shape":[2],"data_offsets":[2,4]}})", 4);
  expect_error([&] { format::SafetensorsReader r(path); }, "hole");
  write_with(R"({"a":{"dtype":"Q9","shape":[2],"data_offsets":[0,2]}})", 2);
  expect_error([&] { format::SafetensorsReader r(path); }, "unsupported dtype");
  write_with(R"({"a":{"dtype":"U8","shape":[2],"data_offsets":[0,9]}})", 2);
  expect_error([&] { format::SafetensorsReader r(path); }, "outside");
}

TEST(ModelFiles, SavingNeverLeavesAHalfWrittenFile) {
  testing::TempDir dir;
  const std::string path = dir.file("m.safetensors");
  save_float_model(sample_model(1), path);
  const std::string before = read_bytes(path);
  FloatModel broken = sample_model(2);
  std::get<ConvLayer>(broken.layers[1]).weight.pop_back();  // invalid: rejected before writing
  EXPECT_THROW(save_float_model(broken, path), Error);
  EXPECT_EQ(read_bytes(path), before);
  EXPECT_THROW(save_float_model(sample_model(1), dir.file("no/such/dir/m.safetensors")), Error);
}

}  // namespace
}  // namespace ifq
