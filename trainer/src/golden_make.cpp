// make_golden: a golden parity file from LibTorch's evaluation (the file
// format itself is ifq/train/golden.hpp, LibTorch-free).
#include "ifq/train/golden.hpp"
#include "ifq_trainer/trainer.hpp"

namespace ifq::trainer {

GoldenFile make_golden(const FloatModel& model, const Dataset& samples, int threads) {
  const TorchEvaluation ev = torch_evaluate(model, samples, /*float64=*/true, /*record_levels=*/true, threads);
  const std::vector<Shape3> shapes = infer_shapes(model);
  GoldenFile g;
  g.model = model.name;
  g.precision = "float64";
  g.input_shape = samples.shape;
  g.quant_layers = ev.quant_layer;
  for (int q : ev.quant_layer) {
    g.level_shapes.push_back(shapes[size_t(q)]);
    g.level_bits.push_back(std::get<HwgqLayer>(model.layers[size_t(q)]).bits);
  }
  g.classes = ev.classes;
  for (int64_t i = 0; i < samples.size(); ++i) {
    GoldenSample s;
    s.image = samples.image(i);
    for (size_t q = 0; q < ev.levels.size(); ++q) {
      const size_t n = size_t(g.level_shapes[q].elements());
      s.levels.emplace_back(ev.levels[q].begin() + long(size_t(i) * n), ev.levels[q].begin() + long(size_t(i + 1) * n));
    }
    for (int c = 0; c < g.classes; ++c) s.logits.push_back(ev.logits[size_t(i) * size_t(g.classes) + size_t(c)]);
    g.samples.push_back(std::move(s));
  }
  return g;
}

}  // namespace ifq::trainer
