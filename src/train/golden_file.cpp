#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "ifq/atomic_file.hpp"
#include "ifq/error.hpp"
#include "ifq/train/golden.hpp"

namespace ifq::trainer {
namespace {

constexpr char kMagic[8] = {'I', 'F', 'Q', 'G', 'O', 'L', 'D', '1'};

nlohmann::json shape_json(Shape3 s) { return {s.c, s.h, s.w}; }

Shape3 shape_from(const nlohmann::json& j, const std::string& path) {
  if (!j.is_array() || j.size() != 3) throw Error("golden file '" + path + "': bad shape in header");
  Shape3 s{j[0].get<int>(), j[1].get<int>(), j[2].get<int>()};
  if (s.c <= 0 || s.h <= 0 || s.w <= 0 || s.elements() > (int64_t(1) << 28))
    throw Error("golden file '" + path + "': bad shape " + s.str());
  return s;
}

}  // namespace

void save_golden(const GoldenFile& g, const std::string& path) {
  nlohmann::json h;
  h["version"] = 1;
  h["model"] = g.model;
  h["precision"] = g.precision;
  h["input_shape"] = shape_json(g.input_shape);
  h["samples"] = g.samples.size();
  h["quant_layers"] = g.quant_layers;
  h["level_shapes"] = nlohmann::json::array();
  for (Shape3 s : g.level_shapes) h["level_shapes"].push_back(shape_json(s));
  h["level_bits"] = g.level_bits;
  h["classes"] = g.classes;
  const std::string header = h.dump();
  write_file_atomic_with(path, [&](const std::string& tmp) {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) throw Error("cannot write golden file '" + tmp + "'");
    out.write(kMagic, 8);
    uint64_t len = header.size();
    uint8_t len_le[8];
    for (int i = 0; i < 8; ++i) len_le[i] = uint8_t(len >> (8 * i));
    out.write(reinterpret_cast<const char*>(len_le), 8);
    out.write(header.data(), std::streamsize(header.size()));
    for (const GoldenSample& s : g.samples) {
      if (s.image.size() != size_t(g.input_shape.elements()) || s.levels.size() != g.quant_layers.size() ||
          s.logits.size() != size_t(g.classes))
        throw Error("save_golden: a sample does not match the header");
      out.write(reinterpret_cast<const char*>(s.image.data()), std::streamsize(s.image.size()));
      for (size_t q = 0; q < s.levels.size(); ++q) {
        if (s.levels[q].size() != size_t(g.level_shapes[q].elements())) throw Error("save_golden: level count mismatch");
        std::vector<uint8_t> bytes(s.levels[q].size());
        for (size_t i = 0; i < bytes.size(); ++i) {
          if (s.levels[q][i] < 0 || s.levels[q][i] > 255) throw Error("save_golden: level outside 0..255");
          bytes[i] = uint8_t(s.levels[q][i]);
        }
        out.write(reinterpret_cast<const char*>(bytes.data()), std::streamsize(bytes.size()));
      }
      for (double v : s.logits) {
        uint64_t bits;
        std::memcpy(&bits, &v, 8);
        uint8_t le[8];
        for (int i = 0; i < 8; ++i) le[i] = uint8_t(bits >> (8 * i));
        out.write(reinterpret_cast<const char*>(le), 8);
      }
    }
    out.flush();
    if (!out) throw Error("write to '" + tmp + "' failed (disk full?)");
  });
}

GoldenFile load_golden(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error("cannot open golden file '" + path + "'");
  std::vector<char> raw((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (raw.size() < 16 || std::memcmp(raw.data(), kMagic, 8) != 0)
    throw Error("'" + path + "' is not an ifq golden file (bad magic)");
  uint64_t len = 0;
  for (int i = 0; i < 8; ++i) len |= uint64_t(uint8_t(raw[size_t(8 + i)])) << (8 * i);
  if (len > raw.size() - 16) throw Error("golden file '" + path + "': header length beyond the end of the file");
  GoldenFile g;
  nlohmann::json h;
  try {
    h = nlohmann::json::parse(raw.begin() + 16, raw.begin() + 16 + long(len));
    if (h.at("version").get<int>() != 1)
      throw Error("golden file '" + path + "': version " + h.at("version").dump() + " is not supported (1)");
    g.model = h.at("model").get<std::string>();
    g.precision = h.at("precision").get<std::string>();
    g.input_shape = shape_from(h.at("input_shape"), path);
    g.quant_layers = h.at("quant_layers").get<std::vector<int>>();
    for (const auto& s : h.at("level_shapes")) g.level_shapes.push_back(shape_from(s, path));
    g.level_bits = h.at("level_bits").get<std::vector<int>>();
    g.classes = h.at("classes").get<int>();
  } catch (const nlohmann::json::exception& e) {
    throw Error("golden file '" + path + "': bad header: " + plain_message(e));
  }
  const uint64_t samples = h["samples"].get<uint64_t>();
  if (g.level_shapes.size() != g.quant_layers.size() || g.level_bits.size() != g.quant_layers.size() || g.classes <= 0)
    throw Error("golden file '" + path + "': inconsistent header");
  uint64_t per = uint64_t(g.input_shape.elements()) + 8 * uint64_t(g.classes);
  for (Shape3 s : g.level_shapes) per += uint64_t(s.elements());
  size_t pos = 16 + size_t(len);
  if ((raw.size() - pos) != samples * per)
    throw Error("golden file '" + path + "': " + std::to_string(raw.size() - pos) + " data bytes, header implies " +
                std::to_string(samples * per) + " (truncated or corrupt)");
  for (uint64_t s = 0; s < samples; ++s) {
    GoldenSample gs;
    gs.image.assign(raw.begin() + long(pos), raw.begin() + long(pos + size_t(g.input_shape.elements())));
    pos += size_t(g.input_shape.elements());
    for (Shape3 shape : g.level_shapes) {
      std::vector<int32_t> lv(size_t(shape.elements()));
      for (auto& v : lv) v = uint8_t(raw[pos++]);
      gs.levels.push_back(std::move(lv));
    }
    for (int c = 0; c < g.classes; ++c) {
      uint64_t bits = 0;
      for (int i = 0; i < 8; ++i) bits |= uint64_t(uint8_t(raw[pos++])) << (8 * i);
      double v;
      std::memcpy(&v, &bits, 8);
      gs.logits.push_back(v);
    }
    g.samples.push_back(std::move(gs));
  }
  return g;
}

}  // namespace ifq::trainer
