#ifndef SYSTEM_SHIMS_H
#define SYSTEM_SHIMS_H
/* Linux interfaces that Swift's Glibc module does not export. */
#include <malloc.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>

/* accept4(2), which glibc declares only under _GNU_SOURCE. */
int imageproc_accept4(int listener, int flags);
#endif
