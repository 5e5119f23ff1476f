// dlib imglab XML (tools/imglab, used by dlib's examples/faces): a small
// scanner for exactly the elements that format uses, with line numbers.
#include <cctype>
#include <cstdlib>
#include <cmath>
#include <fstream>
#include <map>
#include <sstream>

#include "ifq/detect/datasets.hpp"
#include "ifq/error.hpp"

namespace ifq::detect {
namespace {

struct Tag {
  std::string name;  // "image", "/image", "box", ...
  std::map<std::string, std::string> attributes;
  bool self_closing = false;
  int line = 0;
};

std::string decode_entities(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '&') {
      out += s[i];
      continue;
    }
    static const std::pair<const char*, char> kEntities[] = {
        {"&amp;", '&'}, {"&lt;", '<'}, {"&gt;", '>'}, {"&quot;", '"'}, {"&apos;", '\''}};
    bool matched = false;
    for (const auto& [entity, ch] : kEntities) {
      const std::string e(entity);
      if (s.compare(i, e.size(), e) == 0) {
        out += ch;
        i += e.size() - 1;
        matched = true;
        break;
      }
    }
    if (!matched) out += '&';
  }
  return out;
}

class XmlScanner {
 public:
  XmlScanner(std::string file, std::string text) : file_(std::move(file)), text_(std::move(text)) {}

  // Next element tag; text between tags goes to `text`. False at the end.
  bool next(Tag& tag, std::string& text) {
    text.clear();
    while (pos_ < text_.size()) {
      const size_t lt = text_.find('<', pos_);
      text += advance_to(lt == std::string::npos ? text_.size() : lt);
      if (lt == std::string::npos) return false;
      if (text_.compare(pos_, 4, "<!--") == 0) {
        skip_past("-->");
        continue;
      }
      if (text_.compare(pos_, 2, "<?") == 0 || text_.compare(pos_, 2, "<!") == 0) {
        skip_past(">");
        continue;
      }
      parse_tag(tag);
      return true;
    }
    return false;
  }

  [[noreturn]] void fail(int line, const std::string& what) const {
    throw Error(file_ + ":" + std::to_string(line) + ": " + what);
  }

 private:
  std::string advance_to(size_t end) {
    std::string skipped = text_.substr(pos_, end - pos_);
    for (char c : skipped) line_ += (c == '\n');
    pos_ = end;
    return skipped;
  }
  void skip_past(const char* marker) {
    const size_t end = text_.find(marker, pos_);
    if (end == std::string::npos) fail(line_, std::string("unterminated markup, missing \"") + marker + "\"");
    advance_to(end + std::string(marker).size());
  }
  void parse_tag(Tag& tag) {
    tag = Tag{};
    tag.line = line_;
    const size_t gt = text_.find('>', pos_);
    if (gt == std::string::npos) fail(line_, "unterminated tag");
    std::string body = text_.substr(pos_ + 1, gt - pos_ - 1);
    advance_to(gt + 1);
    if (!body.empty() && body.back() == '/') {
      tag.self_closing = true;
      body.pop_back();
    }
    size_t i = 0;
    auto space = [&] { while (i < body.size() && std::isspace(static_cast<unsigned char>(body[i]))) ++i; };
    while (i < body.size() && !std::isspace(static_cast<unsigned char>(body[i]))) tag.name += body[i++];
    if (tag.name.empty()) fail(tag.line, "empty tag name");
    while (true) {
      space();
      if (i >= body.size()) break;
      std::string key;
      while (i < body.size() && body[i] != '=' && !std::isspace(static_cast<unsigned char>(body[i]))) key += body[i++];
      space();
      if (i >= body.size() || body[i] != '=') fail(tag.line, "attribute " + key + " of <" + tag.name + "> has no value");
      ++i;
      space();
      if (i >= body.size() || (body[i] != '\'' && body[i] != '"'))
        fail(tag.line, "attribute " + key + " of <" + tag.name + "> is not quoted");
      const char quote = body[i++];
      const size_t close = body.find(quote, i);
      if (close == std::string::npos) fail(tag.line, "attribute " + key + " of <" + tag.name + "> is not closed");
      tag.attributes[key] = decode_entities(body.substr(i, close - i));
      i = close + 1;
    }
  }

  std::string file_, text_;
  size_t pos_ = 0;
  int line_ = 1;
};

double number_attribute(const XmlScanner& xml, const Tag& tag, const char* key) {
  auto it = tag.attributes.find(key);
  if (it == tag.attributes.end()) xml.fail(tag.line, std::string("<box> without attribute ") + key);
  char* end = nullptr;
  const double v = std::strtod(it->second.c_str(), &end);
  if (it->second.empty() || *end != '\0' || !std::isfinite(v))
    xml.fail(tag.line, std::string("<box> attribute ") + key + "='" + it->second + "' is not a finite number");
  return v;
}

}  // namespace

std::vector<ImglabImage> load_imglab_xml(const std::string& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw Error("cannot open " + file);
  std::stringstream buffer;
  buffer << in.rdbuf();
  XmlScanner xml(file, buffer.str());

  std::vector<ImglabImage> images;
  bool in_image = false, in_box = false, in_label = false, saw_dataset = false;
  Tag tag;
  std::string text;
  while (xml.next(tag, text)) {
    if (in_label && !images.empty() && !images.back().boxes.empty()) images.back().boxes.back().label += text;
    if (tag.name == "dataset") saw_dataset = true;
    if (tag.name == "image") {
      if (in_image) xml.fail(tag.line, "<image> inside another <image>");
      auto it = tag.attributes.find("file");
      if (it == tag.attributes.end() || it->second.empty()) xml.fail(tag.line, "<image> without a file attribute");
      images.push_back(ImglabImage{it->second, {}});
      in_image = !tag.self_closing;
      in_box = in_label = false;
    } else if (tag.name == "/image") {
      if (!in_image) xml.fail(tag.line, "</image> without <image>");
      if (in_box) xml.fail(tag.line, "</image> inside an unclosed <box>");
      in_image = in_box = in_label = false;
    } else if (tag.name == "box") {
      if (!in_image) xml.fail(tag.line, "<box> outside an <image>");
      ImglabBox box;
      box.box = Box{number_attribute(xml, tag, "left"), number_attribute(xml, tag, "top"),
                    number_attribute(xml, tag, "width"), number_attribute(xml, tag, "height")};
      if (box.box.w < 0 || box.box.h < 0) xml.fail(tag.line, "<box> with negative width or height");
      auto ignore = tag.attributes.find("ignore");
      box.ignore = ignore != tag.attributes.end() && ignore->second != "0";
      images.back().boxes.push_back(box);
      in_box = !tag.self_closing;
    } else if (tag.name == "/box") {
      if (!in_box) xml.fail(tag.line, "</box> without <box>");
      in_box = false;
    } else if (tag.name == "label") {
      in_label = in_box && !tag.self_closing;
    } else if (tag.name == "/label") {
      in_label = false;
    }
  }
  if (in_image) xml.fail(tag.line, "unterminated <image> at end of file");
  if (!saw_dataset) throw Error(file + ": not an imglab dataset (no <dataset> element)");
  return images;
}

}  // namespace ifq::detect
