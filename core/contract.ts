// The memories.ai Live Video Understanding contract (see shared/memories-stream-api.md in the
// project docs): endpoints, codes and limits. Every protocol fact the hosts need lives here.

export const DEFAULT_BASE_URL = 'https://stream.memories.ai';
export const START_PATH = '/v1/understand/streamConnect';
export const STOP_PATH_PREFIX = '/v1/understand/stop/';

export const DEFAULT_SYSTEM_PROMPT = 'You are a real-time video monitoring system.';

/** Documented: at most this many concurrent streaming tasks per API key. */
export const MAX_CONCURRENT_STREAMS = 4;
/** Documented: active streams are billed once per frame window of about this length. */
export const BILLING_INTERVAL_SECONDS = 5;

/** `status` values of the current `{status, task_id, text}` envelope. */
export const Status = {
	ok: 0,
	invalid: -1,
	stopped: 14,
	capacity: 16,
	maxStreams: 1001,
	creditFailure: 2001,
	internal: 5000,
} as const;

/** `code` values of the older `{code, msg, data, success}` envelope. */
export const LegacyCode = {
	ok: '0000',
	badAuth: '0401',
	noCredits: '0402',
	rateLimited: '0429',
	permissionDenied: '9009',
} as const;

/** Client-side limits: the API documents none, these keep requests and callbacks sane. */
export const Limits = {
	urlLength: 2048,
	promptLength: 20000,
	taskIdLength: 128,
	apiKeyLength: 512,
	callbackBodyBytes: 256 * 1024,
	callbackTextLength: 100000,
	/** How long a host waits for an answer to start or stop. */
	requestTimeoutMs: 30000,
} as const;

/** Documented advice for rate limiting: exponential back-off from 1 s to 32 s. */
export const Backoff = { firstDelayMs: 1000, maxDelayMs: 32000 } as const;

/** Query parameter that carries the callback secret in the URLs we hand out. */
export const CALLBACK_TOKEN_PARAM = 'token';
