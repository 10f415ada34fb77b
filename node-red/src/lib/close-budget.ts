// How long a closing node may take. Node-RED waits 15 s for a node to close, then goes on without
// it (and a shutdown exits): every stop made while closing, retries included, and the wait for
// starts still awaiting their answer must end within this budget.
import { StopOptions, backoffDelayMs } from '../../../core';

export const CLOSE_BUDGET_MS = 14000;
const CLOSE_ATTEMPT_MS = 6000;

/** Stop options that end by `deadline`; the client's defaults once it has passed (Node-RED no longer waits). */
export function stopOptionsBefore(deadline: number, now = Date.now()): StopOptions {
	const left = deadline - now;
	if (left <= 0) return {};
	if (left >= 2 * CLOSE_ATTEMPT_MS + backoffDelayMs(0)) return { timeoutMs: CLOSE_ATTEMPT_MS, attempts: 2 };
	return { timeoutMs: Math.max(500, left), attempts: 1 };
}
