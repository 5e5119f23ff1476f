// The export report: flash and RAM figures, as text and JSON.
#include <nlohmann/json.hpp>
#include <sstream>

#include "ifq/export_c.hpp"

namespace ifq {

ExportReport make_export_report(const ExportedC& exported, const std::vector<TargetSizes>& targets,
                                const std::vector<std::string>& files) {
  ExportReport r;
  r.name = exported.name;
  r.input = exported.plan.tensors.front().shape;
  r.output = exported.plan.tensors.back().shape;
  r.arena_bytes = exported.plan.arena_bytes;
  r.parameter_bytes = exported.parameter_bytes;
  r.targets = targets;
  r.files = files;
  // The headline figures come from the Cortex-M7 build (the target),
  // else the first measured target, else the exporter's own counts.
  const TargetSizes* pick = nullptr;
  for (const auto& t : targets)
    if (t.target == "cortex-m7") pick = &t;
  if (!pick && !targets.empty()) pick = &targets.front();
  if (pick) {
    r.flash_measured = true;
    r.flash_bytes = pick->flash_bytes();
    r.stack_bytes = pick->stack_bytes;
    // .bss holds the static arena of the measuring program; .data is copied to RAM.
    r.ram_bytes = pick->bss + pick->data + pick->stack_bytes;
  } else {
    r.flash_bytes = r.parameter_bytes;
    r.ram_bytes = r.arena_bytes;
  }
  return r;
}

std::string export_report_json(const ExportReport& r) {
  nlohmann::json j;
  j["name"] = r.name;
  j["input"] = {r.input.c, r.input.h, r.input.w};
  j["output"] = {r.output.c, r.output.h, r.output.w};
  j["arena_bytes"] = r.arena_bytes;
  j["parameter_bytes"] = r.parameter_bytes;
  j["flash_measured"] = r.flash_measured;
  j["flash_bytes"] = r.flash_bytes;
  j["stack_bytes"] = r.flash_measured ? nlohmann::json(r.stack_bytes) : nlohmann::json(nullptr);
  j["ram_bytes"] = r.ram_bytes;
  nlohmann::json targets = nlohmann::json::object();
  for (const auto& t : r.targets)
    targets[t.target] = {{"text", t.text},   {"rodata", t.rodata},          {"data", t.data},
                         {"bss", t.bss},     {"flash_bytes", t.flash_bytes()}, {"stack_bytes", t.stack_bytes}};
  j["targets"] = targets;
  for (const auto& t : r.targets) j[t.target] = targets[t.target];
  j["files"] = r.files;
  return j.dump(2);
}

std::string export_report_text(const ExportReport& r) {
  std::ostringstream o;
  o << "exported '" << r.name << "': input " << r.input.str() << ", output " << r.output.str() << "\n";
  for (const auto& f : r.files) o << "  wrote " << f << "\n";
  o << "arena:      " << r.arena_bytes << " bytes (image, feature maps and output, ping-pong)\n";
  o << "parameters: " << r.parameter_bytes << " bytes of const arrays\n";
  for (const auto& t : r.targets)
    o << t.target << ": text " << t.text << ", rodata " << t.rodata << ", data " << t.data << ", bss " << t.bss
      << " (arena in a static buffer), stack <= " << t.stack_bytes << " bytes\n";
  if (r.flash_measured)
    o << "flash: " << r.flash_bytes << " bytes (text + rodata + data, cortex-m7)\n"
      << "RAM:   " << r.ram_bytes << " bytes (bss + data + stack bound)\n";
  else
    o << "flash: " << r.flash_bytes << " bytes of parameters only (no Cortex-M build: code not measured)\n"
      << "RAM:   " << r.ram_bytes << " bytes of arena (stack not measured)\n";
  return o.str();
}

}  // namespace ifq
