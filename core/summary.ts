// The stream summary a host emits once per stream end (stopped, out of credits, source ended,
// maximum duration, budget): what was received, matched and started, and billed time as an
// ESTIMATE. Plain JSON state per stream, a handful of numbers: reloadable between callbacks.
import { Status } from './contract';
import { billedMinutes, estimateBilledSeconds } from './cost';
import { WindowOrder, frameTimeMs, isStreamRecord, orderOfWindow, rememberFrame } from './episodes';

/**
 * Why a stream ended. From a final callback's status (assumed codes; see streamEndReason), or
 * the host's own: `max_duration`, `budget`.
 */
export type StreamEndReason = 'stopped' | 'credits' | 'source_ended' | 'server_error' | 'max_duration' | 'budget' | 'stream_ended' | (string & {});

/**
 * The reason a final callback's status gives (assumed: the API documents no final callbacks).
 * 14 stopped, 2001 out of credits, -1 the source ended or was never reachable (what the
 * sandbox sends), 5000 the service failed; anything else: `stream_ended`.
 */
export function streamEndReason(status: number): StreamEndReason {
	switch (status) {
		case Status.stopped:
			return 'stopped';
		case Status.creditFailure:
			return 'credits';
		case Status.invalid:
			return 'source_ended';
		case Status.internal:
			return 'server_error';
		default:
			return 'stream_ended';
	}
}

export interface SummaryState {
	version: 1;
	taskId: string;
	/** Epoch ms of the start request, when this host started the stream; else null. */
	startedAtMs: number | null;
	/** Result callbacks received, repeats excluded (late ones included: they are real windows). A repeat of a window older than the RECENT_FRAMES remembered counts as a late window. */
	windows: number;
	matched: number;
	parseErrors: number;
	late: number;
	duplicates: number;
	firstFrameMs: number | null;
	lastFrameMs: number | null;
	/** As EpisodeState.recentFrameMs: to tell repeats from late windows. */
	recentFrameMs: number[];
	firstReceivedMs: number | null;
	lastReceivedMs: number | null;
	longestGapMs: number | null;
	ended: boolean;
}

export function createSummaryState(taskId: string, startedAtMs: number | null = null): SummaryState {
	return {
		version: 1,
		taskId,
		startedAtMs,
		windows: 0,
		matched: 0,
		parseErrors: 0,
		late: 0,
		duplicates: 0,
		firstFrameMs: null,
		lastFrameMs: null,
		recentFrameMs: [],
		firstReceivedMs: null,
		lastReceivedMs: null,
		longestGapMs: null,
		ended: false,
	};
}

const COUNTS = ['windows', 'matched', 'parseErrors', 'late', 'duplicates'] as const;
const TIMES = ['startedAtMs', 'firstFrameMs', 'firstReceivedMs', 'lastReceivedMs', 'longestGapMs'] as const;

/** A stored state for this task, or a fresh one when it is missing, corrupt or another task's. */
export function reviveSummaryState(stored: unknown, taskId: string, startedAtMs: number | null = null): SummaryState {
	const s = stored as SummaryState;
	const valid =
		isStreamRecord(stored, taskId) &&
		COUNTS.every((k) => Number.isSafeInteger(s[k]) && s[k] >= 0) &&
		TIMES.every((k) => s[k] === null || Number.isFinite(s[k]));
	return valid ? s : createSummaryState(taskId, startedAtMs);
}

export interface SummaryWindow {
	/** CallbackEvent.timestamp */
	timestamp: string | null;
	/** Epoch ms when the host received it. */
	receivedAt: number;
	/** Whether the condition held; null or absent when there is no condition or no parsed answer. */
	matched?: boolean | null;
	/** The answer could not be parsed (a parse_error went out). */
	parseError?: boolean;
}

/**
 * Counts one result callback (not the final one). Classifies it by the same rule as the episode
 * machine, so both agree on what was a duplicate or late.
 */
export function recordSummaryWindow(state: SummaryState, window: SummaryWindow): { state: SummaryState; order: WindowOrder } {
	if (state.ended) return { state, order: 'after_end' };
	const frameMs = frameTimeMs(window.timestamp);
	const order = orderOfWindow(state.lastFrameMs, state.recentFrameMs, frameMs);
	if (order === 'duplicate') return { state: { ...state, duplicates: state.duplicates + 1 }, order };
	const gap = state.lastReceivedMs === null ? null : Math.max(0, window.receivedAt - state.lastReceivedMs);
	return {
		state: {
			...state,
			windows: state.windows + 1,
			matched: state.matched + (window.matched === true ? 1 : 0),
			parseErrors: state.parseErrors + (window.parseError === true ? 1 : 0),
			late: state.late + (order === 'late' ? 1 : 0),
			firstFrameMs: frameMs === null ? state.firstFrameMs : Math.min(frameMs, state.firstFrameMs ?? frameMs),
			lastFrameMs: frameMs === null ? state.lastFrameMs : Math.max(frameMs, state.lastFrameMs ?? frameMs),
			recentFrameMs: rememberFrame(state.recentFrameMs, frameMs),
			firstReceivedMs: state.firstReceivedMs ?? window.receivedAt,
			lastReceivedMs: Math.max(window.receivedAt, state.lastReceivedMs ?? window.receivedAt),
			longestGapMs: gap === null ? state.longestGapMs : Math.max(gap, state.longestGapMs ?? 0),
		},
		order,
	};
}

/** What a stream_summary item carries. Every billed_* figure is an estimate, and named so. */
export interface StreamSummary {
	reason: StreamEndReason;
	/** The start request (or, for a stream this host did not start, the first callback). */
	started_at: string;
	ended_at: string;
	duration_s: number;
	windows_received: number;
	/** 0 when no condition was set. */
	windows_matched: number;
	/** Episodes started; null when the host does not run episodes. */
	episodes: number | null;
	parse_errors: number;
	late_windows: number;
	duplicate_windows: number;
	first_frame_at: string | null;
	last_frame_at: string | null;
	/** Longest time between two callbacks, seconds; null with fewer than two. */
	longest_gap_s: number | null;
	/** started_at to ended_at rounded up to whole 5 s billing windows: an estimate, not the service's figure. */
	billed_seconds_estimate: number;
	billed_minutes_estimate: number;
	/** What the estimate counts from. */
	billed_estimate_basis: 'start_request' | 'first_callback';
}

export interface SummaryEnd {
	reason: StreamEndReason;
	/** Epoch ms of the end: our stop, or the final callback's arrival (host clock, like the start). */
	endedAtMs: number;
	/** Episodes started (EpisodeState.started), when the host runs episodes. */
	episodes?: number | null;
}

/**
 * The summary, once: `summary` is null when the state had ended already, so that a final
 * callback and our own stop arriving together report the end once.
 */
export function finishSummary(state: SummaryState, end: SummaryEnd): { state: SummaryState; summary: StreamSummary | null } {
	if (state.ended) return { state, summary: null };
	const basis = state.startedAtMs !== null ? 'start_request' : 'first_callback';
	const startMs = Math.min(state.startedAtMs ?? state.firstReceivedMs ?? end.endedAtMs, end.endedAtMs);
	const billed = estimateBilledSeconds(startMs, end.endedAtMs);
	const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
	return {
		state: { ...state, ended: true },
		summary: {
			reason: end.reason,
			started_at: new Date(startMs).toISOString(),
			ended_at: new Date(end.endedAtMs).toISOString(),
			duration_s: Math.round(end.endedAtMs - startMs) / 1000,
			windows_received: state.windows,
			windows_matched: state.matched,
			episodes: end.episodes ?? null,
			parse_errors: state.parseErrors,
			late_windows: state.late,
			duplicate_windows: state.duplicates,
			first_frame_at: iso(state.firstFrameMs),
			last_frame_at: iso(state.lastFrameMs),
			longest_gap_s: state.longestGapMs === null ? null : Math.round(state.longestGapMs) / 1000,
			billed_seconds_estimate: billed,
			billed_minutes_estimate: billedMinutes(billed),
			billed_estimate_basis: basis,
		},
	};
}

function plural(n: number, word: string): string {
	return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** One line for the item's `text`, e.g. for a chat message. */
export function describeSummary(summary: StreamSummary): string {
	const parts = [plural(summary.windows_received, 'window')];
	if (summary.episodes !== null) parts.push(plural(summary.episodes, 'episode'));
	else if (summary.windows_matched > 0) parts.push(`${summary.windows_matched} matched`);
	if (summary.parse_errors > 0) parts.push(plural(summary.parse_errors, 'parse error'));
	const reason = summary.reason.replace(/_/g, ' ');
	return `Stream ended (${reason}) after ${summary.duration_s} s: ${parts.join(', ')}; about ${plural(summary.billed_minutes_estimate, 'billed minute')} (estimate).`;
}
