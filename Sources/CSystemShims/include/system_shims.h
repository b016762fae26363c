#ifndef SYSTEM_SHIMS_H
#define SYSTEM_SHIMS_H
/* Linux interfaces that Swift's Glibc module does not export. */
#include <malloc.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>

/* accept4(2), which glibc declares only under _GNU_SOURCE. */
int imageproc_accept4(int listener, int flags);

/* Names the calling thread for the kernel (top -H, /proc/self/task/N/comm); at most 15 bytes are kept. */
void imageproc_set_thread_name(const char *name);
#endif
