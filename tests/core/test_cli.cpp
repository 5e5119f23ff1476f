// The `ifq` program: inspect/convert work, and bad input gives a clear
// message and a non-zero exit (never a crash).
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <array>
#include <filesystem>
#include <cstdio>
#include <cstring>
#include <nlohmann/json.hpp>
#include <random>

#include "ifq/error.hpp"
#include "ifq/model_io.hpp"
#include "cli_run.hpp"
#include "random_networks.hpp"
#include "temp_dir.hpp"

namespace ifq {
namespace {


class Cli : public ::testing::Test {
 protected:
  testing::TempDir dir;
  std::string float_path;
  void SetUp() override {
    std::mt19937 rng(11);
    float_path = dir.file("net.float.safetensors");
    save_float_model(testing::random_network(rng, {}), float_path);
  }
};

TEST_F(Cli, InspectPrintsTheDivisionAndMemory) {
  const CliRun r = run("inspect " + float_path);
  EXPECT_EQ(r.status, 0) << r.output;
  EXPECT_NE(r.output.find("Substructures"), std::string::npos);
  EXPECT_NE(r.output.find("integrated"), std::string::npos);
  EXPECT_NE(r.output.find("model size:"), std::string::npos);
}

// Issue 15 (durability): two writers of the same output path at once. The
// file is always one writer's whole result, never a mix or a torn file, and
// no temporary file is left behind.
TEST_F(Cli, ConcurrentWritersOfOneModelPathLeaveOneWholeFile) {
  std::mt19937 rng(31);
  const std::string other = dir.file("other.float.safetensors");
  save_float_model(testing::random_network(rng, {}), other);
  ASSERT_EQ(run("convert --in " + float_path + " --out " + dir.file("a.ifqi")).status, 0);
  ASSERT_EQ(run("convert --in " + other + " --out " + dir.file("b.ifqi")).status, 0);
  const std::string a = testing::read_bytes(dir.file("a.ifqi")), b = testing::read_bytes(dir.file("b.ifqi"));
  ASSERT_NE(a, b);
  const std::string out = dir.file("shared.ifqi");
  int from_a = 0, from_b = 0;
  for (int round = 0; round < 8; ++round) {
    const CliRun r = run_shell(std::string(IFQ_BINARY) + " convert --in " + float_path + " --out " + out +
                                       " > /dev/null & " + IFQ_BINARY + " convert --in " + other + " --out " + out +
                                       " > /dev/null & wait");
    ASSERT_EQ(r.status, 0) << r.output;
    const std::string got = testing::read_bytes(out);
    ASSERT_TRUE(got == a || got == b) << "round " << round << ": the file is neither writer's result";
    (got == a ? from_a : from_b)++;
    EXPECT_NO_THROW(load_int_model(out));
  }
  for (const auto& entry : std::filesystem::directory_iterator(dir.file("")))
    EXPECT_EQ(entry.path().filename().string().find(".tmp."), std::string::npos) << entry.path();
  std::printf("concurrent writers: %d rounds ended with the first model, %d with the second\n", from_a, from_b);
}

// DupNet: inspect names each shared conv's stored and effective filters.
// A model file as ifq wrote it before per-tensor checksums: the same file
// without the ifq.crc32 metadata (tensor offsets count from the data
// section, so only the header changes).
std::string without_checksums(const std::string& file) {
  uint64_t n = 0;
  std::memcpy(&n, file.data(), 8);
  nlohmann::json header = nlohmann::json::parse(file.substr(8, size_t(n)));
  EXPECT_EQ(header["__metadata__"].erase("ifq.crc32"), 1u) << "the file had no checksums to remove";
  std::string text = header.dump();
  text.resize((text.size() + 7) / 8 * 8, ' ');
  const uint64_t m = text.size();
  return std::string(reinterpret_cast<const char*>(&m), 8) + text + file.substr(size_t(8 + n));
}

std::string last_bit_flipped(std::string file) {
  file.back() = char(file.back() ^ 1);
  return file;
}

// Issue 15 (integrity) for files written before the checksums: they load
// unchecked (a flipped bit passes); `ifq resave` writes them again with
// checksums, byte for byte what this ifq writes for the same model, after
// which the flipped bit is refused.
TEST_F(Cli, ResaveGivesOlderModelFilesTheirChecksums) {
  const std::string int_path = dir.file("net.ifqi");
  ASSERT_EQ(run("convert --in " + float_path + " --out " + int_path).status, 0);
  for (const std::string& current : {float_path, int_path}) {
    const bool is_int = current == int_path;
    auto load = [&](const std::string& path) { is_int ? (void)load_int_model(path) : (void)load_float_model(path); };
    const std::string written = testing::read_bytes(current);
    const std::string old = dir.file(is_int ? "old.ifqi" : "old.ifqf"), again = dir.file(is_int ? "new.ifqi" : "new.ifqf");
    testing::write_bytes(old, last_bit_flipped(without_checksums(written)));
    EXPECT_NO_THROW(load(old)) << "a file without checksums loads unchecked";
    testing::write_bytes(old, without_checksums(written));
    const CliRun r = run("resave " + old + " " + again);
    ASSERT_EQ(r.status, 0) << r.output;
    EXPECT_EQ(testing::read_bytes(again), written) << (is_int ? "integer" : "float") << " model";
    testing::write_bytes(again, last_bit_flipped(testing::read_bytes(again)));
    try {
      load(again);
      ADD_FAILURE() << "the flipped bit was not noticed";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("CRC-32"), std::string::npos) << e.what();
    }
  }
  const CliRun missing = run("resave " + dir.file("missing.ifqf") + " " + dir.file("x.ifqf"));
  EXPECT_NE(missing.status, 0);
  EXPECT_NE(missing.output.find("ifq: error:"), std::string::npos) << missing.output;
}

// image -> binary 1x1 conv: 2 stored filters reading the image 2 times, copied 3 times -> BN -> HWGQ
FloatModel shared_conv_net(std::vector<float> weight) {  // [2][2 * 3]
  ConvLayer conv;
  conv.out_channels = 6, conv.kernel = 1, conv.duplicate = 3, conv.input_repeat = 2;
  conv.weight_kind = WeightKind::Binary;
  conv.weight = std::move(weight);
  conv.alpha.assign(6, 0.5f);
  FloatModel net;
  net.name = "shared";
  net.layers = {InputLayer{{3, 8, 8}, {0, 0, 0}, {255.f, 255.f, 255.f}}, conv,
                BatchNormLayer{std::vector<float>(6, 0.f), std::vector<float>(6, 1.f), {}, {}, 1e-5f}, HwgqLayer{}};
  return net;
}

TEST_F(Cli, InspectShowsWeightSharing) {
  save_float_model(shared_conv_net({0.5f, -0.5f, 0.5f, 0.5f, -0.5f, 0.5f, 0.5f, -0.5f, -0.5f, 0.5f, 0.5f, 0.5f}),
                   dir.file("shared.ifqf"));
  const CliRun r = run("inspect --json " + dir.file("shared.ifqf"));
  ASSERT_EQ(r.status, 0) << r.output;
  const auto j = nlohmann::json::parse(r.output);
  ASSERT_EQ(j["weight_sharing"].size(), 1u) << r.output;
  EXPECT_EQ(j["weight_sharing"][0]["stored_filters"], 2);
  EXPECT_EQ(j["weight_sharing"][0]["effective_filters"], 6);
  EXPECT_EQ(j["weight_sharing"][0]["input_repeat"], 2);
  const CliRun text = run("inspect " + dir.file("shared.ifqf"));
  EXPECT_NE(text.output.find("Weight sharing (DupNet)"), std::string::npos) << text.output;
}

TEST_F(Cli, InspectShowsBinaryLatentWeightsNearZero) {
  // 3 of the 12 latent weights under 1e-6 in magnitude (0, 1e-30, -1e-7); the median |w| is 0.25.
  save_float_model(shared_conv_net({0.5f, 0.f, 0.25f, 1e-30f, -0.5f, 0.25f, 0.5f, -1e-7f, -0.25f, 0.5f, 0.25f, 0.5f}),
                   dir.file("latent.ifqf"));
  const CliRun r = run("inspect --json " + dir.file("latent.ifqf"));
  ASSERT_EQ(r.status, 0) << r.output;
  const auto rows = nlohmann::json::parse(r.output)["binary_latent_weights"];
  ASSERT_EQ(rows.size(), 1u) << r.output;
  EXPECT_EQ(rows[0]["layer"], 1);
  EXPECT_EQ(rows[0]["weights"], 12);
  EXPECT_DOUBLE_EQ(rows[0]["share_below_1e-6"].get<double>(), 0.25);
  EXPECT_DOUBLE_EQ(rows[0]["median_abs"].get<double>(), 0.25);
  const CliRun text = run("inspect " + dir.file("latent.ifqf"));
  EXPECT_NE(text.output.find("Binary latent weights"), std::string::npos) << text.output;
  // An integer model has no latent weights.
  ASSERT_EQ(run("convert --in " + dir.file("latent.ifqf") + " --out " + dir.file("latent.ifqi")).status, 0);
  EXPECT_TRUE(nlohmann::json::parse(run("inspect --json " + dir.file("latent.ifqi")).output)["binary_latent_weights"]
                  .is_null());
}

TEST_F(Cli, InspectJsonHasTheInterfaceKeys) {
  const CliRun r = run("inspect --json " + float_path);
  ASSERT_EQ(r.status, 0) << r.output;
  const auto j = nlohmann::json::parse(r.output);
  for (const char* key : {"model_size_bytes", "model_size_bits", "feature_map_peak_bits", "arena_bytes", "substructures"})
    EXPECT_TRUE(j.contains(key)) << key;
  EXPECT_GT(j["model_size_bits"].get<int64_t>(), 0);
  EXPECT_EQ(j["model_size_bytes"].get<int64_t>(), (j["model_size_bits"].get<int64_t>() + 7) / 8);
}

TEST_F(Cli, ConvertThenInspectTheIntegerModel) {
  const std::string out = dir.file("net.int.safetensors");
  CliRun r = run("convert --in " + float_path + " --out " + out);
  ASSERT_EQ(r.status, 0) << r.output;
  r = run("inspect --json " + out);
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_EQ(nlohmann::json::parse(r.output)["file_kind"], "int");
  r = run("convert --separated 10 --in " + float_path + " --out " + out);
  EXPECT_EQ(r.status, 0) << r.output;
}

// --input runs a fully convolutional network at another size; a network with
// a fully connected layer cannot change size and says why.
TEST_F(Cli, ConvertAtAnotherInputSize) {
  std::mt19937 rng(12);
  testing::RandomNetworkSpec spec;
  spec.fc_last = false;
  const FloatModel conv_only = testing::random_network(rng, spec);
  const std::string conv_path = dir.file("conv.float.safetensors"), out = dir.file("conv.int.safetensors");
  save_float_model(conv_only, conv_path);
  const Shape3 in = std::get<InputLayer>(conv_only.layers[0]).shape;
  const std::string size = std::to_string(in.w * 2) + "x" + std::to_string(in.h + 3);
  CliRun r = run("convert --in " + conv_path + " --input " + size + " --out " + out);
  ASSERT_EQ(r.status, 0) << r.output;
  const IntModel im = load_int_model(out);
  EXPECT_EQ(std::get<IntInputOp>(im.ops[0]).shape, (Shape3{in.c, in.h + 3, in.w * 2}));
  r = run("convert --in " + conv_path + " --input 12by7 --out " + dir.file("bad"));
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.output.find("expected WxH"), std::string::npos) << r.output;
  r = run("convert --in " + float_path + " --input 64x64 --out " + dir.file("bad"));  // ends in fc
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.output.find("fc"), std::string::npos) << r.output;
  EXPECT_FALSE(std::filesystem::exists(dir.file("bad")));
}

TEST_F(Cli, BadInputIsReportedNotCrashed) {
  CliRun r = run("inspect " + dir.file("missing.safetensors"));
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.output.find("cannot open"), std::string::npos) << r.output;

  testing::write_bytes(dir.file("junk.safetensors"), "not a model at all");
  r = run("inspect " + dir.file("junk.safetensors"));
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.output.find("ifq: error:"), std::string::npos) << r.output;

  r = run("inspect --no-such-flag " + float_path);
  EXPECT_NE(r.status, 0);
  r = run("convert --in " + float_path + " --out " + dir.file("x") + " --separated 99");
  EXPECT_NE(r.status, 0);
  r = run("inspect " + dir.file(""));  // a directory: once "larger than 4 GiB" (issue 15)
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.output.find("is a directory"), std::string::npos) << r.output;
  r = run("no-such-command");
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.output.find("ifq: error: unknown command 'no-such-command'"), std::string::npos) << r.output;
  r = run("");  // no command at all: CLI11's own message still says what is missing
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.output.find("subcommand is required"), std::string::npos) << r.output;
  r = run("convert --in " + float_path);  // --out missing
  EXPECT_NE(r.status, 0);
  EXPECT_LT(r.status, 128) << "killed by a signal";
}

// Found by a bad-input campaign (issue 15): NaN passed every range check
// (`--threshold nan`, `--iou nan`, `--lr nan`) and `convert --in X --out X`
// overwrote the user's only float model.
TEST_F(Cli, NonFiniteNumbersAndConvertingOntoTheInputAreErrors) {
  for (const std::string args : {"detect x.jpg --threshold nan", "detect x.jpg --nms inf", "eval-wider --iou nan",
                                 "facegen --brightness -inf", "detect x.jpg --threshold NaN"}) {
    const CliRun r = run(args);
    EXPECT_NE(r.status, 0) << args;
    EXPECT_LT(r.status, 128) << args;
    EXPECT_NE(r.output.find("ifq: error:"), std::string::npos) << args << ": " << r.output;
    EXPECT_NE(r.output.find("not a finite number"), std::string::npos) << args << ": " << r.output;
  }
  const std::string before = testing::read_bytes(float_path);
  const CliRun r = run("convert --in " + float_path + " --out " + float_path);
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.output.find("is the float model being converted"), std::string::npos) << r.output;
  EXPECT_EQ(testing::read_bytes(float_path), before);
}

}  // namespace
}  // namespace ifq
