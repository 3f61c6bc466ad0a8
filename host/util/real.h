/* The floating-point type of the CPU reference. The mdlbench binary uses float (fp32);
 * the gradient tests build the same sources with MDL_REAL_DOUBLE to check them against
 * finite differences in double precision. */
#ifndef MDL_REAL_H
#define MDL_REAL_H

#ifdef MDL_REAL_DOUBLE
typedef double real;
#else
typedef float real;
#endif

#endif
