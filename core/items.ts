// One item shape per event: what both hosts emit (n8n item JSON, Node-RED msg.payload). Every
// item has the base fields of today's results, so a flow built on results keeps working.
import type { AnswerFields } from './answers';
import type { CallbackEvent } from './callback';
import { Status } from './contract';
import type { EpisodeEventName, EpisodeInfo, EpisodeTransition } from './episodes';
import type { StallEventName, StallTransition } from './stall';
import type { StreamEndReason, StreamSummary } from './summary';
import { describeSummary } from './summary';

export type LiveEventName =
	| 'result'
	| 'stream_ended'
	| 'parse_error'
	| EpisodeEventName
	| StallEventName
	| 'stream_summary';

/** The fields every item has. */
export interface LiveItemBase {
	event: LiveEventName;
	task_id: string;
	/** The callback's status: 0 for a result; the final status for items of the stream's end. */
	status: number;
	/** The model's answer for items of a window; a sentence for stalls and summaries. */
	text: string;
	/** ISO-8601 of the frame window (null when the callback had none), or of the moment for stalls and summaries. */
	timestamp: string | null;
	/** True on every item produced because the stream ended: billing has stopped. */
	ended: boolean;
	/** Why the stream or the episode ended; for parse_error, why the answer could not be read. */
	reason?: string;
}

/** Fields a host may add to the items a callback produces. */
export interface WindowExtras {
	/** Seconds since the previous callback (stall.noteCallback), where a host can only report gaps. */
	gap_s?: number;
	/** The window is older than one already applied: counted, ignored for episodes. */
	late?: boolean;
}

/** A frame window's answer. `fields` in JSON mode: every declared field, typed. */
export interface ResultItem extends LiveItemBase, WindowExtras {
	event: 'result';
	fields?: AnswerFields;
}

/** The last callback of a stream (assumed: a non-zero status), or our own stop (reason). */
export interface StreamEndedItem extends LiveItemBase {
	event: 'stream_ended';
	ended: true;
}

/** A JSON-mode answer that could not be read. `text` is the raw answer; `reason` names the field or the problem. */
export interface ParseErrorItem extends LiveItemBase, WindowExtras {
	event: 'parse_error';
	reason: string;
}

export interface EpisodeItem extends LiveItemBase {
	event: EpisodeEventName;
	episode: EpisodeInfo;
}

export interface StallItem extends LiveItemBase {
	event: StallEventName;
	gap_s: number;
	/** The last callback before the gap (or the start), ISO. */
	since: string;
}

/** Once per stream end. Billed time in it is an estimate (named *_estimate). */
export interface StreamSummaryItem extends LiveItemBase {
	event: 'stream_summary';
	ended: true;
	reason: StreamEndReason;
	summary: StreamSummary;
}

export type LiveItem = ResultItem | StreamEndedItem | ParseErrorItem | EpisodeItem | StallItem | StreamSummaryItem;

function base(event: CallbackEvent): Omit<LiveItemBase, 'event'> {
	return { task_id: event.taskId, status: event.status, text: event.text, timestamp: event.timestamp, ended: event.ended };
}

function withExtras<T extends object>(item: T, extras: WindowExtras): T & WindowExtras {
	const out: T & WindowExtras = { ...item };
	if (extras.gap_s !== undefined) out.gap_s = extras.gap_s;
	if (extras.late) out.late = true;
	return out;
}

export function resultItem(event: CallbackEvent, fields?: AnswerFields | null, extras: WindowExtras = {}): ResultItem {
	const item: ResultItem = { event: 'result', ...base(event) };
	if (fields) item.fields = fields;
	return withExtras(item, extras);
}

export function parseErrorItem(event: CallbackEvent, reason: string, extras: WindowExtras = {}): ParseErrorItem {
	return withExtras({ event: 'parse_error', ...base(event), reason }, extras);
}

/**
 * `event`: the window that caused the transition, or the event of the stream's end (a final
 * callback, or the host's own end event such as maxDurationEndEvent).
 */
export function episodeItem(event: CallbackEvent, transition: EpisodeTransition): EpisodeItem {
	const item: EpisodeItem = { event: transition.event, ...base(event), episode: transition.episode };
	if (transition.reason !== undefined) item.reason = transition.reason;
	return item;
}

export function stallItem(taskId: string, transition: StallTransition): StallItem {
	const text =
		transition.event === 'stream_stalled'
			? `No results for ${transition.gap_s} s: the stream may be stalled (it still bills until stopped).`
			: `Results arrived again after ${transition.gap_s} s without any.`;
	return {
		event: transition.event,
		task_id: taskId,
		status: Status.ok,
		text,
		timestamp: transition.at,
		ended: false,
		gap_s: transition.gap_s,
		since: transition.since,
	};
}

export function summaryItem(taskId: string, status: number, summary: StreamSummary): StreamSummaryItem {
	return {
		event: 'stream_summary',
		task_id: taskId,
		status,
		text: describeSummary(summary),
		timestamp: summary.ended_at,
		ended: true,
		reason: summary.reason,
		summary,
	};
}
