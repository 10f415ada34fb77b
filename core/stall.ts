// Stalls: a stream that bills but sends nothing (camera offline, encoder frozen, callbacks lost).
// Arrival time drives this, not frame time: the question is whether callbacks reach us. A host
// with timers (Node-RED) calls checkStall on one and emits stream_stalled / stream_resumed; a host
// that only runs on callbacks (an n8n webhook) calls noteCallback and can at least report the gap
// (gap_s) on the next item, and a stream_resumed after a long one.
import { InputError } from './errors';

export const DEFAULT_STALL_SECONDS = 30;
export const STALL_LABEL = 'Stalled After (Seconds)';
/** Less than two 5 s windows would flag ordinary jitter. */
export const MIN_STALL_SECONDS = 10;
export const MAX_STALL_SECONDS = 86400;

/**
 * Seconds without a callback after which a stream counts as stalled; 0 turns detection off.
 * @throws InputError
 */
export function validateStallSeconds(value: unknown): number {
	const seconds = typeof value === 'string' && value.trim() !== '' ? Number(value.trim()) : value;
	if (seconds === undefined || seconds === null || seconds === '') return DEFAULT_STALL_SECONDS;
	if (
		typeof seconds !== 'number' ||
		!Number.isFinite(seconds) ||
		(seconds !== 0 && (seconds < MIN_STALL_SECONDS || seconds > MAX_STALL_SECONDS))
	) {
		throw new InputError(
			STALL_LABEL,
			`${STALL_LABEL} must be 0 (off) or a number of seconds from ${MIN_STALL_SECONDS} to ${MAX_STALL_SECONDS}, e.g. ${DEFAULT_STALL_SECONDS} (six 5 s windows).`,
		);
	}
	return seconds;
}

/** Per stream; plain JSON. */
export interface StallState {
	version: 1;
	/** Arrival of the last callback, or the stream's start before the first one (epoch ms). */
	lastCallbackAtMs: number;
	/** A stream_stalled went out and no callback came since. */
	stalled: boolean;
}

export type StallEventName = 'stream_stalled' | 'stream_resumed';

export interface StallTransition {
	event: StallEventName;
	/** Seconds without a callback: so far (stalled) or in all (resumed). */
	gap_s: number;
	/** The last callback before the gap (or the start), ISO. */
	since: string;
	/** When this was noticed, ISO. */
	at: string;
}

export function createStallState(startedAtMs: number): StallState {
	return { version: 1, lastCallbackAtMs: startedAtMs, stalled: false };
}

/** A stored state, or a fresh one from `startedAtMs` when it is missing or corrupt. */
export function reviveStallState(stored: unknown, startedAtMs: number): StallState {
	const s = stored as StallState;
	const valid = typeof stored === 'object' && stored !== null && s.version === 1 && Number.isFinite(s.lastCallbackAtMs) && typeof s.stalled === 'boolean';
	return valid ? s : createStallState(startedAtMs);
}

const gapSeconds = (fromMs: number, toMs: number) => Math.max(0, Math.round(toMs - fromMs)) / 1000;
const iso = (ms: number) => new Date(ms).toISOString();

/** Whether the stream is stalled at `nowMs` (for a status), whatever was reported. */
export function isStalled(state: StallState, nowMs: number, stallSeconds: number): boolean {
	return stallSeconds > 0 && nowMs - state.lastCallbackAtMs >= stallSeconds * 1000;
}

/** For a host timer: has the stream just stalled? At most one stream_stalled per gap. */
export function checkStall(state: StallState, nowMs: number, stallSeconds: number): { state: StallState; transition: StallTransition | null } {
	if (state.stalled || !isStalled(state, nowMs, stallSeconds)) return { state, transition: null };
	return {
		state: { ...state, stalled: true },
		transition: { event: 'stream_stalled', gap_s: gapSeconds(state.lastCallbackAtMs, nowMs), since: iso(state.lastCallbackAtMs), at: iso(nowMs) },
	};
}

/** When a timer should next call checkStall (epoch ms), or null when nothing is due (off, or stalled already). */
export function nextStallCheckAt(state: StallState, stallSeconds: number): number | null {
	if (stallSeconds <= 0 || state.stalled) return null;
	return state.lastCallbackAtMs + stallSeconds * 1000;
}

/**
 * A callback arrived (any callback that passed the secret, result or not). `gap_s`: seconds since
 * the previous one, for the next item. `transition`: stream_resumed after a stall was reported,
 * or after a gap at least as long as the stall limit when no timer reported it.
 */
export function noteCallback(
	state: StallState,
	receivedAtMs: number,
	stallSeconds: number,
): { state: StallState; gap_s: number; transition: StallTransition | null } {
	const gap = gapSeconds(state.lastCallbackAtMs, receivedAtMs);
	const next: StallState = { ...state, lastCallbackAtMs: Math.max(state.lastCallbackAtMs, receivedAtMs), stalled: false };
	const resumed = state.stalled || (stallSeconds > 0 && gap >= stallSeconds);
	return {
		state: next,
		gap_s: gap,
		transition: resumed ? { event: 'stream_resumed', gap_s: gap, since: iso(state.lastCallbackAtMs), at: iso(receivedAtMs) } : null,
	};
}
