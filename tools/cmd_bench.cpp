// ifq bench --model MODEL [--threads N] [--runs R] [--json]: latency of the
// fast integer runtime per image and per layer, the measured popcount
// roofline and the fraction the big binary layers reach, and in the same run
// the peers (LibTorch fp32 of the same network, OpenCV DNN on Darknet's
// yolov2-tiny-voc, and OpenCV DNN on the YuNet face detector when its ONNX
// file is found) when their helper programs were built.
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "command_registry.hpp"
#include "ifq/convert.hpp"
#include "ifq/error.hpp"
#include "ifq/kernels/bench_harness.hpp"
#include "ifq/kernels/bench_models.hpp"
#include "ifq/kernels/kernel_list.hpp"
#include "ifq/model_io.hpp"

namespace {

namespace fs = std::filesystem;
using nlohmann::json;

struct BenchFlags {
  std::string model = "tinier-yolo";
  int threads = 1, runs = 50, warmup = 5, input = 416, bits = 2, weight_bits = 1;
  bool json = false, no_peers = false;
  std::string isa;
  std::string yunet;  // --yunet; empty: $IFQ_YUNET_ONNX or the shared data's copy
};

// The longer side of the model's input (the peers run square images).
int input_side(const ifq::IntModel& model) {
  const ifq::Shape3 s = std::get<ifq::IntInputOp>(model.ops[0]).shape;
  return std::max(s.h, s.w);
}

// "tinier-yolo" (random weights, --input/--bits), or a float/int model file.
ifq::IntModel resolve_model(const BenchFlags& f, std::string& description) {
  if (f.model == "tinier-yolo") {
    description = "IFQ-Tinier-YOLO " + std::to_string(f.input) + "x" + std::to_string(f.input) + " k=" +
                  std::to_string(f.bits) +
                  (f.weight_bits > 1 ? ", " + std::to_string(f.weight_bits) + "-bit weights" : "") + " (random weights)";
    ifq::kernels::QuantNetSpec spec = ifq::kernels::tinier_yolo_spec(f.input, f.bits, 1);
    spec.weight_bits = f.weight_bits;
    return ifq::convert(ifq::kernels::random_quant_net(spec)).model;
  }
  if (f.weight_bits != 1) throw ifq::Error("bench: --weight-bits is for the built-in --model tinier-yolo only");
  if (!fs::exists(f.model))
    throw ifq::Error("bench: --model '" + f.model + "' is neither 'tinier-yolo' nor an existing model file");
  description = f.model;
  const std::string kind = ifq::model_file_kind(f.model);
  if (kind == "int") return ifq::load_int_model(f.model);
  return ifq::convert(ifq::load_float_model(f.model)).model;
}

fs::path self_dir() {
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  return ec ? fs::path(".") : exe.parent_path();
}

// A peer program: $ENV when set, else its place in the build tree next to tools/.
std::optional<fs::path> find_peer(const char* env, const char* subdir, const char* name) {
  if (const char* p = std::getenv(env); p && *p) return fs::path(p);
  // `ifq` lives at the top of the build tree (build/ifq); older layouts kept
  // it one level down (build/tools/ifq).
  for (const fs::path& root : {self_dir(), self_dir() / ".."}) {
    const fs::path candidate = root / "bench" / subdir / name;
    if (fs::exists(candidate)) return fs::canonical(candidate);
  }
  return std::nullopt;
}

// The YuNet ONNX file of the shared data (../shared next to the checkout
// that holds this build, or next to the working directory), or --yunet.
std::optional<fs::path> find_yunet(const std::string& flag, std::string& note) {
  if (!flag.empty()) {
    if (!fs::is_regular_file(flag)) throw ifq::Error("bench: --yunet '" + flag + "' is not a file");
    return fs::path(flag);
  }
  if (const char* p = std::getenv("IFQ_YUNET_ONNX"); p && *p) return fs::path(p);
  const fs::path rel = fs::path("shared") / "data" / "faces" / "teachers" / "yunet" / "yunet.onnx";
  for (const fs::path& root : {self_dir() / ".." / "..", self_dir() / ".." / ".." / "..", fs::path("..")})
    if (std::error_code ec; fs::is_regular_file(root / rel, ec)) return fs::canonical(root / rel);
  note = "yunet.onnx not found (--yunet PATH, IFQ_YUNET_ONNX, or ../shared/data/faces/teachers/yunet/)";
  return std::nullopt;
}

std::string shell_quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

// Runs a peer; returns its median ms, or nullopt (reason in `note`).
std::optional<double> run_peer(const std::optional<fs::path>& peer, const std::string& args, std::string& note) {
  if (!peer) {
    note = "not built";
    return std::nullopt;
  }
  const std::string cmd = shell_quote(peer->string()) + " " + args + " 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) {
    note = "could not start " + peer->string();
    return std::nullopt;
  }
  std::string out;
  char buf[4096];
  while (size_t n = fread(buf, 1, sizeof buf, p)) out.append(buf, n);
  const int status = pclose(p);
  if (status != 0) {
    note = "exited with status " + std::to_string(status) + ": " + out.substr(0, 300);
    return std::nullopt;
  }
  // The last line is the peer's JSON.
  const size_t start = out.rfind('{');
  try {
    const json j = json::parse(out.substr(start == std::string::npos ? 0 : start));
    note = j.value("network", std::string());
    return j.at("ms_per_image").get<double>();
  } catch (const std::exception& e) {
    note = std::string("unreadable output: ") + e.what();
    return std::nullopt;
  }
}

json null_or(const std::optional<double>& v) { return v ? json(*v) : json(nullptr); }

// The network by the path's rule, on the popcount kernels only (digit
// planes for multi-bit weights), on the int8 kernel wherever it is exact,
// and, for multi-bit weights, the same network with binary weights,
// interleaved in one run.
struct KernelChoice {
  ifq::kernels::RuntimeBench rule, popcount, int8;
  std::optional<ifq::kernels::RuntimeBench> binary;
};
KernelChoice compare_kernels(const BenchFlags& f, const ifq::IntModel& model, ifq::kernels::Isa isa,
                             const ifq::kernels::Roofline& roofline, bool binary_twin) {
  std::optional<ifq::IntModel> binary;
  if (binary_twin)
    binary = ifq::convert(ifq::kernels::random_quant_net(ifq::kernels::tinier_yolo_spec(f.input, f.bits, 1))).model;
  std::vector<ifq::kernels::BenchVariant> v(binary_twin ? 4 : 3);
  for (auto& x : v) {
    x.model = &model;
    x.options.threads = f.threads;
    x.options.isa = isa;
    x.roofline = roofline;
  }
  v[1].options.int8_weights = false;
  v[2].options.int8_weights = true;
  if (binary_twin) v[3].model = &*binary;
  const auto r = ifq::kernels::bench_variants_interleaved(v, f.runs, f.warmup);
  KernelChoice c{r[0], r[1], r[2], std::nullopt};
  if (binary_twin) c.binary = r[3];
  return c;
}

int bench_main(const BenchFlags& f) {
  if (f.threads < 1 || f.threads > 256) throw ifq::Error("bench: --threads must be in 1..256");
  if (f.runs < 1) throw ifq::Error("bench: --runs must be at least 1");
  if (f.warmup < 0) throw ifq::Error("bench: --warmup must not be negative");
  std::string description;
  const ifq::IntModel model = resolve_model(f, description);
  const ifq::kernels::Isa isa = f.isa.empty() ? ifq::kernels::selected_isa() : ifq::kernels::parse_isa(f.isa);
  if (!ifq::kernels::isa_supported(isa))
    throw ifq::Error(std::string("bench: --isa ") + ifq::kernels::isa_name(isa) + " is not supported by this CPU");

  const auto roofline = ifq::kernels::measure_popcount_roofline(isa, f.threads);
  ifq::kernels::RuntimeBench b;
  std::optional<ifq::kernels::RuntimeBench> one;
  if (f.threads > 1) {
    // Thread scaling: the N-thread and 1-thread runtimes alternate in short blocks.
    const auto roof1 = ifq::kernels::measure_popcount_roofline(isa, 1);
    auto both = ifq::kernels::bench_runtimes_interleaved(model, isa, {f.threads, 1}, f.runs, f.warmup, {roofline, roof1});
    b = both[0];
    one = both[1];
  } else {
    b = ifq::kernels::bench_runtime(model, isa, f.threads, f.runs, f.warmup, roofline);
  }

  // The kernels compared on the same network in one run: multi-bit weights
  // (digit planes or int8), and binary weights on paths whose cost model
  // may move them to the int8 kernel (KernelTable::i8conv_binary_word_cost).
  std::optional<KernelChoice> kernels_compared;
  const bool multibit = f.model == "tinier-yolo" && f.weight_bits > 1;
  if (multibit || ifq::kernels::kernel_table(isa).i8conv_binary_word_cost > 0)
    kernels_compared = compare_kernels(f, model, isa, roofline, multibit);

  std::optional<double> torch_ms, opencv_ms, yunet_ms;
  std::string torch_note = "skipped (--no-peers)", opencv_note = torch_note, yunet_note = torch_note;
  if (!f.no_peers) {
    const std::string common = "--runs " + std::to_string(std::max(5, f.runs / 2)) + " --threads " +
                               std::to_string(f.threads);
    const bool same_net = f.model == "tinier-yolo";
    if (same_net)
      torch_ms = run_peer(find_peer("IFQ_TORCH_PEER", "torch_peer", "ifq_torch_peer"),
                          common + " --input " + std::to_string(f.input), torch_note);
    else
      torch_note = "only for --model tinier-yolo (the peer builds that network)";
    const auto opencv_peer = find_peer("IFQ_OPENCV_PEER", "opencv_peer", "ifq_opencv_peer");
    opencv_ms = run_peer(opencv_peer, common, opencv_note);
    // A modern small float face detector at the same input size (YuNet
    // takes any multiple of 32; other sizes are rounded up to one).
    if (const auto yunet = find_yunet(f.yunet, yunet_note))
      yunet_ms = run_peer(opencv_peer,
                          common + " --onnx " + shell_quote(yunet->string()) + " --input " +
                              std::to_string((input_side(model) + 31) / 32 * 32),
                          yunet_note);
  }

  json layers = json::array();
  for (size_t i = 0; i < b.stages.size(); ++i) {
    const auto& s = b.stages[i];
    json l = {{"kind", s.kind}, {"label", s.label}, {"ms", s.median_ms}, {"macs", s.macs}};
    if (one) l["ms_1_thread"] = one->stages[i].median_ms;
    if (s.binary_ops > 0) {
      l["binary_ops"] = s.binary_ops;
      l["binary_ops_per_second"] = s.binary_ops_per_second;
      l["popcount_roofline_fraction"] = s.roofline_fraction;
    }
    layers.push_back(l);
  }
  json j = {
      {"model", description},
      {"weight_bits", f.model == "tinier-yolo" ? f.weight_bits : 0},
      {"input", std::get<ifq::IntInputOp>(model.ops[0]).shape.str()},
      {"ms_per_image", b.median_ms},
      {"ms_min", b.min_ms},
      {"ms_max", b.max_ms},
      {"runs", b.runs},
      {"threads", b.threads},
      {"isa", ifq::kernels::isa_name(isa)},
      {"macs_per_image", b.macs},
      {"int_ops_per_second", 2.0 * double(b.macs) / (b.median_ms * 1e-3)},
      {"binary_ops_per_image", b.binary_ops},
      {"popcount_roofline_binary_ops_per_second", roofline.binary_ops_per_second},
      {"popcount_roofline_fraction", b.big_layers_roofline_fraction},
      {"popcount_roofline_big_layers", "bconv layers holding >= 10% of the network's binary ops"},
      {"largest_layer", b.largest_layer},
      {"largest_layer_popcount_roofline_fraction", b.largest_layer_roofline_fraction},
      {"arena_bytes", b.arena_bytes},
      {"parameter_bytes", b.parameter_bytes},
      {"layers", layers},
      {"peers",
       {{"libtorch_fp32_ms", null_or(torch_ms)},
        {"opencv_dnn_yolov2_tiny_ms", null_or(opencv_ms)},
        {"opencv_dnn_yunet_face_ms", null_or(yunet_ms)}}},
      {"peer_notes",
       {{"libtorch_fp32", torch_note}, {"opencv_dnn_yolov2_tiny", opencv_note}, {"opencv_dnn_yunet_face", yunet_note}}},
  };
  if (one) {
    j["ms_per_image_1_thread"] = one->median_ms;
    j["thread_speedup"] = one->median_ms / b.median_ms;
    j["popcount_roofline_fraction_1_thread"] = one->big_layers_roofline_fraction;
  }
  if (kernels_compared && multibit)
    j["multibit_kernels"] = {{"rule_ms", kernels_compared->rule.median_ms},
                             {"digit_planes_ms", kernels_compared->popcount.median_ms},
                             {"int8_ms", kernels_compared->int8.median_ms},
                             {"binary_weights_ms", kernels_compared->binary->median_ms},
                             {"note", "the same network interleaved in one run: by the path's rule, digit planes only, "
                                      "the int8 kernel wherever exact, and with binary weights"}};
  else if (kernels_compared)
    j["binary_kernels"] = {{"rule_ms", kernels_compared->rule.median_ms},
                           {"popcount_ms", kernels_compared->popcount.median_ms},
                           {"int8_ms", kernels_compared->int8.median_ms},
                           {"note", "the same network interleaved in one run: by the path's rule, every conv on the "
                                    "popcount kernels, every conv on the int8 kernel wherever exact"}};
  if (torch_ms) j["speedup_vs_libtorch_fp32"] = *torch_ms / b.median_ms;
  if (opencv_ms) j["speedup_vs_opencv_dnn"] = *opencv_ms / b.median_ms;
  if (yunet_ms) j["speedup_vs_yunet"] = *yunet_ms / b.median_ms;

  if (f.json) {
    std::cout << j.dump(2) << "\n";
    return 0;
  }
  std::printf("%s, input %s, path %s, %d thread(s), %d runs\n", description.c_str(), j["input"].get<std::string>().c_str(),
              ifq::kernels::isa_name(isa), b.threads, b.runs);
  std::printf("%-52s %9s %8s%s\n", "stage", "ms", "roofline", one ? "  ms 1 thread" : "");
  for (size_t i = 0; i < b.stages.size(); ++i) {
    const auto& s = b.stages[i];
    char roof[16] = "";
    if (s.binary_ops > 0) std::snprintf(roof, sizeof roof, "%7.1f%%", 100 * s.roofline_fraction);
    std::printf("%-52s %9.3f %8s", s.label.c_str(), s.median_ms, roof);
    if (one) std::printf("  %11.3f", one->stages[i].median_ms);
    std::printf("\n");
  }
  std::printf("per image: median %.3f ms (min %.3f, max %.3f), %.1f GOPS int, arena %lld bytes\n", b.median_ms,
              b.min_ms, b.max_ms, 2.0 * double(b.macs) / (b.median_ms * 1e6), (long long)b.arena_bytes);
  if (b.largest_layer.empty())  // no layer on the popcount kernel (e.g. every conv on i8conv)
    std::printf("popcount roofline %.1f Gbinop/s; no layer runs on the popcount kernel\n",
                roofline.binary_ops_per_second / 1e9);
  else
    std::printf("popcount roofline %.1f Gbinop/s; big binary layers (>= 10%% of the binary ops) at %.1f%%, "
                "largest layer (%s) at %.1f%%\n",
                roofline.binary_ops_per_second / 1e9, 100 * b.big_layers_roofline_fraction, b.largest_layer.c_str(),
                100 * b.largest_layer_roofline_fraction);
  if (one) std::printf("1 thread: %.3f ms, speed-up with %d threads: %.2fx\n", one->median_ms, f.threads, one->median_ms / b.median_ms);
  if (kernels_compared && multibit)
    std::printf("%d-bit weights, kernels in one run: path's rule %.3f ms, digit planes only %.3f ms, int8 kernel "
                "%.3f ms; binary weights %.3f ms\n",
                f.weight_bits, kernels_compared->rule.median_ms, kernels_compared->popcount.median_ms,
                kernels_compared->int8.median_ms, kernels_compared->binary->median_ms);
  else if (kernels_compared)
    std::printf("kernels in one run: path's rule %.3f ms, popcount kernels only %.3f ms, int8 kernel wherever exact "
                "%.3f ms\n",
                kernels_compared->rule.median_ms, kernels_compared->popcount.median_ms, kernels_compared->int8.median_ms);
  if (kernels_compared && kernels_compared->popcount.stages.size() == kernels_compared->int8.stages.size()) {
    std::printf("%-52s %12s %9s\n", "  conv stage (popcount)", "popcount ms", "int8 ms");
    for (size_t i = 0; i < kernels_compared->int8.stages.size(); ++i) {
      const auto &d = kernels_compared->popcount.stages[i], &q = kernels_compared->int8.stages[i];
      if (q.kind == "i8conv") std::printf("  %-50s %12.3f %9.3f\n", d.label.c_str(), d.median_ms, q.median_ms);
    }
  }
  auto peer_line = [&](const char* name, const std::optional<double>& ms, const std::string& note) {
    if (ms)
      std::printf("%-28s %9.3f ms  (fast runtime %.1fx faster)\n", name, *ms, *ms / b.median_ms);
    else
      std::printf("%-28s unavailable (%s)\n", name, note.c_str());
  };
  peer_line("LibTorch fp32 (same net)", torch_ms, torch_note);
  peer_line("OpenCV DNN yolov2-tiny-voc", opencv_ms, opencv_note);
  peer_line("OpenCV DNN YuNet (face)", yunet_ms, yunet_note);
  return 0;
}

IFQ_REGISTER_COMMAND("bench", "benchmark the fast integer runtime (per layer, per image, roofline, peers)",
                     [](CLI::App& sub) -> std::function<int()> {
                       auto f = std::make_shared<BenchFlags>();
                       sub.add_option("--model", f->model,
                                      "'tinier-yolo' (built-in, random weights) or a float/int model file")
                           ->capture_default_str();
                       sub.add_option("--threads", f->threads, "worker threads")->capture_default_str();
                       sub.add_option("--runs", f->runs, "timed runs (median reported)")->capture_default_str();
                       sub.add_option("--warmup", f->warmup, "untimed runs first")->capture_default_str();
                       sub.add_option("--input", f->input, "input size of the built-in network")->capture_default_str();
                       sub.add_option("--bits", f->bits, "activation bits of the built-in network")->capture_default_str();
                       sub.add_option("--weight-bits", f->weight_bits,
                                      "weight bits of the built-in network: 1 binary, 2..8 fixed (multi-bit) weights")
                           ->check(CLI::Range(1, 8))
                           ->capture_default_str();
                       sub.add_option("--isa", f->isa, "force a kernel path: portable, avx2, avxvnni, avx512, neon (default: IFQ_ISA or cpuid)");
                       sub.add_flag("--json", f->json, "print JSON");
                       sub.add_flag("--no-peers", f->no_peers, "skip the LibTorch / OpenCV peers");
                       sub.add_option("--yunet", f->yunet,
                                      "YuNet ONNX file for the face-detector peer (default: $IFQ_YUNET_ONNX or "
                                      "../shared/data/faces/teachers/yunet/yunet.onnx)");
                       return [f]() { return bench_main(*f); };
                     });

}  // namespace
