// What the result gate remembers, per stream, and where. The memory is plain JSON (no Map, no
// class, no closure), so that a host can keep it wherever its runs share state: this process
// (createMemoryGateStore), or a store shared by processes (n8n's queue mode: workflow static data
// or a database), by implementing GateStore.
import type { EpisodeState } from './episodes';
import type { StallState } from './stall';
import type { SummaryState } from './summary';

/**
 * The gate's memory of one stream. Small and bounded whatever the number of callbacks; reduced
 * to `seen` and `ended` when the stream ends.
 */
export interface StreamMemory {
	/**
	 * Deliveries seen (frame window timestamp and status), oldest first, at most
	 * `DELIVERIES_REMEMBERED`: a repeated delivery of one of them is a duplicate.
	 */
	seen: string[];
	/** The stream's last result text (`normaliseText`), for "only when the text changes". */
	lastText?: string;
	/** The stream's end was handled: its episode and summary went out; results arriving later change nothing. */
	ended?: boolean;
	/** When this host started the stream (epoch ms), if it did: the summary's billed estimate and the stall clock count from it. */
	startedAt?: number;
	/** Emit "episodes": the episode machine (episodes.ts). */
	episodes?: EpisodeState;
	/** With stream summaries: the counts so far (summary.ts). */
	summary?: SummaryState;
	/** With stall detection: the last callback's arrival (stall.ts). */
	stall?: StallState;
}

/** Per stream: about 8 minutes of 5-second frame windows, far more than any redelivery delay seen. */
export const DELIVERIES_REMEMBERED = 100;

/**
 * Where a gate keeps its memory, by task id. Task ids come from the network: a store that keeps
 * them as keys of a plain object must guard keys such as `__proto__` (e.g. by a prefix).
 */
export interface GateStore {
	get(taskId: string): StreamMemory | undefined;
	set(taskId: string, memory: StreamMemory): void;
	delete(taskId: string): void;
}

/** This process's memory: at most `maxStreams` streams, the least recently heard-from forgotten first. */
export function createMemoryGateStore(maxStreams = 1000): GateStore {
	const streams = new Map<string, StreamMemory>();
	return {
		get: (taskId) => streams.get(taskId),
		set(taskId, memory) {
			streams.delete(taskId); // re-inserted: the map is kept in least-recent order
			streams.set(taskId, memory);
			if (streams.size > maxStreams) streams.delete(streams.keys().next().value as string);
		},
		delete: (taskId) => void streams.delete(taskId),
	};
}
