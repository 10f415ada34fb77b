// Every API failure as one MemoriesApiError: what happened and what to do next, in the user's
// terms, per kind of failure.
import { Backoff, DEFAULT_BASE_URL, Limits, MAX_CONCURRENT_STREAMS } from './contract';
import { ApiErrorKind, MemoriesApiError, Operation } from './errors';
import { redact } from './secrets';

interface Advice {
	kind: ApiErrorKind;
	summary: string;
	advice: string;
	retryable: boolean;
}

const MAY_HAVE_STARTED =
	'The stream may have started anyway: if results arrive for a task you did not record, stop it with the task_id they carry.';

function adviceFor(kind: ApiErrorKind, operation: Operation, label: string): Advice {
	const retrySoon =
		operation === 'stop'
			? 'Stopping is safe to repeat: try again in a few seconds.'
			: 'Try again in a few seconds.';
	const backoff = `Wait and retry with back-off (${Backoff.firstDelayMs / 1000} s doubling up to ${Backoff.maxDelayMs / 1000} s).`;
	switch (kind) {
		case 'invalid_request':
			return {
				kind,
				retryable: false,
				summary: `memories.ai rejected the ${operation} request as invalid (${label}).`,
				advice:
					operation === 'start'
						? 'Check that the RTMP URL is a live stream reachable from the internet, that the prompts are not empty and that the Callback URL is public.'
						: 'Check the task ID: use the task_id that Start returned.',
			};
		case 'auth':
			return {
				kind,
				retryable: false,
				summary: `memories.ai did not accept the API key (${label}).`,
				advice:
					'Check the API key in your credentials: the raw key from your memories.ai account, without "Bearer ", and the Base URL it belongs to.',
			};
		case 'permission':
			return {
				kind,
				retryable: false,
				summary: `This API key is not allowed to use live video understanding (${label}).`,
				advice: "Check the key's permissions in your memories.ai account, or use another key.",
			};
		case 'max_streams':
			return {
				kind,
				retryable: false,
				summary: `This API key already runs the maximum of ${MAX_CONCURRENT_STREAMS} streams (${label}).`,
				advice:
					'Stop one of them with Stop and its task ID (the API cannot list running tasks: use the task IDs Start returned), or wait for a stream to end, then start again.',
			};
		case 'credits':
			return {
				kind,
				retryable: false,
				summary: `memories.ai could not deduct credits for the stream (${label}).`,
				advice: 'Recharge your memories.ai account, then start the stream again.',
			};
		case 'rate_limited':
			return { kind, retryable: true, summary: `memories.ai rate limit exceeded (${label}).`, advice: backoff };
		case 'capacity':
			return {
				kind,
				retryable: true,
				summary: `memories.ai has reached its capacity for your account (${label}).`,
				advice: `${backoff} The limit is shared by all keys of the account.`,
			};
		case 'server':
			return {
				kind,
				retryable: true,
				summary: `memories.ai reported an internal error (${label}).`,
				advice: retrySoon,
			};
		case 'bad_response':
			return {
				kind,
				retryable: true,
				summary: `memories.ai answered ${operation} with ${label}.`,
				advice: retrySoon,
			};
		case 'timeout':
			return {
				kind,
				retryable: true,
				summary: `memories.ai did not answer ${operation} within ${Limits.requestTimeoutMs / 1000} s (${label}).`,
				advice: retrySoon,
			};
		case 'network':
			return {
				kind,
				retryable: true,
				summary: `Could not reach memories.ai to ${operation} (${label}).`,
				advice: 'Check the Base URL and the network between this server and memories.ai, then try again.',
			};
		case 'redirect':
			// Not a lost answer: the request was refused elsewhere, and following it would send the key there.
			return {
				kind,
				retryable: false,
				summary: `The Base URL answered ${operation} with ${label}.`,
				advice: `${REDIRECT_NOT_FOLLOWED} ${
					operation === 'start'
						? 'No stream was started.'
						: 'The stream was not stopped and may still be running and billing: stop it again once the Base URL is right.'
				} ${CORRECT_BASE_URL}`,
			};
	}
}

export const REDIRECT_NOT_FOLLOWED = 'The API key is only ever sent to the Base URL, so the redirect was not followed.';
export const CORRECT_BASE_URL = `Correct the Base URL (the n8n credential, or the Node-RED account): it must be the address where the API answers itself, e.g. ${DEFAULT_BASE_URL}.`;

/** What an error says about how long the service asked to wait, e.g. " (retry after 3 s)". */
function retryAfterNote(retryAfterMs: number | undefined): string {
	return retryAfterMs === undefined ? '' : ` It asked to wait ${Math.ceil(retryAfterMs / 1000)} s before the next try (Retry-After).`;
}

export interface ApiErrorOptions {
	kind: ApiErrorKind;
	operation: Operation;
	/** The API's own code as text (`1001`, `0401`, `HTTP 502`, `ECONNRESET`…). */
	code: string;
	/** How the answer is named in the summary, e.g. `status 1001` or `HTTP 502 with an empty body`. */
	label: string;
	httpStatus?: number;
	/** The API's message text, if it sent one: shown after redaction. */
	apiMessage?: string;
	/** The call may have been carried out (only a start's matters: it may hide a billed task). */
	mayHaveStarted: boolean;
	/** Values that must never appear in the error (the API key, the callback's secret). */
	secrets?: readonly string[];
	/** A redirect's target as it may be shown (see `redirectTarget`). */
	redirectTo?: string;
	/** The service's `Retry-After`, in ms. */
	retryAfterMs?: number;
}

export function apiError(options: ApiErrorOptions): MemoriesApiError {
	const { kind, operation, code, label, httpStatus } = options;
	const advice = adviceFor(kind, operation, label);
	const message = options.apiMessage === undefined ? undefined : redact(options.apiMessage, options.secrets ?? []);
	const startUnknown = operation === 'start' && options.mayHaveStarted;
	return new MemoriesApiError({
		...advice,
		// A lost answer to start may hide a billed task: say so first, then how to retry.
		advice: `${startUnknown ? `${MAY_HAVE_STARTED} ` : ''}${advice.advice}${retryAfterNote(options.retryAfterMs)}`,
		summary: message ? `${advice.summary.slice(0, -1)}: "${message}".` : advice.summary,
		operation,
		code,
		httpStatus,
		apiMessage: message,
		mayHaveStarted: startUnknown,
		redirectTo: options.redirectTo,
		retryAfterMs: options.retryAfterMs,
	});
}
