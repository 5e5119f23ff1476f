#pragma once
// Whole-file writes that a reader never sees half done, and that never lose
// the previous file: the bytes go to a temporary file in the same folder
// (named by process, thread-safe counter and time, so concurrent writers of
// one path never share it), are flushed to the disk (fsync), and are renamed
// over the path. On any failure the temporary file is removed, the old file
// is untouched and ifq::Error names the path and the cause.
#include <functional>
#include <string>
#include <string_view>

namespace ifq {

void write_file_atomic(const std::string& path, std::string_view bytes);

// The same for writers that need a file name (LibTorch archives): `write`
// fills the temporary file whose path it is given.
void write_file_atomic_with(const std::string& path, const std::function<void(const std::string& temporary)>& write);

}  // namespace ifq
