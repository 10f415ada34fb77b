// Start and stop, whole: validate → build → send → interpret, and a stop retried with back-off.
// A host constructs it with its I/O: how to send a request, how to wait, what time it is.
import { ApiRequest, buildStartRequest, buildStopRequest } from './request';
import { ApiResponse, StopOutcome, interpretRequestFailure, interpretStartResponse, interpretStopResponse } from './response';
import { Limits } from './contract';
import { MIN_ATTEMPT_MS, retryStop } from './retry';
import { StartInput, StartParams, validateStartInput, validateTaskId } from './validate';

/** The HTTP client failed before any answer arrived. */
export interface TransportFailure {
	/** The client's own error code (ECONNRESET, UND_ERR_HEADERS_TIMEOUT…), if it gave one. */
	errorCode: string | undefined;
}

/**
 * A host's HTTP client: sends the request exactly as built (method, URL, headers, body, time-out),
 * follows no redirect, and resolves with the answer or the client's failure. Never rejects.
 */
export type Transport = (request: ApiRequest) => Promise<ApiResponse | TransportFailure>;

export function isTransportFailure(result: ApiResponse | TransportFailure): result is TransportFailure {
	return !('httpStatus' in result);
}

export interface StreamClientOptions {
	/** From `validateBaseUrl`. */
	baseUrl: string;
	/** Sent as `Authorization`; leave out when the transport authenticates (n8n's credentials). */
	apiKey?: string;
	/** Values that must never appear in an error (the API key, when the transport adds it). */
	secrets?: readonly string[];
	transport: Transport;
	/** The host's timer (the core keeps none). */
	sleep: (ms: number) => Promise<void>;
	/** The host's clock, in epoch milliseconds. */
	now: () => number;
	/** How many times a failed stop is tried in all (default 3). */
	stopAttempts?: number;
}

export interface StopOptions {
	attempts?: number;
	/** A shorter wait for each answer than `Limits.requestTimeoutMs`, e.g. while a host shuts down. */
	timeoutMs?: number;
	/**
	 * When the stop must be over, retries and waits included (epoch ms, the client's clock), e.g.
	 * the end of a host's close window; default `STOP_BUDGET_MS` from now.
	 */
	deadline?: number;
}

/** A started stream, with the parameters it was started with as the core validated them. */
export interface StartedStream {
	taskId: string;
	params: StartParams;
	/** When the API answered, by the host's clock (epoch ms). */
	startedAt: number;
}

export interface StreamClient {
	/**
	 * Never retried: a lost answer may hide a started, billed task (the error says so: `mayHaveStarted`).
	 * @throws InputError before anything is sent, MemoriesApiError for a failed call
	 */
	start(input: StartInput): Promise<StartedStream>;
	/**
	 * Idempotent: "not found or already stopped" is an outcome; retryable failures are retried.
	 * @throws InputError for a value that cannot be a task id, MemoriesApiError once retries are spent
	 */
	stop(taskId: unknown, options?: StopOptions): Promise<StopOutcome>;
}

export function createStreamClient(options: StreamClientOptions): StreamClient {
	const secrets = [...(options.secrets ?? []), ...(options.apiKey === undefined ? [] : [options.apiKey])];

	async function send(operation: 'start' | 'stop', request: ApiRequest): Promise<ApiResponse> {
		const result = await options.transport(request);
		if (isTransportFailure(result)) throw interpretRequestFailure(operation, result.errorCode);
		return result;
	}

	return {
		async start(input) {
			const params = validateStartInput(input);
			const response = await send('start', buildStartRequest(options.baseUrl, params, options.apiKey));
			const { taskId } = interpretStartResponse(response, { secrets, callbackUrl: params.callbackUrl, baseUrl: options.baseUrl, now: options.now() });
			return { taskId, params, startedAt: options.now() };
		},

		async stop(taskId, stopOptions = {}) {
			const id = validateTaskId(taskId);
			const timeoutMs = stopOptions.timeoutMs ?? Limits.requestTimeoutMs;
			return retryStop(
				id,
				async (deadline) => {
					// Each try waits for its answer no longer than the budget has left.
					const request = buildStopRequest(options.baseUrl, id, options.apiKey);
					request.timeoutMs = Math.max(MIN_ATTEMPT_MS, Math.min(timeoutMs, deadline - options.now()));
					return interpretStopResponse(id, await send('stop', request), { secrets, baseUrl: options.baseUrl, now: options.now() });
				},
				options.sleep,
				stopOptions.attempts ?? options.stopAttempts ?? 3,
				{ now: options.now, deadline: stopOptions.deadline },
			);
		},
	};
}
