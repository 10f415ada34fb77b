// Episodes: "tell me when the pan boils over" once per occurrence, not every 5 s while it boils.
// Per stream, a plain JSON state and a pure transition: the state may live in n8n's workflow
// static data or in a database shared by several webhook processes (queue mode), so it is
// reloaded between every two calls. It holds no Maps, classes or closures, and its size is
// bounded whatever the number of callbacks.
//
// Time rule: a window's time is its frame timestamp when the callback has one, else the arrival
// time the host passes in. Frame time is the time of what was seen: it is the same in every
// process, on every retry and whatever the delivery delay or order, so cooldowns, reminders,
// started_at and ended_at do not depend on how callbacks travelled. Arrival time only stands in
// when the service sends no usable timestamp.
//
// Ordering rule: windows count in frame-timestamp order. A window with the timestamp of one of the
// last RECENT_FRAMES windows seen is a duplicate; one older than the last applied is late (so is a
// repeat of a window older than those remembered: the state keeps bounded history). Both are
// reported and change nothing. Windows without a timestamp are applied in arrival order. After the
// stream's end nothing is applied.
import type { AnswerFields } from './answers';
import { InputError } from './errors';

export interface EpisodeOptions {
	/** N: an episode starts when the condition has held for this many consecutive windows. */
	startAfterWindows: number;
	/** M: it ends when the condition has failed for this many consecutive windows. */
	endAfterWindows: number;
	/** R: an `episode_ongoing` reminder every this many minutes (of window time, see below); 0: none. */
	reminderMinutes: number;
	/** C: no episode starts within this many seconds after the last one ended. */
	cooldownSeconds: number;
}

export const DEFAULT_EPISODE_OPTIONS: Readonly<EpisodeOptions> = {
	startAfterWindows: 1,
	endAfterWindows: 2,
	reminderMinutes: 0,
	cooldownSeconds: 0,
};

export const EpisodeOptionLimits: Readonly<Record<keyof EpisodeOptions, { min: number; max: number; integer: boolean }>> = {
	startAfterWindows: { min: 1, max: 100, integer: true },
	endAfterWindows: { min: 1, max: 100, integer: true },
	reminderMinutes: { min: 0, max: 1440, integer: false },
	cooldownSeconds: { min: 0, max: 86400, integer: false },
};

/** The words editors use (InputError.field). */
export const EPISODE_OPTION_LABELS: Readonly<Record<keyof EpisodeOptions, string>> = {
	startAfterWindows: 'Start After (Windows)',
	endAfterWindows: 'End After (Windows)',
	reminderMinutes: 'Reminder Every (Minutes)',
	cooldownSeconds: 'Cooldown (Seconds)',
};

const OPTION_HINTS: Readonly<Record<keyof EpisodeOptions, string>> = {
	startAfterWindows: 'consecutive windows the condition must hold before an episode starts',
	endAfterWindows: 'consecutive windows the condition must fail before the episode ends',
	reminderMinutes: 'minutes between reminders while an episode goes on, 0 for none',
	cooldownSeconds: 'seconds after an episode ends during which no new one starts, 0 for none',
};

/**
 * Reads the options as editors and message properties give them (numbers or numeric text;
 * missing or empty: the default).
 * @throws InputError naming the option
 */
export function validateEpisodeOptions(input: Partial<Record<keyof EpisodeOptions, unknown>> = {}): EpisodeOptions {
	const read = (key: keyof EpisodeOptions): number => {
		const raw = input[key];
		if (raw === undefined || raw === null || (typeof raw === 'string' && raw.trim() === '')) return DEFAULT_EPISODE_OPTIONS[key];
		const value = typeof raw === 'string' ? Number(raw.trim()) : raw;
		const { min, max, integer } = EpisodeOptionLimits[key];
		if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max || (integer && !Number.isInteger(value))) {
			throw new InputError(
				EPISODE_OPTION_LABELS[key],
				`${EPISODE_OPTION_LABELS[key]} must be ${integer ? 'a whole number' : 'a number'} from ${min} to ${max} (${OPTION_HINTS[key]}).`,
			);
		}
		return value;
	};
	return {
		startAfterWindows: read('startAfterWindows'),
		endAfterWindows: read('endAfterWindows'),
		reminderMinutes: read('reminderMinutes'),
		cooldownSeconds: read('cooldownSeconds'),
	};
}

/** One frame window's outcome, as the host hands it to the machine. */
export interface EpisodeWindow {
	/** ISO-8601 of the frame window (CallbackEvent.timestamp), or null. */
	timestamp: string | null;
	/** When the host received the callback, epoch ms. */
	receivedAt: number;
	/** Whether the condition held; null when the answer could not be parsed (counts neither way). */
	matched: boolean | null;
	text: string;
	/** The parsed fields in JSON mode. */
	fields?: AnswerFields | null;
}

/** What became of a window: applied in order, or reported and ignored. */
export type WindowOrder = 'in_order' | 'duplicate' | 'late' | 'after_end';

/** Why an episode ended: its condition failed M times, or its stream ended (the host's reason). */
export type EpisodeEndReason = 'condition_cleared' | 'stream_ended' | (string & {});

/** Texts and fields kept in the state are cut to these lengths, which bounds its size. */
export const EPISODE_TEXT_LIMIT = 2000;
export const EPISODE_FIELD_TEXT_LIMIT = 500;

/** A window's answer as the state keeps it. */
export interface EpisodeSnapshot {
	text: string;
	fields: AnswerFields | null;
}

/** Consecutive matching windows while no episode runs (the debounce). */
export interface PendingRun {
	windows: number;
	firstAtMs: number;
	first: EpisodeSnapshot;
}

export interface ActiveEpisode {
	number: number;
	startedAtMs: number;
	/** Windows in which the condition held, the debounce run included. */
	windows: number;
	first: EpisodeSnapshot;
	last: EpisodeSnapshot;
	lastMatchAtMs: number;
	/** Consecutive failing windows since the last match, and the time of the first of them. */
	misses: number;
	missStartedAtMs: number | null;
	nextReminderAtMs: number | null;
}

/** The per-stream state: plain JSON, bounded. Treat as opaque; create with createEpisodeState. */
export interface EpisodeState {
	version: 1;
	taskId: string;
	/** The stream ended (endEpisodes): nothing more is applied. */
	ended: boolean;
	/** Frame time of the last window applied that had one. */
	lastFrameMs: number | null;
	/** Frame times of the last RECENT_FRAMES windows seen (applied or late), oldest first, to tell repeats. */
	recentFrameMs: number[];
	/** Episodes started so far (the next one's number minus one). */
	started: number;
	cooldownUntilMs: number | null;
	pending: PendingRun | null;
	active: ActiveEpisode | null;
}

/** An episode as items carry it. */
export interface EpisodeInfo {
	/** `<task_id>:<number>`: the same in every process and on every replay. */
	id: string;
	/** 1 for the stream's first episode. */
	number: number;
	/** Time of the first window of the run that started it (before the debounce completed). */
	started_at: string;
	/** Time of the first window of the failing run that ended it, or of the stream's end; null while it goes on. */
	ended_at: string | null;
	/** From started_at to ended_at, or to the window at hand while it goes on. */
	duration_s: number;
	/** Windows in which the condition held, so far. */
	windows: number;
	/** Texts are cut to EPISODE_TEXT_LIMIT characters, string fields to EPISODE_FIELD_TEXT_LIMIT. */
	first_text: string;
	first_fields: AnswerFields | null;
	last_text: string;
	last_fields: AnswerFields | null;
}

export type EpisodeEventName = 'episode_started' | 'episode_ongoing' | 'episode_ended';

export interface EpisodeTransition {
	event: EpisodeEventName;
	episode: EpisodeInfo;
	/** For `episode_ended`. */
	reason?: EpisodeEndReason;
}

export interface EpisodeStep {
	state: EpisodeState;
	/** At most one per window; endEpisodes gives at most one too. */
	events: EpisodeTransition[];
	order: WindowOrder;
}

export function createEpisodeState(taskId: string): EpisodeState {
	return { version: 1, taskId, ended: false, lastFrameMs: null, recentFrameMs: [], started: 0, cooldownUntilMs: null, pending: null, active: null };
}

const isNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const isNumberOrNull = (v: unknown) => v === null || isNumber(v);
const isRecentFrames = (v: unknown): v is number[] => Array.isArray(v) && v.length <= RECENT_FRAMES && v.every(isNumber);

/**
 * What every per-stream state of this design has (episodes, summary): this version, this task,
 * the end flag and the window ordering memory.
 */
export function isStreamRecord(stored: unknown, taskId: string): stored is { version: 1; taskId: string; ended: boolean; lastFrameMs: number | null; recentFrameMs: number[] } {
	const s = stored as EpisodeState;
	return (
		typeof stored === 'object' &&
		stored !== null &&
		s.version === 1 &&
		s.taskId === taskId &&
		typeof s.ended === 'boolean' &&
		isNumberOrNull(s.lastFrameMs) &&
		isRecentFrames(s.recentFrameMs)
	);
}
const isSnapshot = (v: unknown): boolean =>
	typeof v === 'object' && v !== null && typeof (v as EpisodeSnapshot).text === 'string' && typeof (v as EpisodeSnapshot).fields === 'object';

/**
 * A state as stored (static data, a database row): itself when it has this version's shape for
 * this task, else a fresh state (a corrupt or foreign record must not break the receiver).
 */
export function reviveEpisodeState(stored: unknown, taskId: string): EpisodeState {
	const s = stored as EpisodeState;
	const valid =
		isStreamRecord(stored, taskId) &&
		isNumber(s.started) &&
		isNumberOrNull(s.cooldownUntilMs) &&
		(s.pending === null || (typeof s.pending === 'object' && isNumber(s.pending.windows) && isNumber(s.pending.firstAtMs) && isSnapshot(s.pending.first))) &&
		(s.active === null ||
			(typeof s.active === 'object' &&
				isNumber(s.active.number) &&
				isNumber(s.active.startedAtMs) &&
				isNumber(s.active.windows) &&
				isNumber(s.active.lastMatchAtMs) &&
				isNumber(s.active.misses) &&
				isNumberOrNull(s.active.missStartedAtMs) &&
				isNumberOrNull(s.active.nextReminderAtMs) &&
				isSnapshot(s.active.first) &&
				isSnapshot(s.active.last)));
	return valid ? s : createEpisodeState(taskId);
}

/** Epoch ms of an ISO timestamp, or null. */
export function frameTimeMs(timestamp: string | null | undefined): number | null {
	if (typeof timestamp !== 'string') return null;
	const ms = Date.parse(timestamp);
	return Number.isFinite(ms) ? ms : null;
}

/** The time rule: the frame timestamp when there is one, else the arrival time. */
export function windowTimeMs(timestamp: string | null | undefined, receivedAt: number): number {
	return frameTimeMs(timestamp) ?? receivedAt;
}

/** How many frame times a state remembers to tell a repeated delivery from a late window (2½ minutes of 5 s windows). */
export const RECENT_FRAMES = 32;

/** The ordering rule, shared with the stream summary. */
export function orderOfWindow(lastFrameMs: number | null, recentFrameMs: readonly number[], frameMs: number | null): Exclude<WindowOrder, 'after_end'> {
	if (frameMs === null) return 'in_order';
	if (frameMs === lastFrameMs || recentFrameMs.includes(frameMs)) return 'duplicate';
	return lastFrameMs !== null && frameMs < lastFrameMs ? 'late' : 'in_order';
}

/** The recent frame times after a window that was not a duplicate. */
export function rememberFrame(recentFrameMs: readonly number[], frameMs: number | null): number[] {
	if (frameMs === null) return recentFrameMs as number[];
	const recent = [...recentFrameMs, frameMs];
	return recent.length > RECENT_FRAMES ? recent.slice(recent.length - RECENT_FRAMES) : recent;
}

function cut(text: string, limit: number): string {
	if (text.length <= limit) return text;
	let keep = limit - 1; // and the ellipsis
	if (/[\ud800-\udbff]/.test(text[keep - 1])) keep--; // never split a surrogate pair
	return `${text.slice(0, keep)}…`;
}

function snapshot(window: EpisodeWindow): EpisodeSnapshot {
	let fields: AnswerFields | null = null;
	if (window.fields) {
		fields = {};
		for (const [name, value] of Object.entries(window.fields)) {
			fields[name] = typeof value === 'string' ? cut(value, EPISODE_FIELD_TEXT_LIMIT) : value;
		}
	}
	return { text: cut(window.text, EPISODE_TEXT_LIMIT), fields };
}

const iso = (ms: number) => new Date(ms).toISOString();
const seconds = (ms: number) => Math.max(0, Math.round(ms)) / 1000;

function info(state: EpisodeState, active: ActiveEpisode, nowMs: number, endedAtMs: number | null): EpisodeInfo {
	return {
		id: `${state.taskId}:${active.number}`,
		number: active.number,
		started_at: iso(active.startedAtMs),
		ended_at: endedAtMs === null ? null : iso(endedAtMs),
		duration_s: seconds((endedAtMs ?? nowMs) - active.startedAtMs),
		windows: active.windows,
		first_text: active.first.text,
		first_fields: active.first.fields,
		last_text: active.last.text,
		last_fields: active.last.fields,
	};
}

/**
 * Reminders come with windows (there are no timers here): the first one R after started_at, each
 * next one R after the last, so that none is closer than R to the one before, even after a gap.
 */
function reminderAfter(ms: number, options: EpisodeOptions): number | null {
	return options.reminderMinutes > 0 ? ms + options.reminderMinutes * 60000 : null;
}

function reminderDue(state: EpisodeState, active: ActiveEpisode, atMs: number, options: EpisodeOptions): { active: ActiveEpisode; events: EpisodeTransition[] } {
	if (active.nextReminderAtMs === null || atMs < active.nextReminderAtMs) return { active, events: [] };
	const next = { ...active, nextReminderAtMs: reminderAfter(atMs, options) };
	return { active: next, events: [{ event: 'episode_ongoing', episode: info(state, next, atMs, null) }] };
}

/**
 * Applies one window. Pure: the state passed in is not changed.
 * `options` must come from validateEpisodeOptions (and stay the same for a stream's life).
 */
export function stepEpisodes(state: EpisodeState, window: EpisodeWindow, options: EpisodeOptions): EpisodeStep {
	if (state.ended) return { state, events: [], order: 'after_end' };
	const frameMs = frameTimeMs(window.timestamp);
	const order = orderOfWindow(state.lastFrameMs, state.recentFrameMs, frameMs);
	if (order === 'duplicate') return { state, events: [], order };
	const recentFrameMs = rememberFrame(state.recentFrameMs, frameMs);
	if (order === 'late') return { state: { ...state, recentFrameMs }, events: [], order };

	const atMs = frameMs ?? window.receivedAt;
	const next: EpisodeState = { ...state, lastFrameMs: frameMs ?? state.lastFrameMs, recentFrameMs };
	if (window.matched === null) return { state: next, events: [], order };

	const active = state.active;
	if (active) {
		if (window.matched) {
			const matched: ActiveEpisode = {
				...active,
				windows: active.windows + 1,
				last: snapshot(window),
				lastMatchAtMs: atMs,
				misses: 0,
				missStartedAtMs: null,
			};
			const reminder = reminderDue(next, matched, atMs, options);
			return { state: { ...next, active: reminder.active }, events: reminder.events, order };
		}
		const missed: ActiveEpisode = { ...active, misses: active.misses + 1, missStartedAtMs: active.missStartedAtMs ?? atMs };
		if (missed.misses >= options.endAfterWindows) {
			const endedAtMs = Math.max(missed.missStartedAtMs as number, missed.startedAtMs);
			return {
				state: { ...next, active: null, pending: null, cooldownUntilMs: endedAtMs + options.cooldownSeconds * 1000 },
				events: [{ event: 'episode_ended', episode: info(next, missed, atMs, endedAtMs), reason: 'condition_cleared' }],
				order,
			};
		}
		const reminder = reminderDue(next, missed, atMs, options);
		return { state: { ...next, active: reminder.active }, events: reminder.events, order };
	}

	const coolingDown = state.cooldownUntilMs !== null && atMs < state.cooldownUntilMs;
	if (!window.matched || coolingDown) return { state: { ...next, pending: null }, events: [], order };
	const pending: PendingRun = state.pending
		? { ...state.pending, windows: state.pending.windows + 1 }
		: { windows: 1, firstAtMs: atMs, first: snapshot(window) };
	if (pending.windows < options.startAfterWindows) return { state: { ...next, pending }, events: [], order };

	const startedAtMs = Math.min(pending.firstAtMs, atMs);
	const started: ActiveEpisode = {
		number: state.started + 1,
		startedAtMs,
		windows: pending.windows,
		first: pending.first,
		last: snapshot(window),
		lastMatchAtMs: atMs,
		misses: 0,
		missStartedAtMs: null,
		nextReminderAtMs: reminderAfter(startedAtMs, options),
	};
	return {
		state: { ...next, started: started.number, pending: null, active: started },
		events: [{ event: 'episode_started', episode: info(next, started, atMs, null) }],
		order,
	};
}

/**
 * The stream ended (stopped, out of credits, source ended, maximum duration…): an ongoing episode
 * ends with `reason`, at the first window of a failing run if one had begun, else at `atMs`
 * (the final callback's window time, or the time of our own stop). Nothing is applied after it;
 * a second call changes nothing.
 */
export function endEpisodes(state: EpisodeState, reason: EpisodeEndReason = 'stream_ended', atMs: number): { state: EpisodeState; events: EpisodeTransition[] } {
	if (state.ended) return { state, events: [] };
	const ended: EpisodeState = { ...state, ended: true, active: null, pending: null };
	const active = state.active;
	if (!active) return { state: ended, events: [] };
	const endedAtMs = Math.max(active.missStartedAtMs ?? Math.max(atMs, active.lastMatchAtMs), active.startedAtMs);
	return { state: ended, events: [{ event: 'episode_ended', episode: info(state, active, endedAtMs, endedAtMs), reason }] };
}
