// The event queue in wasm (assembly/sim/event_queue.ts) against a reference: events
// come out in (time, push order) order for any interleaving of pushes (never before the
// current time) and pops, with growth and the horizon — also when the 32-bit seq passes
// 2^32 (the count started just below it); and an entry pushed with a seq reserved earlier
// (the wasm engine's parked thread events) takes the place of that seq among equal times.

import { describe, expect, test } from "vitest";
import fc from "fast-check";
import { wasm } from "../../src/wasm.js";

type Op = { push: true; delayNs: number } | { push: false };

const op: fc.Arbitrary<Op> = fc.oneof(
  // Few distinct delays, so equal times (ties broken by seq) are common.
  { weight: 3, arbitrary: fc.oneof(fc.constantFrom(0, 1, 5, 1000), fc.integer({ min: 0, max: 2_000_000 })).map((delayNs) => ({ push: true as const, delayNs })) },
  { weight: 2, arbitrary: fc.constant({ push: false as const }) },
);

describe("event queue", () => {
  test("property: pops in (time, push order) order, the clock follows, the horizon holds events back, across the seq's wrap", () => {
    const firstSeq = fc.oneof(fc.constant(0), fc.integer({ min: 2 ** 32 - 400, max: 2 ** 32 - 1 }), fc.integer({ min: 0, max: 2 ** 32 - 1 }));
    fc.assert(
      fc.property(fc.array(op, { minLength: 1, maxLength: 600 }), fc.option(fc.integer({ min: 0, max: 3_000_000 })), firstSeq, (ops, horizon, first) => {
        const start = 1_000_000_000n;
        wasm.setHostClock(3_000_000, 0n, start);
        wasm.queueReset(16);
        wasm.queueSetNextSeq(first);
        const until = horizon === null ? 2n ** 62n : start + BigInt(horizon);
        wasm.queueSetHorizon(until);
        const pending: { t: bigint; order: number; seq: number; payload: number }[] = [];
        let now = start;
        let next = 0;
        for (const o of ops) {
          if (o.push) {
            const payload = next & 0xffffff;
            const seq = wasm.queuePushIn(o.delayNs, payload);
            expect(seq).toBe((first + next) % 2 ** 32);
            pending.push({ t: now + BigInt(o.delayNs), order: next++, seq, payload });
          } else {
            pending.sort((a, b) => (a.t < b.t ? -1 : a.t > b.t ? 1 : a.order - b.order));
            const head = pending[0];
            const got = wasm.queuePop();
            if (head === undefined || head.t > until) {
              expect(got).toBe(-1);
              continue;
            }
            pending.shift();
            expect(got).toBe(head.payload);
            expect(wasm.queuePoppedSeq()).toBe(head.seq);
            now = head.t;
            expect(BigInt(wasm.nowF64())).toBe(now);
          }
          expect(wasm.queueSize()).toBe(pending.length);
        }
      }),
      { numRuns: 400 },
    );
  });

  test("property: an entry pushed with a reserved seq (queuePushAs) pops in its reservation's place", () => {
    type Op2 = Op | { reserve: true; delayNs: number } | { release: number };
    const op2: fc.Arbitrary<Op2> = fc.oneof(
      { weight: 3, arbitrary: op },
      { weight: 1, arbitrary: fc.constantFrom(0, 1, 5, 1000).map((delayNs) => ({ reserve: true as const, delayNs })) },
      { weight: 1, arbitrary: fc.nat().map((release) => ({ release })) },
    );
    const firstSeq = fc.oneof(fc.constant(0), fc.integer({ min: 2 ** 32 - 400, max: 2 ** 32 - 1 }));
    fc.assert(
      fc.property(fc.array(op2, { minLength: 1, maxLength: 400 }), firstSeq, (ops, first) => {
        const start = 1_000_000_000n;
        wasm.setHostClock(3_000_000, 0n, start);
        wasm.queueReset(16);
        wasm.queueSetNextSeq(first);
        wasm.queueSetHorizon(2n ** 62n);
        const pending: { t: bigint; order: number; payload: number }[] = [];
        const reserved: { t: bigint; order: number; seq: number }[] = [];
        let now = start;
        let next = 0;
        for (const o of ops) {
          if ("reserve" in o) {
            const seq = wasm.queueReserveSeq();
            expect(seq).toBe((first + next) % 2 ** 32);
            reserved.push({ t: now + BigInt(o.delayNs), order: next++, seq });
          } else if ("release" in o) {
            if (reserved.length === 0) continue;
            const [r] = reserved.splice(o.release % reserved.length, 1);
            // A held-back event is never before the clock: one that fell behind is dropped.
            if (r!.t < now) continue;
            const payload = r!.order & 0xffffff;
            wasm.queuePushAs(r!.t, r!.seq, payload);
            pending.push({ t: r!.t, order: r!.order, payload });
          } else if (o.push) {
            const payload = next & 0xffffff;
            wasm.queuePushIn(o.delayNs, payload);
            pending.push({ t: now + BigInt(o.delayNs), order: next++, payload });
          } else {
            pending.sort((a, b) => (a.t < b.t ? -1 : a.t > b.t ? 1 : a.order - b.order));
            const head = pending.shift();
            const got = wasm.queuePop();
            if (head === undefined) {
              expect(got).toBe(-1);
              continue;
            }
            expect(got).toBe(head.payload);
            now = head.t;
          }
          expect(wasm.queueSize()).toBe(pending.length);
        }
      }),
      { numRuns: 300 },
    );
  });
});
