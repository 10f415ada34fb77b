// The tasks this Node-RED started. The API cannot list running tasks, so this registry is the
// only record of what is billing: start nodes add to it, stops remove from it. A stream that
// reports its end stays listed (marked ended) until it is stopped: that "end" is an assumption
// about the API, and stopping an ended task costs one harmless call, while forgetting a running
// one costs money every 5 s.
import { EventEmitter } from 'events';

import type { StopOutcome } from '../../../core';

export interface TrackedTask {
	taskId: string;
	startNodeId: string;
	configId: string;
	/** The results node its callbacks go to, when the start node built the URL from one. */
	resultsNodeId?: string;
	startedAt: number;
	/** Minutes after which the start node stops it; 0 or missing: no limit. */
	maxMinutes?: number;
	/** When a callback reported the stream's end (epoch ms). */
	endedAt?: number;
}

/**
 * One start, from the moment it is sent: its marker travels in the callback URL (`start_id`), so
 * that results show which start their task came from (core/hidden-tasks.ts). Kept while its answer
 * is awaited, and (lost) when its answer was lost: its task may bill with nobody knowing its id.
 */
export interface StartAttempt {
	startId: string;
	startNodeId: string;
	configId: string;
	resultsNodeId?: string;
	/** When it was sent (epoch ms). */
	at: number;
	/** Its answer was lost (timeout, reset): a task it started is a hidden one. */
	lost: boolean;
	/** Tasks whose callbacks carried its marker and that nobody tracks, in order of arrival. */
	seen: string[];
}

/** Why a task left the registry: a stop, the start node's stop at its maximum duration, or its account's daily budget. */
export type Removal =
	| { reason: 'stopped' }
	| { reason: 'max_duration'; outcome: StopOutcome['outcome'] }
	| { reason: 'budget'; outcome: StopOutcome['outcome'] };

/** Tasks reported ended are forgotten after this long without a stop. */
const ENDED_RETENTION_MS = 24 * 60 * 60 * 1000;

interface TaskEvents {
	added: [TrackedTask];
	removed: [TrackedTask, Removal];
	/** A callback said the stream ended. */
	ended: [TrackedTask];
}

class TaskRegistry extends EventEmitter<TaskEvents> {
	private readonly tasks = new Map<string, TrackedTask>();
	private readonly starts = new Map<string, StartAttempt>();

	/** A start is being sent. */
	beginStart(attempt: Omit<StartAttempt, 'lost' | 'seen'>): void {
		const now = Date.now();
		for (const [id, old] of this.starts) if (now - old.at > ENDED_RETENTION_MS) this.starts.delete(id);
		this.starts.set(attempt.startId, { ...attempt, lost: false, seen: [] });
	}

	/** Its answer came (a task, or a refusal that started nothing): nothing hidden. */
	endStart(startId: string): void {
		this.starts.delete(startId);
	}

	/** Its answer was lost: @returns the attempt, with the tasks already seen for it */
	loseStart(startId: string): StartAttempt | undefined {
		const attempt = this.starts.get(startId);
		if (attempt) attempt.lost = true;
		return attempt;
	}

	startAttempt(startId: string): StartAttempt | undefined {
		return this.starts.get(startId);
	}

	startAttempts(filter: (attempt: StartAttempt) => boolean): StartAttempt[] {
		return [...this.starts.values()].filter(filter);
	}

	/** A callback with the attempt's marker came for a task nobody tracks. */
	noteTaskOfStart(startId: string, taskId: string): void {
		const attempt = this.starts.get(startId);
		if (attempt && !attempt.seen.includes(taskId)) attempt.seen.push(taskId);
	}

	add(task: TrackedTask): void {
		const now = Date.now();
		for (const [id, old] of this.tasks) {
			if (old.endedAt !== undefined && now - old.endedAt > ENDED_RETENTION_MS) this.tasks.delete(id);
		}
		this.tasks.set(task.taskId, task);
		this.emit('added', task);
	}

	/** Records that a callback reported the stream's end; the task stays listed until stopped. */
	markEnded(taskId: string): void {
		const task = this.tasks.get(taskId);
		if (!task || task.endedAt !== undefined) return;
		task.endedAt = Date.now();
		this.emit('ended', task);
	}

	get(taskId: string): TrackedTask | undefined {
		return this.tasks.get(taskId);
	}

	/** @returns the task if it was tracked */
	remove(taskId: string, removal: Removal = { reason: 'stopped' }): TrackedTask | undefined {
		const task = this.tasks.get(taskId);
		if (!task) return undefined;
		this.tasks.delete(taskId);
		this.emit('removed', task, removal);
		return task;
	}

	list(filter: (task: TrackedTask) => boolean = () => true): TrackedTask[] {
		return [...this.tasks.values()].filter(filter);
	}
}

export type { TaskRegistry };

/**
 * One per Node-RED process: every flow's start, stop and results nodes share it. Each node set's
 * file is a bundle of its own with this module inlined, so the one registry is kept on globalThis
 * under a registered symbol: whichever node set loads first creates it, the others find it.
 */
const REGISTRY = Symbol.for('@memories-live-video/node-red/tasks');
const holder = globalThis as { [REGISTRY]?: TaskRegistry };
export const tasks: TaskRegistry = (holder[REGISTRY] ??= createRegistry());

function createRegistry(): TaskRegistry {
	const registry = new TaskRegistry();
	registry.setMaxListeners(0);
	return registry;
}
