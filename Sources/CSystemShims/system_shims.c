/* SwiftPM needs one source file per C target; the shims are header-only. */
#include "system_shims.h"
