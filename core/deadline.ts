// The deadline that travels with a stream ("Stop After"): a start puts it into the callback URL it
// hands out, next to the secret (`&stop_at=<epoch seconds>`), so that whichever of our receivers
// gets a callback past it (any host, any process, n8n's queue mode too) stops the task with no
// state of its own. Only a callback whose secret matched is read for it (callback-check.ts): a
// deadline forged into a URL without the secret stops nobody's stream, and a stripped one only
// means the stream runs as it would without a deadline.
import type { CallbackEvent } from './callback';
import { rawQueryParams, singleParam } from './callback-url';
import type { OwnedStream, StreamStop } from './gate';
import { maxDurationDeadline } from './max-duration';

export const STOP_AT_PARAM = 'stop_at';

/**
 * Stop After for a start made by a person or an agent through the action node: an hour. Long
 * enough for a watch a user attends (a meeting, a cooking session, a delivery window), short
 * enough that a stream nobody stops (an agent forgets, a workflow fails before its Stop) bills at
 * most an hour (720 frame windows); 0 is there for whoever wants no limit, as an explicit choice.
 */
export const DEFAULT_STOP_AFTER_MINUTES = 60;

/** The deadline (epoch ms, whole seconds, rounded up) of a stream started at `nowMs`; undefined for 0. */
export function deadlineAfter(nowMs: number, minutes: number): number | undefined {
	return minutes > 0 ? Math.ceil((nowMs + minutes * 60000) / 1000) * 1000 : undefined;
}

/**
 * The callback URL with the deadline next to the secret (replacing one already there); unchanged
 * without a deadline, or when it is no URL (the start's validation then says what is wrong).
 */
export function withDeadline(url: unknown, deadlineMs: number | undefined): unknown {
	if (deadlineMs === undefined || typeof url !== 'string') return url;
	try {
		const parsed = new URL(url.trim());
		parsed.searchParams.set(STOP_AT_PARAM, String(Math.floor(deadlineMs / 1000)));
		return parsed.toString();
	} catch {
		return url;
	}
}

/** The deadline a callback URL carries (epoch ms), as a receiver reads it. */
export function deadlineOfUrl(url: string): number | undefined {
	return deadlineFromParam(singleParam(rawQueryParams(url), STOP_AT_PARAM));
}

/** A `stop_at` value as our starts write it (epoch seconds), in ms; undefined for anything else. */
export function deadlineFromParam(value: string | undefined): number | undefined {
	return value !== undefined && /^\d{1,12}$/.test(value) ? Number(value) * 1000 : undefined;
}

/**
 * The stop a callback calls for at its stream's deadline: the one its URL carries, else (streams a
 * host started before deadlines travelled in URLs) the owned stream's maximum duration. Ended
 * events need no stop; the owner's other tasks are hidden ones (hidden-tasks.ts), not due ones.
 */
export function deadlineStop(event: CallbackEvent, now: number, owned?: OwnedStream): StreamStop | undefined {
	if (event.ended) return undefined;
	const ownedDeadline =
		owned && owned.taskId === event.taskId ? maxDurationDeadline(owned.startedAt, owned.maxDurationMinutes) : undefined;
	const stopAt = event.stopAt ?? ownedDeadline;
	if (stopAt === undefined || now < stopAt) return undefined;
	const minutes = event.stopAt === undefined && owned ? owned.maxDurationMinutes : undefined;
	return { taskId: event.taskId, reason: 'max_duration', stopAt, ...(minutes === undefined ? {} : { maxDurationMinutes: minutes }) };
}
