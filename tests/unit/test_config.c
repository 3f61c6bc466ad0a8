/* Config loading: the embedded default, partial files, --set, validation, YAML output, and
 * that every kind of bad input gives one line naming the file and the right line. */
#include "config.h"
#include "tests_common.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *tmpdir;

/* Writes text to a fresh file in the test's directory; returns its path (static buffer). */
static const char *write_file(const char *name, const char *text) {
    static char path[512];
    snprintf(path, sizeof path, "%s/%s", tmpdir, name);
    tests_write_file(path, text, strlen(text));
    return path;
}

/* Field by field: memcmp would also compare padding. */
static int config_diff(const mdl_config *a, const mdl_config *b, const char **which) {
#define SAME(field)                                                                                \
    if (a->field != b->field) return *which = #field, 1
    SAME(model.n_layer);
    SAME(model.n_head);
    SAME(model.d_model);
    SAME(model.context);
    SAME(model.d_ff);
    SAME(model.zero_init_head);
    SAME(model.position);
    SAME(model.memory);
    SAME(model.ngram_order);
    SAME(model.ngram_buckets);
    SAME(train.streams);
    SAME(train.segment);
    SAME(train.lr);
    SAME(train.warmup);
    SAME(train.schedule);
    SAME(train.min_lr_ratio);
    SAME(train.beta1);
    SAME(train.beta2);
    SAME(train.eps);
    SAME(train.weight_decay);
    SAME(train.grad_clip);
    SAME(train.head_lr_scale);
    SAME(train.embedding_lr_scale);
    SAME(train.repeats_per_step);
    SAME(train.prefix_loss);
    SAME(train.seed);
    SAME(run.eval_final);
    SAME(run.two_part);
    SAME(corpus.holdout_fraction);
    SAME(corpus.holdout_seed);
    SAME(run.flush_seconds);
    SAME(run.precision);
    SAME(run.checkpoint_every);
    SAME(run.checkpoint_keep);
    SAME(train.passes);
    SAME(analysis.extract_samples);
    SAME(analysis.extract_prefix);
    SAME(analysis.extract_suffix);
    SAME(analysis.extract_seed);
#undef SAME
    if (strcmp(a->corpus.holdout, b->corpus.holdout) != 0) return *which = "corpus.holdout", 1;
    return 0;
}

#define CHECK_SAME_CONFIG(a, b)                                                                    \
    do {                                                                                           \
        const char *which_ = "";                                                                   \
        CHECKF(!config_diff(a, b, &which_), "configs differ in %s", which_);                       \
    } while (0)

static mdl_config default_config(void) {
    mdl_config cfg;
    mdl_err err = {""};
    if (config_default(&cfg, &err)) {
        fprintf(stderr, "config_default: %s\n", err.msg);
        exit(1);
    }
    return cfg;
}

static void test_default(void) {
    mdl_config cfg;
    mdl_err err = {""};
    CHECKF(config_default(&cfg, &err) == 0, "config_default: %s", err.msg);
    CHECKF(config_validate(&cfg, &err) == 0, "default does not validate: %s", err.msg);
    /* The values written in configs/default.yaml. */
    CHECK(cfg.model.n_layer == 2);
    CHECK(cfg.model.n_head == 4);
    CHECK(cfg.model.d_model == 128);
    CHECK(cfg.model.context == 64);
    CHECK(cfg.model.d_ff == 512);
    CHECK(cfg.model.zero_init_head == true);
    CHECK(cfg.train.streams == 1);
    CHECK(cfg.train.segment == 32);
    CHECK(cfg.train.lr == 0.0003);
    CHECK(cfg.train.warmup == 20);
    CHECK(cfg.train.schedule == SCHEDULE_COSINE);
    CHECK(cfg.train.min_lr_ratio == 0.1);
    CHECK(cfg.train.beta1 == 0.0);
    CHECK(cfg.train.beta2 == 0.9999);
    CHECK(cfg.model.position == POSITION_ROPE && cfg.model.memory == 0);
    CHECK(cfg.train.prefix_loss == false);
    CHECK(cfg.model.ngram_order == 6 && cfg.model.ngram_buckets == 16384);
    CHECK(cfg.train.head_lr_scale == 10.0 && cfg.train.embedding_lr_scale == 30.0);
    CHECK(cfg.train.eps == 1.0e-8);
    CHECK(cfg.train.weight_decay == 0.01);
    CHECK(cfg.train.grad_clip == 1.0);
    CHECK(cfg.train.repeats_per_step == 1);
    CHECK(cfg.train.seed == 1234);
    CHECK(cfg.run.eval_final == true);
    CHECK(cfg.run.two_part == true);
    CHECK(cfg.run.flush_seconds == 2.0);

    CHECK(!strcmp(lr_schedule_name(SCHEDULE_CONSTANT), "constant"));
    CHECK(!strcmp(lr_schedule_name(SCHEDULE_COSINE), "cosine"));
    CHECK(!strcmp(lr_schedule_name(SCHEDULE_INVERSE_SQRT), "inverse_sqrt"));
}

static void test_partial_file(void) {
    mdl_config cfg = default_config(), expect = default_config();
    mdl_err err = {""};
    const char *path = write_file("partial.yaml", "# only what changes\n"
                                                  "train:\n"
                                                  "  lr: 1.0e-2   # faster\n"
                                                  "  schedule: inverse_sqrt\n"
                                                  "  seed: 18446744073709551615\n"
                                                  "run:\n"
                                                  "  eval_final: false\n"
                                                  "model:\n"
                                                  "  n_layer: 6\n");
    CHECKF(config_load_file(&cfg, path, &err) == 0, "partial file: %s", err.msg);
    expect.train.lr = 0.01;
    expect.train.schedule = SCHEDULE_INVERSE_SQRT;
    expect.train.seed = UINT64_MAX;
    expect.run.eval_final = false;
    expect.model.n_layer = 6;
    CHECK_SAME_CONFIG(&cfg, &expect);

    /* Files that set nothing. */
    static const char *const empty[] = {
        "",    "# nothing\n",           "model:\n", "model:\n  # n_layer: 3\n",
        "~\n", "train: ~\nrun: null\n", "{}\n"};
    for (size_t i = 0; i < sizeof empty / sizeof empty[0]; i++) {
        path = write_file("empty.yaml", empty[i]);
        CHECKF(config_load_file(&cfg, path, &err) == 0, "'%s': %s", empty[i], err.msg);
        CHECK_SAME_CONFIG(&cfg, &expect);
    }

    /* Flow style, quoting and the other spellings of booleans are YAML too. */
    path = write_file("flow.yaml", "model: {n_head: 8, zero_init_head: FALSE}\n"
                                   "train: {lr: .5, beta1: \"0.8\", segment: 48}\n"
                                   "run: {eval_final: True}\n");
    CHECKF(config_load_file(&cfg, path, &err) == 0, "flow file: %s", err.msg);
    expect.model.n_head = 8;
    expect.model.zero_init_head = false;
    expect.train.lr = 0.5;
    expect.train.beta1 = 0.8;
    expect.train.segment = 48;
    expect.run.eval_final = true;
    CHECK_SAME_CONFIG(&cfg, &expect);
}

/* A file that must fail: the message is "PATH:LINE: ..." and contains `what`, and the
 * config is left as it was. */
static void expect_file_error(const char *text, unsigned line, const char *what) {
    mdl_config cfg = default_config(), before = cfg;
    mdl_err err = {""};
    const char *path = write_file("bad.yaml", text);
    char prefix[600];
    snprintf(prefix, sizeof prefix, "%s:%u: ", path, line);
    CHECKF(config_load_file(&cfg, path, &err) != 0, "accepted:\n%s", text);
    CHECKF(!strncmp(err.msg, prefix, strlen(prefix)), "want prefix '%s', got '%s'", prefix,
           err.msg);
    CHECKF(strstr(err.msg, what) != NULL, "want '%s' in '%s'", what, err.msg);
    CHECKF(!strchr(err.msg, '\n'), "message has several lines: '%s'", err.msg);
    CHECK_SAME_CONFIG(&cfg, &before);
}

static void test_file_errors(void) {
    /* unknown names */
    expect_file_error(
        "model:\n  n_layer: 2\n\n  n_layers: 3\n", 4,
        "unknown key 'n_layers' in section 'model' (keys: n_layer, n_head, "
        "d_model, context, d_ff, zero_init_head, position, memory, ngram_order, ngram_buckets)");
    expect_file_error("model:\n  n_layer: 2\nmodl:\n  n_layer: 3\n", 3,
                      "unknown section 'modl' (sections: model, train, run, corpus, analysis)");
    expect_file_error("train:\n  LR: 0.1\n", 2, "unknown key 'LR' in section 'train'");
    expect_file_error("model: {n_head: 2, heads: 3}\n", 1, "unknown key 'heads'");
    expect_file_error("run:\n  eval_final: true\n  n_layer: 2\n", 3,
                      "unknown key 'n_layer' in section 'run'");
    /* duplicates */
    expect_file_error("model:\n  n_layer: 1\n  d_ff: 3\n  n_layer: 2\n", 4,
                      "duplicate key 'n_layer' in section 'model'");
    expect_file_error("model:\n  n_layer: 1\nrun:\nmodel:\n  n_head: 2\n", 4,
                      "duplicate section 'model'");
    /* unsigned integers */
    expect_file_error("# x\nmodel:\n  n_layer: abc\n", 3,
                      "model.n_layer must be an unsigned integer, got 'abc'");
    expect_file_error("model:\n  n_layer: -3\n", 2, "model.n_layer must be an unsigned integer");
    expect_file_error("model:\n  d_ff: 2.5\n", 2,
                      "model.d_ff must be an unsigned integer, got '2.5'");
    expect_file_error("model:\n  d_ff: 0x10\n", 2, "model.d_ff must be an unsigned integer");
    expect_file_error("model:\n  d_ff: 010\n", 2,
                      "model.d_ff must be written without leading zeros");
    expect_file_error("model:\n  d_ff:\n", 2, "model.d_ff must be an unsigned integer, got ''");
    expect_file_error("model:\n  d_ff: 4294967296\n", 2, "model.d_ff must be at most 4294967295");
    expect_file_error("train:\n  seed: 18446744073709551616\n", 2,
                      "train.seed must be at most 18446744073709551615");
    expect_file_error("train:\n  warmup: [1, 2]\n", 2,
                      "train.warmup must be an unsigned integer, got a list");
    /* booleans */
    expect_file_error("model:\n  n_layer: 1\n  zero_init_head: maybe\n", 3,
                      "model.zero_init_head must be true or false, got 'maybe'");
    expect_file_error("run:\n  eval_final: yes\n", 2, "run.eval_final must be true or false");
    expect_file_error("run:\n  eval_final: 1\n", 2, "run.eval_final must be true or false");
    /* numbers */
    expect_file_error("train:\n  lr: 1.5x\n", 2, "train.lr must be a number, got '1.5x'");
    expect_file_error("train:\n  lr: fast\n", 2, "train.lr must be a number, got 'fast'");
    expect_file_error("train:\n  lr: inf\n", 2, "train.lr must be a number, got 'inf'");
    expect_file_error("train:\n  lr: 1e999\n", 2, "train.lr must be a finite number");
    expect_file_error("train:\n  eps: {a: 1}\n", 2, "train.eps must be a number, got a mapping");
    /* enum */
    expect_file_error("\n\ntrain:\n  schedule: linear\n", 4,
                      "train.schedule must be one of constant, cosine, inverse_sqrt, got 'linear'");
    expect_file_error("train:\n  schedule: Cosine\n", 2, "train.schedule must be one of");
    expect_file_error("train:\n  schedule: 1\n", 2, "train.schedule must be one of");
    /* shape */
    expect_file_error("model: 3\n", 1, "section 'model' must be a mapping of keys, got '3'");
    expect_file_error("train:\n  lr: 0.1\nrun: [1]\n", 3, "section 'run' must be a mapping");
    expect_file_error("- model\n", 1, "a config must be a mapping of sections");
    expect_file_error("42\n", 1, "a config must be a mapping of sections");
    expect_file_error("model:\n  [a]: 1\n", 2, "config keys must be plain names");
    expect_file_error("model: &m\n  n_layer: 1\nrun: *m\n", 3, "aliases");
    expect_file_error("model:\n  n_layer: 5\n---\nmodel:\n  n_layer: 2\n", 3,
                      "more than one YAML document");
    /* YAML syntax */
    expect_file_error("model:\n  n_layer: 3\n lr: 1\n", 3,
                      "invalid YAML: did not find expected key");
    expect_file_error("model:\n\tn_layer: 2\n", 2, "invalid YAML: found character that cannot");
    expect_file_error("model:\n  n_layer: [3\n", 2, "invalid YAML: did not find expected ','");
    expect_file_error("model:\n  n_layer: \"3\n", 2,
                      "invalid YAML: found unexpected end of stream");
    expect_file_error("model:\n  n_layer: 2\n    d_ff: 3\n", 3,
                      "invalid YAML: mapping values are not allowed");
    expect_file_error("model:\n  n_layer: 2\n  d_ff: \xc3\n", 3, "invalid YAML:");
}

static void test_unreadable_file(void) {
    mdl_config cfg = default_config();
    mdl_err err = {""};
    char path[512], want[600];
    snprintf(path, sizeof path, "%s/no-such.yaml", tmpdir);
    snprintf(want, sizeof want, "%s: cannot open config file: No such file or directory", path);
    CHECK(config_load_file(&cfg, path, &err) != 0);
    CHECKF(!strcmp(err.msg, want), "want '%s', got '%s'", want, err.msg);

    snprintf(want, sizeof want, "%s: cannot read config file: Is a directory", tmpdir);
    CHECK(config_load_file(&cfg, tmpdir, &err) != 0);
    CHECKF(!strcmp(err.msg, want), "want '%s', got '%s'", want, err.msg);
}

static void expect_set_error(const char *assignment, const char *want) {
    mdl_config cfg = default_config(), before = cfg;
    mdl_err err = {""};
    CHECKF(config_set(&cfg, assignment, &err) != 0, "accepted --set %s", assignment);
    CHECKF(!strcmp(err.msg, want), "want '%s', got '%s'", want, err.msg);
    CHECK_SAME_CONFIG(&cfg, &before);
}

static void test_set(void) {
    mdl_config cfg = default_config(), expect = default_config();
    mdl_err err = {""};
    static const char *const good[] = {
        "model.n_layer=6",         "model.zero_init_head=false",   "train.lr=0.30000000000000004",
        "train.schedule=constant", "train.seed=9007199254740993",  "run.flush_seconds=0.25",
        "train.eps=1e-6",          "corpus.holdout=pg84_*,b: c#d", "run.precision=bf16",
    };
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
        CHECKF(config_set(&cfg, good[i], &err) == 0, "--set %s: %s", good[i], err.msg);
    expect.model.n_layer = 6;
    expect.model.zero_init_head = false;
    expect.train.lr = 0.1 + 0.2;
    expect.train.schedule = SCHEDULE_CONSTANT;
    expect.train.seed = 9007199254740993ull; /* not representable as a double */
    expect.run.flush_seconds = 0.25;
    expect.train.eps = 1e-6;
    snprintf(expect.corpus.holdout, sizeof expect.corpus.holdout, "pg84_*,b: c#d");
    expect.run.precision = PRECISION_BF16;
    CHECK_SAME_CONFIG(&cfg, &expect);
    expect_set_error("run.precision=fp16",
                     "--set run.precision=fp16: run.precision must be one of fp32, bf16, got "
                     "'fp16'");
    char long_globs[600];
    memset(long_globs, 'a', sizeof long_globs - 1);
    long_globs[sizeof long_globs - 1] = '\0';
    char assignment[700];
    snprintf(assignment, sizeof assignment, "corpus.holdout=%s", long_globs);
    mdl_config before = cfg;
    CHECK(config_set(&cfg, assignment, &err) != 0);
    CHECKF(strstr(err.msg, "corpus.holdout must be a string of at most 511 bytes") != NULL, "%s",
           err.msg);
    CHECK_SAME_CONFIG(&cfg, &before);

    expect_set_error("model.foo=1",
                     "--set model.foo=1: unknown config key 'model.foo' (keys in "
                     "'model': n_layer, n_head, d_model, context, d_ff, "
                     "zero_init_head, position, memory, ngram_order, ngram_buckets)");
    expect_set_error("foo.n_layer=1", "--set foo.n_layer=1: unknown config key 'foo.n_layer' "
                                      "(sections: model, train, run, corpus, analysis)");
    expect_set_error(
        "model.n_layer.x=1",
        "--set model.n_layer.x=1: unknown config key "
        "'model.n_layer.x' (keys in 'model': n_layer, n_head, "
        "d_model, context, d_ff, zero_init_head, position, memory, ngram_order, ngram_buckets)");
    expect_set_error("model.n_layer", "--set model.n_layer: expected section.key=value");
    expect_set_error("n_layer=3", "--set n_layer=3: expected section.key=value");
    expect_set_error("model.n_layer=abc",
                     "--set model.n_layer=abc: model.n_layer must be an unsigned integer, got "
                     "'abc'");
    expect_set_error("model.n_layer=-3",
                     "--set model.n_layer=-3: model.n_layer must be an unsigned integer, got "
                     "'-3'");
    expect_set_error("model.n_layer=", "--set model.n_layer=: model.n_layer must be an unsigned "
                                       "integer, got ''");
    /* The value is taken literally, YAML syntax included. */
    expect_set_error("model.n_layer=3 # x", "--set model.n_layer=3 # x: model.n_layer must be an "
                                            "unsigned integer, got '3 # x'");
    expect_set_error("model.n_layer=[1", "--set model.n_layer=[1: model.n_layer must be an "
                                         "unsigned integer, got '[1'");
    expect_set_error("model.zero_init_head=maybe", "--set model.zero_init_head=maybe: "
                                                   "model.zero_init_head must be true or false, "
                                                   "got 'maybe'");
    expect_set_error("train.lr=\"1\"", "--set train.lr=\"1\": train.lr must be a number, got "
                                       "'\"1\"'");
    expect_set_error("train.schedule=linear", "--set train.schedule=linear: train.schedule must "
                                              "be one of constant, cosine, inverse_sqrt, got "
                                              "'linear'");
    expect_set_error("train.seed=18446744073709551616",
                     "--set train.seed=18446744073709551616: train.seed must be at most "
                     "18446744073709551615, got '18446744073709551616'");
    expect_set_error("model.n_layer=1\n2", "--set model.n_layer=1?2: model.n_layer must be an "
                                           "unsigned integer, got '1?2'");
}

static void expect_invalid(mdl_config cfg, const char *want) {
    mdl_err err = {""};
    CHECKF(config_validate(&cfg, &err) != 0, "accepted config, want '%s'", want);
    CHECKF(strstr(err.msg, want) != NULL, "want '%s' in '%s'", want, err.msg);
}

static void test_validate(void) {
    const mdl_config d = default_config();
    mdl_config c;
#define INVALID(field, value, want) (c = d, c.field = (value), expect_invalid(c, want))
    INVALID(model.n_layer, 0, "model.n_layer must be at least 1");
    INVALID(model.n_head, 0, "model.n_head must be at least 1");
    INVALID(model.d_model, 0, "model.d_model must be at least 1");
    INVALID(model.context, 0, "model.context must be at least 1");
    INVALID(model.d_ff, 0, "model.d_ff must be at least 1");
    INVALID(model.n_head, 3, "model.n_head (3) does not divide model.d_model (128)");
    INVALID(train.streams, 0, "train.streams must be at least 1");
    INVALID(train.segment, 0, "train.segment must be at least 1");
    INVALID(train.segment, 256, "train.segment (256) is longer than model.context (64)");
    INVALID(train.lr, 0, "train.lr must be greater than 0");
    INVALID(train.lr, -1e-3, "train.lr must be greater than 0");
    INVALID(train.beta1, 1.0, "train.beta1 must be in [0, 1)");
    INVALID(train.beta1, -0.1, "train.beta1 must be in [0, 1)");
    INVALID(train.beta2, 1.0, "train.beta2 must be in [0, 1)");
    INVALID(train.eps, 0, "train.eps must be greater than 0");
    INVALID(train.weight_decay, -0.01, "train.weight_decay must not be negative");
    INVALID(train.grad_clip, -1, "train.grad_clip must not be negative");
    INVALID(train.head_lr_scale, 0, "train.head_lr_scale must be greater than 0");
    INVALID(train.embedding_lr_scale, -1, "train.embedding_lr_scale must be greater than 0");
    INVALID(train.repeats_per_step, 0, "train.repeats_per_step must be at least 1");
    INVALID(train.min_lr_ratio, 1.5, "train.min_lr_ratio must be in [0, 1]");
    INVALID(train.min_lr_ratio, -0.5, "train.min_lr_ratio must be in [0, 1]");
    INVALID(run.flush_seconds, 0, "run.flush_seconds must be greater than 0");
    INVALID(train.passes, 0, "train.passes must be at least 1");
#undef INVALID
    /* extraction windows: after the training window's prefix, inside the context */
    c = d;
    c.model.context = 128; /* the extraction edges below are for a 96-byte prefix */
    c.analysis.extract_samples = 4;
    c.analysis.extract_prefix = 95;
    expect_invalid(c, "analysis.extract_prefix (95) must be at least model.context + "
                      "model.memory - train.segment (96)");
    c.analysis.extract_prefix = 100;
    c.analysis.extract_suffix = 29;
    expect_invalid(c, "analysis.extract_prefix + analysis.extract_suffix (100 + 29) must be at "
                      "most model.context + model.memory (128)");
    c.analysis.extract_suffix = 28;
    mdl_err ok = {""};
    CHECKF(config_validate(&c, &ok) == 0, "P + S = context rejected: %s", ok.msg);
    /* with segment memory the window holds memory + context positions */
    c.model.position = POSITION_ROPE, c.model.context = 32, c.train.segment = 32;
    c.model.memory = 64;
    c.analysis.extract_prefix = 0, c.analysis.extract_suffix = 0;
    CHECKF(config_validate(&c, &ok) == 0, "memory extraction defaults rejected: %s", ok.msg);
    c.analysis.extract_prefix = 63;
    expect_invalid(c, "analysis.extract_prefix (63) must be at least model.context + "
                      "model.memory - train.segment (64)");
    c.analysis.extract_prefix = 64, c.analysis.extract_suffix = 33;
    expect_invalid(c, "analysis.extract_prefix + analysis.extract_suffix (64 + 33) must be at "
                      "most model.context + model.memory (96)");
    c.analysis.extract_suffix = 32;
    c.model.position = POSITION_LEARNED;
    expect_invalid(c, "model.memory needs model.position rope or none");
    c.model.position = POSITION_ROPE, c.model.context = 64, c.analysis.extract_samples = 0;
    expect_invalid(c, "model.memory (64) needs model.context == train.segment (64 vs 32)");
    c = d;
    c.model.ngram_order = 9;
    expect_invalid(c, "model.ngram_order must be at most 8, got 9");
    c.model.ngram_order = 3, c.model.ngram_buckets = 0;
    expect_invalid(c, "model.ngram_buckets must be at least 1 with model.ngram_order 3");
    c.model.ngram_buckets = 4000000000u;
    expect_invalid(c, "model.ngram_buckets (4000000000) x (model.ngram_order - 1) x "
                      "model.d_model is too large a table");
    c.model.ngram_order = 1, c.model.ngram_buckets = 0; /* no table: the buckets unused */
    CHECKF(config_validate(&c, &ok) == 0, "ngram_order 1 rejected: %s", ok.msg);
    c = d;
    c.analysis.extract_samples = 0; /* off: not checked */
    c.analysis.extract_prefix = 1;
    CHECKF(config_validate(&c, &ok) == 0, "unused extraction keys rejected: %s", ok.msg);

    /* The edges that are allowed. */
    mdl_err err = {""};
    c = d;
    c.train.segment = c.model.context;
    c.train.beta1 = 0;
    c.train.weight_decay = 0;
    c.train.grad_clip = 0;
    c.train.min_lr_ratio = 1;
    c.model.n_head = c.model.d_model;
    c.model.position = POSITION_LEARNED; /* rope needs an even head size */
    CHECKF(config_validate(&c, &err) == 0, "edge values rejected: %s", err.msg);
}

static void test_to_yaml(void) {
    mdl_config cfg = default_config();
    mdl_err err = {""};
    char *text = config_to_yaml(&cfg, &err);
    CHECKF(text != NULL, "config_to_yaml: %s", err.msg);
    if (!text) return;
    CHECK(strstr(text, "model:\n  n_layer: 2\n") != NULL);
    CHECK(strstr(text, "  schedule: cosine\n") != NULL);
    CHECK(strstr(text, "  position: rope\n") != NULL);
    CHECK(strstr(text, "  eps: 1.0e-08\n") != NULL); /* a float to YAML 1.1 readers too */
    CHECK(strstr(text, "  grad_clip: 1.0\n") != NULL);
    CHECK(strstr(text, "  lr: 0.0003\n") != NULL);
    free(text);

    /* Values that only survive exact formatting, loaded onto a different config. */
    cfg.model.n_layer = 4294967295u;
    cfg.model.zero_init_head = false;
    cfg.train.lr = 0.1 + 0.2;
    cfg.train.schedule = SCHEDULE_INVERSE_SQRT;
    cfg.train.min_lr_ratio = 1.0 / 3.0;
    cfg.train.beta2 = 0.999999999999;
    cfg.train.eps = 4.9e-324; /* smallest subnormal */
    cfg.train.weight_decay = 1e300;
    cfg.train.grad_clip = 0;
    cfg.train.seed = UINT64_MAX - 1;
    cfg.run.eval_final = false;
    cfg.run.flush_seconds = 12345678.0;
    cfg.run.precision = PRECISION_BF16;
    cfg.run.checkpoint_every = 7;
    cfg.train.passes = 3;
    cfg.analysis.extract_samples = 9;
    cfg.analysis.extract_seed = UINT64_MAX;
    /* a string that needs quoting and escapes to read back */
    snprintf(cfg.corpus.holdout, sizeof cfg.corpus.holdout, "a \"b\"\\c: #d,\t[e]*");
    text = config_to_yaml(&cfg, &err);
    CHECKF(text != NULL, "config_to_yaml: %s", err.msg);
    if (!text) return;
    mdl_config back = default_config();
    const char *path = write_file("roundtrip.yaml", text);
    CHECKF(config_load_file(&back, path, &err) == 0, "reading back:\n%s\n%s", text, err.msg);
    CHECK_SAME_CONFIG(&back, &cfg);
    char *again = config_to_yaml(&back, &err);
    CHECK(again && !strcmp(again, text));
    free(again);
    free(text);
}

int main(void) {
    tmpdir = tests_tmpdir();
    test_default();
    test_partial_file();
    test_file_errors();
    test_unreadable_file();
    test_set();
    test_validate();
    test_to_yaml();
    /* Leave the directory as it was: only the files written above are in it. */
    static const char *const files[] = {"partial.yaml", "empty.yaml", "flow.yaml", "bad.yaml",
                                        "roundtrip.yaml"};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        char path[512];
        snprintf(path, sizeof path, "%s/%s", tmpdir, files[i]);
        remove(path);
    }
    remove(tmpdir);
    free(tmpdir);
    return tests_done("test_config");
}
