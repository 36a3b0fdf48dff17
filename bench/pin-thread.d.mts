// Types of bench/pin-thread.mjs (plain JavaScript, for the bare threads).
/** The calling thread's OS thread id (/proc/thread-self links to <pid>/task/<tid>). */
export function ownThreadId(): number;
/** Pins thread `tid` (an OS thread id) to CPU `cpu`; throws if it cannot. */
export function pinThread(tid: number, cpu: number): void;
/** CPU time (user + system) of thread `tid` of process `pid` (default this one), ms at 10 ms resolution; null if the thread is gone. */
export function threadCpuMs(tid: number, pid?: number | "self"): number | null;
