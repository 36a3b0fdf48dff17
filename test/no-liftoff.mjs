// Preloaded into every node process the tests start (test/global-setup.ts puts
// `--import` of this file in NODE_OPTIONS, which refuses V8 flags themselves): compile
// wasm with TurboFan only, never V8's baseline compiler, Liftoff.
//
// Why: the debug wasm build (the one the tests load) is not optimised, so the engine's
// specialised copies (engine_loop.ts run*, engine_program.ts onThreadEvent*, runProgram*,
// which inline the whole guest program) are functions of ~60,000-70,000 instructions and
// ~6,000-7,500 locals each. Liftoff copies its whole register/stack state of every local
// at each merge point, so compiling one of them took seconds of CPU and hundreds of MB
// of page faults in each process that ran the engine (a `tscsim run` of 20 ms went from
// ~2 s to ~9 s of CPU when those functions doubled); TurboFan compiles the same functions
// in a fraction of that. The wasm's semantics do not depend on the compiler tier: every
// result stays byte for byte the same. The release build, which users run, has small
// functions and is not concerned.
import { setFlagsFromString } from "node:v8";

setFlagsFromString("--no-liftoff");
