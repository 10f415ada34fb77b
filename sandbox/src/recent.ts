// Bounded records of the requests the sandbox saw: API calls on its Base URL, and anything that
// reached its foreign listener (where a redirect points).

export type ApiOperation = 'start' | 'stop' | 'other';

export interface ApiRequestRecord {
	operation: ApiOperation;
	method: string;
	/** The path without its query. */
	path: string;
	/** Whether an Authorization header came with it (the key itself is never recorded). */
	authorization: boolean;
	/** The injected fault it met, if any. */
	fault?: string;
	/** `null`: the connection closed without an answer (a `reset` fault, or the client went away). */
	httpStatus: number | null;
	/** The envelope's `status` (or the older envelope's `code`) of a JSON answer. */
	status?: number | string;
	/** `Retry-After` of the answer, as sent. */
	retryAfter?: string;
	/** `Location` of a redirect, as sent. */
	location?: string;
	receivedAt: number;
	answeredAt: number;
}

export interface ForeignRequestRecord {
	method: string;
	/** The path without its query. */
	path: string;
	/** The Host header it was sent with (e.g. `localhost:41234`). */
	host: string;
	/** Whether an Authorization header came with it. */
	authorization: boolean;
	/** Whether that header was one of the sandbox's API keys (the key itself is never recorded). */
	knownKey: boolean;
	receivedAt: number;
}

export class Recent<T> {
	private readonly items: T[] = [];

	constructor(private readonly limit: number) {}

	add(item: T): void {
		this.items.push(item);
		if (this.items.length > this.limit) this.items.splice(0, this.items.length - this.limit);
	}

	list(limit?: number): T[] {
		return this.items.slice(-(limit ?? this.limit));
	}

	get size(): number {
		return this.items.length;
	}

	clear(): void {
		this.items.length = 0;
	}
}
