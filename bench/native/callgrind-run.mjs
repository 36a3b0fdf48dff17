// The wasm engine's loop for instruction counts (bench/README.md, "Instruction counts"):
// four warm-up runs of 20 ms simulated (V8 tiers the wasm up meanwhile), then one of the
// given duration, cyclictest as in bench/native-sim.bench.ts. Run it twice under
// callgrind with two durations; the difference in instructions over the difference in
// interrupts is the loop's cost per interrupt. Uses the built package (npm run build).
//
//   valgrind --tool=callgrind --callgrind-out-file=/dev/null node --predictable --no-liftoff --hash-seed=1 --random-seed=1 bench/native/callgrind-run.mjs 1024 20e6
//   valgrind --tool=callgrind --callgrind-out-file=/dev/null node --predictable --no-liftoff --hash-seed=1 --random-seed=1 bench/native/callgrind-run.mjs 1024 100e6

import { runRow } from "../callgrind-workload.mjs";

// bench/callgrind-workload.mjs's cyclictest row: its warm-up runs 20 ms simulated each.
runRow("cyclictest", Number(process.argv[2] ?? 1024), 20e6, Number(process.argv[3] ?? 20e6));
