// ifq_opencv_peer [--runs R] [--threads N] [--cfg PATH]: OpenCV DNN running
// Darknet's yolov2-tiny-voc.cfg at its 416x416 input with random weights.
// ifq_opencv_peer --onnx PATH [--input N] [--runs R] [--threads N]: OpenCV
// DNN running an ONNX face detector (YuNet) on an NxN image, all its outputs.
// The weights file is written at run time (Darknet format: int32 major,
// minor, revision, uint64 images seen; then per [convolutional] section:
// biases, and when batch_normalize=1 scales, rolling means, rolling
// variances; then the filters) into a temporary file that is removed again.
// Prints one JSON line: {"network": ..., "ms_per_image": median, ...}.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <opencv2/core.hpp>
#include <opencv2/dnn.hpp>
#include <random>
#include <sstream>
#include <string>
#include <vector>

namespace {

int arg_int(int argc, char** argv, const char* name, int fallback) {
  for (int i = 1; i + 1 < argc; ++i)
    if (std::strcmp(argv[i], name) == 0) return std::atoi(argv[i + 1]);
  return fallback;
}
std::string arg_str(int argc, char** argv, const char* name, const std::string& fallback) {
  for (int i = 1; i + 1 < argc; ++i)
    if (std::strcmp(argv[i], name) == 0) return argv[i + 1];
  return fallback;
}

struct ConvSection {
  int filters = 1, size = 1, batch_normalize = 0;
};

std::string trim(const std::string& s) {
  const size_t b = s.find_first_not_of(" \t\r"), e = s.find_last_not_of(" \t\r");
  return b == std::string::npos ? "" : s.substr(b, e - b + 1);
}

// The [convolutional] sections and the input channel count of a cfg.
std::vector<ConvSection> read_convs(const std::string& path, int& channels) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot open " + path);
  std::vector<ConvSection> convs;
  std::string line, section;
  while (std::getline(in, line)) {
    line = trim(line);
    if (line.empty() || line[0] == '#' || line[0] == ';') continue;
    if (line[0] == '[') {
      section = line;
      if (section == "[convolutional]") convs.emplace_back();
      continue;
    }
    const size_t eq = line.find('=');
    if (eq == std::string::npos) continue;
    const std::string key = trim(line.substr(0, eq)), value = trim(line.substr(eq + 1));
    if (section == "[net]" && key == "channels") channels = std::stoi(value);
    if (section == "[convolutional]") {
      if (key == "filters") convs.back().filters = std::stoi(value);
      if (key == "size") convs.back().size = std::stoi(value);
      if (key == "batch_normalize") convs.back().batch_normalize = std::stoi(value);
    }
  }
  return convs;
}

void write_random_weights(const std::string& cfg, const std::string& path) {
  int channels = 3;
  const auto convs = read_convs(cfg, channels);
  std::ofstream out(path, std::ios::binary);
  const int32_t header[3] = {0, 2, 0};
  const uint64_t seen = 0;
  out.write(reinterpret_cast<const char*>(header), sizeof header);
  out.write(reinterpret_cast<const char*>(&seen), sizeof seen);
  std::mt19937 rng(1);
  std::uniform_real_distribution<float> uni(-0.1f, 0.1f);
  auto put = [&](size_t n, float lo, float hi) {
    std::uniform_real_distribution<float> d(lo, hi);
    std::vector<float> v(n);
    for (auto& x : v) x = d(rng);
    out.write(reinterpret_cast<const char*>(v.data()), std::streamsize(v.size() * sizeof(float)));
  };
  int in = channels;
  for (const auto& c : convs) {
    put(size_t(c.filters), -0.1f, 0.1f);  // biases
    if (c.batch_normalize) {
      put(size_t(c.filters), 0.5f, 1.5f);   // scales
      put(size_t(c.filters), -0.1f, 0.1f);  // rolling mean
      put(size_t(c.filters), 0.5f, 1.5f);   // rolling variance
    }
    put(size_t(c.filters) * in * c.size * c.size, -0.1f, 0.1f);
    in = c.filters;
  }
  if (!out) throw std::runtime_error("cannot write " + path);
}

}  // namespace

// Median of the timed runs of `forward` (the first 3 allocate and tune).
template <class Forward>
std::vector<double> time_runs(int runs, Forward forward) {
  std::vector<double> ms;
  for (int i = 0; i < runs + 3; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    forward();
    const double t = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    if (i >= 3) ms.push_back(t);
  }
  std::sort(ms.begin(), ms.end());
  return ms;
}

double median_of_sorted(const std::vector<double>& ms) {
  return ms.size() % 2 ? ms[ms.size() / 2] : 0.5 * (ms[ms.size() / 2 - 1] + ms[ms.size() / 2]);
}

// An ONNX detector on a random NxN BGR image (YuNet takes any multiple of 32).
int run_onnx(const std::string& onnx, int input, int runs, int threads) {
  try {
    cv::setNumThreads(threads);
    cv::dnn::Net net = cv::dnn::readNetFromONNX(onnx);
    net.setPreferableBackend(cv::dnn::DNN_BACKEND_OPENCV);
    net.setPreferableTarget(cv::dnn::DNN_TARGET_CPU);
    cv::Mat image(input, input, CV_8UC3);
    cv::randu(image, 0, 255);
    const cv::Mat blob = cv::dnn::blobFromImage(image, 1.0, cv::Size(), cv::Scalar(), false, false, CV_32F);
    const std::vector<std::string> names = net.getUnconnectedOutLayersNames();
    const auto ms = time_runs(runs, [&] {
      std::vector<cv::Mat> outs;
      net.setInput(blob);
      net.forward(outs, names);
      if (outs.empty() || outs[0].empty()) throw std::runtime_error("empty output");
    });
    std::string name = onnx.substr(onnx.find_last_of('/') + 1);
    for (char& c : name)
      if (c == '"' || c == '\\' || static_cast<unsigned char>(c) < 0x20) c = '_';
    std::printf("{\"network\": \"%s %dx%d OpenCV DNN %s\", \"ms_per_image\": %.4f, \"ms_min\": %.4f, "
                "\"threads\": %d, \"runs\": %d}\n",
                name.c_str(), input, input, CV_VERSION, median_of_sorted(ms), ms.front(), threads, runs);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "ifq_opencv_peer: %s: %s\n", onnx.c_str(), e.what());
    return 1;
  }
  return 0;
}

int main(int argc, char** argv) {
  const int runs = std::max(1, arg_int(argc, argv, "--runs", 20));
  const int threads = std::max(1, arg_int(argc, argv, "--threads", 1));
  const std::string onnx = arg_str(argc, argv, "--onnx", "");
  if (!onnx.empty()) return run_onnx(onnx, std::max(32, arg_int(argc, argv, "--input", 416)), runs, threads);
  const std::string cfg = arg_str(argc, argv, "--cfg", IFQ_YOLOV2_TINY_CFG);
  char tmpl[] = "/tmp/ifq-yolov2-tiny-XXXXXX";
  const int fd = mkstemp(tmpl);
  if (fd < 0) {
    std::fprintf(stderr, "ifq_opencv_peer: cannot create a temporary file\n");
    return 1;
  }
  close(fd);
  const std::string weights = tmpl;
  try {
    write_random_weights(cfg, weights);
    cv::setNumThreads(threads);
    cv::dnn::Net net = cv::dnn::readNetFromDarknet(cfg, weights);
    std::remove(weights.c_str());
    net.setPreferableBackend(cv::dnn::DNN_BACKEND_OPENCV);
    net.setPreferableTarget(cv::dnn::DNN_TARGET_CPU);
    cv::Mat image(416, 416, CV_8UC3);
    cv::randu(image, 0, 255);
    const cv::Mat blob = cv::dnn::blobFromImage(image, 1 / 255.0, cv::Size(416, 416), cv::Scalar(), true, false);
    const auto ms = time_runs(runs, [&] {
      net.setInput(blob);
      if (net.forward().empty()) throw std::runtime_error("empty output");
    });
    const double median = median_of_sorted(ms);
    std::printf("{\"network\": \"yolov2-tiny-voc OpenCV DNN %s\", \"ms_per_image\": %.4f, \"ms_min\": %.4f, "
                "\"threads\": %d, \"runs\": %d}\n",
                CV_VERSION, median, ms.front(), threads, runs);
  } catch (const std::exception& e) {
    std::remove(weights.c_str());
    std::fprintf(stderr, "ifq_opencv_peer: %s\n", e.what());
    return 1;
  }
  return 0;
}
