import {
	ApiErrorKind,
	KEY_CHECK_TASK_ID,
	Status,
	keyCheckFailures,
	MemoriesApiError,
	interpretRequestFailure,
	interpretStartResponse,
	interpretStopResponse,
	mayHaveBeenProcessed,
} from '../../core';

function startError(httpStatus: number, body: unknown, secrets?: string[]): MemoriesApiError {
	try {
		interpretStartResponse({ httpStatus, body }, { secrets });
	} catch (error) {
		expect(error).toBeInstanceOf(MemoriesApiError);
		return error as MemoriesApiError;
	}
	throw new Error('expected an error');
}

function stopError(httpStatus: number, body: unknown): MemoriesApiError {
	try {
		interpretStopResponse('t-1', { httpStatus, body });
	} catch (error) {
		expect(error).toBeInstanceOf(MemoriesApiError);
		return error as MemoriesApiError;
	}
	throw new Error('expected an error');
}

describe('interpretStartResponse: success', () => {
	it('reads the documented envelope from text, bytes and objects', () => {
		const body = { status: 0, task_id: '5347085a-aaaa', text: '' };
		expect(interpretStartResponse({ httpStatus: 200, body: JSON.stringify(body) })).toEqual({ taskId: '5347085a-aaaa' });
		expect(interpretStartResponse({ httpStatus: 200, body: new TextEncoder().encode(JSON.stringify(body)) })).toEqual({
			taskId: '5347085a-aaaa',
		});
		expect(interpretStartResponse({ httpStatus: 200, body })).toEqual({ taskId: '5347085a-aaaa' });
	});

	it('reads the older {code:"0000"} envelope', () => {
		expect(
			interpretStartResponse({ httpStatus: 200, body: { code: '0000', msg: 'ok', data: { task_id: 'abc' }, success: true } }),
		).toEqual({ taskId: 'abc' });
		expect(interpretStartResponse({ httpStatus: 200, body: { code: '0000', data: 'xyz' } })).toEqual({ taskId: 'xyz' });
	});

	it('treats success without a task id as a start that may have happened', () => {
		const error = startError(200, { status: 0, text: '' });
		expect(error.kind).toBe('bad_response');
		expect(error.mayHaveStarted).toBe(true);
		expect(error.message).toMatch(/no usable task_id/);
	});

	it('does not trust a success envelope on an HTTP error status', () => {
		const error = startError(500, { status: 0, task_id: 'abc' });
		expect(error.kind).toBe('server');
	});
});

describe('interpretStartResponse: documented failures', () => {
	const cases: Array<[string, number, unknown, ApiErrorKind, boolean, RegExp]> = [
		['-1', 200, { status: -1, task_id: null, text: 'invalid parameters' }, 'invalid_request', false, /rejected the start request as invalid \(status -1\)/],
		['1001', 200, { status: 1001, text: '' }, 'max_streams', false, /already runs the maximum of 4 streams \(status 1001\).*Stop one of them/],
		['2001', 200, { status: 2001 }, 'credits', false, /could not deduct credits.*Recharge/],
		['5000', 200, { status: 5000 }, 'server', true, /internal error \(status 5000\)/],
		['16', 200, { status: 16 }, 'capacity', true, /capacity.*back-off \(1 s doubling up to 32 s\).*shared by all keys/],
		['0401', 200, { code: '0401', msg: 'unauthorized', success: false }, 'auth', false, /did not accept the API key \(code 0401\)/],
		['0402', 200, { code: '0402', msg: 'no credits' }, 'credits', false, /code 0402/],
		['0429', 200, { code: '0429' }, 'rate_limited', true, /rate limit exceeded \(code 0429\)/],
		['9009', 200, { code: '9009' }, 'permission', false, /not allowed.*\(code 9009\)/],
		['HTTP 429', 429, { code: 429, msg: 'Rate limit exceeded' }, 'rate_limited', true, /rate limit exceeded \(HTTP 429\): "Rate limit exceeded"\. Wait and retry/],
	];

	it.each(cases)('maps %s', (_name, httpStatus, body, kind, retryable, message) => {
		const error = startError(httpStatus, body);
		expect(error.kind).toBe(kind);
		expect(error.retryable).toBe(retryable);
		expect(error.operation).toBe('start');
		expect(error.message).toMatch(message);
		expect(error.httpStatus).toBe(httpStatus);
	});

	it.each([400, 401, 402, 429, 500, 503])('reads a business error carried with HTTP %i the same way', (httpStatus) => {
		expect(startError(httpStatus, { status: 1001, task_id: null, text: '' }).kind).toBe('max_streams');
	});

	it('includes the API message, without secrets it may echo', () => {
		const error = startError(200, { status: -1, text: 'bad key sk-mai-SECRET in request' }, ['sk-mai-SECRET']);
		expect(error.message).toContain('"bad key [redacted] in request"');
		expect(JSON.stringify(error.toJSON())).not.toContain('sk-mai-SECRET');
	});

	it('redacts the callback secret the API may echo', () => {
		const token = 'cb-token-0123456789abcdef';
		const callbackUrl = `https://flows.example.com/memories/cb?token=${token}`;
		try {
			interpretStartResponse({ httpStatus: 200, body: { status: 2001, text: `cannot reach ${callbackUrl}` } }, { callbackUrl });
			throw new Error('expected an error');
		} catch (error) {
			expect((error as Error).message).toContain('?token=[redacted]');
			expect(JSON.stringify((error as MemoriesApiError).toJSON())).not.toContain(token);
		}
	});

	it('reads numeric status strings', () => {
		expect(startError(200, { status: '1001' }).kind).toBe('max_streams');
	});

	it('says an unknown status is unexpected', () => {
		const error = startError(200, { status: 77, text: 'odd' });
		expect(error.kind).toBe('bad_response');
		expect(error.code).toBe('77');
	});
});

describe('interpretStartResponse: bodies that are not the contract', () => {
	it.each([
		[502, '<html><body><h1>502 Bad Gateway</h1></body></html>', 'server', true, /HTTP 502 with a body that is not JSON/],
		[503, '', 'server', true, /HTTP 503 with an empty body/],
		[500, '{"oops": true}', 'server', false, /HTTP 500 with an unrecognised JSON body/],
		[200, '', 'bad_response', true, /HTTP 200 and an empty body/],
		[200, '{"status": 0, "task_id": ', 'bad_response', true, /not JSON/],
		[200, '[1,2]', 'bad_response', true, /unrecognised/],
		[401, 'Unauthorized', 'auth', false, /API key/],
		[403, undefined, 'permission', false, /not allowed/],
		[404, null, 'invalid_request', false, /HTTP 404/],
	] as Array<[number, unknown, ApiErrorKind, boolean, RegExp]>)(
		'HTTP %i with %p',
		(httpStatus, body, kind, mayHaveStarted, message) => {
			const error = startError(httpStatus, body);
			expect(error.kind).toBe(kind);
			expect(error.mayHaveStarted).toBe(mayHaveStarted);
			expect(error.message).toMatch(message);
		},
	);

	it('tells the user what to do when a start may have happened', () => {
		expect(startError(200, '').advice).toMatch(/stop it with the task_id they carry/);
	});
});

describe('interpretStopResponse', () => {
	it('reads status 14 as stopped', () => {
		expect(interpretStopResponse('t-1', { httpStatus: 200, body: '{"status":14,"task_id":"t-1"}' })).toEqual({
			outcome: 'stopped',
			taskId: 't-1',
		});
	});

	it('reads -1 as "not found or already stopped", not an error, whatever the HTTP status', () => {
		expect(interpretStopResponse('t-1', { httpStatus: 200, body: { status: -1, task_id: 't-1' } }).outcome).toBe('not_found');
		expect(interpretStopResponse('t-1', { httpStatus: 400, body: { status: -1 } }).outcome).toBe('not_found');
	});

	it('reads status 0 and code 0000 as stopped', () => {
		expect(interpretStopResponse('t-1', { httpStatus: 200, body: { status: 0 } }).outcome).toBe('stopped');
		expect(interpretStopResponse('t-1', { httpStatus: 200, body: { code: '0000' } }).outcome).toBe('stopped');
	});

	it('makes 5000 a retryable error with stop advice', () => {
		const error = stopError(200, { status: 5000 });
		expect(error.retryable).toBe(true);
		expect(error.operation).toBe('stop');
		expect(error.advice).toBe('Stopping is safe to repeat: try again in a few seconds.');
		expect(error.mayHaveStarted).toBe(false);
	});

	it.each([
		[401, { code: '0401' }, 'auth'],
		[429, { code: 429, msg: 'Rate limit exceeded' }, 'rate_limited'],
		[502, '<html>bad gateway</html>', 'server'],
		[200, '', 'bad_response'],
	] as Array<[number, unknown, ApiErrorKind]>)('HTTP %i %p is an error', (httpStatus, body, kind) => {
		expect(stopError(httpStatus, body).kind).toBe(kind);
	});
});

describe('interpretRequestFailure', () => {
	it('marks a timeout of start as maybe started', () => {
		const error = interpretRequestFailure('start', 'UND_ERR_HEADERS_TIMEOUT');
		expect(error.kind).toBe('timeout');
		expect(error.mayHaveStarted).toBe(true);
		expect(error.message).toMatch(/did not answer start within 30 s/);
	});

	it('knows a refused connection started nothing', () => {
		const error = interpretRequestFailure('start', 'ECONNREFUSED');
		expect(error.kind).toBe('network');
		expect(error.mayHaveStarted).toBe(false);
		expect(error.message).toMatch(/Could not reach memories.ai to start \(ECONNREFUSED\).*Check the Base URL/);
	});

	it('treats a reset as maybe started', () => {
		expect(interpretRequestFailure('start', 'ECONNRESET').mayHaveStarted).toBe(true);
		expect(interpretRequestFailure('stop', 'ECONNRESET').mayHaveStarted).toBe(false);
	});

	it('does not echo odd error codes', () => {
		expect(interpretRequestFailure('stop', 'Error: key sk-123 leaked').code).toBe('NETWORK_ERROR');
		expect(interpretRequestFailure('stop', undefined).code).toBe('NETWORK_ERROR');
	});
});

describe('mayHaveBeenProcessed', () => {
	it('is true when the answer was lost, garbled or an error page', () => {
		expect(mayHaveBeenProcessed(interpretRequestFailure('stop', 'UND_ERR_HEADERS_TIMEOUT'))).toBe(true);
		expect(mayHaveBeenProcessed(interpretRequestFailure('stop', 'ECONNRESET'))).toBe(true);
		expect(mayHaveBeenProcessed(stopError(200, '{"status": 14, "task_'))).toBe(true);
		expect(mayHaveBeenProcessed(stopError(200, ''))).toBe(true);
		expect(mayHaveBeenProcessed(stopError(502, '<html>Bad Gateway</html>'))).toBe(true);
		expect(mayHaveBeenProcessed(stopError(200, { status: 5000 }))).toBe(true);
	});

	it('is false when the request cannot have reached the service or was refused', () => {
		expect(mayHaveBeenProcessed(interpretRequestFailure('stop', 'ECONNREFUSED'))).toBe(false);
		expect(mayHaveBeenProcessed(interpretRequestFailure('stop', 'ENOTFOUND'))).toBe(false);
		expect(mayHaveBeenProcessed(stopError(429, { code: 429, msg: 'Rate limit exceeded' }))).toBe(false);
		expect(mayHaveBeenProcessed(stopError(401, { code: '0401' }))).toBe(false);
	});
});

describe('advice for a start that may have happened', () => {
	it('comes first for lost answers and gateway errors, and not for clear refusals', () => {
		for (const error of [
			interpretRequestFailure('start', 'ECONNRESET'),
			interpretRequestFailure('start', 'UND_ERR_HEADERS_TIMEOUT'),
			startError(502, '<html></html>'),
			startError(200, '{"status":0,"task_id":'),
		]) {
			expect(error.advice).toMatch(/^The stream may have started anyway/);
		}
		for (const error of [startError(200, { status: 5000 }), startError(200, { status: 1001 }), interpretRequestFailure('start', 'ECONNREFUSED')]) {
			expect(error.advice).not.toMatch(/may have started/);
		}
	});
});

describe('keyCheckFailures', () => {
	it('lists every documented code that does not prove a key, with the core’s message', () => {
		const failures = keyCheckFailures();
		expect(failures.map((f) => f.value).sort()).toEqual([16, 1001, 2001, 5000, '0401', '0402', '0429', '9009'].sort());
		for (const f of failures) expect(f.message).toContain(`(${f.key} ${f.value})`);
		// "not found" (-1) is the proof; 0 and 14 (stopped) cannot mean a refused key.
		expect(failures.some((f) => f.key === 'status' && [Status.invalid, Status.ok, Status.stopped].includes(f.value as never))).toBe(false);
		expect(interpretStopResponse(KEY_CHECK_TASK_ID, { httpStatus: 200, body: { status: -1 } }).outcome).toBe('not_found');
	});
});
