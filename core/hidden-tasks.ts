// Hidden tasks: a start whose answer was lost (timeout, reset: `mayHaveStarted`) may have created
// a billed task whose id nobody knows, and the API cannot list tasks. The task announces itself
// with its first result. The rule, for every host: when a callback proves that we started its
// task, and nobody tracks that task, stop it.
//
// What proves it depends on what the callback URL is unique to:
// - n8n's Watch trigger: the secret itself (one per activation, so every task it reaches was
//   started by that activation); tracked is the one task the activation recorded.
// - Node-RED: a results node's secret is shared by every start that sends results there (and by
//   any other sender the user gave the URL), so each start adds a marker of its own
//   (`&start_id=…`); a marker whose start's answer was lost is the proof.
import type { CallbackEvent } from './callback';
import type { OwnedStream, StreamStop } from './gate';
import { generateSecret } from './secrets';

export const START_ID_PARAM = 'start_id';

/** What a host knows about a callback's task. */
export interface TaskClaim {
	/** The callback proves one of our starts created its task (see above). */
	startedHere: boolean;
	/** The host tracks the task (it will stop it itself, or it is the one it owns). */
	tracked: boolean;
}

/** A fresh marker for one start (128 random bits, URL-safe). */
export function newStartId(): string {
	return generateSecret().slice(0, 22);
}

/** The callback URL with the start's marker (replacing one already there); unchanged when it is no URL. */
export function withStartId(url: unknown, startId: string): unknown {
	if (typeof url !== 'string') return url;
	try {
		const parsed = new URL(url.trim());
		parsed.searchParams.set(START_ID_PARAM, startId);
		return parsed.toString();
	} catch {
		return url;
	}
}

/** A `start_id` value as `newStartId` makes them; undefined for anything else. */
export function startIdFromParam(value: string | undefined): string | undefined {
	return value !== undefined && /^[A-Za-z0-9_-]{16,64}$/.test(value) ? value : undefined;
}

/** The claim of an owner of one stream (n8n's Watch trigger): every task its secret reaches is its own start's. */
export function ownerClaim(event: CallbackEvent, owned: OwnedStream | undefined): TaskClaim | undefined {
	return owned ? { startedHere: true, tracked: event.taskId === owned.taskId } : undefined;
}

/** The stop a callback calls for when its task is a hidden one: started here, tracked by nobody. */
export function hiddenTaskStop(event: CallbackEvent, claim: TaskClaim | undefined): StreamStop | undefined {
	return claim && claim.startedHere && !claim.tracked ? { taskId: event.taskId, reason: 'not_owned' } : undefined;
}
