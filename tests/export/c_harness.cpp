#include "c_harness.hpp"

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "ifq/runtime.hpp"

namespace ifq::export_test {

TempDir::TempDir() {
  std::string templ = (std::filesystem::temp_directory_path() / "ifq-export-test-XXXXXX").string();
  if (!::mkdtemp(templ.data())) throw std::runtime_error("mkdtemp failed");
  path_ = templ;
}

TempDir::~TempDir() {
  if (std::getenv("IFQ_KEEP_TEMP")) {
    std::fprintf(stderr, "kept %s\n", path_.c_str());
    return;
  }
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

namespace {

// The test driver: for every model and image, runs the segments one at a
// time and dumps each stored tensor, then runs the whole network again with
// ifq_run and dumps the output. The arena is filled with garbage first so a
// read of anything not written by the runtime shows up as a difference.
std::string driver_source(const std::vector<HostCase>& cases) {
  std::ostringstream d;
  d << "#include <stdio.h>\n#include <stdlib.h>\n#include <string.h>\n";
  for (const auto& c : cases) d << "#include \"" << c.exported.name << "_model.h\"\n";
  d << "static const ifq_model *models[] = {";
  for (const auto& c : cases) d << "&" << c.exported.name << "_model, ";
  d << "};\nstatic const int images[] = {";
  for (const auto& c : cases) d << c.images.size() << ", ";
  d << R"C(};
static int fail(const char *what, int rc) { fprintf(stderr, "driver: %s (%d)\n", what, rc); return 1; }
int main(int argc, char **argv) {
  FILE *in, *out;
  size_t m;
  if (argc != 3) return fail("usage: driver IN OUT", 0);
  in = fopen(argv[1], "rb");
  out = fopen(argv[2], "wb");
  if (!in || !out) return fail("cannot open files", 0);
  for (m = 0; m < sizeof models / sizeof models[0]; ++m) {
    const ifq_model *model = models[m];
    const ifq_tensor *t0 = &model->tensors[0];
    const size_t in_bytes = (size_t)t0->shape.c * (size_t)t0->shape.h * (size_t)t0->shape.w;
    const ifq_tensor *to = &model->tensors[model->n_tensors - 1];
    const size_t out_n = (size_t)to->shape.c * (size_t)to->shape.h * (size_t)to->shape.w;
    uint8_t *image = (uint8_t *)malloc(in_bytes);
    int32_t *result = (int32_t *)malloc(out_n * sizeof(int32_t));
    void *arena = malloc(model->arena_bytes);
    int k;
    if (!image || !result || !arena) return fail("out of memory", 0);
    for (k = 0; k < images[m]; ++k) {
      int32_t s;
      int rc;
      if (fread(image, 1, in_bytes, in) != in_bytes) return fail("short input", (int)m);
      memset(arena, 0xA5, model->arena_bytes);
      memcpy(ifq_input(model, arena), image, in_bytes);
      for (s = 0; s < model->n_segments; ++s) {
        const ifq_tensor *t = &model->tensors[model->segments[s].out];
        const int32_t n = t->shape.c * t->shape.h * t->shape.w;
        int32_t i;
        rc = ifq_run_segments(model, arena, model->arena_bytes, s, s + 1);
        if (rc != IFQ_OK) return fail("ifq_run_segments", rc);
        for (i = 0; i < n; ++i) {
          const int32_t v = ifq_tensor_get(t, arena, i);
          fwrite(&v, sizeof v, 1, out);
        }
      }
      memset(arena, 0x5A, model->arena_bytes);
      memcpy(ifq_input(model, arena), image, in_bytes);
      rc = ifq_run(model, arena, model->arena_bytes);
      if (rc != IFQ_OK) return fail("ifq_run", rc);
      ifq_read_output(model, arena, result);
      fwrite(result, sizeof(int32_t), out_n, out);
    }
    free(image);
    free(result);
    free(arena);
  }
  return fclose(out) == 0 ? 0 : fail("write", 0);
}
)C";
  return d.str();
}

std::vector<int32_t> read_ints(std::ifstream& f, int64_t n) {
  std::vector<int32_t> v(static_cast<size_t>(n));
  f.read(reinterpret_cast<char*>(v.data()), std::streamsize(n * 4));
  if (!f) throw std::runtime_error("driver output too short");
  return v;
}

}  // namespace

HostRun run_on_host(const std::vector<HostCase>& cases, const std::filesystem::path& dir,
                    const std::string& extra_flags, const std::string& compiler) {
  std::filesystem::create_directories(dir);
  for (const auto& c : cases) write_export(c.exported, dir.string());
  {
    std::ofstream f(dir / "driver.c");
    f << driver_source(cases);
    std::ofstream img(dir / "images.bin", std::ios::binary);
    for (const auto& c : cases)
      for (const auto& im : c.images) img.write(reinterpret_cast<const char*>(im.data()), std::streamsize(im.size()));
  }
  HostRun run;
  std::string sources = shell_quote((dir / "ifq_micro.c").string()) + " " + shell_quote((dir / "driver.c").string());
  for (const auto& c : cases) sources.append(" ").append(shell_quote((dir / (c.exported.name + "_model.c")).string()));
  run.compile_command = compiler + " " + kHostCFlags + " " + extra_flags + " -O2 -I " +
                        shell_quote(dir.string()) + " " +
                        sources + " -o " + shell_quote((dir / "driver").string());
  const CommandResult built = run_command(run.compile_command);
  if (built.status != 0) throw std::runtime_error("host compile failed: " + run.compile_command + "\n" + built.output);
  const CommandResult ran = run_command(shell_quote((dir / "driver").string()) + " " +
                                        shell_quote((dir / "images.bin").string()) + " " +
                                        shell_quote((dir / "out.bin").string()));
  if (ran.status != 0) throw std::runtime_error("driver failed: " + ran.output);
  std::ifstream f(dir / "out.bin", std::ios::binary);
  for (const auto& c : cases) {
    run.segments.emplace_back();
    run.outputs.emplace_back();
    for (size_t k = 0; k < c.images.size(); ++k) {
      run.segments.back().emplace_back();
      for (const auto& seg : c.exported.plan.segments)
        run.segments.back().back().push_back(read_ints(f, c.exported.plan.tensors[size_t(seg.out)].shape.elements()));
      run.outputs.back().push_back(read_ints(f, c.exported.plan.tensors.back().shape.elements()));
    }
  }
  return run;
}

std::string compare_with_reference(const HostCase& c, const HostRun& run, size_t case_index) {
  ReferenceRuntime rt(c.model);
  rt.set_record(true);
  for (size_t k = 0; k < c.images.size(); ++k) {
    const IntTensor out = rt.run(c.images[k]);
    const auto& segs = c.exported.plan.segments;
    for (size_t s = 0; s < segs.size(); ++s) {
      const int op = segs[s].op_end - 1;
      const std::vector<int32_t>& want = rt.recorded()[size_t(op)].data;
      const std::vector<int32_t>& got = run.segments[case_index][k][s];
      for (size_t i = 0; i < want.size(); ++i)
        if (want[i] != got[i]) {
          std::ostringstream o;
          o << "image " << k << ", segment " << s << " (op " << op << ", " << int_op_name(c.model.ops[size_t(op)])
            << "), element " << i << ": C " << got[i] << ", reference " << want[i];
          return o.str();
        }
    }
    if (run.outputs[case_index][k] != out.data) return "image " + std::to_string(k) + ": ifq_run output differs";
  }
  return "";
}

}  // namespace ifq::export_test
