// The maximum duration a host lets a stream it started run before stopping it (billing runs
// until a stream is stopped or its source ends).
import type { CallbackEvent } from './callback';
import { Status } from './contract';
import { InputError } from './errors';

/** A week: longer than anyone should leave a billed stream unattended by accident. */
export const MAX_DURATION_LIMIT_MINUTES = 7 * 24 * 60;

/**
 * Minutes after which a stream we started is stopped ("Stop After", its maximum duration); 0 means never.
 * @param field how the editor names the setting, for the error
 */
export function validateMaxDuration(value: unknown, field = 'Stop After'): number {
	const minutes = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
	if (minutes === undefined || minutes === null || minutes === '') return 0;
	if (typeof minutes !== 'number' || !Number.isFinite(minutes) || minutes < 0 || minutes > MAX_DURATION_LIMIT_MINUTES) {
		throw new InputError(field, `${field} must be a number of minutes from 0 (never) to ${MAX_DURATION_LIMIT_MINUTES}.`);
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

/**
 * The ended event a host emits after it stopped a stream at its deadline: the maximum duration it
 * knows, or (a deadline from the URL) the time it was due.
 */
export function maxDurationEndEvent(taskId: string, due: { maxDurationMinutes?: number; stopAt?: number }, nowMs: number): CallbackEvent {
	const minutes = due.maxDurationMinutes;
	const text =
		minutes !== undefined
			? `Stopped after the maximum duration of ${minutes} minute${minutes === 1 ? '' : 's'}.`
			: `Stopped at its deadline (Stop After), ${new Date(due.stopAt ?? nowMs).toISOString()}.`;
	return { taskId, status: Status.stopped, text, timestamp: new Date(nowMs).toISOString(), ended: true };
}
