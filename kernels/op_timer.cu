// MDL_OP_TIMER=1: per-op GPU time from cudaEvent pairs (op_timer.h).
#include "op_timer.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "cuda_common.h"

namespace {

enum { MAX_OPS = 32, POOL = 4096 }; // pending event pairs before a harvest

struct op_stat {
    const char *name;
    long long calls;
    double ms;
};

struct timer_state {
    bool on;
    long long skip, seen;
    op_stat ops[MAX_OPS];
    int n_ops;
    cudaEvent_t start[POOL], stop[POOL];
    int pending_op[POOL];
    int n_pending, n_events;
    // one wrapped table per inner table (the fp32 and the bf16 one may both be in use)
    mdl_ops table[2];
    const mdl_ops *inner[2];
    int n_tables;
};
timer_state T;

int op_index(const char *name) {
    for (int i = 0; i < T.n_ops; i++)
        if (T.ops[i].name == name || strcmp(T.ops[i].name, name) == 0) return i;
    if (T.n_ops == MAX_OPS) return MAX_OPS - 1; // more names than slots: the last one pools them
    T.ops[T.n_ops].name = name;
    return T.n_ops++;
}

// waits for the pending pairs and adds their times (stream order: the last stop suffices)
void harvest() {
    if (!T.n_pending) return;
    CUDA_CHECK(cudaEventSynchronize(T.stop[T.n_pending - 1]));
    for (int i = 0; i < T.n_pending; i++) {
        float ms = 0;
        CUDA_CHECK(cudaEventElapsedTime(&ms, T.start[i], T.stop[i]));
        T.ops[T.pending_op[i]].ms += ms;
    }
    T.n_pending = 0;
}

// the slot of the next pair, or -1 while skipping
int begin(void *ctx, const char *name) {
    if (T.seen++ < T.skip) return -1;
    if (T.n_pending == POOL) harvest();
    int k = T.n_pending;
    if (k == T.n_events) {
        CUDA_CHECK(cudaEventCreate(&T.start[k]));
        CUDA_CHECK(cudaEventCreate(&T.stop[k]));
        T.n_events++;
    }
    int op = op_index(name);
    T.ops[op].calls++;
    T.pending_op[k] = op;
    CUDA_CHECK(cudaEventRecord(T.start[k], cuda_stream(ctx)));
    return k;
}
void end(void *ctx, int k) {
    if (k < 0) return;
    CUDA_CHECK(cudaEventRecord(T.stop[k], cuda_stream(ctx)));
    T.n_pending = k + 1;
}

// One wrapper per compute op: the same arguments, passed through.
// S: which inner table.
#define TIMED(FIELD, PARAMS, ARGS)                                                                 \
    template <int S> void timed_##FIELD PARAMS {                                                   \
        int k = begin(ctx, #FIELD);                                                                \
        T.inner[S]->FIELD ARGS;                                                                    \
        end(ctx, k);                                                                               \
    }

TIMED(embedding_forward,
      (void *ctx, real *out, const int *tokens, const real *wte, const real *wpe, int B, int Tn,
       int C),
      (ctx, out, tokens, wte, wpe, B, Tn, C))
TIMED(embedding_backward,
      (void *ctx, real *dwte, real *dwpe, const real *dout, const int *tokens, int B, int Tn,
       int C),
      (ctx, dwte, dwpe, dout, tokens, B, Tn, C))
TIMED(layernorm_forward,
      (void *ctx, real *out, real *mean, real *rstd, const real *inp, const real *w, const real *b,
       int N, int C),
      (ctx, out, mean, rstd, inp, w, b, N, C))
TIMED(layernorm_backward,
      (void *ctx, real *dinp, real *dw, real *db, const real *dout, const real *inp, const real *w,
       const real *mean, const real *rstd, int N, int C),
      (ctx, dinp, dw, db, dout, inp, w, mean, rstd, N, C))
TIMED(matmul_forward,
      (void *ctx, real *out, const real *inp, const real *w, const real *b, int N, int C, int OC),
      (ctx, out, inp, w, b, N, C, OC))
TIMED(matmul_backward,
      (void *ctx, real *dinp, real *dw, real *db, const real *dout, const real *inp, const real *w,
       int N, int C, int OC),
      (ctx, dinp, dw, db, dout, inp, w, N, C, OC))
TIMED(attention_forward,
      (void *ctx, real *out, real *att, const real *qkv, int B, int Tn, int C, int NH),
      (ctx, out, att, qkv, B, Tn, C, NH))
TIMED(attention_backward,
      (void *ctx, real *dqkv, real *datt, const real *dout, const real *qkv, const real *att, int B,
       int Tn, int C, int NH),
      (ctx, dqkv, datt, dout, qkv, att, B, Tn, C, NH))
TIMED(rows_gather_add, (void *ctx, real *out, const real *tab, const int *idx, int N, int K, int C),
      (ctx, out, tab, idx, N, K, C))
TIMED(rows_scatter_add,
      (void *ctx, real *dtab, const real *dout, const int *idx, int N, int K, int C),
      (ctx, dtab, dout, idx, N, K, C))
TIMED(rope_forward, (void *ctx, real *qkv, int B, int Tn, int C, int NH, int64_t p0),
      (ctx, qkv, B, Tn, C, NH, p0))
TIMED(rope_backward, (void *ctx, real *dqkv, int B, int Tn, int C, int NH, int64_t p0),
      (ctx, dqkv, B, Tn, C, NH, p0))
TIMED(copy_blocks, (void *ctx, real *dst, size_t ds, const real *src, size_t ss, int B, size_t n),
      (ctx, dst, ds, src, ss, B, n))
TIMED(gelu_forward, (void *ctx, real *out, const real *inp, size_t n), (ctx, out, inp, n))
TIMED(gelu_backward, (void *ctx, real *dinp, const real *inp, const real *dout, size_t n),
      (ctx, dinp, inp, dout, n))
TIMED(residual_forward, (void *ctx, real *out, const real *a, const real *b, size_t n),
      (ctx, out, a, b, n))
TIMED(residual_backward, (void *ctx, real *da, real *db, const real *dout, size_t n),
      (ctx, da, db, dout, n))
TIMED(crossentropy_forward,
      (void *ctx, real *bits, const real *logits, const int *targets, int N, int V),
      (ctx, bits, logits, targets, N, V))
TIMED(crossentropy_backward,
      (void *ctx, real *dlogits, const real *logits, const int *targets, const real *weights, int N,
       int V),
      (ctx, dlogits, logits, targets, weights, N, V))
TIMED(adamw_update,
      (void *ctx, real *p, const real *g, real *m, real *v, size_t n, float lr, float b1, float b2,
       float eps, float wd, float gs, int t),
      (ctx, p, g, m, v, n, lr, b1, b2, eps, wd, gs, t))
TIMED(adamw_update_rows,
      (void *ctx, real *p, real *g, real *m, real *v, const int *rows, int nr, int C, float lr,
       float b1, float b2, float eps, float wd, float gs, int t),
      (ctx, p, g, m, v, rows, nr, C, lr, b1, b2, eps, wd, gs, t))

// sum_of_squares returns a value (and synchronises): timed the same way
template <int S> double timed_sum_of_squares(void *ctx, const real *x, size_t n) {
    int k = begin(ctx, "sum_of_squares");
    double r = T.inner[S]->sum_of_squares(ctx, x, n);
    end(ctx, k);
    return r;
}

template <int S>
double timed_sum_of_squares_rows(void *ctx, const real *x, const int *rows, int nr, int C) {
    int k = begin(ctx, "sum_of_squares_rows");
    double r = T.inner[S]->sum_of_squares_rows(ctx, x, rows, nr, C);
    end(ctx, k);
    return r;
}

template <int S> void fill(mdl_ops *t) {
    t->embedding_forward = timed_embedding_forward<S>;
    t->embedding_backward = timed_embedding_backward<S>;
    t->layernorm_forward = timed_layernorm_forward<S>;
    t->layernorm_backward = timed_layernorm_backward<S>;
    t->matmul_forward = timed_matmul_forward<S>;
    t->matmul_backward = timed_matmul_backward<S>;
    t->attention_forward = timed_attention_forward<S>;
    t->attention_backward = timed_attention_backward<S>;
    t->rows_gather_add = timed_rows_gather_add<S>;
    t->rows_scatter_add = timed_rows_scatter_add<S>;
    t->rope_forward = timed_rope_forward<S>;
    t->rope_backward = timed_rope_backward<S>;
    t->copy_blocks = timed_copy_blocks<S>;
    t->gelu_forward = timed_gelu_forward<S>;
    t->gelu_backward = timed_gelu_backward<S>;
    t->residual_forward = timed_residual_forward<S>;
    t->residual_backward = timed_residual_backward<S>;
    t->crossentropy_forward = timed_crossentropy_forward<S>;
    t->crossentropy_backward = timed_crossentropy_backward<S>;
    t->adamw_update = timed_adamw_update<S>;
    t->adamw_update_rows = timed_adamw_update_rows<S>;
    t->sum_of_squares = timed_sum_of_squares<S>;
    t->sum_of_squares_rows = timed_sum_of_squares_rows<S>;
}

} // namespace

extern "C" const mdl_ops *op_timer_wrap(const mdl_ops *inner) {
    const char *env = getenv("MDL_OP_TIMER");
    if (!env || !*env || strcmp(env, "0") == 0) return inner;
    for (int i = 0; i < T.n_tables; i++)
        if (T.inner[i] == inner) return &T.table[i];
    if (T.n_tables == 2) return inner; // a third table: untimed
    const char *skip = getenv("MDL_OP_TIMER_SKIP");
    T.on = true;
    T.skip = skip && *skip ? atoll(skip) : 2000;
    int i = T.n_tables++;
    T.inner[i] = inner;
    T.table[i] = *inner; // fields not wrapped (memory, later additions) pass straight on
    if (i == 0)
        fill<0>(&T.table[0]);
    else
        fill<1>(&T.table[1]);
    return &T.table[i];
}

extern "C" void op_timer_report(void) {
    if (!T.on) return;
    harvest();
    double total = 0;
    for (int i = 0; i < T.n_ops; i++) total += T.ops[i].ms;
    if (total > 0) {
        fprintf(stderr, "op_timer: %lld calls counted after %lld skipped, %.3f ms of GPU time\n",
                T.seen > T.skip ? T.seen - T.skip : 0, T.skip, total);
        for (int i = 0; i < T.n_ops; i++)
            fprintf(stderr, "op_timer: %-22s %8lld calls %10.3f ms %5.1f%%\n", T.ops[i].name,
                    T.ops[i].calls, T.ops[i].ms, 100.0 * T.ops[i].ms / total);
    }
    for (int i = 0; i < T.n_events; i++) {
        cudaEventDestroy(T.start[i]);
        cudaEventDestroy(T.stop[i]);
    }
    T = timer_state{};
}
