// How long a closing node may take. Node-RED waits 15 s for a node to close, then goes on without
// it (and a shutdown exits): every stop made while closing, retries and waits included (the
// service's Retry-After too), and the wait for starts still awaiting their answer must end within
// this budget.
import type { StopOptions } from '../../../core';

export const CLOSE_BUDGET_MS = 14000;
const CLOSE_ATTEMPT_MS = 6000;

/**
 * Stop options that end by `deadline`: the core's client keeps each try's wait for an answer and
 * each wait between tries within it. The client's defaults once it has passed (Node-RED no
 * longer waits; a redeploy goes on).
 */
export function stopOptionsBefore(deadline: number, now = Date.now()): StopOptions {
	if (deadline - now <= 0) return {};
	return { timeoutMs: CLOSE_ATTEMPT_MS, attempts: 3, deadline };
}
