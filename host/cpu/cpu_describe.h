/* The CPU this process runs on, for the results file and reports. */
#ifndef MDL_CPU_DESCRIBE_H
#define MDL_CPU_DESCRIBE_H

#include <stddef.h>

/* "cpu: <model name> (<threads> threads)" */
void cpu_describe(char *buf, size_t n, int threads);

#endif
