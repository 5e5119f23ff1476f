#include "attention_transfer.hpp"

#include "ifq/error.hpp"
#include "ifq_trainer/trainer.hpp"
#include "torch_net.hpp"

namespace ifq::trainer {

torch::Tensor attention_map(const torch::Tensor& features) {
  const torch::Tensor a = features.pow(2).mean(1).flatten(1);
  namespace F = torch::nn::functional;
  return F::normalize(a, F::NormalizeFuncOptions().p(2).dim(1).eps(1e-12));
}

torch::Tensor attention_transfer_loss(const std::vector<torch::Tensor>& student,
                                      const std::vector<torch::Tensor>& teacher) {
  if (student.size() != teacher.size() || student.empty())
    throw Error("attention transfer: the student has " + std::to_string(student.size()) +
                " conv layers after the first, the teacher " + std::to_string(teacher.size()) +
                " (the networks must have the same conv layers, at least two)");
  torch::Tensor loss = torch::zeros({}, student[0].options());
  for (size_t j = 0; j < student.size(); ++j) {
    const auto& s = student[j];
    const auto& t = teacher[j];
    if (s.dim() != 4 || t.dim() != 4 || s.size(0) != t.size(0) || s.size(2) != t.size(2) || s.size(3) != t.size(3))
      throw Error("attention transfer: the input of the student's conv " + std::to_string(j + 2) + " is " +
                  c10::str(s.sizes()) + ", the teacher's " + c10::str(t.sizes()) +
                  " (batch and spatial sizes must match)");
    const torch::Tensor d = attention_map(s) - attention_map(t.detach()).to(s.scalar_type());
    loss = loss + d.pow(2).sum(1).mean();
  }
  return loss;
}

double attention_transfer_gap(const FloatModel& student, const FloatModel& teacher, const Dataset& images,
                              int threads) {
  torch::set_num_threads(threads);
  torch::NoGradGuard no_grad;
  TorchNet s(student, torch::kFloat32, false, torch::kCPU), t(teacher, torch::kFloat32, false, torch::kCPU);
  const int64_t n = images.size(), per = images.shape.elements();
  if (n == 0) throw Error("attention transfer gap: no images");
  const int64_t chunk = 64;
  double sum = 0;
  for (int64_t b = 0; b < n; b += chunk) {
    const int64_t m = std::min(chunk, n - b);
    auto u8 = torch::from_blob(const_cast<uint8_t*>(images.images.data() + b * per),
                               {m, images.shape.c, images.shape.h, images.shape.w}, torch::kUInt8);
    std::vector<torch::Tensor> sf, tf;
    s.forward(s.normalize(u8), false, nullptr, &sf);
    t.forward(t.normalize(u8), false, nullptr, &tf);
    sum += attention_transfer_loss(sf, tf).item<double>() * double(m);
  }
  return sum / double(n);
}

}  // namespace ifq::trainer
