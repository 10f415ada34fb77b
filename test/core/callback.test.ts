import {
	CallbackRequest,
	Limits,
	checkCallback,
	normaliseTimestamp,
	parseCallbackBody,
	parseCallbackPayload,
	secretDigest,
} from '../../core';

const documented = {
	status: 0,
	task_id: '5347085a-1111',
	data: { text: 'The chef is frying vegetables.', timestamp: '2025-10-22T12:00:45Z' },
};

describe('parseCallbackPayload', () => {
	it('accepts the documented payload', () => {
		expect(parseCallbackPayload(documented)).toEqual({
			ok: true,
			event: {
				taskId: '5347085a-1111',
				status: 0,
				text: 'The chef is frying vegetables.',
				timestamp: '2025-10-22T12:00:45.000Z',
				ended: false,
			},
		});
	});

	it('tolerates extra fields', () => {
		const result = parseCallbackPayload({ ...documented, extra: 1, data: { ...documented.data, confidence: 0.9 } });
		expect(result.ok).toBe(true);
	});

	it.each([
		['missing', undefined],
		['garbage', 'yesterday-ish'],
		['an object', { at: 1 }],
	])('keeps a result whose timestamp is %s, with a null timestamp', (_name, timestamp) => {
		const result = parseCallbackPayload({ ...documented, data: { text: 'x', timestamp } });
		expect(result).toMatchObject({ ok: true, event: { timestamp: null, text: 'x' } });
	});

	it('reads epoch seconds and milliseconds', () => {
		expect(normaliseTimestamp(1761134445)).toBe('2025-10-22T12:00:45.000Z');
		expect(normaliseTimestamp(1761134445000)).toBe('2025-10-22T12:00:45.000Z');
		expect(normaliseTimestamp('2025-10-22 12:00:45Z')).toBe('2025-10-22T12:00:45.000Z');
		expect(normaliseTimestamp(-5)).toBeNull();
	});

	it.each([
		[14, 'stopped'],
		[2001, 'credit failure'],
		[-1, 'failure'],
		[5000, 'internal'],
	])('marks status %i (%s) as ended, with or without data', (status) => {
		expect(parseCallbackPayload({ status, task_id: 'abc' })).toMatchObject({ ok: true, event: { ended: true, text: '' } });
		expect(parseCallbackPayload({ status, task_id: 'abc', data: { text: 'bye' } })).toMatchObject({
			ok: true,
			event: { ended: true, text: 'bye', status },
		});
	});

	it.each([
		['null', null, /JSON object/],
		['an array', [documented], /JSON object/],
		['a string', 'hello', /JSON object/],
		['no task_id', { status: 0, data: { text: 'x' } }, /task_id/],
		['a task_id with a slash', { ...documented, task_id: '../x' }, /task_id/],
		['a task_id too long', { ...documented, task_id: 'a'.repeat(129) }, /task_id/],
		['a negative numeric task_id', { ...documented, task_id: -5 }, /task_id/],
		['no status', { task_id: 'a', data: { text: 'x' } }, /status must be an integer/],
		['a word as status', { ...documented, status: 'ok' }, /status must be an integer/],
		['a fractional status', { ...documented, status: 0.5 }, /status must be an integer/],
	])('rejects %s', (_name, payload, reason) => {
		const result = parseCallbackPayload(payload);
		expect(result.ok).toBe(false);
		if (!result.ok) {
			expect(result.httpStatus).toBe(400);
			expect(result.reason).toMatch(reason);
		}
	});

	it('rejects a text over the limit with 413', () => {
		const result = parseCallbackPayload({ ...documented, data: { text: 'a'.repeat(Limits.callbackTextLength + 1) } });
		expect(result).toMatchObject({ ok: false, httpStatus: 413 });
	});

	it('does not read inherited properties (__proto__ and constructor payloads)', () => {
		const viaProto = JSON.parse('{"__proto__": {"task_id": "abc", "status": 0, "data": {"text": "x"}}}');
		expect(parseCallbackPayload(viaProto).ok).toBe(false);
		// A text only behind __proto__ is no text: the result is read with an empty one.
		const polluted = JSON.parse('{"status":0,"task_id":"abc","data":{"__proto__":{"text":"evil"}}}');
		expect(parseCallbackPayload(polluted)).toMatchObject({ ok: true, event: { text: '' } });
		expect(({} as Record<string, unknown>).text).toBeUndefined();
	});

	it('cleans lone surrogates and NUL characters out of the text', () => {
		const result = parseCallbackPayload({ ...documented, data: { text: 'a\uD800b\u0000c 🍳' } });
		expect(result).toMatchObject({ ok: true, event: { text: 'a\uFFFDbc 🍳' } });
	});
});

describe('parseCallbackBody', () => {
	const body = JSON.stringify(documented);

	it('accepts JSON content types, with or without parameters', () => {
		for (const type of ['application/json', 'application/json; charset=utf-8', 'application/vnd.api+json', undefined, '']) {
			expect(parseCallbackBody(body, type).ok).toBe(true);
		}
	});

	it.each(['text/plain', 'application/x-www-form-urlencoded', 'application/xml', 'application/octet-stream', 'image/png'])(
		'reads a JSON body declared as %s (the secret matched: the sender is the service)',
		(type) => {
			expect(parseCallbackBody(body, type)).toMatchObject({ ok: true, event: { taskId: '5347085a-1111' } });
		},
	);

	it('refuses what cannot be read whatever it was declared: multipart with 415, no JSON with 400/415', () => {
		expect(parseCallbackBody(body, 'multipart/form-data; boundary=x')).toMatchObject({ ok: false, httpStatus: 415 });
		expect(parseCallbackBody('<callback/>', 'application/xml')).toMatchObject({ ok: false, httpStatus: 415 });
		expect(parseCallbackBody('hello', 'text/plain')).toMatchObject({ ok: false, httpStatus: 400 });
	});

	it('refuses bodies over the size limit with 413, counting bytes', () => {
		const big = JSON.stringify({ ...documented, data: { text: 'é'.repeat(Limits.callbackBodyBytes / 2) } });
		expect(parseCallbackBody(big, 'application/json')).toMatchObject({ ok: false, httpStatus: 413 });
		expect(parseCallbackBody(new TextEncoder().encode(big), 'application/json')).toMatchObject({ ok: false, httpStatus: 413 });
	});

	it.each(['', '{', '{"status":0,', 'nul', '\uFEFF{}x', '\uFEFF'])('refuses invalid JSON %p with 400', (text) => {
		expect(parseCallbackBody(text, 'application/json')).toMatchObject({ ok: false, httpStatus: 400 });
	});

	it('reads bytes', () => {
		expect(parseCallbackBody(new TextEncoder().encode(body), 'application/json').ok).toBe(true);
	});
});

describe('checkCallback', () => {
	const secret = 'a-secret-of-enough-length-123';
	const request: CallbackRequest = { method: 'POST', contentType: 'application/json', query: { token: secret }, body: { raw: JSON.stringify(documented) } };
	const withToken = (token: unknown, body: CallbackRequest['body'] = { raw: 'not even json' }): CallbackRequest => ({ ...request, query: { token }, body });

	it('accepts an authenticated, valid callback', async () => {
		expect(await checkCallback(request, [secret])).toMatchObject({ ok: true, matched: 0, event: { taskId: '5347085a-1111' } });
	});

	it('accepts a body its host already parsed', async () => {
		expect((await checkCallback({ ...request, body: { parsed: documented } }, [secret])).ok).toBe(true);
	});

	it.each([
		['GET', 405],
		['PUT', 405],
		['post', 0],
	])('answers method %s (a refusal with the right secret is attributed)', async (method, httpStatus) => {
		const result = await checkCallback({ ...request, method }, [secret]);
		if (httpStatus === 0) expect(result.ok).toBe(true);
		else expect(result).toEqual({ ok: false, httpStatus, reason: 'Only POST is accepted.', matched: 0 });
		if (httpStatus !== 0) expect(await checkCallback({ ...request, method, query: {} }, [secret])).not.toHaveProperty('matched');
	});

	it.each([
		['missing', undefined],
		['empty', ''],
		['wrong', 'a-secret-of-enough-length-124'],
		['truncated', secret.slice(0, -1)],
		['longer', `${secret}x`],
		['repeated', [secret, secret]],
		['an object', { token: secret }],
	])('answers 401 to a %s token before reading the body', async (_name, token) => {
		const read = jest.fn(async () => ({ raw: 'not even json' }));
		expect(await checkCallback(withToken(token, read), [secret])).toMatchObject({ ok: false, httpStatus: 401 });
		expect(await checkCallback(withToken(token), [secret])).toMatchObject({ ok: false, httpStatus: 401 });
		expect(read).not.toHaveBeenCalled();
	});

	it('reads parsed bodies whatever their declared type', async () => {
		expect(await checkCallback({ ...request, contentType: 'text/plain', body: { parsed: documented } }, [secret])).toMatchObject({ ok: true });
	});

	it('answers 413 when the host only knows the body’s size: declared, parsed already, or not kept because too large', async () => {
		const over = Limits.callbackBodyBytes + 1;
		expect(await checkCallback({ ...request, body: { parsed: documented }, contentLength: String(over) }, [secret])).toMatchObject({ ok: false, httpStatus: 413 });
		expect(await checkCallback({ ...request, body: { tooLarge: true } }, [secret])).toMatchObject({ ok: false, httpStatus: 413, matched: 0 });
		expect((await checkCallback({ ...request, body: { parsed: documented }, contentLength: Limits.callbackBodyBytes }, [secret])).ok).toBe(true);
		// A parsed body without a declared size: its JSON text counts.
		const big = { ...documented, data: { text: 'x'.repeat(Limits.callbackBodyBytes) } };
		expect(await checkCallback({ ...request, body: { parsed: big } }, [secret])).toMatchObject({ ok: false, httpStatus: 413 });
		// Declared too large: refused before the body is read.
		const read = jest.fn(async () => ({ raw: JSON.stringify(documented) }));
		expect(await checkCallback({ ...request, body: read, contentLength: over }, [secret])).toMatchObject({ ok: false, httpStatus: 413, matched: 0 });
		expect(read).not.toHaveBeenCalled();
		// The secret still comes first.
		expect(await checkCallback({ ...withToken('nope', { tooLarge: true }), contentLength: over }, [secret])).toMatchObject({ ok: false, httpStatus: 401 });
	});

	it('reads a body the host reads on demand, once the secret matched', async () => {
		const read = jest.fn(async () => ({ raw: JSON.stringify(documented) }));
		expect(await checkCallback({ ...request, body: read }, [secret])).toMatchObject({ ok: true, event: { taskId: '5347085a-1111' } });
		expect(read).toHaveBeenCalledTimes(1);
	});

	it('answers 400 to a missing body', async () => {
		expect(await checkCallback({ ...request, body: undefined }, [secret])).toMatchObject({ ok: false, httpStatus: 400 });
	});

	it('says which of several candidate secrets matched, checking each one', async () => {
		const other = 'another-secret-of-enough-length';
		expect(await checkCallback(request, [other, '', secret])).toMatchObject({ ok: true, matched: 2 });
		expect(await checkCallback({ ...request, body: { raw: '{' } }, [other, secret])).toMatchObject({ ok: false, httpStatus: 400, matched: 1 });
		const refused = await checkCallback(request, [other]);
		expect(refused).toMatchObject({ ok: false, httpStatus: 401 });
		expect(refused).not.toHaveProperty('matched');
		expect(await checkCallback(request, [])).toMatchObject({ ok: false, httpStatus: 401 });
	});

	it('checks the token against a stored digest of the secret, with the same answers', async () => {
		const expected = { digest: secretDigest(secret) };
		expect(await checkCallback(request, [expected])).toMatchObject({ ok: true, event: { taskId: '5347085a-1111' } });
		for (const token of [undefined, '', 'nope', `${secret}x`, expected.digest, [secret]]) {
			expect(await checkCallback(withToken(token), [expected])).toEqual(await checkCallback(withToken(token), [secret]));
		}
		expect(await checkCallback({ ...request, method: 'GET' }, [expected])).toMatchObject({ ok: false, httpStatus: 405 });
		expect(await checkCallback(request, [{ digest: '' }])).toMatchObject({ ok: false, httpStatus: 401 });
	});

	it('never mentions the secret in a rejection', async () => {
		const result = await checkCallback(withToken('nope', request.body), [secret]);
		expect(JSON.stringify(result)).not.toContain(secret);
	});
});
