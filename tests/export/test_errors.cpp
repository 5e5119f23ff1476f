// Bad input gets a clear error, never a crash: invalid names and models in
// the library, arena problems in the C runtime, bad files and flags in the CLI.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <random>

#include "c_harness.hpp"
#include "core/error_text.hpp"
#include "ifq/convert.hpp"
#include "ifq/error.hpp"
#include "ifq/export_c.hpp"
#include "ifq/model_io.hpp"
#include "random_float_nets.hpp"

namespace ifq::export_test {
namespace {

IntModel small_model() { return convert(fashion_classifier(51)).model; }

using testing::error_of;

TEST(ExportCErrors, NamesMustBeCIdentifiersOutsideTheRuntimePrefix) {
  const IntModel m = small_model();
  for (const std::string bad : {"", "9lives", "my-net", "a b", "ifq", "IFQ_net", "x;y"}) {
    ExportCOptions o;
    o.name = bad;
    EXPECT_NE(error_of([&] { export_c(m, o); }).find("name"), std::string::npos) << "'" << bad << "'";
  }
  EXPECT_EQ(export_name_from("tinier-yolo-face.int"), "tinier_yolo_face_int");
  EXPECT_EQ(export_name_from("3d"), "net_3d");
  EXPECT_EQ(export_name_from("ifq-model"), "net_ifq_model");
}

TEST(ExportCErrors, InvalidModelsAreRejectedNamingTheOp) {
  IntModel m = small_model();
  auto& conv = std::get<IntConvOp>(m.ops[1]);
  conv.weight.pop_back();
  EXPECT_NE(error_of([&] { export_c(m); }).find("op 1"), std::string::npos);
  IntModel empty;
  EXPECT_NE(error_of([&] { export_c(empty); }), "");
  IntModel no_input = small_model();
  no_input.ops.erase(no_input.ops.begin());
  EXPECT_NE(error_of([&] { export_c(no_input); }).find("input"), std::string::npos);
}

TEST(ExportCErrors, UnwritableOutputDirectory) {
  TempDir dir;
  const std::string file = (dir.path() / "a-file").string();
  std::ofstream(file) << "x";
  const ExportedC e = export_c(small_model());
  EXPECT_NE(error_of([&] { write_export(e, file + "/sub"); }).find("directory"), std::string::npos);
}

// The runtime refuses a short, misaligned or mismatched arena / model
// instead of writing out of bounds.
TEST(ExportCErrors, RuntimeChecksArenaAndAbi) {
  TempDir dir;
  ExportCOptions o;
  o.name = "chk";
  const ExportedC e = export_c(small_model(), o);
  write_export(e, dir.str());
  std::ofstream(dir.path() / "main.c") << R"C(#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "chk_model.h"
int main(void) {
  uint32_t *arena = (uint32_t *)malloc(CHK_ARENA_BYTES + 8);
  ifq_model wrong = chk_model, bytes_for_planes = chk_model;
  ifq_tensor tensors[64];
  int k, planes_run = -1;
  wrong.abi = IFQ_MICRO_ABI + 1;
  if (!arena || chk_model.n_tensors > 64) return 9;
  /* packed binary weights reading a tensor that claims to be bytes */
  memcpy(tensors, chk_model.tensors, sizeof(ifq_tensor) * (size_t)chk_model.n_tensors);
  bytes_for_planes.tensors = tensors;
  for (k = 0; k < chk_model.n_tensors; ++k)
    if (tensors[k].elem == IFQ_ELEM_PLANES) {
      tensors[k].elem = IFQ_ELEM_U8;
      planes_run = ifq_run(&bytes_for_planes, arena, CHK_ARENA_BYTES);
      break;
    }
  printf("%d %d %d %d %d %d %d\n", ifq_run(&chk_model, arena, CHK_ARENA_BYTES - 1),
         ifq_run(&chk_model, (uint8_t *)arena + 1, CHK_ARENA_BYTES + 4), ifq_run(&wrong, arena, CHK_ARENA_BYTES),
         ifq_run_segments(&chk_model, arena, CHK_ARENA_BYTES, 0, CHK_SEGMENTS + 1),
         ifq_run_segments(&chk_model, arena, CHK_ARENA_BYTES, -1, 1), planes_run,
         ifq_run(&chk_model, arena, CHK_ARENA_BYTES));
  free(arena);
  return 0;
}
)C";
  const std::string exe = (dir.path() / "chk").string();
  const std::string cmd = std::string(IFQ_HOST_CC) + " " + kHostCFlags + " -I " + shell_quote(dir.str()) + " " +
                          shell_quote((dir.path() / "main.c").string()) + " " +
                          shell_quote((dir.path() / "ifq_micro.c").string()) + " " +
                          shell_quote((dir.path() / "chk_model.c").string()) + " -o " + shell_quote(exe);
  const CommandResult built = run_command(cmd);
  ASSERT_EQ(built.status, 0) << built.output;
  const CommandResult ran = run_command(shell_quote(exe));
  ASSERT_EQ(ran.status, 0) << ran.output;
  EXPECT_EQ(ran.output, "1 2 3 4 4 6 0\n");  // SIZE, ALIGN, VERSION, RANGE, RANGE, PARAMS, OK
}

std::string ifq_cli(const std::string& args) { return std::string(IFQ_BINARY) + " export-c " + args; }

TEST(ExportCCli, MissingAndCorruptModelFilesFailCleanly) {
  TempDir dir;
  CommandResult r = run_command(ifq_cli(shell_quote((dir.path() / "none.safetensors").string()) + " --out " +
                                        shell_quote((dir.path() / "o").string())));
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.output.find("none.safetensors"), std::string::npos) << r.output;
  const std::string junk = (dir.path() / "junk.safetensors").string();
  std::ofstream(junk) << "this is not a model file at all";
  r = run_command(ifq_cli(shell_quote(junk) + " --out " + shell_quote((dir.path() / "o").string())));
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.output.find("ifq: error:"), std::string::npos) << r.output;
  r = run_command(ifq_cli(shell_quote(junk)));  // --out missing
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.output.find("--out"), std::string::npos) << r.output;
}

TEST(ExportCCli, ExportsAnIntegerModelAndReportsJson) {
  TempDir dir;
  const std::string model = (dir.path() / "fashion.int.safetensors").string();
  save_int_model(small_model(), model);
  const std::string out = (dir.path() / "out").string();
  const CommandResult r =
      run_command(ifq_cli(shell_quote(model) + " --out " + shell_quote(out) + " --name fmnist --json"));
  ASSERT_EQ(r.status, 0) << r.output;
  const auto j = nlohmann::json::parse(r.output.substr(r.output.find('{')));
  for (const char* key : {"flash_bytes", "ram_bytes", "arena_bytes", "stack_bytes", "parameter_bytes", "targets"})
    EXPECT_TRUE(j.contains(key)) << key;
  EXPECT_EQ(j["arena_bytes"].get<int64_t>(), export_c(small_model(), {"fmnist"}).plan.arena_bytes);
  for (const char* f : {"fmnist_model.c", "fmnist_model.h", "ifq_micro.c", "ifq_micro.h"})
    EXPECT_TRUE(std::filesystem::exists(std::filesystem::path(out) / f)) << f;
  if (cross_compiler_available()) {
    for (const char* target : {"cortex-m4", "cortex-m7"}) {
      ASSERT_TRUE(j.contains(target)) << target;
      for (const char* key : {"text", "rodata", "bss"}) EXPECT_GT(j[target][key].get<int64_t>(), 0) << target << key;
    }
    EXPECT_TRUE(j["flash_measured"].get<bool>());
  }
}

}  // namespace
}  // namespace ifq::export_test
