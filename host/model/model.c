/* The byte-level GPT: parameter layout, initialisation and the forward/backward walk,
 * written once against the mdl_ops table (llm.c's train_gpt2.c structure, minus its
 * globals). */
#include "model.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "rng.h"

struct model {
    model_config cfg;
    const mdl_ops *ops; /* the backend: its table and the context each call takes */
    void *ctx;
    int max_B;
    size_t tensor_size[MDL_NUM_PARAM_TENSORS];
    size_t n_params;
    real *params, *grads, *adam_m, *adam_v;
    real *p[MDL_NUM_PARAM_TENSORS]; /* views into params */
    real *g[MDL_NUM_PARAM_TENSORS]; /* views into grads */
    int adam_t;
    /* activations of the last forward pass, sized for max_B x context */
    int B, T;
    int *tokens, *targets;
    real *weights;
    real *encoded;                   /* [N,C] */
    real *ln1, *ln1_mean, *ln1_rstd; /* [L,N,C], [L,N], [L,N] */
    real *qkv, *atty, *att;          /* [L,N,3C], [L,N,C], [L,B,NH,T,T] */
    real *attproj, *residual2;       /* [L,N,C] */
    real *ln2, *ln2_mean, *ln2_rstd; /* [L,N,C], [L,N], [L,N] */
    real *fch, *fch_gelu;            /* [L,N,F] */
    real *fcproj, *residual3;        /* [L,N,C] */
    real *lnf, *lnf_mean, *lnf_rstd; /* [N,C], [N], [N] */
    real *logits, *bits;             /* [N,V], [N] */
    /* backward scratch, reused layer after layer */
    real *dresidual, *dln, *dqkv, *datty, *datt, *dfch, *dfch_gelu, *dlogits;
    /* segment memory (model.memory = M > 0; model.h): per layer and stream the q, k, v rows
     * of the last M positions, the valid ones last; mem_next is staged by a push */
    real *mem, *mem_next;  /* [L, max_B, M, 3C] */
    real *win;             /* [L, max_B, M + context, 3C]: each layer's attention window */
    real *win_out;         /* [max_B, M + context, C]: attention output over the window */
    real *dwin, *dwin_out; /* [max_B, M + context, 3C], [max_B, M + context, C] */
    int mem_valid, win_m;  /* memory rows in use; those in the last forward's window */
    int staged_valid;      /* rows push staged (-1: nothing staged) */
    int64_t mem_pos;       /* stream position of the next forward's first row */
    /* hashed n-gram table (model.ngram_order >= 2): the rows of wte after the byte rows */
    int ng_K;          /* lookups per position: orders 2..ngram_order */
    size_t ng_R;       /* table rows */
    int *ng_idx;       /* [N, K] table row of each position's k-gram (-1: none); backend */
    int *ng_idx_host;  /* the same on the host, of the last forward */
    int *ng_touched;   /* [R] host: 1 for the rows some backward wrote since the last update */
    int *ng_rows;      /* the touched rows in ascending order, backend ... */
    int *ng_rows_host; /* ... and host */
    int ng_nrows;      /* rows listed in ng_rows (-1: not listed since the last backward) */
    int ng_pending;    /* a backward ran since the last update (its table rows are dirty) */
};

static int ngram_lookups(const model_config *c) {
    return c->ngram_order >= 2 ? (int)c->ngram_order - 1 : 0;
}

size_t model_ngram_rows(const model_config *c) {
    return (size_t)ngram_lookups(c) * c->ngram_buckets;
}

static void compute_tensor_sizes(const model_config *c, size_t *sz) {
    size_t L = c->n_layer, C = c->d_model, F = c->d_ff;
    sz[P_WTE] = (model_ngram_rows(c) + MDL_VOCAB_IN) * C;
    sz[P_WPE] = c->position == POSITION_LEARNED ? (size_t)c->context * C : 0;
    sz[P_LN1W] = sz[P_LN1B] = L * C;
    sz[P_QKVW] = L * 3 * C * C;
    sz[P_QKVB] = L * 3 * C;
    sz[P_ATTPROJW] = L * C * C;
    sz[P_ATTPROJB] = L * C;
    sz[P_LN2W] = sz[P_LN2B] = L * C;
    sz[P_FCW] = L * F * C;
    sz[P_FCB] = L * F;
    sz[P_FCPROJW] = L * C * F;
    sz[P_FCPROJB] = L * C;
    sz[P_LNFW] = sz[P_LNFB] = C;
    sz[P_HEADW] = (size_t)MDL_VOCAB_OUT * C;
    sz[P_HEADB] = MDL_VOCAB_OUT;
}

/* Every backend buffer of the model with its element count, so that allocation and
 * release are one loop each. */
typedef struct buffer_spec {
    void **ptr;
    size_t count;
    size_t elem;
} buffer_spec;

static size_t list_buffers(model *m, buffer_spec *b) {
    const model_config *c = &m->cfg;
    size_t L = c->n_layer, C = c->d_model, F = c->d_ff, NH = c->n_head;
    /* A forward covers at most memory + context positions per stream: context rows after
     * the memory's, or (extraction) up to memory + context rows with an empty memory. The
     * activations and the attention window are sized for that. */
    size_t T = c->context + c->memory, N = (size_t)m->max_B * T, V = MDL_VOCAB_OUT;
    size_t M = c->memory, MEM = L * m->max_B * M * 3 * C;
    size_t ATT = (size_t)m->max_B * NH * T * T, n = 0;
#define BUF(field, cnt) b[n++] = (buffer_spec){(void **)&m->field, (cnt), sizeof(*m->field)}
    BUF(params, m->n_params);
    BUF(grads, m->n_params);
    BUF(adam_m, m->n_params);
    BUF(adam_v, m->n_params);
    BUF(tokens, N);
    BUF(targets, N);
    BUF(weights, N);
    BUF(encoded, N * C);
    BUF(ln1, L * N * C);
    BUF(ln1_mean, L * N);
    BUF(ln1_rstd, L * N);
    BUF(qkv, L * N * 3 * C);
    BUF(atty, L * N * C);
    BUF(att, L * ATT);
    BUF(attproj, L * N * C);
    BUF(residual2, L * N * C);
    BUF(ln2, L * N * C);
    BUF(ln2_mean, L * N);
    BUF(ln2_rstd, L * N);
    BUF(fch, L * N * F);
    BUF(fch_gelu, L * N * F);
    BUF(fcproj, L * N * C);
    BUF(residual3, L * N * C);
    BUF(lnf, N * C);
    BUF(lnf_mean, N);
    BUF(lnf_rstd, N);
    BUF(logits, N * V);
    BUF(bits, N);
    BUF(dresidual, N * C);
    BUF(dln, N * C);
    BUF(dqkv, N * 3 * C);
    BUF(datty, N * C);
    BUF(datt, ATT);
    BUF(dfch, N * F);
    BUF(dfch_gelu, N * F);
    BUF(dlogits, N * V);
    BUF(mem, MEM);
    BUF(mem_next, MEM);
    BUF(win, M ? L * N * 3 * C : 0);
    BUF(win_out, M ? N * C : 0);
    BUF(dwin, M ? N * 3 * C : 0);
    BUF(dwin_out, M ? N * C : 0);
    BUF(ng_idx, N * ngram_lookups(c));
    BUF(ng_rows, model_ngram_rows(c));
#undef BUF
    return n;
}

#define MAX_BUFFERS 64

int model_create(model **out, const model_config *mc, int max_B, const mdl_backend *be,
                 mdl_err *err) {
    model *m = calloc(1, sizeof *m);
    if (!m) return mdl_fail(err, "out of memory allocating the model");
    const mdl_ops *ops = be->ops;
    void *ctx = be->ctx;
    m->cfg = *mc;
    m->ops = ops;
    m->ctx = ctx;
    m->max_B = max_B;
    compute_tensor_sizes(mc, m->tensor_size);
    for (int i = 0; i < MDL_NUM_PARAM_TENSORS; i++) m->n_params += m->tensor_size[i];

    buffer_spec bufs[MAX_BUFFERS];
    size_t nb = list_buffers(m, bufs);
    size_t total = 0;
    for (size_t i = 0; i < nb; i++) {
        total += bufs[i].count * bufs[i].elem;
        *bufs[i].ptr = ops->alloc(ctx, bufs[i].count * bufs[i].elem);
        if (!*bufs[i].ptr) {
            size_t n_params = m->n_params;
            model_destroy(m);
            return mdl_fail(err,
                            "out of %s memory: the model needs more than %.1f MiB (%zu "
                            "parameters, %d streams x %u positions)",
                            ops->name, (double)total / (1 << 20), n_params, max_B, mc->context);
        }
    }
    m->ng_K = ngram_lookups(mc);
    m->ng_R = model_ngram_rows(mc);
    if (m->ng_K) {
        size_t N = (size_t)max_B * (mc->context + mc->memory);
        m->ng_idx_host = malloc(N * m->ng_K * sizeof(int));
        m->ng_touched = calloc(m->ng_R, sizeof(int));
        m->ng_rows_host = malloc(m->ng_R * sizeof(int));
        if (!m->ng_idx_host || !m->ng_touched || !m->ng_rows_host) {
            model_destroy(m);
            return mdl_fail(err, "out of memory for the n-gram table's row lists");
        }
    }
    m->ng_nrows = -1;
    model_segment_memory_reset(m);
    size_t off = 0;
    for (int i = 0; i < MDL_NUM_PARAM_TENSORS; i++) {
        m->p[i] = m->params + off;
        m->g[i] = m->grads + off;
        off += m->tensor_size[i];
    }
    *out = m;
    return 0;
}

size_t model_memory_bytes(const model_config *mc, int max_B) {
    model m = {0};
    m.cfg = *mc;
    m.max_B = max_B;
    compute_tensor_sizes(mc, m.tensor_size);
    for (int i = 0; i < MDL_NUM_PARAM_TENSORS; i++) m.n_params += m.tensor_size[i];
    buffer_spec bufs[MAX_BUFFERS];
    size_t nb = list_buffers(&m, bufs), total = 0;
    for (size_t i = 0; i < nb; i++) total += bufs[i].count * bufs[i].elem;
    return total;
}

void model_destroy(model *m) {
    if (!m) return;
    buffer_spec bufs[MAX_BUFFERS];
    size_t nb = list_buffers(m, bufs);
    for (size_t i = 0; i < nb; i++)
        if (*bufs[i].ptr) m->ops->release(m->ctx, *bufs[i].ptr);
    free(m->ng_idx_host);
    free(m->ng_touched);
    free(m->ng_rows_host);
    free(m);
}

size_t model_num_params(const model *m) {
    return m->n_params;
}

size_t model_num_params_nonembedding(const model *m) {
    return m->n_params - m->tensor_size[P_WTE] - m->tensor_size[P_WPE];
}

size_t model_tensor_size(const model *m, int tensor) {
    return m->tensor_size[tensor];
}

void model_tensor_shape(const model *m, int tensor, size_t *rows, size_t *cols) {
    size_t C = m->cfg.d_model, F = m->cfg.d_ff;
    switch (tensor) {
    case P_WTE:
    case P_WPE:
    case P_QKVW:
    case P_ATTPROJW:
    case P_FCW:
    case P_HEADW:
        *cols = C;
        break;
    case P_FCPROJW:
        *cols = F;
        break;
    default:
        *cols = 1;
        break;
    }
    *rows = m->tensor_size[tensor] / *cols;
}

void model_get_params(const model *m, real *host) {
    m->ops->download(m->ctx, host, m->params, m->n_params * sizeof(real));
}

void model_set_params(model *m, const real *host) {
    m->ops->upload(m->ctx, m->params, host, m->n_params * sizeof(real));
}

real *model_params(model *m) {
    return m->params;
}
real *model_grads(model *m) {
    return m->grads;
}
const real *model_logits(const model *m) {
    return m->logits;
}

void model_get_optimizer(const model *m, real *adam_m, real *adam_v, uint64_t *t) {
    m->ops->download(m->ctx, adam_m, m->adam_m, m->n_params * sizeof(real));
    m->ops->download(m->ctx, adam_v, m->adam_v, m->n_params * sizeof(real));
    *t = (uint64_t)m->adam_t;
}

void model_set_optimizer(model *m, const real *adam_m, const real *adam_v, uint64_t t) {
    m->ops->upload(m->ctx, m->adam_m, adam_m, m->n_params * sizeof(real));
    m->ops->upload(m->ctx, m->adam_v, adam_v, m->n_params * sizeof(real));
    m->adam_t = (int)t;
}

const char *model_tensor_name(int tensor) {
    static const char *const names[MDL_NUM_PARAM_TENSORS] = {
        "wte",  "wpe", "ln1w", "ln1b",    "qkvw",    "qkvb", "attprojw", "attprojb", "ln2w",
        "ln2b", "fcw", "fcb",  "fcprojw", "fcprojb", "lnfw", "lnfb",     "headw",    "headb"};
    return tensor >= 0 && tensor < MDL_NUM_PARAM_TENSORS ? names[tensor] : "?";
}

int model_init_weights(model *m, uint64_t seed, mdl_err *err) {
    const model_config *c = &m->cfg;
    real *host = malloc(m->n_params * sizeof(real));
    if (!host) return mdl_fail(err, "out of memory for the initial weights");
    const double std = 0.02;
    /* GPT-2: residual projections shrink with depth so the residual stream stays O(1) */
    const double proj_std = std / sqrt(2.0 * c->n_layer);
    real *dst = host;
    for (int t = 0; t < MDL_NUM_PARAM_TENSORS; t++) {
        size_t n = m->tensor_size[t];
        double s = 0.0;
        switch (t) {
        case P_WTE:
        case P_WPE:
        case P_QKVW:
        case P_FCW:
            s = std;
            break;
        case P_ATTPROJW:
        case P_FCPROJW:
            s = proj_std;
            break;
        case P_HEADW:
            s = c->zero_init_head ? 0.0 : std;
            break;
        default:
            s = 0.0;
            break; /* biases and LayerNorm shifts */
        }
        /* the hashed n-gram rows start at zero: a bucket adds nothing until trained */
        if (t == P_WTE) n = (size_t)MDL_VOCAB_IN * c->d_model;
        for (size_t i = 0; i < n; i++) dst[i] = (real)(s * rng_normal(seed, (uint64_t)t, i));
        if (t == P_WTE) memset(dst + n, 0, (m->tensor_size[t] - n) * sizeof(real));
        if (t == P_LN1W || t == P_LN2W || t == P_LNFW)
            for (size_t i = 0; i < n; i++) dst[i] = 1;
        dst += m->tensor_size[t];
    }
    m->ops->upload(m->ctx, m->params, host, m->n_params * sizeof(real));
    m->ops->zero(m->ctx, m->adam_m, m->n_params * sizeof(real));
    m->ops->zero(m->ctx, m->adam_v, m->n_params * sizeof(real));
    m->adam_t = 0;
    free(host);
    return 0;
}

/* Per-layer slices of the stacked activation buffers for the current B x T. */
typedef struct layer_acts {
    real *ln1, *ln1_mean, *ln1_rstd, *qkv, *atty, *att, *attproj, *residual2;
    real *ln2, *ln2_mean, *ln2_rstd, *fch, *fch_gelu, *fcproj, *residual3;
} layer_acts;

static layer_acts layer_slice(model *m, int l) {
    size_t C = m->cfg.d_model, F = m->cfg.d_ff, NH = m->cfg.n_head, W = (size_t)m->win_m + m->T;
    size_t N = (size_t)m->B * m->T, ATT = (size_t)m->B * NH * W * W;
    layer_acts a = {
        .ln1 = m->ln1 + l * N * C,
        .ln1_mean = m->ln1_mean + l * N,
        .ln1_rstd = m->ln1_rstd + l * N,
        .qkv = m->qkv + l * N * 3 * C,
        .atty = m->atty + l * N * C,
        .att = m->att + l * ATT,
        .attproj = m->attproj + l * N * C,
        .residual2 = m->residual2 + l * N * C,
        .ln2 = m->ln2 + l * N * C,
        .ln2_mean = m->ln2_mean + l * N,
        .ln2_rstd = m->ln2_rstd + l * N,
        .fch = m->fch + l * N * F,
        .fch_gelu = m->fch_gelu + l * N * F,
        .fcproj = m->fcproj + l * N * C,
        .residual3 = m->residual3 + l * N * C,
    };
    return a;
}

/* Per-layer slices of a stacked parameter (or gradient) tensor. */
static real *layer_tensor(real *const *t, const model *m, int tensor, int l) {
    return t[tensor] + (size_t)l * (m->tensor_size[tensor] / m->cfg.n_layer);
}

/* One layer's parameters, or their gradients: views into the stacked tensors. */
typedef struct layer_params {
    real *ln1w, *ln1b, *qkvw, *qkvb, *attprojw, *attprojb;
    real *ln2w, *ln2b, *fcw, *fcb, *fcprojw, *fcprojb;
} layer_params;

static layer_params layer_params_of(real *const *t, const model *m, int l) {
    layer_params p = {
        .ln1w = layer_tensor(t, m, P_LN1W, l),
        .ln1b = layer_tensor(t, m, P_LN1B, l),
        .qkvw = layer_tensor(t, m, P_QKVW, l),
        .qkvb = layer_tensor(t, m, P_QKVB, l),
        .attprojw = layer_tensor(t, m, P_ATTPROJW, l),
        .attprojb = layer_tensor(t, m, P_ATTPROJB, l),
        .ln2w = layer_tensor(t, m, P_LN2W, l),
        .ln2b = layer_tensor(t, m, P_LN2B, l),
        .fcw = layer_tensor(t, m, P_FCW, l),
        .fcb = layer_tensor(t, m, P_FCB, l),
        .fcprojw = layer_tensor(t, m, P_FCPROJW, l),
        .fcprojb = layer_tensor(t, m, P_FCPROJB, l),
    };
    return p;
}

/* ---- segment memory ---------------------------------------------------------------
 * Per layer, the forward's attention runs over a window of W = win_m + T rows per stream:
 * the win_m valid memory rows (q, k, v of earlier positions, computed by earlier forwards,
 * so they carry no gradient), then the T current rows. Queries of the memory rows are
 * computed too and discarded (their output rows are dropped and get zero gradient). */

static size_t window_rows(const model *m) {
    return (size_t)m->max_B * (m->cfg.memory + m->cfg.context);
}

static real *layer_window(model *m, int l) {
    return m->win + (size_t)l * window_rows(m) * 3 * m->cfg.d_model;
}

static real *layer_memory(real *mem, const model *m, int l) {
    return mem + (size_t)l * m->max_B * m->cfg.memory * 3 * m->cfg.d_model;
}

/* The window [B, W, 3C] of layer l from the memory and the current qkv [B, T, 3C]. */
static void window_build(model *m, int l, const real *qkv) {
    size_t C3 = 3 * (size_t)m->cfg.d_model, M = m->cfg.memory, mv = (size_t)m->win_m;
    size_t W = mv + (size_t)m->T;
    real *win = layer_window(m, l);
    m->ops->copy_blocks(m->ctx, win, W * C3, layer_memory(m->mem, m, l) + (M - mv) * C3, M * C3,
                        m->B, mv * C3);
    m->ops->copy_blocks(m->ctx, win + mv * C3, W * C3, qkv, (size_t)m->T * C3, m->B,
                        (size_t)m->T * C3);
}

/* Causal attention of layer l: over the window with memory, else over the T rows. */
static void attention_layer_forward(model *m, int l, layer_acts *a) {
    const mdl_ops *o = m->ops;
    int B = m->B, T = m->T, C = (int)m->cfg.d_model, NH = (int)m->cfg.n_head;
    if (m->cfg.memory == 0) {
        o->attention_forward(m->ctx, a->atty, a->att, a->qkv, B, T, C, NH);
        return;
    }
    size_t mv = (size_t)m->win_m, W = mv + (size_t)T;
    window_build(m, l, a->qkv);
    o->attention_forward(m->ctx, m->win_out, a->att, layer_window(m, l), B, (int)W, C, NH);
    o->copy_blocks(m->ctx, a->atty, (size_t)T * C, m->win_out + mv * C, W * C, B, (size_t)T * C);
}

/* d(loss)/d(qkv) of layer l's current rows into m->dqkv (overwritten) from m->datty. */
static void attention_layer_backward(model *m, int l, const layer_acts *a) {
    const mdl_ops *o = m->ops;
    int B = m->B, T = m->T, C = (int)m->cfg.d_model, NH = (int)m->cfg.n_head;
    size_t NC = (size_t)B * T * C;
    if (m->cfg.memory == 0) {
        o->zero(m->ctx, m->dqkv, 3 * NC * sizeof(real));
        o->attention_backward(m->ctx, m->dqkv, m->datt, m->datty, a->qkv, a->att, B, T, C, NH);
        return;
    }
    size_t mv = (size_t)m->win_m, W = mv + (size_t)T, C3 = 3 * (size_t)C;
    o->zero(m->ctx, m->dwin_out, (size_t)B * W * C * sizeof(real));
    o->copy_blocks(m->ctx, m->dwin_out + mv * C, W * C, m->datty, (size_t)T * C, B, (size_t)T * C);
    o->zero(m->ctx, m->dwin, (size_t)B * W * C3 * sizeof(real));
    o->attention_backward(m->ctx, m->dwin, m->datt, m->dwin_out, layer_window(m, l), a->att, B,
                          (int)W, C, NH);
    o->copy_blocks(m->ctx, m->dqkv, (size_t)T * C3, m->dwin + mv * C3, W * C3, B, (size_t)T * C3);
}

/* Rotary positions of the current rows: stream positions with memory (the memory's keys
 * were rotated at theirs), window positions without. */
static int64_t rope_origin(const model *m) {
    return m->cfg.memory ? m->mem_pos : 0;
}

void model_segment_memory_reset(model *m) {
    m->mem_valid = 0;
    m->staged_valid = -1;
    m->mem_pos = 0;
}

void model_segment_memory_push(model *m) {
    if (m->cfg.memory == 0) return;
    size_t C3 = 3 * (size_t)m->cfg.d_model, M = m->cfg.memory, W = (size_t)m->win_m + m->T;
    size_t nv = W < M ? W : M;
    for (int l = 0; l < (int)m->cfg.n_layer; l++)
        m->ops->copy_blocks(m->ctx, layer_memory(m->mem_next, m, l) + (M - nv) * C3, M * C3,
                            layer_window(m, l) + (W - nv) * C3, W * C3, m->B, nv * C3);
    m->staged_valid = (int)nv;
}

void model_segment_memory_commit(model *m) {
    if (m->cfg.memory == 0 || m->staged_valid < 0) return;
    real *t = m->mem;
    m->mem = m->mem_next;
    m->mem_next = t;
    m->mem_valid = m->staged_valid;
    m->mem_pos += m->T;
    m->staged_valid = -1;
}

size_t model_segment_memory_count(const model *m) {
    return (size_t)m->cfg.n_layer * m->max_B * m->cfg.memory * 3 * m->cfg.d_model;
}

void model_get_segment_memory(const model *m, real *host) {
    m->ops->download(m->ctx, host, m->mem, model_segment_memory_count(m) * sizeof(real));
}

void model_set_segment_memory(model *m, const real *host, uint64_t pos) {
    m->ops->upload(m->ctx, m->mem, host, model_segment_memory_count(m) * sizeof(real));
    m->mem_pos = (int64_t)pos;
    m->mem_valid = (int)(pos < m->cfg.memory ? pos : m->cfg.memory);
    m->staged_valid = -1;
}

/* ---- hashed n-gram table ------------------------------------------------------------
 * Rows MDL_VOCAB_IN.. of wte: (ngram_order - 1) tables of ngram_buckets rows, order 2
 * first. A position's k-gram is the k input symbols ending at it; its row is computed on
 * the host from the forward's tokens. Only the rows a step looked up get a gradient, and
 * only those are updated (a lazy AdamW: the other rows keep their weights and moments),
 * so a step costs the rows it touches, not the table. Outside a backward/update pair the
 * table's gradient is zero. */

/* The k-gram of input symbols row[t-k+1 .. t] (values 0..256) hashed to one of `buckets`
 * rows: FNV-1a over the symbols, newest first, seeded by k, then a multiply-xorshift
 * finaliser because FNV's low bits mix poorly and the bucket is a remainder. -1 when the
 * k-gram would start before the row: the value stays a function of the window alone. */
static int ngram_bucket(const int *row, int t, int k, unsigned buckets) {
    if (t < k - 1) return -1;
    uint32_t h = 2166136261u ^ (uint32_t)k;
    for (int j = 0; j < k; j++) h = (h ^ (uint32_t)row[t - j]) * 16777619u;
    h ^= h >> 16;
    h *= 0x7feb352du;
    h ^= h >> 15;
    return (int)(h % buckets);
}

/* The table's elements [lo, hi) in the flat arrays (wte comes first, its byte rows
 * before the table; empty without a table). */
static void ngram_span(const model *m, size_t *lo, size_t *hi) {
    *lo = (size_t)MDL_VOCAB_IN * m->cfg.d_model;
    *hi = *lo + m->ng_R * m->cfg.d_model;
}

static real *ngram_table(const model *m, real *flat) {
    size_t lo, hi;
    ngram_span(m, &lo, &hi);
    return flat + lo;
}

static void ngram_index(model *m, const int *tokens, int B, int T) {
    int K = m->ng_K;
    unsigned nb = m->cfg.ngram_buckets;
    for (int n = 0; n < B * T; n++) {
        const int *row = tokens + (size_t)(n / T) * T;
        for (int j = 0; j < K; j++) {
            int b = ngram_bucket(row, n % T, j + 2, nb);
            m->ng_idx_host[(size_t)n * K + j] = b < 0 ? -1 : (int)(j * nb) + b;
        }
    }
    m->ops->upload(m->ctx, m->ng_idx, m->ng_idx_host, (size_t)B * T * K * sizeof(int));
}

static void ngram_mark_touched(model *m, int N) {
    for (size_t i = 0; i < (size_t)N * m->ng_K; i++)
        if (m->ng_idx_host[i] >= 0) m->ng_touched[m->ng_idx_host[i]] = 1;
    m->ng_pending = 1;
    m->ng_nrows = -1;
}

/* The touched rows in ascending order (the same list whatever the rank count). */
static void ngram_list_rows(model *m) {
    if (m->ng_nrows >= 0) return;
    int n = 0;
    for (size_t r = 0; r < m->ng_R; r++)
        if (m->ng_touched[r]) m->ng_rows_host[n++] = (int)r;
    m->ng_nrows = n;
    m->ops->upload(m->ctx, m->ng_rows, m->ng_rows_host, (size_t)n * sizeof(int));
}

int *model_ngram_touched(model *m, size_t *n) {
    *n = m->ng_R;
    if (!m->ng_K) return NULL;
    m->ng_nrows = -1;
    return m->ng_touched;
}

/* Zeroes every gradient; the table's is already zero unless a backward ran without an
 * update since (then all of it is cleared, the slow path tests take). */
static void grads_zero(model *m) {
    const mdl_ops *o = m->ops;
    if (!m->ng_K) {
        o->zero(m->ctx, m->grads, m->n_params * sizeof(real));
        return;
    }
    size_t lo, hi;
    ngram_span(m, &lo, &hi);
    o->zero(m->ctx, m->grads, lo * sizeof(real));
    o->zero(m->ctx, m->grads + hi, (m->n_params - hi) * sizeof(real));
    if (m->ng_pending) {
        o->zero(m->ctx, m->grads + lo, (hi - lo) * sizeof(real));
        memset(m->ng_touched, 0, m->ng_R * sizeof(int));
        m->ng_pending = 0;
        m->ng_nrows = -1;
    }
}

/* The residual stream entering layer l. */
static real *layer_input(model *m, int l) {
    return l == 0 ? m->encoded : layer_slice(m, l - 1).residual3;
}

void model_forward(model *m, const int *tokens, int B, int T) {
    const mdl_ops *o = m->ops;
    int C = (int)m->cfg.d_model, F = (int)m->cfg.d_ff, NH = (int)m->cfg.n_head;
    int L = (int)m->cfg.n_layer, N = B * T;
    m->B = B;
    m->T = T;
    m->win_m = m->mem_valid;
    o->upload(m->ctx, m->tokens, tokens, (size_t)N * sizeof(int));
    const real *wpe = m->tensor_size[P_WPE] ? m->p[P_WPE] : NULL;
    o->embedding_forward(m->ctx, m->encoded, m->tokens, m->p[P_WTE], wpe, B, T, C);
    if (m->ng_K) {
        ngram_index(m, tokens, B, T);
        o->rows_gather_add(m->ctx, m->encoded, ngram_table(m, m->params), m->ng_idx, N, m->ng_K, C);
    }
    for (int l = 0; l < L; l++) {
        layer_acts a = layer_slice(m, l);
        layer_params p = layer_params_of(m->p, m, l);
        real *x = layer_input(m, l);
        o->layernorm_forward(m->ctx, a.ln1, a.ln1_mean, a.ln1_rstd, x, p.ln1w, p.ln1b, N, C);
        o->matmul_forward(m->ctx, a.qkv, a.ln1, p.qkvw, p.qkvb, N, C, 3 * C);
        if (m->cfg.position == POSITION_ROPE)
            o->rope_forward(m->ctx, a.qkv, B, T, C, NH, rope_origin(m));
        attention_layer_forward(m, l, &a);
        o->matmul_forward(m->ctx, a.attproj, a.atty, p.attprojw, p.attprojb, N, C, C);
        o->residual_forward(m->ctx, a.residual2, x, a.attproj, (size_t)N * C);
        o->layernorm_forward(m->ctx, a.ln2, a.ln2_mean, a.ln2_rstd, a.residual2, p.ln2w, p.ln2b, N,
                             C);
        o->matmul_forward(m->ctx, a.fch, a.ln2, p.fcw, p.fcb, N, C, F);
        o->gelu_forward(m->ctx, a.fch_gelu, a.fch, (size_t)N * F);
        o->matmul_forward(m->ctx, a.fcproj, a.fch_gelu, p.fcprojw, p.fcprojb, N, F, C);
        o->residual_forward(m->ctx, a.residual3, a.residual2, a.fcproj, (size_t)N * C);
    }
    o->layernorm_forward(m->ctx, m->lnf, m->lnf_mean, m->lnf_rstd, layer_input(m, L), m->p[P_LNFW],
                         m->p[P_LNFB], N, C);
    o->matmul_forward(m->ctx, m->logits, m->lnf, m->p[P_HEADW], m->p[P_HEADB], N, C, MDL_VOCAB_OUT);
}

void model_download_logits(const model *m, size_t first, size_t n, real *host) {
    m->ops->download(m->ctx, host, m->logits + first * MDL_VOCAB_OUT,
                     n * MDL_VOCAB_OUT * sizeof(real));
}

void model_bits(model *m, const int *targets, real *bits) {
    size_t N = (size_t)m->B * m->T;
    m->ops->upload(m->ctx, m->targets, targets, N * sizeof(int));
    m->ops->crossentropy_forward(m->ctx, m->bits, m->logits, m->targets, (int)N, MDL_VOCAB_OUT);
    m->ops->download(m->ctx, bits, m->bits, N * sizeof(real));
}

void model_backward(model *m, const int *targets, const real *weights) {
    const mdl_ops *o = m->ops;
    int B = m->B, T = m->T, C = (int)m->cfg.d_model, F = (int)m->cfg.d_ff;
    int NH = (int)m->cfg.n_head, L = (int)m->cfg.n_layer, N = B * T;
    size_t NC = (size_t)N * C * sizeof(real), NF = (size_t)N * F * sizeof(real);

    o->upload(m->ctx, m->targets, targets, (size_t)N * sizeof(int));
    o->upload(m->ctx, m->weights, weights, (size_t)N * sizeof(real));
    grads_zero(m);
    o->crossentropy_backward(m->ctx, m->dlogits, m->logits, m->targets, m->weights, N,
                             MDL_VOCAB_OUT);
    o->zero(m->ctx, m->dln, NC);
    o->matmul_backward(m->ctx, m->dln, m->g[P_HEADW], m->g[P_HEADB], m->dlogits, m->lnf,
                       m->p[P_HEADW], N, C, MDL_VOCAB_OUT);
    /* dresidual carries d(loss)/d(residual stream) down through the layers; each residual
     * add passes it through unchanged, and each LayerNorm backward adds its branch. */
    o->zero(m->ctx, m->dresidual, NC);
    o->layernorm_backward(m->ctx, m->dresidual, m->g[P_LNFW], m->g[P_LNFB], m->dln,
                          layer_input(m, L), m->p[P_LNFW], m->lnf_mean, m->lnf_rstd, N, C);
    for (int l = L - 1; l >= 0; l--) {
        layer_acts a = layer_slice(m, l);
        layer_params p = layer_params_of(m->p, m, l), g = layer_params_of(m->g, m, l);
        real *x = layer_input(m, l);
        o->zero(m->ctx, m->dfch_gelu, NF);
        o->matmul_backward(m->ctx, m->dfch_gelu, g.fcprojw, g.fcprojb, m->dresidual, a.fch_gelu,
                           p.fcprojw, N, F, C);
        o->zero(m->ctx, m->dfch, NF);
        o->gelu_backward(m->ctx, m->dfch, a.fch, m->dfch_gelu, (size_t)N * F);
        o->zero(m->ctx, m->dln, NC);
        o->matmul_backward(m->ctx, m->dln, g.fcw, g.fcb, m->dfch, a.ln2, p.fcw, N, C, F);
        o->layernorm_backward(m->ctx, m->dresidual, g.ln2w, g.ln2b, m->dln, a.residual2, p.ln2w,
                              a.ln2_mean, a.ln2_rstd, N, C);
        o->zero(m->ctx, m->datty, NC);
        o->matmul_backward(m->ctx, m->datty, g.attprojw, g.attprojb, m->dresidual, a.atty,
                           p.attprojw, N, C, C);
        attention_layer_backward(m, l, &a);
        if (m->cfg.position == POSITION_ROPE)
            o->rope_backward(m->ctx, m->dqkv, B, T, C, NH, rope_origin(m));
        o->zero(m->ctx, m->dln, NC);
        o->matmul_backward(m->ctx, m->dln, g.qkvw, g.qkvb, m->dqkv, a.ln1, p.qkvw, N, C, 3 * C);
        o->layernorm_backward(m->ctx, m->dresidual, g.ln1w, g.ln1b, m->dln, x, p.ln1w, a.ln1_mean,
                              a.ln1_rstd, N, C);
    }
    real *dwpe = m->tensor_size[P_WPE] ? m->g[P_WPE] : NULL;
    o->embedding_backward(m->ctx, m->g[P_WTE], dwpe, m->dresidual, m->tokens, B, T, C);
    if (m->ng_K) {
        o->rows_scatter_add(m->ctx, ngram_table(m, m->grads), m->dresidual, m->ng_idx, N, m->ng_K,
                            C);
        ngram_mark_touched(m, N);
    }
}

double model_grad_norm(model *m) {
    const mdl_ops *o = m->ops;
    if (!m->ng_K) return sqrt(o->sum_of_squares(m->ctx, m->grads, m->n_params));
    size_t lo, hi;
    ngram_span(m, &lo, &hi);
    ngram_list_rows(m);
    double ss =
        o->sum_of_squares(m->ctx, m->grads, lo) +
        o->sum_of_squares(m->ctx, m->grads + hi, m->n_params - hi) +
        o->sum_of_squares_rows(m->ctx, m->grads + lo, m->ng_rows, m->ng_nrows, (int)m->cfg.d_model);
    return sqrt(ss);
}

/* Decoupled weight decay applies to matrices and embeddings, not to biases or LayerNorm. */
static int tensor_decays(int t) {
    return t == P_WTE || t == P_WPE || t == P_QKVW || t == P_ATTPROJW || t == P_FCW ||
           t == P_FCPROJW || t == P_HEADW;
}

/* The learning rate of tensor t: lr, times the head's or the embeddings' scale. */
static double tensor_lr(int t, const train_config *tc, double lr) {
    if (t == P_HEADW || t == P_HEADB) return lr * tc->head_lr_scale;
    if (t == P_WTE || t == P_WPE) return lr * tc->embedding_lr_scale;
    return lr;
}

/* The lazy update of the touched table rows; it clears their gradient. */
static void ngram_update(model *m, const train_config *tc, float rate, float wd, float scale) {
    ngram_list_rows(m);
    m->ops->adamw_update_rows(m->ctx, ngram_table(m, m->params), ngram_table(m, m->grads),
                              ngram_table(m, m->adam_m), ngram_table(m, m->adam_v), m->ng_rows,
                              m->ng_nrows, (int)m->cfg.d_model, rate, (float)tc->beta1,
                              (float)tc->beta2, (float)tc->eps, wd, scale, m->adam_t);
    for (int i = 0; i < m->ng_nrows; i++) m->ng_touched[m->ng_rows_host[i]] = 0;
    m->ng_nrows = -1;
    m->ng_pending = 0;
}

void model_update(model *m, const train_config *tc, double lr, double grad_norm) {
    double scale = 1.0;
    if (tc->grad_clip > 0 && grad_norm > tc->grad_clip) scale = tc->grad_clip / grad_norm;
    m->adam_t++;
    size_t off = 0;
    for (int t = 0; t < MDL_NUM_PARAM_TENSORS; t++) {
        size_t n = m->tensor_size[t];
        float wd = tensor_decays(t) ? (float)tc->weight_decay : 0.0f,
              rate = (float)tensor_lr(t, tc, lr);
        size_t dense = t == P_WTE ? n - m->ng_R * m->cfg.d_model : n;
        m->ops->adamw_update(m->ctx, m->params + off, m->grads + off, m->adam_m + off,
                             m->adam_v + off, dense, rate, (float)tc->beta1, (float)tc->beta2,
                             (float)tc->eps, wd, (float)scale, m->adam_t);
        if (t == P_WTE && m->ng_K) ngram_update(m, tc, rate, wd, (float)scale);
        off += n;
    }
}
