// The maximum duration a host lets a stream it started run before stopping it (billing runs
// until a stream is stopped or its source ends).
import type { CallbackEvent } from './callback';
import { Status } from './contract';
import { InputError } from './errors';

/** A week: longer than anyone should leave a billed stream unattended by accident. */
export const MAX_DURATION_LIMIT_MINUTES = 7 * 24 * 60;

/** Minutes after which a stream we started is stopped; 0 means no limit. */
export function validateMaxDuration(value: unknown): number {
	const minutes = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
	if (minutes === undefined || minutes === null || minutes === '') return 0;
	if (typeof minutes !== 'number' || !Number.isFinite(minutes) || minutes < 0 || minutes > MAX_DURATION_LIMIT_MINUTES) {
		throw new InputError(
			'Maximum Duration',
			`Maximum Duration must be a number of minutes from 0 (no limit) to ${MAX_DURATION_LIMIT_MINUTES}.`,
		);
	}
	return minutes;
}

export function maxDurationExceeded(startedAtMs: number, maxMinutes: number, nowMs: number): boolean {
	return maxMinutes > 0 && nowMs - startedAtMs >= maxMinutes * 60000;
}

/** When a stream started at `startedAtMs` is due to be stopped, or undefined without a limit. */
export function maxDurationDeadline(startedAtMs: number, maxMinutes: number): number | undefined {
	return maxMinutes > 0 ? startedAtMs + maxMinutes * 60000 : undefined;
}

/** The ended event a host emits after it stopped a stream for reaching its maximum duration. */
export function maxDurationEndEvent(taskId: string, maxMinutes: number, nowMs: number): CallbackEvent {
	return {
		taskId,
		status: Status.stopped,
		text: `Stopped after the maximum duration of ${maxMinutes} minute${maxMinutes === 1 ? '' : 's'}.`,
		timestamp: new Date(nowMs).toISOString(),
		ended: true,
	};
}
