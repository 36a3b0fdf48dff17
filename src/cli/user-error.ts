// Which errors are the user's (one line on stderr, exit 2) rather than ours (a stack
// trace): shared by the CLI's main() and the tests that hold every input to it.

import { InputRangeError, InputTypeError, InputUnusableError, KvmRefusedError } from "../errors.js";
import { ScenarioError } from "../scenario/errors.js";
import { TraceFormatError } from "../calibrate/trace-reader.js";

export function isUserError(err: unknown): err is Error {
  return err instanceof InputRangeError || err instanceof InputTypeError || err instanceof InputUnusableError || err instanceof KvmRefusedError || err instanceof ScenarioError || err instanceof TraceFormatError;
}
