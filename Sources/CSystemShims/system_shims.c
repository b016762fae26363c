#define _GNU_SOURCE
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/socket.h>

#include "system_shims.h"

int imageproc_accept4(int listener, int flags) { return accept4(listener, NULL, NULL, flags); }

void imageproc_set_thread_name(const char *name) { prctl(PR_SET_NAME, (unsigned long)name, 0, 0, 0); }
