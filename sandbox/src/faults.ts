// Fault injection: a queue of one-shot (or n-shot) misbehaviours, consumed by the next matching
// API call or callback delivery.
import { variantsProblem } from './variants';

export type ApiFaultKind =
	/** A business error in the `{status, task_id, text}` envelope (`status`, optional `httpStatus`). */
	| 'status'
	/** An error in the older `{code, msg, data, success}` envelope (`code`, optional `httpStatus`). */
	| 'legacy'
	/** HTTP 429 `{"code":429,"msg":"Rate limit exceeded"}`, with `Retry-After` when `retryAfter` is given. */
	| 'http429'
	/** A 3xx (`httpStatus`, default 307) to the foreign listener (`to`), without handling the call. */
	| 'redirect'
	/** Handle the call normally, answer with `variants` (content type, BOM, chunked, numbers as strings, …). */
	| 'variant'
	/** Handle the call normally, but answer only after `delayMs` (a start still creates its task). */
	| 'slow'
	/** Close the connection without answering: without handling the call, or (`handled: true`) after it (a start starts its task). */
	| 'reset'
	/** HTTP 502 with an HTML page, as a gateway would answer. */
	| 'html502'
	/** HTTP 200 with a truncated JSON body. */
	| 'invalid_json'
	/** HTTP 200 with an empty body. */
	| 'empty';

export type CallbackFaultKind =
	/** Deliver the callback twice. */
	| 'duplicate'
	/** Hold the callback back and deliver it after the task's next one. */
	| 'out_of_order'
	/** Do not deliver the callback at all. */
	| 'drop'
	/** Deliver the callback `delayMs` late. */
	| 'delay'
	/** Deliver the callback with `variants`: waits for a callback that every one of them can change. */
	| 'variant';

export type ApiFault = {
	on: 'start' | 'stop' | 'any';
	kind: ApiFaultKind;
	status?: number;
	code?: string;
	httpStatus?: number;
	delayMs?: number;
	times?: number;
	/** `http429`: seconds in `Retry-After`. */
	retryAfter?: number;
	/** `http429`: `Retry-After: 3` (default) or an HTTP-date that far ahead, rounded up to the second. */
	retryAfterForm?: 'seconds' | 'date';
	/** `redirect`: the foreign listener on another port of the sandbox's host (default), or the same under `localhost`. */
	to?: RedirectTarget;
	/** `variant`: variant names (see variants.ts), at most one per dimension. */
	variants?: string[];
	/** `reset`: handle the call first (a start starts its task), then close the connection unanswered. */
	handled?: boolean;
};

export type RedirectTarget = 'other_port' | 'localhost';

export type CallbackFault = {
	on: 'callback';
	kind: CallbackFaultKind;
	taskId?: string;
	delayMs?: number;
	times?: number;
	/** `variant`: variant names (see variants.ts), at most one per dimension. */
	variants?: string[];
};

export type Fault = ApiFault | CallbackFault;

const API_KINDS = new Set<string>(['status', 'legacy', 'http429', 'redirect', 'variant', 'slow', 'reset', 'html502', 'invalid_json', 'empty']);
const CALLBACK_KINDS = new Set<string>(['duplicate', 'out_of_order', 'drop', 'delay', 'variant']);
const REDIRECT_STATUSES = [301, 302, 303, 307, 308];

interface Pending {
	id: number;
	fault: Fault;
	remaining: number;
}

/**
 * @param numericTaskIds whether the sandbox issues numeric task ids (`task_id_number` needs them);
 *   `undefined`: not checked
 * @returns a reason when `value` is not a fault this sandbox knows
 */
export function faultProblem(value: unknown, numericTaskIds?: boolean): string | undefined {
	if (typeof value !== 'object' || value === null) return 'a fault must be a JSON object';
	const fault = value as Record<string, unknown>;
	if (fault.on === 'callback') {
		if (!CALLBACK_KINDS.has(String(fault.kind))) return `callback fault kind must be one of ${[...CALLBACK_KINDS].join(', ')}`;
		if (fault.kind === 'variant') {
			const problem = variantsProblem(fault.variants, 'callback', numericTaskIds);
			if (problem) return problem;
		}
	} else if (fault.on === 'start' || fault.on === 'stop' || fault.on === 'any') {
		if (!API_KINDS.has(String(fault.kind))) return `API fault kind must be one of ${[...API_KINDS].join(', ')}`;
		if (fault.kind === 'status' && typeof fault.status !== 'number') return 'a status fault needs a numeric "status"';
		if (fault.kind === 'legacy' && typeof fault.code !== 'string') return 'a legacy fault needs a string "code"';
		if (fault.kind === 'redirect') {
			if (fault.httpStatus !== undefined && !REDIRECT_STATUSES.includes(fault.httpStatus as number)) {
				return `a redirect's "httpStatus" is one of ${REDIRECT_STATUSES.join(', ')}`;
			}
			if (fault.to !== undefined && fault.to !== 'other_port' && fault.to !== 'localhost') return 'a redirect goes "to" other_port or localhost';
		}
		if (fault.kind === 'http429') {
			if (fault.retryAfter !== undefined && (!Number.isInteger(fault.retryAfter) || (fault.retryAfter as number) < 0)) {
				return '"retryAfter" must be a whole number of seconds';
			}
			if (fault.retryAfterForm !== undefined && fault.retryAfterForm !== 'seconds' && fault.retryAfterForm !== 'date') {
				return '"retryAfterForm" is seconds or date';
			}
		}
		if (fault.kind === 'variant') {
			const problem = variantsProblem(fault.variants, 'api', numericTaskIds);
			if (problem) return problem;
		}
		if (fault.handled !== undefined && (fault.kind !== 'reset' || typeof fault.handled !== 'boolean')) return '"handled" is a boolean of a reset fault';
	} else {
		return 'fault "on" must be start, stop, any or callback';
	}
	if (fault.times !== undefined && (!Number.isInteger(fault.times) || (fault.times as number) < 1)) {
		return '"times" must be a positive integer';
	}
	if (fault.delayMs !== undefined && (typeof fault.delayMs !== 'number' || fault.delayMs < 0)) {
		return '"delayMs" must be a non-negative number';
	}
	return undefined;
}

export class FaultQueue {
	private pending: Pending[] = [];
	private nextId = 1;

	add(fault: Fault): number {
		const id = this.nextId++;
		this.pending.push({ id, fault, remaining: fault.times ?? 1 });
		return id;
	}

	list(): Array<Fault & { id: number; remaining: number }> {
		return this.pending.map((p) => ({ ...p.fault, id: p.id, remaining: p.remaining }));
	}

	clear(): void {
		this.pending = [];
	}

	takeApiFault(operation: 'start' | 'stop'): ApiFault | undefined {
		return this.take(
			(f): f is ApiFault => f.on === operation || f.on === 'any',
		);
	}

	/** The next delivery fault (duplicate, out_of_order, drop, delay) for this task's callback. */
	takeCallbackFault(taskId: string): CallbackFault | undefined {
		return this.take(
			(f): f is CallbackFault => f.on === 'callback' && f.kind !== 'variant' && (f.taskId === undefined || f.taskId === taskId),
		);
	}

	/** The next variant fault for this task's callback that `applies` to it (one that does not waits). */
	takeVariantFault(taskId: string, applies: (variants: readonly string[]) => boolean): CallbackFault | undefined {
		return this.take(
			(f): f is CallbackFault =>
				f.on === 'callback' && f.kind === 'variant' && (f.taskId === undefined || f.taskId === taskId) && applies(f.variants ?? []),
		);
	}

	private take<T extends Fault>(matches: (fault: Fault) => fault is T): T | undefined {
		const index = this.pending.findIndex((p) => matches(p.fault));
		if (index < 0) return undefined;
		const entry = this.pending[index];
		entry.remaining -= 1;
		if (entry.remaining <= 0) this.pending.splice(index, 1);
		return entry.fault as T;
	}
}
