#pragma once
// Writes a whole file through a temporary file in the same folder and a
// rename, so readers never see a half-written file.
#include <string>
#include <string_view>

namespace ifq::detect {

void write_file_atomic(const std::string& path, std::string_view bytes);

}  // namespace ifq::detect
