#include "image_kernel.h"
int ik_version(void) { return 1; }
