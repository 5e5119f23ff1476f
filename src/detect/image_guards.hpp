#pragma once
// Checks run on image files before stb decodes them (image.cpp), for
// hostile files stb would mishandle.
#include <cstdint>
#include <string>

namespace ifq::detect {

// The formats ifq decodes, told by their first bytes. stb also decodes TGA,
// PSD, HDR, PIC and GIF; nobody feeds those to a face detector, and they
// are attack surface (a 190-byte TGA claimed 8224 x 8224 pixels and decoded
// for 13 s under the fuzzer; TGA has no signature, so stb guesses it).
enum class ImageFormat { Jpeg, Png, Bmp, Pnm };

// The file's format; throws ifq::Error "cannot read image PATH: ..." naming
// the supported formats when it is none of them.
ImageFormat supported_image_format(const std::string& path);

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

// stb's PNG reader grows its buffer to a chunk's declared length before
// reading it: a 167-byte PNG whose IDAT claims about 1 GB made it allocate
// 2 GiB (found by fuzz/image.cpp; regression fuzz/regressions/image-png-
// chunk-length). Throws ifq::Error for a PNG chunk that claims more bytes
// than the file has left; returns quietly for anything that is not a PNG.
void check_png_chunk_lengths(const std::string& path);

// An image file cannot hold more pixels than its coding allows per byte: a
// JPEG at most 256 (a grey 8x8 block needs at least 2 bits), a PNG at most
// 8,256 (deflate expands at most 1,032:1; a 1-bit pixel is 1/8 byte), a BMP
// (stb reads no RLE) at most 8. stb fills what a file lacks with zeros, so a
// 730-byte JPEG claiming 2567 x 48133 pixels decoded 370 MB for 31 s (found
// by fuzz/image.cpp; regression fuzz/regressions/image-jpeg-decompression-
// bomb). Throws ifq::Error past 1,024 (JPEG), 16,384 (PNG) or 16 (BMP)
// pixels per file byte, twice to four times the bound: a truncated or
// crafted file. PNM is checked exactly elsewhere (image.cpp).
void check_pixels_per_byte(const std::string& path, ImageFormat format, int width, int height);

}  // namespace ifq::detect
