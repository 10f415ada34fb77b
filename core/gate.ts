// The result gate: what becomes of each authenticated callback event. It decides, the host acts:
// emit these items, stop this task (and tell the gate how that went), or nothing. Its memory is
// per stream and lives in the host's GateStore (gate-store.ts), never in the gate itself.
import type { CallbackEvent } from './callback';
import { FilterOptions, compileFilter, normaliseText } from './filter';
import { DELIVERIES_REMEMBERED, GateStore, StreamMemory } from './gate-store';
import { deadlineStop } from './deadline';
import { TaskClaim, hiddenTaskStop, ownerClaim } from './hidden-tasks';
import { maxDurationEndEvent } from './max-duration';
import { ResultOutput, resultOutput } from './outputs';
import type { StopOutcome } from './response';

export interface GateSettings {
	/** The "Emit" settings. Ended events always pass: they say billing has stopped. */
	filter: FilterOptions;
	/** Drop a delivery seen before for the same stream: same frame window timestamp and status. */
	ignoreDuplicates: boolean;
}

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
	| { kind: 'emit'; items: ResultOutput[] }
	/** Stop the task, then report the outcome with `stopped()`. */
	| ({ kind: 'stop' } & StreamStop)
	| { kind: 'none'; reason: 'duplicate' | 'filtered' | 'not_running' };

export interface ResultGate {
	/**
	 * @param owned the stream the host owns, if it owns one; results of other tasks are then stopped
	 * @param claim what the host knows of the task otherwise (hidden-tasks.ts), e.g. a lost start's marker
	 */
	receive(event: CallbackEvent, now: number, owned?: OwnedStream, claim?: TaskClaim): GateDecision;
	/** After the host stopped a stream (for a `stop` decision, or by its own timer): what to emit. */
	stopped(stop: StreamStop, outcome: StopOutcome['outcome'], now: number): GateDecision;
}

const none = (reason: Extract<GateDecision, { kind: 'none' }>['reason']): GateDecision => ({ kind: 'none', reason });
const emit = (...items: ResultOutput[]): GateDecision => ({ kind: 'emit', items });

/** What tells two deliveries apart; events without a timestamp cannot be, and are never duplicates. */
function deliveryKey(event: CallbackEvent): string | undefined {
	return event.timestamp === null ? undefined : `${event.timestamp}|${event.status}`;
}

/**
 * @throws InputError for "Emit" settings that cannot work (no keywords, an invalid expression)
 */
export function createResultGate(settings: GateSettings, store: GateStore): ResultGate {
	const rule = compileFilter(settings.filter);

	/** Saves what is worth remembering; a stream with nothing to remember takes no room. */
	function remember(taskId: string, memory: StreamMemory): void {
		if (memory.seen.length === 0 && memory.lastText === undefined) store.delete(taskId);
		else store.set(taskId, memory);
	}

	return {
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
			if (event.ended) {
				// The stream is forgotten but for its deliveries: a repeated final callback is still a duplicate.
				remember(event.taskId, { seen });
				return emit(resultOutput(event));
			}
			const due = deadlineStop(event, now, owned);
			if (due) {
				remember(event.taskId, { ...memory, seen });
				return { kind: 'stop', ...due };
			}
			const passes = rule.passes(event.text, memory.lastText);
			remember(event.taskId, { seen, ...(rule.mode === 'changes' ? { lastText: normaliseText(event.text) } : {}) });
			return passes ? emit(resultOutput(event)) : none('filtered');
		},

		stopped(stop, outcome, now) {
			// Only the stop that actually ended the stream reports it: "not found" means it had ended already.
			if (stop.reason !== 'max_duration' || outcome !== 'stopped') return none('not_running');
			store.delete(stop.taskId);
			return emit(resultOutput(maxDurationEndEvent(stop.taskId, stop, now), 'max_duration'));
		},
	};
}
