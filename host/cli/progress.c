#include "progress.h"

#include <math.h>
#include <stdio.h>
#include <unistd.h>

#include "timer.h"

void progress_start(progress *p, const char *label) {
    p->enabled = isatty(STDERR_FILENO);
    p->start = p->last = now_seconds();
    p->label = label;
}

static void format_duration(char *buf, size_t n, double s) {
    if (s < 0 || s > 1e8) {
        snprintf(buf, n, "--");
        return;
    }
    long t = (long)(s + 0.5);
    if (t >= 3600)
        snprintf(buf, n, "%ldh%02ldm", t / 3600, (t / 60) % 60);
    else
        snprintf(buf, n, "%ldm%02lds", t / 60, t % 60);
}

void progress_update(progress *p, uint64_t done, uint64_t total, double bits) {
    if (!p->enabled) return;
    double now = now_seconds();
    if (now - p->last < 0.2 && done < total) return;
    p->last = now;
    double elapsed = now - p->start;
    double rate = elapsed > 0 ? (double)done / elapsed : 0.0;
    char eta[32];
    format_duration(eta, sizeof eta, rate > 0 ? (double)(total - done) / rate : -1.0);
    char bpb[32] = "";
    if (!isnan(bits) && done > 0) snprintf(bpb, sizeof bpb, "  %.4f bpb", bits / (double)done);
    fprintf(stderr, "\r\033[K%s %5.1f%%  %llu/%llu bytes%s  %.0f bytes/s  ETA %s", p->label,
            total ? 100.0 * (double)done / (double)total : 100.0, (unsigned long long)done,
            (unsigned long long)total, bpb, rate, eta);
    fflush(stderr);
}

void progress_finish(progress *p) {
    if (!p->enabled) return;
    fprintf(stderr, "\r\033[K");
    fflush(stderr);
}
