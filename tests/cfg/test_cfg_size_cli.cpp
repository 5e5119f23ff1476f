// `ifq cfg-size` as a user runs it: the sizes it prints are the library's
// (account_memory of the integrated conversion), and a bad cfg fails clearly.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>

#include "ifq/cfg.hpp"
#include "ifq/convert.hpp"
#include "ifq/memory.hpp"

namespace ifq {
namespace {

std::pair<int, std::string> run_ifq(const std::string& args) {
  std::string out;
  FILE* p = popen((std::string(IFQ_BINARY) + " " + args + " 2>&1").c_str(), "r");
  if (!p) return {-1, out};
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  const int st = pclose(p);
  return {WIFEXITED(st) ? WEXITSTATUS(st) : -1, out};
}

TEST(CfgSizeCli, PrintsTheLibrarysSizesAndRejectsBadCfgs) {
  const std::string cfg = std::string(IFQ_SOURCE_DIR) + "/models/ifq-tinier-yolo-face.cfg";
  const auto [status, out] = run_ifq("cfg-size --json " + cfg + " --size 96");
  ASSERT_EQ(status, 0) << out;
  const auto rows = nlohmann::json::parse(out);
  ASSERT_EQ(rows.size(), 1u);
  CfgOptions o;
  o.width = o.height = 96;
  const MemoryReport m = account_memory(convert(load_cfg(cfg, o)).model);
  EXPECT_EQ(rows[0]["integer_model_bytes"].get<int64_t>(), m.model_size_bytes);
  EXPECT_EQ(rows[0]["integer_feature_map_peak_bytes"].get<int64_t>(), (m.feature_map_peak_bits + 7) / 8);
  EXPECT_EQ(rows[0]["input"], "3x96x96");

  const auto [bad, msg] = run_ifq("cfg-size /nonexistent.cfg");
  EXPECT_EQ(bad, 1);
  EXPECT_NE(msg.find("/nonexistent.cfg"), std::string::npos) << msg;
}

}  // namespace
}  // namespace ifq
