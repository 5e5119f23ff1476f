# Cross toolchain for AArch64 Linux with Debian's g++-aarch64-linux-gnu
# (sysroot /usr/aarch64-linux-gnu). Test programs run under qemu-user:
#   cmake -S . -B build-aarch64 -G Ninja \
#     -DCMAKE_TOOLCHAIN_FILE=cmake/aarch64-linux-gnu.cmake -DIFQ_KERNELS_ONLY=ON
# (scripts/test-aarch64.sh does this, builds and runs the kernel tests).
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)

set(IFQ_CROSS_TRIPLE aarch64-linux-gnu)
set(CMAKE_C_COMPILER ${IFQ_CROSS_TRIPLE}-gcc)
set(CMAKE_CXX_COMPILER ${IFQ_CROSS_TRIPLE}-g++)
set(CMAKE_FIND_ROOT_PATH /usr/${IFQ_CROSS_TRIPLE})

# Programs (python, sh) from the host; libraries and headers from the target
# sysroot. Packages: both, so header-only host packages (nlohmann_json) are
# found; compiled host packages must not be linked (IFQ_KERNELS_ONLY builds
# GoogleTest from source instead of using the host's libgtest).
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE BOTH)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE BOTH)

# try_run, gtest_discover_tests and ctest run target programs through qemu.
find_program(IFQ_QEMU_AARCH64 qemu-aarch64)
if(IFQ_QEMU_AARCH64)
  set(CMAKE_CROSSCOMPILING_EMULATOR ${IFQ_QEMU_AARCH64} -L /usr/${IFQ_CROSS_TRIPLE})
endif()
