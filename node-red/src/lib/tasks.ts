// The tasks this Node-RED started. The API cannot list running tasks, so this registry is the
// only record of what is billing: start nodes add to it, stop nodes and ended streams remove.
import { EventEmitter } from 'events';

import type { CallbackEvent } from '../core';

export interface TrackedTask {
	taskId: string;
	startNodeId: string;
	configId: string;
	/** The results node its callbacks go to, when the start node built the URL from one. */
	resultsNodeId?: string;
	startedAt: number;
	/** Minutes after which the start node stops it; 0 or missing: no limit. */
	maxMinutes?: number;
}

/** Why a task left the registry. */
export type RemovalReason = 'stopped' | 'ended' | 'max_duration';

interface TaskEvents {
	/** `event`: the ended callback (reason `ended`) or the event to report (`max_duration`). */
	removed: [TrackedTask, RemovalReason, CallbackEvent | undefined];
}

class TaskRegistry extends EventEmitter<TaskEvents> {
	private readonly tasks = new Map<string, TrackedTask>();

	add(task: TrackedTask): void {
		this.tasks.set(task.taskId, task);
	}

	get(taskId: string): TrackedTask | undefined {
		return this.tasks.get(taskId);
	}

	/** @returns the task if it was tracked */
	remove(taskId: string, reason: RemovalReason, event?: CallbackEvent): TrackedTask | undefined {
		const task = this.tasks.get(taskId);
		if (!task) return undefined;
		this.tasks.delete(taskId);
		this.emit('removed', task, reason, event);
		return task;
	}

	list(filter: (task: TrackedTask) => boolean = () => true): TrackedTask[] {
		return [...this.tasks.values()].filter(filter);
	}
}

/** One per Node-RED process: every flow's start, stop and results nodes share it. */
export const tasks = new TaskRegistry();
tasks.setMaxListeners(0);
