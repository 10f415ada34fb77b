import { GateStore, StreamMemory } from '../../core';

/** A gate store that keeps only JSON text, as a store shared by processes would. */
export function jsonStore(): GateStore & { entries: Map<string, string> } {
	const entries = new Map<string, string>();
	return {
		entries,
		get: (taskId) => (entries.has(taskId) ? (JSON.parse(entries.get(taskId)!) as StreamMemory) : undefined),
		set: (taskId, memory) => void entries.set(taskId, JSON.stringify(memory)),
		delete: (taskId) => void entries.delete(taskId),
	};
}
