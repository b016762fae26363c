#ifndef SYSTEM_SHIMS_H
#define SYSTEM_SHIMS_H
/* Linux interfaces that Swift's Glibc module does not export. Declarations only. */
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#endif
