/*
 * A native C model of the wasm engine's work for the cyclictest workload (issue #13,
 * target 2): the yardstick the wasm engine's ns per interrupt is held to.
 * rearm_storm_model.c is its sibling for the rearm-storm workload (target 1).
 *
 * It runs the same simulation, not a sketch of it: the bench copies the inputs out of
 * wasm once a Simulation is built (vCPU records, per-VM cells, the seeded xoshiro128**
 * streams, the compiled delay program and the ziggurat tables: assembly/sim/bench_probe.ts)
 * and this program runs them with the same event-queue discipline (a 4-ary min-heap on
 * (time, seq), the same sequence numbers), the same chaining of a vCPU's own next steps,
 * the same draws (ziggurat normal, exp for the lognormal), the same 64/128-bit kernel
 * arithmetic (unsigned __int128 multiplies, the x86 divq for 128/64 divides, as the
 * kernel), and the same metric records (HdrHistogram buckets, callbacks per ms, the
 * advance series). It prints the events, interrupts, latency sums and a checksum of the
 * histograms, which the bench compares with the wasm engine's before it reports a ratio.
 *
 * Scope: the paths a cyclictest scenario without host stalls, posted timer interrupts,
 * guest-side idling, extra work, deadline proposals, a host scheduler, pauses, migrations
 * or a global (v4.0/v4.20) timer advance takes (the wasm engine's cyclictest copies:
 * model_engine.h, model_loop.h). The
 * configuration is checked up front and anything outside that scope exits with status 3
 * (the bench then reports the case as not comparable). Each function names the wasm
 * function it repeats (assembly/sim/...), which names its kernel counterpart.
 *
 * Usage: cyclictest_model INPUT REPS   (INPUT: the bench's snapshot, little-endian)
 * Output: one JSON object on stdout.
 */
#define MODEL_NAME "cyclictest_model"
#include "model_common.h"
#include "model_engine.h"
#include "model_loop.h"
#include "model_main.h"

int main(int argc, char **argv) { return model_main(argc, argv, WK_CYCLICTEST, run); }
