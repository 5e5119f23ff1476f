// A malformed cfg gives an ifq::Error naming the source, the line and the key.
#include <gtest/gtest.h>

#include "ifq/cfg.hpp"
#include "ifq/error.hpp"

namespace ifq {
namespace {

const char* kNet = "[net]\nwidth=8\nheight=8\nchannels=1\n";

// Parses and returns the error message ("" when it parsed).
std::string error_of(const std::string& text) {
  try {
    parse_cfg(text, "bad.cfg");
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

void expect_error(const std::string& text, const std::string& line_and_key) {
  const std::string msg = error_of(text);
  EXPECT_NE(msg.find("bad.cfg:"), std::string::npos) << msg;
  EXPECT_NE(msg.find(line_and_key), std::string::npos) << "message: " << msg << "\nexpected to contain: " << line_and_key;
}

TEST(CfgErrors, UnknownKeyNamesLineAndKey) {
  expect_error(std::string(kNet) + "[convolutional]\nfilters=4\nsize=3\nactivation=relu\nsizee=3\n",
               "bad.cfg:9: [convolutional] unknown key 'sizee'");
}

TEST(CfgErrors, BadNumberNamesLineAndKey) {
  expect_error(std::string(kNet) + "[convolutional]\nfilters=four\nsize=3\nactivation=relu\n", "bad.cfg:6: [convolutional] key 'filters': expected an integer");
  expect_error(std::string(kNet) + "[convolutional]\nfilters=4\nsize=0\nactivation=relu\n", "bad.cfg:7: [convolutional] key 'size'");
}

TEST(CfgErrors, MissingRequiredKey) {
  expect_error(std::string(kNet) + "[convolutional]\nsize=3\nactivation=relu\n", "key 'filters': required key is missing");
  expect_error(std::string(kNet) + "[convolutional]\nfilters=2\nsize=3\n", "key 'activation': required key is missing");
  expect_error("[net]\nwidth=8\nchannels=1\n[connected]\noutput=2\nactivation=linear\n", "key 'height'");
}

TEST(CfgErrors, UnsupportedActivationAndSection) {
  expect_error(std::string(kNet) + "[convolutional]\nfilters=2\nactivation=logistic\n", "bad.cfg:7: [convolutional] key 'activation': unsupported activation 'logistic'");
  expect_error(std::string(kNet) + "[route]\nlayers=-1\n", "bad.cfg:5: [route]: unsupported section");
  expect_error(std::string(kNet) + "[convolutional]\nfilters=2\nxnor=1\nactivation=relu\n", "key 'xnor'");
}

TEST(CfgErrors, QuantKeysOnlyWithHwgq) {
  expect_error(std::string(kNet) + "[convolutional]\nfilters=2\nactivation=relu\nquant_bits=2\n", "key 'quant_bits': only valid with activation=hwgq");
  expect_error(std::string(kNet) + "[convolutional]\nfilters=2\nactivation=hwgq\nquant_bits=9\n", "key 'quant_bits'");
}

TEST(CfgErrors, InputNormalisationMustSuitTheIntegerRuntime) {
  expect_error("[net]\nwidth=8\nheight=8\nchannels=1\nmean=0.5\n[connected]\noutput=2\nactivation=linear\n", "bad.cfg:5: [net] key 'mean': must be an integer pixel value");
  expect_error("[net]\nwidth=8\nheight=8\nchannels=3\nmean=1,2\n[connected]\noutput=2\nactivation=linear\n", "key 'mean': needs 1 or 3 values");
  expect_error("[net]\nwidth=8\nheight=8\nchannels=1\nstd=0\n[connected]\noutput=2\nactivation=linear\n", "key 'std'");
}

TEST(CfgErrors, StructureErrors) {
  expect_error("width=8\n[net]\n", "bad.cfg:1: key 'width' appears before the first [section]");
  expect_error("[convolutional]\nfilters=2\nactivation=relu\n", "bad.cfg:1: [convolutional]: the first section must be [net]");
  expect_error(std::string(kNet) + "[convolutional\n", "bad.cfg:5: malformed section header");
  expect_error(std::string(kNet) + "just words\n", "bad.cfg:5: expected key=value");
  expect_error(std::string(kNet) + "[connected]\noutput=2\noutput=3\nactivation=linear\n", "bad.cfg:7: key 'output' repeated");
  expect_error(std::string(kNet) + "[convolutional]\nfilters=2\nsize=11\nactivation=relu\n", "kernel 11 larger than the padded input");
  expect_error(std::string(kNet) + "[convolutional]\nfilters=29\nsize=1\nactivation=linear\n[region]\nanchors=1,1\nnum=1\nclasses=1\n",
               "the previous layer has 29 channels");
  expect_error(std::string(kNet) + "[net]\n", "[net] may appear only once");
  EXPECT_NE(error_of("").find("no [section]"), std::string::npos);
  EXPECT_NE(error_of(kNet).find("no layers"), std::string::npos);
}

TEST(CfgErrors, DupNetKeysMustFitTheLayer) {
  expect_error(std::string(kNet) + "[convolutional]\nfilters=8\nduplicate=3\nsize=3\nactivation=relu\n",
               "key 'duplicate': duplicate=3 must divide filters=8");
  expect_error(std::string(kNet) + "[convolutional]\nfilters=8\nduplicate=16\nsize=3\nactivation=relu\n",
               "key 'duplicate'");
  expect_error(std::string(kNet) + "[convolutional]\nfilters=8\ninput_repeat=0\nsize=3\nactivation=relu\n",
               "key 'input_repeat'");
}

// Issue 15 finding: a huge network was allocated before anything said no
// (cfg-size: 105 GB, std::bad_alloc). Now the section that crosses the limit
// is named, and nothing is allocated.
TEST(CfgErrors, AHugeNetworkIsRefusedBeforeAllocating) {
  const std::string net = "[net]\nwidth=64\nheight=64\nchannels=8\n";
  expect_error(net + "[convolutional]\nfilters=65536\nsize=64\npad=1\nactivation=relu\n",
               "key 'filters': the network would hold 2147483648 weights");
  expect_error(net + "[connected]\noutput=16777216\nactivation=linear\n", "key 'output': the network would hold");
}

TEST(CfgErrors, ScheduleNeedsOneScalePerStep) {
  expect_error("[net]\nwidth=8\nheight=8\nchannels=1\nsteps=10,20\nscales=.1\n[connected]\noutput=2\nactivation=linear\n", "key 'scales': needs one value per entry of steps");
}

TEST(CfgErrors, MissingFileIsAnError) {
  EXPECT_THROW(load_cfg("/nonexistent/dir/x.cfg"), Error);
}

}  // namespace
}  // namespace ifq
