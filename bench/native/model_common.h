/* What both native models (cyclictest_model.c, rearm_storm_model.c) are made of, up to
 * their workload's path: the C environment, the inputs and per-vCPU records, the clock, the
 * draws, the event queue, the metrics and the vCPU parts both paths share. Each model is one
 * translation unit (it includes the parts in order), so that gcc inlines each path's calls
 * as it would in a program of its own. MODEL_NAME: the program's name, for its messages. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef uint64_t u64;
typedef int64_t i64;
typedef uint32_t u32;
typedef int32_t i32;
typedef unsigned __int128 u128;

#define I64_MAX INT64_MAX

static void die(int code, const char *msg) {
	fprintf(stderr, "%s: %s\n", MODEL_NAME, msg);
	exit(code);
}

#include "model_state.h"
#include "model_clock.h"
#include "model_draws.h"
#include "model_queue.h"
#include "model_metrics.h"
#include "model_vcpu.h"
