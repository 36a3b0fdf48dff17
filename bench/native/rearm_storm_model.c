/*
 * A native C model of the wasm engine's work for the rearm-storm workload (issue #13,
 * target 1): what the work per interrupt of a rearm storm costs in native code, against
 * cyclictest's (cyclictest_model.c, its sibling, with which it shares every part but the
 * path: model_common.h, model_main.h).
 *
 * It runs the same simulation as the wasm engine, from the same inputs (the bench's
 * snapshot, assembly/sim/bench_probe.ts), on the engine's general path, the one every
 * workload but plain cyclictest takes: the same events and sequence numbers, the same
 * chaining of a vCPU's own next steps, with the preemption timer held back as a host TSC
 * and the thread's next event parked behind a timer of its own with a reserved seq, the
 * same draws, kernel arithmetic and metric records. It prints the same figures as
 * cyclictest_model.c, which the bench compares with the wasm engine's before it reports a
 * ratio.
 *
 * Scope: rearm-storm in TSC-deadline mode without the lazy or PV deadline proposals,
 * host stalls, posted timer interrupts, guest-side idling, a host scheduler, pauses,
 * migrations or a global (v4.0/v4.20) timer advance (model_general.h, model_rearm.h).
 * Anything outside it exits with status 3. Each function names the wasm function it
 * repeats (assembly/sim/...), which names its kernel counterpart.
 *
 * Usage: rearm_storm_model INPUT REPS   (INPUT: the bench's snapshot, little-endian)
 * Output: one JSON object on stdout.
 */
#define MODEL_NAME "rearm_storm_model"
#include "model_common.h"
#include "model_general.h"
#include "model_rearm.h"
#include "model_main.h"

int main(int argc, char **argv) { return model_main(argc, argv, WK_REARM_STORM, rs_run); }
