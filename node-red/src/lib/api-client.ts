// Sends the core's requests with undici over one keep-alive connection pool per config node,
// and hands every answer back to the core to interpret. No protocol rule lives here.
import { Agent, request } from 'undici';

import {
	ApiRequest,
	ApiResponse,
	buildStartRequest,
	buildStopRequest,
	interpretRequestFailure,
	interpretStartResponse,
	interpretStopResponse,
	Operation,
	retryIdempotent,
	Started,
	StartParams,
	StopOutcome,
	validateTaskId,
} from '../core';

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export interface ApiClientOptions {
	baseUrl: string;
	apiKey: string;
	/** How many times a failed stop is tried in all (stops are idempotent). */
	stopAttempts?: number;
}

export class ApiClient {
	private readonly agent = new Agent({ keepAliveTimeout: 30000, connections: 8 });

	constructor(private readonly options: ApiClientOptions) {}

	/** Never retried: a lost answer may hide a started, billed task. */
	async start(params: StartParams): Promise<Started> {
		const response = await this.send('start', buildStartRequest(this.options.baseUrl, params, this.options.apiKey));
		return interpretStartResponse(response, { secrets: [this.options.apiKey] });
	}

	async stop(taskId: string): Promise<StopOutcome> {
		const id = validateTaskId(taskId);
		const request = buildStopRequest(this.options.baseUrl, id, this.options.apiKey);
		return retryIdempotent(
			async () => interpretStopResponse(id, await this.send('stop', request), { secrets: [this.options.apiKey] }),
			sleep,
			this.options.stopAttempts ?? 3,
		);
	}

	async close(): Promise<void> {
		await this.agent.close();
	}

	private async send(operation: Operation, api: ApiRequest): Promise<ApiResponse> {
		try {
			const response = await request(api.url, {
				method: api.method,
				headers: api.headers,
				body: api.body,
				dispatcher: this.agent,
				headersTimeout: api.timeoutMs,
				bodyTimeout: api.timeoutMs,
			});
			return { httpStatus: response.statusCode, body: await response.body.text() };
		} catch (error) {
			throw interpretRequestFailure(operation, (error as { code?: string }).code);
		}
	}
}
