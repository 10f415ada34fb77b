// Retries for idempotent calls (stop), with the documented back-off. A start is never retried
// here: a lost answer may hide a started, billed task.
import { Backoff } from './contract';
import { MemoriesApiError } from './errors';
import { StopOutcome, mayHaveBeenProcessed } from './response';

/** Documented back-off for retries: 1 s, 2 s, 4 s … capped at 32 s. `attempt` counts from 0. */
export function backoffDelayMs(attempt: number): number {
	return Math.min(Backoff.firstDelayMs * 2 ** Math.max(0, attempt), Backoff.maxDelayMs);
}

/**
 * Runs `attempt` again while it fails with a retryable MemoriesApiError, waiting the documented
 * back-off between tries. Only for idempotent calls (stop): a start is never repeated blindly,
 * as a lost answer may hide a started, billed task.
 * @param sleep the host's way to wait (hosts own timers; the core does no I/O)
 */
export async function retryIdempotent<T>(
	attempt: () => Promise<T>,
	sleep: (ms: number) => Promise<void>,
	maxAttempts = 3,
): Promise<T> {
	for (let tries = 1; ; tries++) {
		try {
			return await attempt();
		} catch (error) {
			if (!(error instanceof MemoriesApiError) || !error.retryable || tries >= maxAttempts) throw error;
			await sleep(backoffDelayMs(tries - 1));
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
	stopOnce: () => Promise<StopOutcome>,
	sleep: (ms: number) => Promise<void>,
	maxAttempts = 3,
): Promise<StopOutcome> {
	let earlierTryMayHaveStopped = false;
	const outcome = await retryIdempotent(
		async () => {
			try {
				return await stopOnce();
			} catch (error) {
				if (error instanceof MemoriesApiError && mayHaveBeenProcessed(error)) earlierTryMayHaveStopped = true;
				throw error;
			}
		},
		sleep,
		maxAttempts,
	);
	return outcome.outcome === 'not_found' && earlierTryMayHaveStopped ? { outcome: 'stopped', taskId } : outcome;
}
