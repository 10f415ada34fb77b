// Retries for idempotent calls (stop), with the documented back-off, the service's Retry-After,
// and a budget. A start is never retried here: a lost answer may hide a started, billed task.
import { Backoff } from './contract';
import { MemoriesApiError } from './errors';
import { StopOutcome, mayHaveBeenProcessed } from './response';

/** Documented back-off for retries: 1 s, 2 s, 4 s … capped at 32 s. `attempt` counts from 0. */
export function backoffDelayMs(attempt: number): number {
	return Math.min(Backoff.firstDelayMs * 2 ** Math.max(0, attempt), Backoff.maxDelayMs);
}

/** How long one stop may take in all, retries and waits included, unless the host sets a deadline. */
export const STOP_BUDGET_MS = 60_000;
/** A try needs at least this long to hear an answer: less left, and it is not made. */
export const MIN_ATTEMPT_MS = 500;

export interface RetryBudget {
	/** The host's clock, in epoch ms. */
	now: () => number;
	/** When the last try must be over (epoch ms); undefined: `STOP_BUDGET_MS` from the first try. */
	deadline?: number;
}

/**
 * The wait before the next try: the documented back-off, or longer when the service asked for
 * it (`Retry-After`); undefined when that wait and a try after it do not fit before `deadline`.
 */
export function retryDelayMs(error: MemoriesApiError, attempt: number, now: number, deadline: number): number | undefined {
	const wait = Math.max(backoffDelayMs(attempt), error.retryAfterMs ?? 0);
	return now + wait + MIN_ATTEMPT_MS <= deadline ? wait : undefined;
}

/**
 * Runs `attempt` again while it fails with a retryable MemoriesApiError, waiting the documented
 * back-off (or the service's Retry-After, whichever is longer) between tries, within the budget.
 * Only for idempotent calls (stop): a start is never repeated blindly, as a lost answer may hide
 * a started, billed task.
 * @param attempt one try; gets the deadline its own wait for an answer must keep
 * @param sleep the host's way to wait (hosts own timers; the core does no I/O)
 */
export async function retryIdempotent<T>(
	attempt: (deadline: number) => Promise<T>,
	sleep: (ms: number) => Promise<void>,
	maxAttempts = 3,
	budget: RetryBudget = { now: () => Date.now() },
): Promise<T> {
	const deadline = budget.deadline ?? budget.now() + STOP_BUDGET_MS;
	for (let tries = 1; ; tries++) {
		try {
			return await attempt(deadline);
		} catch (error) {
			if (!(error instanceof MemoriesApiError) || !error.retryable || tries >= maxAttempts) throw error;
			const wait = retryDelayMs(error, tries - 1, budget.now(), deadline);
			if (wait === undefined) throw error; // the service asks for longer than is left: its advice says how long
			await sleep(wait);
		}
	}
}

/**
 * Stops a task with retries (retryIdempotent). A retry that hears "not found" after a try whose
 * answer was lost (mayHaveBeenProcessed) reports "stopped": that try most likely did stop it,
 * and the service only says -1 the second time.
 * @param stopOnce one stop call: send the request and interpret its answer (interpretStopResponse)
 */
export async function retryStop(
	taskId: string,
	stopOnce: (deadline: number) => Promise<StopOutcome>,
	sleep: (ms: number) => Promise<void>,
	maxAttempts = 3,
	budget?: RetryBudget,
): Promise<StopOutcome> {
	let earlierTryMayHaveStopped = false;
	const outcome = await retryIdempotent(
		async (deadline) => {
			try {
				return await stopOnce(deadline);
			} catch (error) {
				if (error instanceof MemoriesApiError && mayHaveBeenProcessed(error)) earlierTryMayHaveStopped = true;
				throw error;
			}
		},
		sleep,
		maxAttempts,
		budget,
	);
	return outcome.outcome === 'not_found' && earlierTryMayHaveStopped ? { outcome: 'stopped', taskId } : outcome;
}
