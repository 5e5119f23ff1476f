# stb (image load/write): Debian's libstb-dev (headers + compiled library),
# or only the headers, e.g. copied next to the sources on a machine without
# the package (scripts/device-train-real-face-detectors.sh): then the
# implementations are compiled here from those headers (target ifq_stb).
# Sanitizer and fuzzing builds (cmake/ifq_sanitize.cmake) also compile them
# here, so the decoders that read users' images are instrumented too.
# Sets IFQ_STB_INCLUDE and IFQ_STB_LIBRARY for the including directory.
if(TARGET ifq_stb)
  set(IFQ_STB_LIBRARY ifq_stb)
  return()
endif()
find_path(IFQ_STB_INCLUDE stb/stb_image.h)
find_library(IFQ_STB_COMPILED_LIBRARY stb)
if(IFQ_STB_COMPILED_LIBRARY AND IFQ_STB_INCLUDE AND NOT IFQ_SANITIZE AND NOT IFQ_BUILD_FUZZERS)
  set(IFQ_STB_LIBRARY ${IFQ_STB_COMPILED_LIBRARY})
elseif(IFQ_STB_INCLUDE)
  message(STATUS "stb: building the implementations from ${IFQ_STB_INCLUDE}/stb")
  add_library(ifq_stb STATIC ${CMAKE_CURRENT_LIST_DIR}/stb_implementation.c)
  target_include_directories(ifq_stb PRIVATE ${IFQ_STB_INCLUDE})
  set_target_properties(ifq_stb PROPERTIES POSITION_INDEPENDENT_CODE ON)
  target_compile_options(ifq_stb PRIVATE -w)  # third-party code
  # Two harmless patterns in stb that are not ours to change, so their
  # checks are off for stb alone: the JPEG writer shifts bits into an int's
  # sign bit (stb_image_write.h:1263, `bitBuf << 8`), and the PNG reader
  # adds 0 to a null pointer and copies 0 bytes to it for an empty first IDAT chunk
  # (stb_image.h:5130 and 1663; found by fuzz/image.cpp). ASan
  # still checks every memory access stb makes.
  if(IFQ_SANITIZE MATCHES "undefined")
    target_compile_options(ifq_stb PRIVATE -fno-sanitize=shift-base,pointer-overflow,nonnull-attribute)
  endif()
  set(IFQ_STB_LIBRARY ifq_stb)
else()
  message(FATAL_ERROR "stb not found: install libstb-dev, or pass -DIFQ_STB_INCLUDE=DIR with DIR/stb/stb_image.h")
endif()
