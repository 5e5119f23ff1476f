#pragma once
// Microcontroller export: an integer network as C99 sources (NAME_model.c/.h)
// plus the portable runtime ifq_micro.c/.h, running from one caller-supplied
// arena (docs/microcontroller.md). The exported code computes exactly what
// ReferenceRuntime computes; tests/export checks it byte for byte.
#include <cstdint>
#include <string>
#include <vector>

#include "ifq/int_model.hpp"

namespace ifq {

// Element type of a tensor stored in the arena, chosen from the value range
// the exporter proves for it and from its reader: levels that a binary conv
// reads become bit planes (IFQ_ELEM_PLANES: 32 channels per word, one word
// per level bit), other levels bytes.
enum class StoredElem { U8, I8, I16, I32, BitPlanes };
const char* stored_elem_name(StoredElem elem);

// A tensor that lives in the arena: the image (op_index 0, raw uint8, its
// mean removed on every read) or a segment's result.
struct StoredTensor {
  Shape3 shape;
  StoredElem elem = StoredElem::I32;
  int op_index = 0;        // the op whose output this tensor holds
  int64_t offset = 0;      // bytes from the arena start
  int planes = 0;          // BitPlanes only: bits per level
  int64_t bytes = 0;       // bytes in the arena
  int64_t lo = 0, hi = 0;  // proven value range
};

// Ops [op_begin, op_end) evaluated element by element: op_begin is the image
// (only for a segment that starts at op 0) or a conv/fc, the rest element-wise
// ops and max pools. A segment that starts at an overlapping max pool
// (reads_stored) reads the stored tensor itself first. Reads tensors[in],
// writes tensors[out].
struct ExportSegment {
  int op_begin = 0, op_end = 0;
  int in = 0, out = 0;
  bool reads_stored = false;
};

struct ExportPlan {
  std::vector<StoredTensor> tensors;  // [0] image, back() the int32 output
  std::vector<ExportSegment> segments;
  int64_t arena_bytes = 0;            // ping-pong: max over neighbouring tensor pairs plus their scratch
  int max_segment_ops = 0;            // recursion depth bound of the C evaluator
};

// Validates the model (infer_int_shapes) and plans segments and the arena.
ExportPlan plan_export(const IntModel& model);

struct ExportCOptions {
  // C identifier prefixing every symbol and the file names; must not start
  // with "ifq" (the runtime's prefix).
  std::string name = "net";
};

struct ExportedC {
  std::string name;
  std::string model_h, model_c;  // contents of NAME_model.h / NAME_model.c
  ExportPlan plan;
  int64_t parameter_bytes = 0;   // bytes of const parameter arrays emitted (weights, thresholds, ...)
};

ExportedC export_c(const IntModel& model, const ExportCOptions& options = {});

// A valid export name derived from any string (a file stem): other
// characters become '_', a leading digit or "ifq" gets a "net_" prefix.
std::string export_name_from(const std::string& text);

// The runtime sources, embedded at build time from src/export/micro/.
const std::string& micro_runtime_header();
const std::string& micro_runtime_source();

// Writes NAME_model.c/.h and ifq_micro.c/.h into dir (created when missing),
// each file through a temporary and a rename. Returns the paths written.
std::vector<std::string> write_export(const ExportedC& exported, const std::string& dir);

// Sizes of a Cortex-M build: the runtime, the model and a minimal main() with
// a static arena (so .bss shows the arena), compiled with
// `arm-none-eabi-gcc -std=c99 -Os -mthumb -mcpu=TARGET` and measured with
// `arm-none-eabi-size -A`. stack_bytes is an upper bound from -fstack-usage:
// every non-recursive frame of the runtime plus main, plus the recursive
// evaluator's frame times the deepest segment.
struct TargetSizes {
  std::string target;  // "cortex-m4", "cortex-m7"
  int64_t text = 0, rodata = 0, data = 0, bss = 0;
  int64_t stack_bytes = 0;
  int64_t flash_bytes() const { return text + rodata + data; }
};

struct CrossTools {
  std::string gcc = "arm-none-eabi-gcc";
  std::string size = "arm-none-eabi-size";
};

// True when the cross compiler runs.
bool cross_compiler_available(const CrossTools& tools = {});

// Builds the exported files found in dir for each target; throws ifq::Error
// when a compile fails (the message holds the compiler output).
std::vector<TargetSizes> measure_cortex_m(const ExportedC& exported, const std::string& dir,
                                          const std::vector<std::string>& targets = {"cortex-m4",
                                                                                    "cortex-m7"},
                                          const CrossTools& tools = {});

// What `ifq export-c` reports. flash/ram come from the cortex-m7 build when it
// was measured; otherwise flash_bytes is the parameter bytes alone and
// ram_bytes the arena alone (flash_measured = false says so).
struct ExportReport {
  std::string name;
  Shape3 input, output;
  int64_t arena_bytes = 0;
  int64_t parameter_bytes = 0;
  bool flash_measured = false;
  int64_t flash_bytes = 0;
  int64_t stack_bytes = 0;
  int64_t ram_bytes = 0;
  std::vector<TargetSizes> targets;
  std::vector<std::string> files;
};

ExportReport make_export_report(const ExportedC& exported, const std::vector<TargetSizes>& targets,
                                const std::vector<std::string>& files);
std::string export_report_json(const ExportReport& report);  // keys documented in docs/microcontroller.md
std::string export_report_text(const ExportReport& report);

}  // namespace ifq
