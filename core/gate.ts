// The result gate: what becomes of each authenticated callback event. It decides, the host acts:
// emit these items, stop this task (and tell the gate how that went), or nothing. Its memory is
// per stream and lives in the host's GateStore (gate-store.ts), never in the gate itself.
//
// Beyond today's filters it reads JSON answers (fields, parse errors), tests conditions, runs the
// episode machine, counts each stream for its summary and watches for stalls: the pure modules
// of events.ts, whose plain-JSON states it keeps in the stream's memory (gate-events.ts).
import type { CallbackEvent } from './callback';
import { Status } from './contract';
import { normaliseText } from './filter';
import { DELIVERIES_REMEMBERED, GateStore, StreamMemory } from './gate-store';
import { deadlineStop } from './deadline';
import { endStream, nextStallCheck, recordStart, reportStall, windowEvents } from './gate-events';
import { CompiledGateSettings, GateSettings, compileGateSettings } from './gate-settings';
import { TaskClaim, hiddenTaskStop, ownerClaim } from './hidden-tasks';
import type { LiveItem } from './items';
import { maxDurationEndEvent } from './max-duration';
import type { StopOutcome } from './response';
import { resultOutput } from './outputs';
import { streamEndReason } from './summary';

export type { GateSettings, CompiledGateSettings, EmitMode, StallReport } from './gate-settings';
export { EMIT_MODES, compileGateSettings } from './gate-settings';

/** A stream the host started and alone answers for (n8n's Watch mode: one per activation). */
export interface OwnedStream {
	taskId: string;
	/** Epoch ms. */
	startedAt: number;
	/** 0: no limit. */
	maxDurationMinutes: number;
}

/** A stream the host should stop, and why. */
export type StreamStop =
	/**
	 * A result arrived past the stream's deadline (deadline.ts): the one its URL carries, or the
	 * owned stream's maximum duration (`maxDurationMinutes` then says which).
	 */
	| { taskId: string; reason: 'max_duration'; stopAt: number; maxDurationMinutes?: number }
	/** A task one of our starts created and nobody tracks: a start whose answer was lost (hidden-tasks.ts). */
	| { taskId: string; reason: 'not_owned' };

export type GateDecision =
	| { kind: 'emit'; items: LiveItem[] }
	/** Stop the task, then report the outcome with `stopped()`. */
	| ({ kind: 'stop' } & StreamStop)
	/** `not_stalled`: checkStall found nothing to report (keep checking: `stallDueAt`). */
	| { kind: 'none'; reason: 'duplicate' | 'filtered' | 'not_running' | 'not_stalled' };

export interface ResultGate {
	/** The settings as compiled (the answer format, for a start that composes the prompt). */
	readonly settings: CompiledGateSettings;
	/**
	 * @param owned the stream the host owns, if it owns one; results of other tasks are then stopped
	 * @param claim what the host knows of the task otherwise (hidden-tasks.ts), e.g. a lost start's marker
	 */
	receive(event: CallbackEvent, now: number, owned?: OwnedStream, claim?: TaskClaim): GateDecision;
	/** After the host stopped a stream (for a `stop` decision, or by its own timer): what to emit. */
	stopped(stop: StreamStop, outcome: StopOutcome['outcome'], now: number): GateDecision;
	/**
	 * The host started this stream: its summary's billed estimate counts from `startedAt`, its
	 * stall clock from `watchedFrom` (default `startedAt`; later for a receiver set up while the
	 * stream was running already).
	 */
	started(taskId: string, startedAt: number, watchedFrom?: number): void;
	/**
	 * The host stopped the stream otherwise (a stop node, a budget, a redeploy): the ongoing
	 * episode ends and the summary goes out, once. Nothing else (no stream_ended item: the stop's
	 * own output confirms it).
	 */
	ended(taskId: string, reason: string, now: number): GateDecision;
	/** For a host with a timer (stall report `events`): a stream_stalled when it has just stalled. */
	checkStall(taskId: string, now: number): GateDecision;
	/** When to call checkStall next for this stream (epoch ms); null: nothing to watch (unknown, ended, stalled already, or off). */
	stallDueAt(taskId: string): number | null;
}

const none = (reason: Extract<GateDecision, { kind: 'none' }>['reason']): GateDecision => ({ kind: 'none', reason });
const emitOrNone = (items: LiveItem[], reason: Extract<GateDecision, { kind: 'none' }>['reason']): GateDecision =>
	items.length > 0 ? { kind: 'emit', items } : none(reason);

/** What tells two deliveries apart; events without a timestamp cannot be, and are never duplicates. */
function deliveryKey(event: CallbackEvent): string | undefined {
	return event.timestamp === null ? undefined : `${event.timestamp}|${event.status}`;
}

/** The end event of a stream this host stopped (for the items' base fields). */
function hostEndEvent(taskId: string, reason: string, now: number): CallbackEvent {
	return { taskId, status: Status.stopped, text: `Stopped (${reason.replace(/_/g, ' ')}).`, timestamp: new Date(now).toISOString(), ended: true };
}

/**
 * @throws InputError for settings that cannot work (no keywords, an invalid expression, a bad
 * field list, a rule on an undeclared field, an episode option out of range…)
 */
export function createResultGate(settings: GateSettings, store: GateStore): ResultGate {
	const compiled = compileGateSettings(settings);
	const rule = compiled.filter;
	const tracksStreams = compiled.summary || compiled.episodes !== undefined || compiled.stallSeconds > 0;

	/** Saves what is worth remembering; a stream with nothing to remember takes no room. */
	function remember(taskId: string, memory: StreamMemory): void {
		const empty =
			memory.seen.length === 0 &&
			memory.lastText === undefined &&
			!memory.ended &&
			memory.startedAt === undefined &&
			!memory.episodes &&
			!memory.summary &&
			!memory.stall;
		if (empty) store.delete(taskId);
		else store.set(taskId, memory);
	}

	/** The stream's end: what the events add (episode end, summary), then the stream_ended item unless the summary replaces it. */
	function finish(memory: StreamMemory, seen: string[], end: CallbackEvent, reason: string, now: number, ended: LiveItem | undefined): GateDecision {
		const items = memory.ended ? [] : endStream(compiled, memory, end, reason, now);
		if (ended && !compiled.summary) items.push(ended);
		// The stream is forgotten but for its deliveries: a repeated final callback is still a duplicate.
		// With stream events, `ended` also keeps a result arriving after the end from starting them anew.
		remember(end.taskId, tracksStreams ? { seen, ended: true } : { seen });
		return emitOrNone(items, 'not_running');
	}

	return {
		settings: compiled,

		receive(event, now, owned, claim) {
			const memory = store.get(event.taskId) ?? { seen: [] };
			const key = settings.ignoreDuplicates ? deliveryKey(event) : undefined;
			if (key !== undefined && memory.seen.includes(key)) return none('duplicate');
			const seen = key === undefined ? memory.seen : [...memory.seen, key].slice(-DELIVERIES_REMEMBERED);

			const hidden = hiddenTaskStop(event, claim ?? ownerClaim(event, owned));
			if (hidden) {
				remember(event.taskId, { ...memory, seen });
				return { kind: 'stop', ...hidden };
			}
			if (event.ended) return finish(memory, seen, event, streamEndReason(event.status), now, resultOutput(event) as LiveItem);
			const due = deadlineStop(event, now, owned);
			if (due) {
				remember(event.taskId, { ...memory, seen });
				return { kind: 'stop', ...due };
			}
			const startedAt = memory.startedAt ?? (owned?.taskId === event.taskId ? owned.startedAt : undefined);
			const next: StreamMemory = { ...memory, seen, ...(startedAt === undefined ? {} : { startedAt }) };
			const window = windowEvents(compiled, next, event, now);
			// Today's filters; an answer that could not be read is a parse_error (windowEvents), never a result.
			if (rule && window.fields !== null) {
				const passes = rule.mode === 'keywords' || rule.mode === 'regex' ? window.matched === true : rule.passes(event.text, memory.lastText);
				if (rule.mode === 'changes') next.lastText = normaliseText(event.text);
				if (passes) window.items.push(window.result());
			}
			remember(event.taskId, next);
			return emitOrNone(window.items, 'filtered');
		},

		stopped(stop, outcome, now) {
			// Only the stop that actually ended the stream reports it: "not found" means it had ended already.
			if (stop.reason !== 'max_duration' || outcome !== 'stopped') return none('not_running');
			const memory = store.get(stop.taskId) ?? { seen: [] };
			const end = maxDurationEndEvent(stop.taskId, stop, now);
			return finish(memory, memory.seen, end, 'max_duration', now, resultOutput(end, 'max_duration') as LiveItem);
		},

		started(taskId, startedAt, watchedFrom = startedAt) {
			const memory = store.get(taskId);
			if (memory?.ended) return;
			store.set(taskId, recordStart(compiled, memory ?? { seen: [] }, taskId, startedAt, watchedFrom));
		},

		ended(taskId, reason, now) {
			const memory = store.get(taskId);
			if (!memory || memory.ended) return none('not_running');
			return finish(memory, memory.seen, hostEndEvent(taskId, reason, now), reason, now, undefined);
		},

		checkStall(taskId, now) {
			const memory = store.get(taskId);
			if (!memory || memory.ended || compiled.stallSeconds <= 0) return none('not_running');
			const report = reportStall(compiled, memory, taskId, now);
			if (!report) return none('not_stalled');
			store.set(taskId, report.memory);
			return { kind: 'emit', items: [report.item] };
		},

		stallDueAt(taskId) {
			const memory = store.get(taskId);
			return !memory || memory.ended ? null : nextStallCheck(compiled, memory);
		},
	};
}
