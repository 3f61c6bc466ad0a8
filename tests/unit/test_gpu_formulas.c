/* The CUDA GELU kernels' per-element formula, run here on the CPU: kernels/gelu_formula.h is
 * the very code gelu.cu compiles for the device, included into this C file. At extreme
 * inputs (x = -12, -20, -100, +20, +100 and the range where exp(-2u) overflows without a
 * clamp, x < about -10) it must give finite values that agree with the CPU op
 * (host/cpu/gelu.c) and with GELU in double precision. The other elementwise kernels
 * (residual.cu, adamw.cu) do not share a header with a host build; their formulas are
 * transcribed below and checked the same way, with the CPU op as the reference.
 * Needs no GPU. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "gelu_formula.h"
#include "ops.h"
#include "tests_common.h"

static const float XS[] = {-12.0f, -20.0f, -100.0f, 20.0f,  100.0f, -10.5f, -10.0f,
                           -9.0f,  -5.0f,  -1.0f,   -0.25f, 0.0f,   0.5f,   3.0f,
                           10.0f,  -1e4f,  1e4f,    -11.0f, -13.5f, -44.0f};
#define NX (sizeof XS / sizeof XS[0])

/* |got - want| within rel * |want| + abs */
static int close(double got, double want, double rel, double abs_tol) {
    return fabs(got - want) <= rel * fabs(want) + abs_tol;
}

/* GELU and its derivative in double, in the tanh form (no exp to overflow) */
static double gelu_ref(double x) {
    double u = 0.7978845608028654 * (x + 0.044715 * x * x * x);
    return 0.5 * x * (1 + tanh(u));
}
static double gelu_grad_ref(double x) {
    double u = 0.7978845608028654 * (x + 0.044715 * x * x * x), t = tanh(u);
    double du = 0.7978845608028654 * (1 + 3 * 0.044715 * x * x);
    return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * du;
}

static void test_gelu(const mdl_ops *cpu) {
    float in[NX], fwd[NX], bwd[NX], ones[NX];
    for (size_t i = 0; i < NX; i++) {
        in[i] = XS[i];
        ones[i] = 1.0f;
        bwd[i] = 0.0f;
    }
    cpu->gelu_forward(NULL, fwd, in, NX);
    cpu->gelu_backward(NULL, bwd, in, ones, NX); /* accumulates dout * gelu'(x) into 0 */
    for (size_t i = 0; i < NX; i++) {
        float x = XS[i], f = mdl_gelu(x), g = mdl_gelu_grad(x);
        printf("  x %9g  kernel gelu %-13.6g grad %-13.6g  cpu gelu %-13.6g grad %-13.6g\n", x, f,
               g, fwd[i], bwd[i]);
        CHECKF(isfinite(f), "kernel gelu(%g) = %g, not finite", x, f);
        CHECKF(isfinite(g), "kernel gelu'(%g) = %g, not finite", x, g);
        CHECKF(isfinite(fwd[i]) && isfinite(bwd[i]), "cpu gelu at %g: %g, %g", x, fwd[i], bwd[i]);
        /* against the CPU op: libm's expf vs exp_real, a few ulp; values below 1e-30
         * (underflowed tails) are both zero for any purpose */
        CHECKF(close(f, fwd[i], 1e-5, 1e-30), "gelu(%g): kernel %.9g, cpu %.9g", x, f, fwd[i]);
        CHECKF(close(g, bwd[i], 1e-5, 1e-30), "gelu'(%g): kernel %.9g, cpu %.9g", x, g, bwd[i]);
        /* against GELU itself: the clamp must not move a value that matters (below 1e-20,
         * the clamped tails of x < -44 are zero for any purpose) */
        CHECKF(close(f, gelu_ref(x), 1e-5, 1e-20), "gelu(%g): kernel %.9g, exact %.9g", x, f,
               gelu_ref(x));
        CHECKF(close(g, gelu_grad_ref(x), 1e-5, 1e-20), "gelu'(%g): kernel %.9g, exact %.9g", x, g,
               gelu_grad_ref(x));
    }
    /* a NaN input stays NaN (the clamp must not turn it into a number) */
    CHECK(isnan(mdl_gelu(NAN)) && isnan(mdl_gelu_grad(NAN)));
}

/* residual.cu's formulas: out = a + b; da += dout, db += dout */
static void test_residual(const mdl_ops *cpu) {
    float a[NX], b[NX], out[NX], da[NX], db[NX];
    for (size_t i = 0; i < NX; i++) {
        a[i] = XS[i];
        b[i] = XS[NX - 1 - i];
        da[i] = db[i] = 0.5f;
    }
    cpu->residual_forward(NULL, out, a, b, NX);
    cpu->residual_backward(NULL, da, db, a, NX);
    for (size_t i = 0; i < NX; i++) {
        float k_out = a[i] + b[i], k_da = 0.5f + a[i];
        CHECKF(isfinite(k_out) && k_out == out[i], "residual fwd at %g, %g: kernel %g, cpu %g",
               a[i], b[i], k_out, out[i]);
        CHECKF(isfinite(k_da) && k_da == da[i] && k_da == db[i], "residual bwd at %g", a[i]);
    }
}

/* adamw.cu's per-element update, transcribed: gradients g = grad * grad_scale at the
 * extreme values, three steps from m = v = 0 */
static void test_adamw(const mdl_ops *cpu) {
    const float lr = 0.01f, b1 = 0.9f, b2 = 0.95f, eps = 1e-8f, wd = 0.1f, gs = 0.7f;
    float p[NX], m[NX], v[NX], kp[NX], km[NX], kv[NX], grad[NX];
    for (size_t i = 0; i < NX; i++) {
        p[i] = kp[i] = 0.01f * XS[NX - 1 - i];
        m[i] = v[i] = km[i] = kv[i] = 0.0f;
        grad[i] = XS[i];
    }
    for (int t = 1; t <= 3; t++) {
        cpu->adamw_update(NULL, p, grad, m, v, NX, lr, b1, b2, eps, wd, gs, t);
        float c1 = (float)(1.0 - pow((double)b1, t)), c2 = (float)(1.0 - pow((double)b2, t));
        for (size_t i = 0; i < NX; i++) {
            float g = grad[i] * gs;
            float mi = b1 * km[i] + (1.0f - b1) * g;
            float vi = b2 * kv[i] + (1.0f - b2) * g * g;
            km[i] = mi;
            kv[i] = vi;
            float mhat = mi / c1, vhat = vi / c2, q = kp[i];
            kp[i] = q - lr * (mhat / (sqrtf(vhat) + eps) + wd * q);
        }
    }
    for (size_t i = 0; i < NX; i++) {
        CHECKF(isfinite(kp[i]) && isfinite(km[i]) && isfinite(kv[i]), "adamw at grad %g: %g %g %g",
               grad[i], kp[i], km[i], kv[i]);
        CHECKF(close(kp[i], p[i], 1e-5, 1e-7), "adamw param at grad %g: kernel %.9g, cpu %.9g",
               grad[i], kp[i], p[i]);
        CHECKF(close(kv[i], v[i], 1e-5, 0), "adamw v at grad %g: kernel %.9g, cpu %.9g", grad[i],
               kv[i], v[i]);
    }
}

int main(void) {
    const mdl_ops *cpu = cpu_backend()->ops;
    test_gelu(cpu);
    test_residual(cpu);
    test_adamw(cpu);
    return tests_done("test_gpu_formulas");
}
