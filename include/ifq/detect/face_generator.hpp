#pragma once
// Synthetic face-detection images: real face crops (OpenCV .vec samples)
// pasted onto real face-free backgrounds at random scales, positions,
// contrast and blur. The boxes are the pasted squares, so they are exact.
#include <cstdint>
#include <random>
#include <vector>

#include "ifq/detect/box.hpp"
#include "ifq/detect/datasets.hpp"
#include "ifq/detect/image.hpp"

namespace ifq::detect {

inline constexpr int kMaxFacesPerImage = 1000;

struct FaceGeneratorOptions {
  int width = 416, height = 416;   // output image size
  int min_faces = 1, max_faces = 6;
  int min_face = 16, max_face = 160;  // pasted face side in pixels
  double max_overlap = 0.0;           // max IoU between pasted faces (0: disjoint)
  double contrast_min = 0.6, contrast_max = 1.4;
  double brightness_range = 40;       // added offset in [-range, range] grey levels
  double blur_probability = 0.3;
  double blur_sigma_max = 1.5;        // Gaussian sigma, in face pixels after scaling
  bool grey_output = false;           // true: whole image converted to luma
  bool tint_faces = true;             // colour the grey crops with a random skin tone
  double background_zoom_max = 2.0;   // random crop of the background, up to this zoom
  int feather = 1;                    // pixels of soft edge blending
};

struct GeneratedImage {
  Image image;
  std::vector<Box> faces;
};

// Checks the options (throws ifq::Error naming the bad one).
void validate(const FaceGeneratorOptions& options);

// One image. Deterministic for a given rng state. Faces that cannot be placed
// within the overlap limit after a bounded number of attempts are left out.
GeneratedImage generate_face_image(const Image& background, const std::vector<GreyPatch>& faces,
                                   const FaceGeneratorOptions& options, std::mt19937_64& rng);

}  // namespace ifq::detect
