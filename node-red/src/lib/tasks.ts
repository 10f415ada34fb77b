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
