/* The stb implementations ifq calls, for machines with the stb headers but
   without Debian's compiled libstb (cmake/ifq_stb.cmake). */
#define STB_IMAGE_IMPLEMENTATION
#include <stb/stb_image.h>
#define STB_IMAGE_WRITE_IMPLEMENTATION
#include <stb/stb_image_write.h>
