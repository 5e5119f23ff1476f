# Sanitizer and fuzzing builds (issue 15; scripts/sanitize.sh, scripts/fuzz.sh).
#
# IFQ_SANITIZE: a -fsanitize= list (e.g. "address,undefined") applied to every
#   target of the build. Any error aborts (-fno-sanitize-recover), so a test
#   that trips a check fails instead of printing and passing. LibTorch is not
#   built with sanitizers, so such builds are configured without the trainer.
# IFQ_BUILD_FUZZERS: the libFuzzer harnesses of fuzz/ (clang only). Everything
#   is compiled with libFuzzer's coverage instrumentation (fuzzer-no-link);
#   only the harnesses link libFuzzer's driver, so the same build also runs
#   the test suite under the sanitizers.
set(IFQ_SANITIZE "" CACHE STRING "-fsanitize= list for every target (empty: none)")
option(IFQ_BUILD_FUZZERS "Build the libFuzzer harnesses of fuzz/ (clang)" OFF)

if(IFQ_SANITIZE)
  add_compile_options(-fsanitize=${IFQ_SANITIZE} -fno-sanitize-recover=all -fno-omit-frame-pointer -g)
  add_link_options(-fsanitize=${IFQ_SANITIZE})
endif()
if(IFQ_BUILD_FUZZERS)
  if(NOT CMAKE_CXX_COMPILER_ID MATCHES "Clang")
    message(FATAL_ERROR "IFQ_BUILD_FUZZERS needs clang (libFuzzer); configure with CXX=clang++ CC=clang")
  endif()
  add_compile_options(-fsanitize=fuzzer-no-link)
endif()
