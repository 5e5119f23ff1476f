// Cortex-M size measurement: compile the exported sources with the cross
// compiler and read section sizes and stack frames back from the toolchain.
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "ifq/error.hpp"
#include "ifq/export_c.hpp"
#include "shell_command.hpp"

namespace ifq {
namespace {

using export_shell::CommandResult;
using export_shell::run_command;
using export_shell::shell_quote;

// A private scratch directory, removed on scope exit.
class ScratchDir {
 public:
  ScratchDir() {
    std::string templ = (std::filesystem::temp_directory_path() / "ifq-export-XXXXXX").string();
    if (!::mkdtemp(templ.data())) throw Error("export-c: cannot create a temporary directory");
    path_ = templ;
  }
  ~ScratchDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// Sums `size -A` sections of one object into the four figures.
void add_sections(const std::string& size_output, TargetSizes& t) {
  std::istringstream in(size_output);
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream ls(line);
    std::string section;
    long long bytes = 0;
    if (!(ls >> section >> bytes)) continue;
    if (section.rfind(".text", 0) == 0) t.text += bytes;
    else if (section.rfind(".rodata", 0) == 0) t.rodata += bytes;
    else if (section.rfind(".data", 0) == 0) t.data += bytes;
    else if (section.rfind(".bss", 0) == 0 || section == "COMMON") t.bss += bytes;
  }
}

// Stack bound from -fstack-usage lines "file:line:col:function<TAB>bytes<TAB>kind":
// every frame counted once (no non-recursive call chain can exceed that sum),
// the recursive evaluator counted once per op of the deepest segment.
int64_t stack_bound(const std::vector<std::filesystem::path>& su_files, int max_depth) {
  int64_t total = 0;
  for (const auto& file : su_files) {
    std::ifstream in(file);
    std::string line;
    while (std::getline(in, line)) {
      const size_t tab = line.find('\t');
      if (tab == std::string::npos) continue;
      const std::string where = line.substr(0, tab);
      const std::string function = where.substr(where.rfind(':') + 1);
      const int64_t bytes = std::atoll(line.c_str() + tab + 1);
      if (line.find("dynamic") != std::string::npos && line.find("bounded") == std::string::npos)
        throw Error("export-c: " + file.string() + ": unbounded stack frame in " + function);
      total += function == "eval" ? bytes * max_depth : bytes;
    }
  }
  return total;
}

}  // namespace

bool cross_compiler_available(const CrossTools& tools) {
  return run_command(shell_quote(tools.gcc) + " --version").status == 0 &&
         run_command(shell_quote(tools.size) + " --version").status == 0;
}

std::vector<TargetSizes> measure_cortex_m(const ExportedC& exported, const std::string& dir,
                                          const std::vector<std::string>& targets, const CrossTools& tools) {
  ScratchDir scratch;
  const std::string n = exported.name;
  std::string upper_name = n;
  for (char& ch : upper_name) ch = char(std::toupper(static_cast<unsigned char>(ch)));
  // A minimal program: the static arena makes .bss show what the RAM holds.
  const std::filesystem::path app = scratch.path() / "app_main.c";
  {
    std::ofstream f(app);
    f << "#include \"" << n << "_model.h\"\n"
      << "static uint32_t arena[(" << upper_name << "_ARENA_BYTES + 3u) / 4u];\n"
      << "int main(void) { return ifq_run(&" << n << "_model, arena, sizeof arena); }\n";
    if (!f) throw Error("export-c: cannot write " + app.string());
  }
  const std::vector<std::filesystem::path> sources = {std::filesystem::path(dir) / "ifq_micro.c",
                                                      std::filesystem::path(dir) / (n + "_model.c"), app};
  std::vector<TargetSizes> result;
  for (const std::string& target : targets) {
    TargetSizes t;
    t.target = target;
    std::vector<std::filesystem::path> su_files;
    for (const auto& src : sources) {
      const std::filesystem::path obj = scratch.path() / (target + "-" + src.stem().string() + ".o");
      const std::string cc = shell_quote(tools.gcc) + " -std=c99 -Os -mthumb -mcpu=" + shell_quote(target) +
                             " -Wall -Wextra -pedantic -ffunction-sections -fdata-sections -fstack-usage -I " +
                             shell_quote(dir) + " -c " + shell_quote(src.string()) + " -o " +
                             shell_quote(obj.string());
      const CommandResult built = run_command(cc);
      if (built.status != 0)
        throw Error("export-c: cross compile for " + target + " failed: " + cc + "\n" + built.output);
      const CommandResult sized = run_command(shell_quote(tools.size) + " -A " + shell_quote(obj.string()));
      if (sized.status != 0) throw Error("export-c: " + tools.size + " failed on " + obj.string());
      add_sections(sized.output, t);
      su_files.push_back(obj.parent_path() / (obj.stem().string() + ".su"));
    }
    t.stack_bytes = stack_bound(su_files, exported.plan.max_segment_ops);
    result.push_back(t);
  }
  return result;
}

}  // namespace ifq
