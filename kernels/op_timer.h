// Per-op GPU time, gated by the environment: with MDL_OP_TIMER=1 every op of the CUDA
// table is bracketed by two cudaEvents on the backend's stream, and at shutdown a table
// of GPU milliseconds per op goes to stderr ("op_timer: NAME CALLS calls MS ms PCT%").
// The first MDL_OP_TIMER_SKIP calls (default 2000: start-up and the first, shorter
// steps) are not counted. Off (the default) it costs one branch per op and changes
// nothing. The events serialise nothing but add a little launch overhead per op, so the
// split is what to read, not the absolute time.
#ifndef MDL_OP_TIMER_H
#define MDL_OP_TIMER_H

#include "ops.h"

#ifdef __cplusplus
extern "C" {
#endif

// The table to use: `inner` itself when MDL_OP_TIMER is unset or 0, else a copy whose
// compute ops time themselves around the calls to `inner` (memory ops are not wrapped).
const mdl_ops *op_timer_wrap(const mdl_ops *inner);
// Prints the table (when the timer is on and counted anything) and frees the events.
void op_timer_report(void);

#ifdef __cplusplus
}
#endif

#endif
