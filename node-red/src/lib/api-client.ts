// Sends the core's requests with undici over one keep-alive connection pool per config node,
// and hands every answer back to the core to interpret. No protocol rule lives here.
import type * as Undici from 'undici';

import {
	ApiRequest,
	ApiResponse,
	buildStartRequest,
	buildStopRequest,
	interpretRequestFailure,
	interpretStartResponse,
	interpretStopResponse,
	Operation,
	retryStop,
	Started,
	StartParams,
	StopOutcome,
	validateTaskId,
} from '../core';

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** undici takes ≈60 ms to load: loaded by the first API call, not when Node-RED loads the nodes. */
let undici: typeof Undici | undefined;
function http(): typeof Undici {
	// eslint-disable-next-line @typescript-eslint/no-require-imports
	undici ??= require('undici') as typeof Undici;
	return undici;
}

export interface ApiClientOptions {
	baseUrl: string;
	apiKey: string;
	/** How many times a failed stop is tried in all (stops are idempotent). */
	stopAttempts?: number;
}

export interface StopOptions {
	attempts?: number;
	/** A shorter wait than the default, e.g. while Node-RED closes nodes (it allows 15 s). */
	timeoutMs?: number;
}

export class ApiClient {
	/** Created on first use, and again if a call comes after close(): a start node's close
	 * handler may still stop its tasks after the config node has closed. */
	private agent: Undici.Agent | undefined;

	constructor(private readonly options: ApiClientOptions) {}

	private dispatcher(): Undici.Agent {
		this.agent ??= new (http().Agent)({ keepAliveTimeout: 30000, connections: 8 });
		return this.agent;
	}

	/** Never retried: a lost answer may hide a started, billed task. */
	async start(params: StartParams): Promise<Started> {
		const response = await this.send('start', buildStartRequest(this.options.baseUrl, params, this.options.apiKey));
		return interpretStartResponse(response, { secrets: [this.options.apiKey], callbackUrl: params.callbackUrl });
	}

	/** Idempotent: "not found or already stopped" is an outcome; retryable failures are retried. */
	async stop(taskId: unknown, options: StopOptions = {}): Promise<StopOutcome> {
		const id = validateTaskId(taskId);
		const request = buildStopRequest(this.options.baseUrl, id, this.options.apiKey);
		if (options.timeoutMs !== undefined) request.timeoutMs = options.timeoutMs;
		return retryStop(
			id,
			async () => interpretStopResponse(id, await this.send('stop', request), { secrets: [this.options.apiKey] }),
			sleep,
			options.attempts ?? this.options.stopAttempts ?? 3,
		);
	}

	async close(): Promise<void> {
		const agent = this.agent;
		this.agent = undefined;
		await agent?.close();
	}

	private async send(operation: Operation, api: ApiRequest): Promise<ApiResponse> {
		try {
			const response = await http().request(api.url, {
				method: api.method,
				headers: api.headers,
				body: api.body,
				dispatcher: this.dispatcher(),
				headersTimeout: api.timeoutMs,
				bodyTimeout: api.timeoutMs,
			});
			const body = await response.body.text();
			// undici hands a connection back to the pool a tick after its answer was read: a call made
			// at once (a stop right after a start) would open a second socket. One tick keeps it to one.
			await new Promise((resolve) => setImmediate(resolve));
			return { httpStatus: response.statusCode, body };
		} catch (error) {
			throw interpretRequestFailure(operation, (error as { code?: string }).code);
		}
	}
}
