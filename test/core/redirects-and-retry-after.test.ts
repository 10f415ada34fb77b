// The API's answers the contract leaves open: 3xx redirects (never followed: the key only goes to
// the Base URL's origin) and 429s with a Retry-After (honoured within the retry budget).
import {
	ApiResponse,
	MemoriesApiError,
	STOP_BUDGET_MS,
	TransportFailure,
	createStreamClient,
	interpretStartResponse,
	interpretStopResponse,
	keyCheckRedirects,
	redirectTarget,
	retryAfterMs,
	retryDelayMs,
} from '../../core';

const KEY = 'sk-mai-redirect-test-0001';
const BASE = 'http://127.0.0.1:4010';
const input = { rtmpUrl: 'rtmp://camera.example.com/live/kitchen', userPrompt: 'Boiling over?', callbackUrl: 'https://hooks.example.com/r?token=callback-secret-0123456789' };

function thrown(fn: () => unknown): MemoriesApiError {
	try {
		fn();
	} catch (error) {
		if (error instanceof MemoriesApiError) return error;
		throw error;
	}
	throw new Error('expected a MemoriesApiError');
}

describe('a 3xx answer', () => {
	it.each([301, 302, 303, 307, 308])('to start (%i) is a redirect error: not retryable, nothing started, where it pointed named', (httpStatus) => {
		const error = thrown(() =>
			interpretStartResponse(
				{ httpStatus, body: '<html>moved</html>', location: 'http://localhost:41234/v1/understand/streamConnect?token=callback-secret-0123456789#x' },
				{ baseUrl: BASE, callbackUrl: input.callbackUrl, secrets: [KEY] },
			),
		);
		expect(error).toMatchObject({ kind: 'redirect', code: `HTTP ${httpStatus}`, retryable: false, mayHaveStarted: false, httpStatus });
		expect(error.redirectTo).toBe('http://localhost:41234/v1/understand/streamConnect');
		expect(error.summary).toBe(`The Base URL answered start with HTTP ${httpStatus}, a redirect to http://localhost:41234/v1/understand/streamConnect.`);
		expect(error.advice).toMatch(/only ever sent to the Base URL, so the redirect was not followed\. No stream was started\. Correct the Base URL/);
		expect(error.message).not.toMatch(/may have started/i);
		expect(JSON.stringify(error.toJSON())).not.toContain('callback-secret');
	});

	it('even with a success envelope: a redirect is never an answer of the service', () => {
		const error = thrown(() => interpretStartResponse({ httpStatus: 307, body: { status: 0, task_id: 'foreign-task-1' }, location: '/elsewhere' }, { baseUrl: BASE }));
		expect(error).toMatchObject({ kind: 'redirect', redirectTo: 'http://127.0.0.1:4010/elsewhere' });
	});

	it('to stop says the stream was not stopped and may still bill', () => {
		const error = thrown(() => interpretStopResponse('task-1', { httpStatus: 308, body: { status: 14 }, location: 'http://localhost:1/v1/understand/stop/task-1' }, { baseUrl: BASE }));
		expect(error).toMatchObject({ kind: 'redirect', operation: 'stop', retryable: false });
		expect(error.advice).toMatch(/was not stopped and may still be running and billing/);
	});

	it('without a Location, or with one that is no http(s) URL, still says what it is', () => {
		expect(thrown(() => interpretStartResponse({ httpStatus: 302, body: '' })).summary).toBe('The Base URL answered start with HTTP 302, a redirect without a Location.');
		expect(redirectTarget('javascript:alert(1)', BASE)).toBe('javascript:…');
		expect(redirectTarget('http://[bad', BASE)).toBe('an address that is not a URL');
		expect(redirectTarget(`http://user:${KEY}@evil.example/${KEY}`, BASE, [KEY])).toBe('http://evil.example/[redacted]');
	});

	it('is never retried by a stop', async () => {
		let calls = 0;
		const client = createStreamClient({
			baseUrl: BASE,
			apiKey: KEY,
			transport: async () => {
				calls++;
				return { httpStatus: 307, body: '', location: 'http://localhost:1/x' };
			},
			sleep: async () => undefined,
			now: () => 0,
		});
		await expect(client.stop('task-1')).rejects.toMatchObject({ kind: 'redirect' });
		expect(calls).toBe(1);
	});

	it('has one message per status for a credential test that can only match codes', () => {
		const rules = keyCheckRedirects();
		expect(rules.map((r) => r.httpStatus)).toEqual([300, 301, 302, 303, 307, 308]);
		for (const rule of rules) expect(rule.message).toMatch(new RegExp(`HTTP ${rule.httpStatus}, a redirect\\. The API key is only ever sent to the Base URL.*Correct the Base URL`));
	});
});

describe('Retry-After', () => {
	const now = Date.UTC(2025, 9, 22, 12, 0, 0);

	it('reads delay-seconds and HTTP-dates; ignores what is neither', () => {
		expect(retryAfterMs('3', now)).toBe(3000);
		expect(retryAfterMs(' 120 ', now)).toBe(120000);
		expect(retryAfterMs(new Date(now + 5000).toUTCString(), now)).toBe(5000);
		expect(retryAfterMs(new Date(now - 5000).toUTCString(), now)).toBe(0);
		expect(retryAfterMs('99999999999', now)).toBe(24 * 3600 * 1000);
		for (const junk of [undefined, '', '-1', '1.5', 'soon', '3 s']) expect(retryAfterMs(junk, now)).toBeUndefined();
	});

	it('travels with a 429 error, in its advice too', () => {
		const error = thrown(() => interpretStopResponse('t', { httpStatus: 429, body: { code: 429, msg: 'Rate limit exceeded' }, retryAfter: '7' }, { now }));
		expect(error).toMatchObject({ kind: 'rate_limited', retryable: true, retryAfterMs: 7000 });
		expect(error.advice).toMatch(/It asked to wait 7 s before the next try \(Retry-After\)\./);
	});

	it('makes the wait the longer of the back-off and the Retry-After, if it fits before the deadline', () => {
		const error = (ms?: number) => Object.assign(thrown(() => interpretStopResponse('t', { httpStatus: 429, body: '' })), { retryAfterMs: ms });
		expect(retryDelayMs(error(3000), 0, 0, 60000)).toBe(3000);
		expect(retryDelayMs(error(500), 1, 0, 60000)).toBe(2000);
		expect(retryDelayMs(error(), 0, 0, 60000)).toBe(1000);
		expect(retryDelayMs(error(59600), 0, 0, 60000)).toBeUndefined();
	});

	/** A client on a fake clock: `answers` in turn (each taking `ms`), lost answers after them. */
	function clocked(answers: Array<ApiResponse | TransportFailure>) {
		let clock = now;
		const waits: number[] = [];
		const client = createStreamClient({
			baseUrl: BASE,
			apiKey: KEY,
			transport: async () => answers.shift() ?? { httpStatus: 200, body: { status: 14 } },
			sleep: async (ms) => {
				waits.push(ms);
				clock += ms;
			},
			now: () => clock,
		});
		return { client, waits, elapsed: () => clock - now };
	}

	it.each([
		['seconds', '3', 3000],
		['an HTTP-date', new Date(now + 4000).toUTCString(), 4000],
	])('a stop waits what Retry-After (%s) asks before trying again', async (_form, header, wait) => {
		const { client, waits } = clocked([{ httpStatus: 429, body: { code: 429, msg: 'Rate limit exceeded' }, retryAfter: header }]);
		await expect(client.stop('task-1')).resolves.toEqual({ outcome: 'stopped', taskId: 'task-1' });
		expect(waits).toEqual([wait]);
	});

	it('a stop gives up rather than wait past its budget, with the last error', async () => {
		const { client, waits, elapsed } = clocked([{ httpStatus: 429, body: '', retryAfter: String(STOP_BUDGET_MS / 1000) }]);
		await expect(client.stop('task-1')).rejects.toMatchObject({ kind: 'rate_limited', retryAfterMs: STOP_BUDGET_MS });
		expect(waits).toEqual([]);
		expect(elapsed()).toBe(0);
	});

	it('a host deadline bounds every try and every wait', async () => {
		const { client, waits, elapsed } = clocked([
			{ httpStatus: 429, body: '', retryAfter: '2' },
			{ httpStatus: 429, body: '', retryAfter: '2' },
			{ httpStatus: 429, body: '', retryAfter: '2' },
		]);
		await expect(client.stop('task-1', { attempts: 5, deadline: now + 5000 })).rejects.toMatchObject({ kind: 'rate_limited' });
		expect(waits).toEqual([2000, 2000]);
		expect(elapsed()).toBeLessThanOrEqual(5000);
	});
});
