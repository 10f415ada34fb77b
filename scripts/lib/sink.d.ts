import type { EventEmitter } from 'node:events';
import type { IncomingHttpHeaders } from 'node:http';

export interface SinkRequest {
	method: string;
	url: string;
	headers: IncomingHttpHeaders;
	body: string;
	json: unknown;
	at: number;
}
export interface Sink {
	url: string;
	port: number;
	received: SinkRequest[];
	events: EventEmitter;
	waitFor(count: number, predicate?: (r: SinkRequest) => boolean, timeoutMs?: number): Promise<SinkRequest[]>;
	clear(): void;
	close(): Promise<void>;
}
export function startSink(options?: { status?: number | ((req: SinkRequest) => number); delayMs?: number }): Promise<Sink>;
