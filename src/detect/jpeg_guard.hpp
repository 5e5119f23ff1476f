#pragma once
// A check run on JPEG files before stb sees them (image.cpp).
#include <string>

namespace ifq::detect {

// stb_image (Debian's 2.27 included) builds each JPEG Huffman table into a
// 257-entry array without checking that the table's 16 code counts add up
// to at most 256: a crafted DHT segment writes up to 3,800 bytes past it
// (found by fuzz/image.cpp; regression fuzz/regressions/image-jpeg-huffman-
// overflow). This walks the file's marker segments as stb does (including
// DHT segments between progressive scans) and throws ifq::Error "cannot read
// image PATH: ..." for a table of more than 256 codes, which no valid JPEG
// has. Returns quietly for anything that is not a JPEG, and for structure it
// does not follow (stb then reports it).
void check_jpeg_huffman_tables(const std::string& path);

}  // namespace ifq::detect
