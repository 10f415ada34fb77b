// Billed time, as an ESTIMATE: the API bills every 5 s per active stream (documented) but reports
// no usage, so all we can say is how long a stream ran, from its start to its end, rounded up to
// whole billing windows. The service's own figure may differ (start latency, the last window).
// Also the optional daily budget of stream-minutes per account (UTC days), with a plain JSON state.
import { BILLING_INTERVAL_SECONDS } from './contract';
import { InputError } from './errors';

const WINDOW_MS = BILLING_INTERVAL_SECONDS * 1000;
const DAY_MS = 24 * 60 * 60 * 1000;

/** Seconds billed from `startMs` to `endMs`, rounded up to whole billing windows (estimate). */
export function estimateBilledSeconds(startMs: number, endMs: number): number {
	const elapsed = Math.max(0, endMs - startMs);
	return Math.ceil(elapsed / WINDOW_MS) * BILLING_INTERVAL_SECONDS;
}

/** Minutes, to two decimals, for display. */
export function billedMinutes(seconds: number): number {
	return Math.round((seconds / 60) * 100) / 100;
}

/** A stream a host started and keeps track of. */
export interface MeteredStream {
	taskId: string;
	/** Epoch ms of the start request. */
	startedAt: number;
	/** Epoch ms of its end, when it has ended. */
	endedAt?: number | null;
}

export interface StreamCostEstimate {
	task_id: string;
	billed_seconds_estimate: number;
	billed_minutes_estimate: number;
}

/** Billed time so far of each stream, and in total (estimates). */
export function meterStreams(
	streams: readonly MeteredStream[],
	nowMs: number,
): { streams: StreamCostEstimate[]; total_billed_minutes_estimate: number } {
	let total = 0;
	const costs = streams.map((s) => {
		const seconds = estimateBilledSeconds(s.startedAt, s.endedAt ?? nowMs);
		total += seconds;
		return { task_id: s.taskId, billed_seconds_estimate: seconds, billed_minutes_estimate: billedMinutes(seconds) };
	});
	return { streams: costs, total_billed_minutes_estimate: billedMinutes(total) };
}

export const DAILY_BUDGET_LABEL = 'Daily Budget (Stream-Minutes)';
/** More than 4 streams could bill in a day on one key (4 × 1440); accounts may hold several keys. */
export const MAX_DAILY_BUDGET_MINUTES = 100000;

/**
 * Stream-minutes per UTC day after which a host stops every stream it started; 0: no budget.
 * @throws InputError
 */
export function validateDailyBudget(value: unknown): number {
	const minutes = typeof value === 'string' && value.trim() !== '' ? Number(value.trim()) : value;
	if (minutes === undefined || minutes === null || minutes === '') return 0;
	if (typeof minutes !== 'number' || !Number.isFinite(minutes) || minutes < 0 || minutes > MAX_DAILY_BUDGET_MINUTES) {
		throw new InputError(
			DAILY_BUDGET_LABEL,
			`${DAILY_BUDGET_LABEL} must be a number of minutes from 0 (no budget) to ${MAX_DAILY_BUDGET_MINUTES}: the stream-minutes all streams may use per UTC day.`,
		);
	}
	return minutes;
}

/** The UTC day of a time, `YYYY-MM-DD`. */
export function utcDay(ms: number): string {
	return new Date(ms).toISOString().slice(0, 10);
}

/** What streams that already ended used today. Plain JSON; bounded. */
export interface DailyUsageState {
	version: 1;
	/** The UTC day the figure is for. */
	day: string;
	/** Billed seconds (estimate) of streams that ended, within `day`. */
	endedSeconds: number;
}

export function createDailyUsage(nowMs: number): DailyUsageState {
	return { version: 1, day: utcDay(nowMs), endedSeconds: 0 };
}

/** The usage for the day of `nowMs`: a stored state from an earlier day (or a corrupt one) starts the day afresh. */
export function currentDailyUsage(stored: unknown, nowMs: number): DailyUsageState {
	const s = stored as DailyUsageState;
	const valid =
		typeof stored === 'object' && stored !== null && s.version === 1 && typeof s.day === 'string' && Number.isFinite(s.endedSeconds) && s.endedSeconds >= 0;
	return valid && s.day === utcDay(nowMs) ? s : createDailyUsage(nowMs);
}

function secondsWithinDay(startMs: number, endMs: number, day: string): number {
	const dayStart = Date.parse(`${day}T00:00:00.000Z`);
	const from = Math.max(startMs, dayStart);
	const to = Math.min(endMs, dayStart + DAY_MS);
	return to > from ? estimateBilledSeconds(from, to) : 0;
}

/** Adds a stream that ended (only its part within the current UTC day). */
export function recordEndedStream(usage: DailyUsageState, stream: { startedAt: number; endedAt: number }, nowMs: number): DailyUsageState {
	const today = currentDailyUsage(usage, nowMs);
	const seconds = secondsWithinDay(stream.startedAt, stream.endedAt, today.day);
	return { ...today, endedSeconds: today.endedSeconds + seconds };
}

export interface DailyBudgetCheck {
	usage: DailyUsageState;
	day: string;
	used_minutes_estimate: number;
	budget_minutes: number;
	remaining_minutes_estimate: number | null;
	/** Used up (budget > 0): stop what runs, and start nothing new today. */
	exceeded: boolean;
	/** The running streams to stop now: all of them once the budget is used up. */
	stop: string[];
}

/**
 * The budget check a host runs on a timer and before each start: ended streams' usage plus the
 * running streams' time today. Every running stream bills until stopped, so once the budget is
 * used up the only way to stay within it is to stop them all.
 */
export function checkDailyBudget(
	usage: DailyUsageState,
	running: readonly MeteredStream[],
	budgetMinutes: number,
	nowMs: number,
): DailyBudgetCheck {
	const today = currentDailyUsage(usage, nowMs);
	let seconds = today.endedSeconds;
	for (const stream of running) seconds += secondsWithinDay(stream.startedAt, nowMs, today.day);
	const used = billedMinutes(seconds);
	const exceeded = budgetMinutes > 0 && seconds >= budgetMinutes * 60;
	return {
		usage: today,
		day: today.day,
		used_minutes_estimate: used,
		budget_minutes: budgetMinutes,
		remaining_minutes_estimate: budgetMinutes > 0 ? Math.max(0, billedMinutes(budgetMinutes * 60 - seconds)) : null,
		exceeded,
		stop: exceeded ? running.map((s) => s.taskId) : [],
	};
}
