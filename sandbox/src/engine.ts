// The simulated service: API keys with credit balances, streaming tasks that tick once per frame
// window, and the callbacks each tick sends.
import { randomUUID } from 'crypto';
import { EventEmitter } from 'events';

import { CallbackPayload, Deliverer, DeliveryRecord } from './delivery';
import { FaultQueue } from './faults';
import { analysisText } from './text';

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
}

interface Task extends Omit<TaskInfo, 'startedAt' | 'endedAt'> {
	startedAtMs: number;
	endedAtMs?: number;
	/** Frames after which the simulated source ends (from `?frames=N` in the RTMP URL). */
	sourceFrames?: number;
	unreachable: boolean;
	timer?: NodeJS.Timeout;
	heldBack?: { payload: CallbackPayload; frame: number; scheduledAt: number };
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
}

export type StartOutcome =
	| { ok: true; taskId: string }
	| { ok: false; status: number; text: string };

export interface EngineEvents {
	'task-started': [TaskInfo];
	'task-ended': [TaskInfo];
	delivery: [DeliveryRecord];
}

const TASK_HISTORY = 20000;

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
		const rtmp = new URL(request.rtmpUrl);
		const frames = Number(rtmp.searchParams.get('frames'));
		const task: Task = {
			...request,
			taskId: randomUUID(),
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
		const payload: CallbackPayload = {
			status: 0,
			task_id: task.taskId,
			data: { text: analysisText(task.userPrompt, task.frames), timestamp: new Date(dueAt).toISOString() },
		};
		this.deliver(task, payload, task.frames, dueAt);
		if (task.sourceFrames !== undefined && task.frames >= task.sourceFrames) {
			this.finishWithCallback(task, 'source_ended', -1, 'The RTMP source ended.');
			return;
		}
		this.schedule(task);
	}

	private deliver(task: Task, payload: CallbackPayload, frame: number, scheduledAt: number): void {
		const fault = this.faults.takeCallbackFault(task.taskId);
		const send = () => void this.deliverer.send(task.callback, payload, frame, scheduledAt, fault?.kind);
		switch (fault?.kind) {
			case 'drop':
				this.deliverer.recordDropped(task.taskId, frame, payload.status, scheduledAt);
				return;
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
					task.heldBack = { payload, frame, scheduledAt };
					return;
				}
				send(); // a final callback has nothing after it to swap with
				return;
			default: {
				send();
				const held = task.heldBack;
				if (held) {
					task.heldBack = undefined;
					void this.deliverer.send(task.callback, held.payload, held.frame, held.scheduledAt, 'out_of_order');
				}
			}
		}
	}

	/** Ends a task the way the service does on its own: with a final callback (assumed). */
	private finishWithCallback(task: Task, reason: EndReason, status: number, text: string): void {
		const now = Date.now();
		this.finish(task, 'ended', reason);
		const final = { status, task_id: task.taskId, data: { text, timestamp: new Date(now).toISOString() } };
		this.deliver(task, final, task.frames + 1, now); // also releases a held-back callback
	}

	private finish(task: Task, state: TaskState, reason: EndReason): void {
		if (task.timer) clearTimeout(task.timer);
		task.timer = undefined;
		if (task.heldBack && reason !== 'source_ended' && reason !== 'credits' && reason !== 'unreachable') {
			// Documented: after a stop no more callbacks arrive, so a held-back one is lost.
			this.deliverer.recordDropped(task.taskId, task.heldBack.frame, task.heldBack.payload.status, task.heldBack.scheduledAt);
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
	};
}
