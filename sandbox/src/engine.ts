// The simulated service: API keys with credit balances, streaming tasks that tick once per frame
// window, and the callbacks each tick sends.
import { randomUUID } from 'crypto';
import { EventEmitter } from 'events';

import { CallbackMeta, Deliverer, DeliveryRecord, WireCallback } from './delivery';
import { FaultQueue } from './faults';
import { answerWindow, canApplyAnswerVariant, renderAnswer, TaskModel, taskModel, WindowAnswer } from './model';
import { ApiRequestRecord, ForeignRequestRecord, Recent } from './recent';
import {
	appliesToCallback,
	CallbackContent,
	callbackJson,
	callbackUrl,
	combineVariants,
	timestampInstant,
	variantSpec,
	wireBody,
} from './variants';

export const MAX_CONCURRENT_TASKS = 4;

export type TaskState = 'running' | 'stopped' | 'ended';
export type EndReason = 'stopped' | 'credits' | 'source_ended' | 'unreachable' | 'sandbox_closed' | 'reset';

export interface TaskInfo {
	taskId: string;
	key: string;
	state: TaskState;
	endReason?: EndReason;
	rtmpUrl: string;
	userPrompt: string;
	systemPrompt: string;
	callback: string;
	thinking: boolean;
	frames: number;
	startedAt: string;
	endedAt?: string;
	/** The scripted scenario of the RTMP URL (`?scenario=…`). */
	scenario?: string;
	/** JSON answer mode: the fields the prompt's answer instruction asks for, in order. */
	answerFields?: string[];
}

export type TaskIdStyle = 'uuid' | 'numeric';

interface Task extends Omit<TaskInfo, 'startedAt' | 'endedAt' | 'scenario' | 'answerFields'> {
	startedAtMs: number;
	endedAtMs?: number;
	/** Frames after which the simulated source ends (from `?frames=N` in the RTMP URL). */
	sourceFrames?: number;
	unreachable: boolean;
	timer?: NodeJS.Timeout;
	heldBack?: { wire: WireCallback; meta: CallbackMeta };
	model: TaskModel;
}

interface Account {
	key: string;
	/** `null`: unlimited. */
	credits: number | null;
	initialCredits: number | null;
}

export interface EngineOptions {
	intervalMs: number;
	keys: readonly string[];
	credits: number | null;
	creditsPerInterval: number;
	callbackTimeoutMs: number;
	log: (line: string) => void;
	/** `numeric`: task ids are digits (a safe integer), as a backend with numeric keys would issue. */
	taskIds?: TaskIdStyle;
	/** Delivery variants every callback gets unless a fault replaces them (default: none, the documented shape). */
	deliveryVariants?: readonly string[];
}

export type StartOutcome =
	| { ok: true; taskId: string }
	| { ok: false; status: number; text: string };

export interface EngineEvents {
	'task-started': [TaskInfo];
	'task-ended': [TaskInfo];
	delivery: [DeliveryRecord];
	/** An API call was answered (or its connection closed unanswered). */
	'api-request': [ApiRequestRecord];
	/** A request reached the foreign listener. */
	'foreign-request': [ForeignRequestRecord];
}

const TASK_HISTORY = 20000;
const REQUEST_HISTORY = 20000;

let lastNumericId = 0;
/** Digits, increasing, unique in the process, a safe integer (≈1.7e15: a microsecond clock). */
function numericTaskId(): string {
	lastNumericId = Math.max(lastNumericId + 1, Date.now() * 1000);
	return String(lastNumericId);
}

/** Masks everything after the path: callback URLs carry secrets that must not reach logs. */
export function describeUrl(url: string): string {
	try {
		const u = new URL(url);
		return `${u.protocol}//${u.host}${u.pathname}${u.search ? '?…' : ''}`;
	} catch {
		return '(invalid URL)';
	}
}

export function describeKey(key: string): string {
	return key.length <= 8 ? `${key.slice(0, 2)}…` : `${key.slice(0, 6)}…${key.slice(-2)}`;
}

export class Engine extends EventEmitter<EngineEvents> {
	readonly faults = new FaultQueue();
	readonly deliverer: Deliverer;
	readonly apiRequests = new Recent<ApiRequestRecord>(REQUEST_HISTORY);
	readonly foreignRequests = new Recent<ForeignRequestRecord>(REQUEST_HISTORY);
	private readonly accounts = new Map<string, Account>();
	private readonly tasks = new Map<string, Task>();
	/** Running tasks, in start order, and by key: starts must not scan the whole history. */
	private readonly running = new Set<Task>();
	private readonly runningByKey = new Map<string, Set<Task>>();
	private readonly counters = { starts: 0, rejectedStarts: 0, stops: 0, notFoundStops: 0 };
	private closed = false;
	/** Callbacks held back by a `delay` fault: reset and close drop them. */
	private readonly delayed = new Set<NodeJS.Timeout>();

	constructor(private readonly options: EngineOptions) {
		super();
		for (const key of options.keys) this.setAccount(key, options.credits);
		this.deliverer = new Deliverer(options.callbackTimeoutMs, (record) => this.emit('delivery', record));
	}

	get intervalMs(): number {
		return this.options.intervalMs;
	}

	get taskIds(): TaskIdStyle {
		return this.options.taskIds ?? 'uuid';
	}

	get deliveryVariants(): readonly string[] {
		return this.options.deliveryVariants ?? [];
	}

	recordApiRequest(record: ApiRequestRecord): void {
		this.apiRequests.add(record);
		this.emit('api-request', record);
	}

	recordForeignRequest(record: ForeignRequestRecord): void {
		this.foreignRequests.add(record);
		this.emit('foreign-request', record);
	}

	hasKey(key: string): boolean {
		return this.accounts.has(key);
	}

	setAccount(key: string, credits: number | null): void {
		this.accounts.set(key, { key, credits, initialCredits: credits });
	}

	activeTasks(key?: string): TaskInfo[] {
		const running = key === undefined ? this.running : this.runningByKey.get(key);
		return running ? [...running].map(info) : [];
	}

	private runningCount(key: string): number {
		return this.runningByKey.get(key)?.size ?? 0;
	}

	task(taskId: string): TaskInfo | undefined {
		const task = this.tasks.get(taskId);
		return task && info(task);
	}

	start(key: string, request: Omit<TaskInfo, 'taskId' | 'key' | 'state' | 'frames' | 'startedAt'>): StartOutcome {
		const account = this.accounts.get(key);
		if (!account) throw new Error('start() needs a known key');
		const running = this.runningCount(key);
		if (running >= MAX_CONCURRENT_TASKS) {
			this.counters.rejectedStarts++;
			return {
				ok: false,
				status: 1001,
				text: `Maximum concurrent streams reached: this key already runs ${running} of ${MAX_CONCURRENT_TASKS}.`,
			};
		}
		if (account.credits !== null && account.credits < this.options.creditsPerInterval) {
			this.counters.rejectedStarts++;
			return { ok: false, status: 2001, text: 'Credit deduction failed: the balance is too low to start a stream.' };
		}
		const modelOutcome = taskModel(request.userPrompt, request.rtmpUrl);
		if (!modelOutcome.ok) {
			this.counters.rejectedStarts++;
			return { ok: false, status: -1, text: `Invalid parameters: ${modelOutcome.problem}.` };
		}
		const rtmp = new URL(request.rtmpUrl);
		const frames = Number(rtmp.searchParams.get('frames'));
		const task: Task = {
			...request,
			model: modelOutcome.model,
			taskId: this.taskIds === 'numeric' ? numericTaskId() : randomUUID(),
			key,
			state: 'running',
			frames: 0,
			startedAtMs: Date.now(),
			sourceFrames: Number.isInteger(frames) && frames > 0 ? frames : undefined,
			unreachable: rtmp.hostname.endsWith('.invalid'),
		};
		this.tasks.set(task.taskId, task);
		this.running.add(task);
		let forKey = this.runningByKey.get(key);
		if (!forKey) this.runningByKey.set(key, (forKey = new Set()));
		forKey.add(task);
		this.counters.starts++;
		this.trimHistory();
		this.options.log(
			`start  ${task.taskId} key ${describeKey(key)} → ${describeUrl(task.callback)} (${this.runningCount(key)}/${MAX_CONCURRENT_TASKS} running)`,
		);
		this.schedule(task);
		this.emit('task-started', info(task));
		return { ok: true, taskId: task.taskId };
	}

	/** @returns false when the task does not exist for this key or is not running (API: -1) */
	stop(key: string, taskId: string): boolean {
		const task = this.tasks.get(taskId);
		if (!task || task.key !== key || task.state !== 'running') {
			this.counters.notFoundStops++;
			this.options.log(`stop   ${taskId.slice(0, 64)} → not found or already stopped`);
			return false;
		}
		this.counters.stops++;
		this.finish(task, 'stopped', 'stopped');
		return true;
	}

	/** Simulates the RTMP source ending: a final callback with `status`, then the task ends. */
	endTask(taskId: string, status = -1, text = 'The RTMP source ended.'): boolean {
		const task = this.tasks.get(taskId);
		if (!task || task.state !== 'running') return false;
		this.finishWithCallback(task, 'source_ended', status, text);
		return true;
	}

	setCredits(key: string, credits: number | null): boolean {
		const account = this.accounts.get(key);
		if (!account) return false;
		account.credits = credits;
		return true;
	}

	state(): object {
		return {
			intervalMs: this.options.intervalMs,
			creditsPerInterval: this.options.creditsPerInterval,
			taskIds: this.taskIds,
			deliveryVariants: this.deliveryVariants,
			keys: [...this.accounts.values()].map((a) => ({
				key: a.key,
				credits: a.credits,
				activeTasks: this.activeTasks(a.key).map((t) => t.taskId),
			})),
			tasks: [...this.tasks.values()].map(info),
			totals: {
				...this.counters,
				activeTasks: this.running.size,
				...this.deliverer.totals,
			},
			faults: this.faults.list(),
		};
	}

	/** Ends every task without callbacks, restores credits, forgets history and faults. */
	reset(): void {
		for (const task of this.tasks.values()) if (task.state === 'running') this.finish(task, 'ended', 'reset');
		this.tasks.clear();
		for (const account of this.accounts.values()) account.credits = account.initialCredits;
		Object.assign(this.counters, { starts: 0, rejectedStarts: 0, stops: 0, notFoundStops: 0 });
		this.faults.clear();
		this.dropDelayed();
		this.deliverer.reset();
		this.apiRequests.clear();
		this.foreignRequests.clear();
	}

	private dropDelayed(): void {
		for (const timer of this.delayed) clearTimeout(timer);
		this.delayed.clear();
	}

	async close(): Promise<void> {
		this.closed = true;
		for (const task of this.tasks.values()) if (task.state === 'running') this.finish(task, 'ended', 'sandbox_closed');
		this.dropDelayed();
		await this.deliverer.settle();
		await this.deliverer.close();
	}

	private schedule(task: Task): void {
		const dueAt = task.startedAtMs + (task.frames + 1) * this.options.intervalMs;
		task.timer = setTimeout(() => this.tick(task, dueAt), Math.max(0, dueAt - Date.now()));
	}

	private tick(task: Task, dueAt: number): void {
		task.timer = undefined;
		if (task.state !== 'running' || this.closed) return;
		if (task.unreachable) {
			this.finishWithCallback(task, 'unreachable', -1, 'Could not pull the RTMP source: it is not reachable.');
			return;
		}
		const account = this.accounts.get(task.key);
		const cost = this.options.creditsPerInterval;
		if (account && account.credits !== null) {
			if (account.credits < cost) {
				// Assumed behaviour: a final callback with the credit failure status.
				this.finishWithCallback(task, 'credits', 2001, 'Credit deduction failed: the stream was stopped.');
				return;
			}
			account.credits -= cost;
		}
		task.frames += 1;
		const answer = answerWindow(task.model, task.frames);
		this.deliver(task, this.content(task, 0, answer.text, dueAt, task.frames), answer);
		if (task.sourceFrames !== undefined && task.frames >= task.sourceFrames) {
			this.finishWithCallback(task, 'source_ended', -1, 'The RTMP source ended.');
			return;
		}
		this.schedule(task);
	}

	private content(task: Task, status: number, text: string, timestampMs: number, frame: number): CallbackContent {
		return { status, taskId: task.taskId, text, timestampMs, frame, intervalMs: this.options.intervalMs };
	}

	/**
	 * The callback on the wire: the run's default variants, then the window's scripted answer fault,
	 * then an injected variant fault, each replacing the one before in its dimension; a variant that
	 * cannot change this callback (`data_null` on a result, an answer fault in text mode) is left out.
	 */
	private render(task: Task, content: CallbackContent, answer: WindowAnswer | undefined): { wire: WireCallback; meta: CallbackMeta } {
		const applies = (variant: string) =>
			appliesToCallback(variant, content, (v) => answer?.fields !== undefined && canApplyAnswerVariant(task.model.fields, v));
		const injected = this.faults.takeVariantFault(task.taskId, (variants) => variants.every(applies));
		const defaults = this.options.deliveryVariants;
		const variants =
			!defaults?.length && !answer?.answerFault && !injected
				? []
				: combineVariants(defaults, answer?.answerFault ? [answer.answerFault] : undefined, injected?.variants).filter(applies);
		const answerVariant = variants.find((v) => variantSpec(v)?.dimension === 'answer');
		const text = answerVariant && answer?.fields && task.model.fields ? renderAnswer(task.model.fields, answer.fields, answerVariant) : content.text;
		const timestampVariant = variants.find((v) => variantSpec(v)?.dimension === 'timestamp');
		return {
			wire: {
				url: callbackUrl(task.callback, task.taskId, variants),
				...wireBody(callbackJson({ ...content, text }, variants), variants, 'application/json'),
			},
			meta: {
				taskId: task.taskId,
				frame: content.frame,
				status: content.status,
				scheduledAt: content.timestampMs,
				variants,
				timestampMs: variants.includes('data_null') ? null : timestampInstant(content.timestampMs, timestampVariant),
			},
		};
	}

	private deliver(task: Task, content: CallbackContent, answer?: WindowAnswer): void {
		const fault = this.faults.takeCallbackFault(task.taskId);
		if (fault?.kind === 'drop') {
			this.deliverer.recordDropped(task.taskId, content.frame, content.status, content.timestampMs);
			return;
		}
		const { wire, meta } = this.render(task, content, answer);
		if (fault) meta.fault = fault.kind;
		const send = () => void this.deliverer.send(wire, meta);
		switch (fault?.kind) {
			case 'duplicate':
				this.deliverer.totals.duplicated++;
				send();
				send();
				return;
			case 'delay': {
				const timer = setTimeout(() => {
					this.delayed.delete(timer);
					send();
				}, fault.delayMs ?? this.options.intervalMs * 2);
				this.delayed.add(timer);
				return;
			}
			case 'out_of_order':
				if (task.state === 'running') {
					task.heldBack = { wire, meta };
					return;
				}
				send(); // a final callback has nothing after it to swap with
				return;
			default: {
				send();
				const held = task.heldBack;
				if (held) {
					task.heldBack = undefined;
					void this.deliverer.send(held.wire, held.meta);
				}
			}
		}
	}

	/** Ends a task the way the service does on its own: with a final callback (assumed). */
	private finishWithCallback(task: Task, reason: EndReason, status: number, text: string): void {
		const now = Date.now();
		this.finish(task, 'ended', reason);
		this.deliver(task, this.content(task, status, text, now, task.frames + 1)); // also releases a held-back callback
	}

	private finish(task: Task, state: TaskState, reason: EndReason): void {
		if (task.timer) clearTimeout(task.timer);
		task.timer = undefined;
		if (task.heldBack && reason !== 'source_ended' && reason !== 'credits' && reason !== 'unreachable') {
			// Documented: after a stop no more callbacks arrive, so a held-back one is lost.
			const { meta } = task.heldBack;
			this.deliverer.recordDropped(task.taskId, meta.frame, meta.status, meta.scheduledAt);
			task.heldBack = undefined;
		}
		task.state = state;
		this.running.delete(task);
		this.runningByKey.get(task.key)?.delete(task);
		task.endReason = reason;
		task.endedAtMs = Date.now();
		this.options.log(`end    ${task.taskId} (${reason}) after ${task.frames} frame windows`);
		this.emit('task-ended', info(task));
	}

	private trimHistory(): void {
		if (this.tasks.size <= TASK_HISTORY) return;
		for (const [id, task] of this.tasks) {
			if (this.tasks.size <= TASK_HISTORY) break;
			if (task.state !== 'running') this.tasks.delete(id);
		}
	}
}

function info(task: Task): TaskInfo {
	return {
		taskId: task.taskId,
		key: task.key,
		state: task.state,
		endReason: task.endReason,
		rtmpUrl: task.rtmpUrl,
		userPrompt: task.userPrompt,
		systemPrompt: task.systemPrompt,
		callback: task.callback,
		thinking: task.thinking,
		frames: task.frames,
		startedAt: new Date(task.startedAtMs).toISOString(),
		endedAt: task.endedAtMs === undefined ? undefined : new Date(task.endedAtMs).toISOString(),
		...(task.model.scenario ? { scenario: task.model.scenario.name } : {}),
		...(task.model.fields ? { answerFields: task.model.fields.map((f) => f.name) } : {}),
	};
}
