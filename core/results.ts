import type { CallbackEvent } from './callback';
import { Status } from './contract';
import { InputError } from './errors';

/** What both hosts emit for a result or an ended stream (n8n item JSON, Node-RED msg.payload). */
export interface ResultPayload {
	task_id: string;
	status: number;
	text: string;
	timestamp: string | null;
	/** True for the last event of a stream: non-zero status (assumed), or our own stop. */
	ended: boolean;
}

export function toResultPayload(event: CallbackEvent): ResultPayload {
	return { task_id: event.taskId, status: event.status, text: event.text, timestamp: event.timestamp, ended: event.ended };
}

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
