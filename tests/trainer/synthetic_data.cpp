#include "synthetic_data.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <string>

namespace ifq::testing {

trainer::Dataset synthetic_bars(int64_t count, int classes, Shape3 shape, uint64_t seed) {
  trainer::Dataset d;
  d.shape = shape;
  d.classes = classes;
  uint64_t s = seed;
  for (int64_t i = 0; i < count; ++i) {
    const int label = int(trainer::splitmix64(s) % uint64_t(classes));
    d.labels.push_back(label);
    const int band = shape.h / classes;
    for (int c = 0; c < shape.c; ++c)
      for (int y = 0; y < shape.h; ++y)
        for (int x = 0; x < shape.w; ++x) {
          const bool bar = y / std::max(1, band) == label;
          const int noise = int(trainer::splitmix64(s) % 90);
          d.images.push_back(uint8_t(bar ? 160 + noise : noise));
        }
  }
  return d;
}

std::string tiny_cfg(bool first_last_float, int bits, bool dupnet) {
  const std::string b = std::to_string(bits);
  const std::string first_binary = first_last_float ? "" : "binary=1\n";
  // DupNet sharing: the first conv reads the image twice and stores 3 of its
  // 6 filters, the second stores 2 of 8, the third reads its input 3 times.
  const std::string share1 = dupnet ? "duplicate=2\ninput_repeat=2\n" : "";
  const std::string share2 = dupnet ? "duplicate=4\n" : "", share3 = dupnet ? "input_repeat=3\n" : "";
  return "[net]\nwidth=8\nheight=8\nchannels=1\nmean=64\nstd=60\nbatch=16\nlearning_rate=0.05\nmomentum=0.9\n"
         "decay=0.0001\nmax_batches=40\npolicy=steps\nsteps=30\nscales=.1\n"
         "[convolutional]\n" + first_binary + share1 + "filters=6\nsize=3\npad=1\npool_size=2\npool_stride=2\n"
         "batch_normalize=1\nactivation=hwgq\nquant_bits=" + b + "\n"
         "[convolutional]\nbinary=1\n" + share2 + "filters=8\nsize=3\npad=1\nbatch_normalize=1\nactivation=hwgq\nquant_bits=" + b + "\n"
         "[maxpool]\nsize=2\nstride=2\n"
         "[convolutional]\nbinary=1\n" + share3 + "filters=8\nsize=3\npad=1\nbatch_normalize=1\nbn_affine=0\nactivation=hwgq\nquant_bits=" + b + "\n"
         "[connected]\n" + first_binary + "output=4\nactivation=linear\n";
}

std::vector<float> conv_weights(const FloatModel& model) {
  std::vector<float> w;
  for (const Layer& l : model.layers)
    if (auto* c = std::get_if<ConvLayer>(&l)) w.insert(w.end(), c->weight.begin(), c->weight.end());
  return w;
}

ResumeRuns train_straight_and_resumed(const CfgNetwork& net, const trainer::DetectionDataset& data,
                                      trainer::TrainOptions options, int stop_at, const std::string& dir) {
  ResumeRuns runs;
  options.checkpoint_path = dir + "/straight.ckpt";
  trainer::Trainer straight(net, options);
  straight.train(data);
  runs.straight = conv_weights(straight.export_model());
  std::atomic<bool> stop{false};
  options.checkpoint_path = dir + "/stopped.ckpt";
  auto first_part = options;
  first_part.stop = &stop;
  first_part.on_step = [&](int step, double) { stop = step == stop_at; };
  {
    trainer::Trainer first(net, first_part);
    runs.interrupted = first.train(data).interrupted;
  }
  options.resume = true;
  trainer::Trainer second(net, options);
  runs.resumed_from = second.train(data).first_step;
  runs.resumed = conv_weights(second.export_model());
  return runs;
}

const char* const kRegionCfg =
    "[net]\nwidth=32\nheight=32\nchannels=3\nbatch=4\nmean=0\nstd=255\nlearning_rate=0.002\nmomentum=0.9\n"
    "decay=0.0005\nmax_batches=80\npolicy=constant\nburn_in=3\npower=2\n"
    "[convolutional]\nbatch_normalize=1\nfilters=8\nsize=3\nstride=1\npad=1\nactivation=leaky\n"
    "[maxpool]\nsize=2\nstride=2\n"
    "[convolutional]\nbatch_normalize=1\nfilters=6\nsize=1\nstride=1\npad=0\nactivation=linear\n"
    "[region]\nanchors=1.5,1.5\nnum=1\nclasses=1\ncoords=4\nbias_match=1\n";

std::unique_ptr<trainer::Trainer> interrupted_then_resumed(const CfgNetwork& net, trainer::TrainOptions o,
                                                           const trainer::Dataset& data, int stop_at) {
  std::atomic<bool> stop{false};
  o.stop = &stop;
  o.on_step = [&](int step, double) {
    if (step == stop_at) stop = true;
  };
  EXPECT_TRUE(trainer::Trainer(net, o).train(data).interrupted);
  o.stop = nullptr;
  o.on_step = nullptr;
  o.resume = true;
  auto resumed = std::make_unique<trainer::Trainer>(net, o);
  EXPECT_EQ(resumed->train(data).first_step, stop_at);
  return resumed;
}

}  // namespace ifq::testing
