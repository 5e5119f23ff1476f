#pragma once
// Attention transfer (Zagoruyko & Komodakis, ICLR 2017, "Paying More
// Attention to Attention"; for binary students, Martinez et al., ICLR 2020,
// "Training Binary Neural Networks with Real-to-Binary Convolutions"): the
// student's feature maps are pulled towards where its float twin's are
// strong. A map's attention is the mean over channels of the squared
// activations, flattened over space and scaled to unit L2 norm per image, so
// it compares networks of other widths, activations and scales (a binary
// student with 2-bit maps against a float teacher, DupNet's repeated input
// channels) as long as the spatial sizes match. Internal to ifq_trainer.
#include <torch/torch.h>

#include <vector>

namespace ifq::trainer {

// [N, C, H, W] -> [N, H*W], each row of unit L2 norm.
torch::Tensor attention_map(const torch::Tensor& features);

// Sum over the map pairs of the batch mean of ‖q_s − q_t‖² (each term in
// [0, 4]: 2 − 2·cos of the two attention vectors). The teacher's maps get no
// gradient. Throws ifq::Error when the counts or spatial sizes differ.
torch::Tensor attention_transfer_loss(const std::vector<torch::Tensor>& student,
                                      const std::vector<torch::Tensor>& teacher);

}  // namespace ifq::trainer
