// `ifq train` and `ifq demo` as a user runs them: bad input gives a clear
// message and exit 1; Ctrl-C checkpoints; the quick demo writes its report
// with zero integrated-vs-float mismatches.
#include <gtest/gtest.h>

#include <map>
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <nlohmann/json.hpp>

#include "cli_run.hpp"
#include "temp_dir.hpp"

namespace ifq {
namespace {

TEST(TrainerCli, MalformedCfgNamesFileLineAndKey) {
  testing::TempDir dir;
  testing::write_bytes(dir.file("bad.cfg"), "[net]\nwidth=28\nheight=28\nchannels=1\n[convolutional]\nfilters=x\n");
  const CliRun r = run("train --cfg " + dir.file("bad.cfg") + " --out " + dir.file("m.ifqf"));
  EXPECT_EQ(r.status, 1) << r.output;
  EXPECT_NE(r.output.find("ifq: error: " + dir.file("bad.cfg") + ":6: [convolutional] key 'filters'"), std::string::npos)
      << r.output;
}

TEST(TrainerCli, MissingDatasetSaysHowToGetIt) {
  testing::TempDir dir;
  const CliRun r = run("train --cfg " IFQ_SOURCE_DIR "/models/fashion-hwgq.cfg --data-dir " + dir.file("nope") +
                       " --out " + dir.file("m.ifqf"));
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.output.find("apt-get install dataset-fashion-mnist"), std::string::npos) << r.output;
  const CliRun d = run("demo --quick --data-dir " + dir.file("nope") + " --report-dir " + dir.file("rep"));
  EXPECT_EQ(d.status, 1);
  EXPECT_NE(d.output.find("apt-get install dataset-fashion-mnist"), std::string::npos) << d.output;
}

TEST(TrainerCli, BadFlagsAreRejected) {
  EXPECT_NE(run("train --cfg x.cfg --out y --bits 9").status, 0);
  EXPECT_NE(run("demo --jobs 0").status, 0);
  const CliRun r = run("train --cfg x.cfg --out y --resume");
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.output.find("--resume needs --checkpoint"), std::string::npos) << r.output;
}

TEST(TrainerCli, CtrlCWritesACheckpointAndResumeFinishes) {
  if (!have_fashion()) GTEST_SKIP() << "dataset-fashion-mnist is not installed";
  testing::TempDir dir;
  const std::string common = "train --cfg " IFQ_SOURCE_DIR "/models/fashion-hwgq.cfg --steps 100000 --threads 1 --no-progress"
                             " --checkpoint " + dir.file("c.ckpt") + " --out " + dir.file("m.ifqf");
  // SIGINT after 10 s (loading takes ~1 s): the run checkpoints and exits 130.
  const CliRun r = run_shell("timeout --preserve-status -s INT 10 " + std::string(IFQ_BINARY) + " " + common);
  EXPECT_EQ(r.status, 130) << r.output;
  EXPECT_NE(r.output.find("interrupted at step"), std::string::npos) << r.output;
  ASSERT_TRUE(std::filesystem::exists(dir.file("c.ckpt")));
  EXPECT_FALSE(std::filesystem::exists(dir.file("m.ifqf")));
  // Resume from the checkpointed step and train 3 more.
  const size_t at = r.output.find("interrupted at step ");
  ASSERT_NE(at, std::string::npos);
  const int step = std::stoi(r.output.substr(at + 20));
  const std::string resume = "train --cfg " IFQ_SOURCE_DIR "/models/fashion-hwgq.cfg --threads 1 --no-progress --resume"
                             " --checkpoint " + dir.file("c.ckpt") + " --out " + dir.file("m.ifqf") +
                             " --steps " + std::to_string(step + 3);
  const CliRun r2 = run(resume);
  EXPECT_EQ(r2.status, 0) << r2.output;
  EXPECT_NE(r2.output.find("trained 3 steps"), std::string::npos) << r2.output;
  EXPECT_NE(r2.output.find("resumed from " + dir.file("c.ckpt") + " at step " + std::to_string(step) + "/"),
            std::string::npos)
      << r2.output;
  EXPECT_TRUE(std::filesystem::exists(dir.file("m.ifqf")));
}

// Issue 15 (durability): kill -9 at random moments, a checkpoint written
// every step so that many kills land inside a write. After every kill the
// last checkpoint loads (the run resumes from it), and the run that was
// killed again and again ends with the same model file, byte for byte, as
// one that never stopped.
TEST(TrainerCli, KillNineAnywhereLeavesALoadableCheckpointAndAnExactResume) {
  if (!have_fashion()) GTEST_SKIP() << "dataset-fashion-mnist is not installed";
  testing::TempDir dir;
  const int steps = 60;
  auto command = [&](const std::string& name) {
    return std::string(IFQ_BINARY) + " train --cfg " IFQ_SOURCE_DIR "/models/fashion-hwgq.cfg --batch 16 --steps " +
           std::to_string(steps) + " --threads 1 --no-progress --checkpoint-every 1 --checkpoint " +
           dir.file(name + ".ckpt") + " --out " + dir.file(name + ".ifqf");
  };
  const CliRun straight = run_shell(command("straight"));
  ASSERT_EQ(straight.status, 0) << straight.output;
  // Each attempt waits until its run has written a checkpoint (training has
  // started; loading time varies too much to aim by the clock), then kills
  // it -9 a random 0-1.5 s later: during a step or a checkpoint write. Each
  // resumed run has fewer steps left, so the run finishes.
  std::mt19937 rng(99);
  int kills = 0, resumed_runs = 0;
  const std::string ckpt = dir.file("killed.ckpt"), marker = dir.file("marker");
  for (int attempt = 0; attempt < 40 && !std::filesystem::exists(dir.file("killed.ifqf")); ++attempt) {
    const bool resume = std::filesystem::exists(ckpt);
    char delay[32];
    std::snprintf(delay, sizeof delay, "%.2f", 1.5 * double(rng() % 1000) / 1000.0);
    const std::string script = "touch " + marker + "; " + command("killed") + (resume ? " --resume" : "") +
                               " > " + dir.file("out.txt") + " 2>&1 & p=$!; "
                               "for i in $(seq 1 6000); do [ -n \"$(find " + ckpt + " -newer " + marker +
                               " 2>/dev/null)\" ] && break; kill -0 $p 2>/dev/null || break; sleep 0.01; done; "
                               "sleep " + delay + "; kill -9 $p 2>/dev/null; wait $p; echo \"exit $?\"; cat " +
                               dir.file("out.txt");
    const CliRun r = run_shell("bash -c '" + script + "'");
    const size_t at = r.output.find("exit ");
    ASSERT_NE(at, std::string::npos) << r.output;
    const int status = std::stoi(r.output.substr(at + 5));
    // A checkpoint that did not load would end the run with an error (exit 1) at once.
    ASSERT_TRUE(status == 137 || status == 0) << "attempt " << attempt << " exit " << status << ": " << r.output;
    kills += status == 137;
    resumed_runs += resume;
  }
  ASSERT_TRUE(std::filesystem::exists(dir.file("killed.ifqf"))) << "the killed run never finished";
  std::printf("kill -9: %d kills, %d runs resumed from the last checkpoint\n", kills, resumed_runs);
  EXPECT_GE(kills, 3);
  EXPECT_GE(resumed_runs, 2);
  EXPECT_EQ(testing::read_bytes(dir.file("killed.ifqf")), testing::read_bytes(dir.file("straight.ifqf")));
}

TEST(TrainerCli, MaxSecondsCheckpointsAndExportsWhatItTrained) {
  if (!have_fashion()) GTEST_SKIP() << "dataset-fashion-mnist is not installed";
  testing::TempDir dir;
  const CliRun r = run("train --cfg " IFQ_SOURCE_DIR "/models/fashion-hwgq.cfg --steps 100000 --threads 1 --no-progress"
                       " --max-seconds 3 --checkpoint " + dir.file("c.ckpt") + " --out " + dir.file("m.ifqf"));
  EXPECT_EQ(r.status, 0) << r.output;
  EXPECT_NE(r.output.find("stopped by --max-seconds at step"), std::string::npos) << r.output;
  EXPECT_TRUE(std::filesystem::exists(dir.file("c.ckpt")));
  EXPECT_TRUE(std::filesystem::exists(dir.file("m.ifqf")));
  EXPECT_EQ(run("inspect " + dir.file("m.ifqf")).status, 0);
}

TEST(TrainerCli, QuickDemoWritesTheReport) {
  if (!have_fashion()) GTEST_SKIP() << "dataset-fashion-mnist is not installed";
  testing::TempDir dir;
  const CliRun r = run("demo --quick --bits 2 --no-progress --report-dir " + dir.file("rep"));
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_NE(r.output.find("Table 2"), std::string::npos);
  std::ifstream in(dir.file("rep/report.json"));
  ASSERT_TRUE(in.good());
  const nlohmann::json j = nlohmann::json::parse(in);
  for (const char* variant : {"hwgq", "all_quantized"}) {
    SCOPED_TRACE(variant);
    const auto& v = j.at("results").at("2").at(variant);
    for (const char* method : {"fp32", "float_quant", "integrated", "separated_m8", "separated_m9", "separated_m10",
                               "separated_m12", "separated_m14", "ifq_net"}) {
      SCOPED_TRACE(method);
      ASSERT_TRUE(v.contains(method));
      for (const char* key : {"top1", "top5", "model_size_bits", "feature_map_peak_bits"}) EXPECT_TRUE(v.at(method).contains(key));
      const double top1 = v.at(method).at("top1").get<double>(), top5 = v.at(method).at("top5").get<double>();
      EXPECT_LE(top1, top5);
      EXPECT_LE(top5, 1.0);
    }
    // The trained networks are far above chance (0.1 for ten classes); the
    // separated conversions may lose accuracy at small m (paper Table 2).
    for (const char* method : {"fp32", "float_quant", "integrated", "ifq_net"})
      EXPECT_GT(v.at(method).at("top1").get<double>(), 0.3) << method;
    // Integrated conversion predicts exactly what the float quantization network does.
    EXPECT_EQ(v.at("integrated").at("top1").get<double>(), v.at("float_quant").at("top1").get<double>());
    // The paper's claim, exactly: integrated == float quantization network.
    EXPECT_EQ(v.at("integrated_vs_float_prediction_mismatches").get<int64_t>(), 0);
    EXPECT_EQ(v.at("integrated_level_mismatches").get<int64_t>(), 0);
    EXPECT_GT(v.at("integrated_levels_compared").get<int64_t>(), 0);
    EXPECT_LT(v.at("ifq_net").at("model_size_bits").get<int64_t>(), v.at("float_quant").at("model_size_bits").get<int64_t>());
    EXPECT_TRUE(std::filesystem::exists(v.at("golden_file").get<std::string>()));
  }
  EXPECT_TRUE(std::filesystem::exists(dir.file("rep/report.md")));
}

// Issue 13: the quantizer study trains one network per measured method and
// writes every figure; each integrated conversion is exact, multi-bit
// weights cost more bytes than binary ones, and the wide binary network is
// the 4-bit one's size peer.
TEST(TrainerCli, QuickQuantizerStudyWritesTheReport) {
  if (!have_fashion()) GTEST_SKIP() << "dataset-fashion-mnist is not installed";
  testing::TempDir dir;
  const CliRun r = run("study quantizers --quick --no-progress --timing-images 5 --report-dir " + dir.file("rep"));
  ASSERT_EQ(r.status, 0) << r.output;
  std::ifstream in(dir.file("rep/report.json"));
  ASSERT_TRUE(in.good());
  const nlohmann::json j = nlohmann::json::parse(in);
  std::map<std::string, nlohmann::json> by_name;
  for (const auto& m : j.at("methods")) by_name[m.at("name").get<std::string>()] = m;
  for (const char* name : {"binary", "binary-wide", "zero-centred-w4", "zero-centred-w8", "quantnet",
                           "piecewise-gaussian-w4", "piecewise-gaussian-w8"}) {
    SCOPED_TRACE(name);
    const auto& m = by_name.at(name);
    ASSERT_EQ(m.at("status"), "measured");
    EXPECT_EQ(m.at("level_mismatches").get<int64_t>(), 0);
    EXPECT_GT(m.at("levels_compared").get<int64_t>(), 0);
    EXPECT_EQ(m.at("integrated_prediction_mismatches_vs_float").get<int64_t>(), 0);
    EXPECT_EQ(m.at("integrated_top1").get<double>(), m.at("float_top1").get<double>());
    EXPECT_GT(m.at("integer_top1").get<double>(), 0.3) << "chance is 0.1";
    EXPECT_GT(m.at("ms_per_image").get<double>(), 0.0);
    EXPECT_TRUE(std::filesystem::exists(m.at("model_file").get<std::string>()));
  }
  EXPECT_GT(by_name.at("zero-centred-w4").at("weight_bytes").get<int64_t>(),
            2 * by_name.at("binary").at("weight_bytes").get<int64_t>());
  EXPECT_GT(by_name.at("zero-centred-w8").at("weight_bytes").get<int64_t>(),
            by_name.at("zero-centred-w4").at("weight_bytes").get<int64_t>());
  // The wide binary network is the 4-bit one's size peer (within 10 %).
  const double ratio = double(by_name.at("binary-wide").at("weight_bytes").get<int64_t>()) /
                       double(by_name.at("zero-centred-w4").at("weight_bytes").get<int64_t>());
  EXPECT_NEAR(ratio, 1.0, 0.1);
  std::ifstream md(dir.file("rep/report.md"));
  const std::string text((std::istreambuf_iterator<char>(md)), std::istreambuf_iterator<char>());
  EXPECT_NE(text.find("| zero-centred-w4 | 4 |"), std::string::npos) << text;
}

}  // namespace
}  // namespace ifq
