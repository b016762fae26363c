#ifndef IMAGE_KERNEL_H
#define IMAGE_KERNEL_H
/* Placeholder: the kernel's public API is written in its own change. */
int ik_version(void);
#endif
